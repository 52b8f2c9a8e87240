// /v1/keys (admins only): create a key for a principal (the key is in that response and
// nowhere else), list keys without their secrets, revoke one.
import { Hono } from "hono";
import { z } from "zod";
import type { AccessService } from "../services/access.ts";
import { readBody } from "./body.ts";
import { actorOf, callerOf, type AppEnv } from "./context.ts";
import { dateTime, principalId, text } from "./fields.ts";
import { SMALL_BODY } from "./limits.ts";
import { keyCursor, parsePaging } from "./paging.ts";
import { validationFailed } from "../errors.ts";

export const CreateKeySchema = z.strictObject({
  principalId,
  label: text(100).optional(),
  expiresAt: dateTime.optional(),
});

export function keyRoutes(deps: { access: AccessService }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/", async (c) => {
    const input = await readBody(c, CreateKeySchema, SMALL_BODY);
    const created = await deps.access.createKey(actorOf(callerOf(c).caller), input);
    // The only response that ever holds a key: nothing may keep a copy of it.
    c.header("cache-control", "no-store");
    return c.json(created, 201);
  });

  app.get("/", async (c) => {
    const { after, limit } = parsePaging(c, keyCursor);
    const owner = c.req.query("principalId");
    if (owner !== undefined && !principalId.safeParse(owner).success) {
      throw validationFailed([{ field: "principalId", reason: "must be a principal id" }]);
    }
    return c.json(await deps.access.listKeys(owner, after, limit));
  });

  app.post("/:id/revoke", async (c) => c.json(await deps.access.revokeKey(actorOf(callerOf(c).caller), c.req.param("id"))));

  return app;
}
