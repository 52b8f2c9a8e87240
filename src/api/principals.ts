// /v1/tenants and /v1/verifiers (admins only): create, list, read, disable. One module for
// both: they differ only in the kind of principal they manage.
import { Hono } from "hono";
import { z } from "zod";
import type { AccessService } from "../services/access.ts";
import { readBody } from "./body.ts";
import { actorOf, callerOf, type AppEnv } from "./context.ts";
import { principalId, text } from "./fields.ts";
import { SMALL_BODY } from "./limits.ts";
import { principalCursor, parsePaging } from "./paging.ts";

/** Strict: status, timestamps and kind are the service's to set, never the caller's. */
export const CreatePrincipalSchema = z.strictObject({
  id: principalId,
  name: text(200),
});

export function principalRoutes(deps: { access: AccessService }, kind: "tenant" | "verifier"): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/", async (c) => {
    const input = await readBody(c, CreatePrincipalSchema, SMALL_BODY);
    const created = await deps.access.createPrincipal(actorOf(callerOf(c).caller), kind, input);
    c.header("location", `${c.req.path.replace(/\/$/, "")}/${created.id}`);
    return c.json(created, 201);
  });

  app.get("/", async (c) => {
    const { after, limit } = parsePaging(c, principalCursor);
    return c.json(await deps.access.listPrincipals(kind, after, limit));
  });

  app.get("/:id", async (c) => c.json(await deps.access.getPrincipal(kind, c.req.param("id"))));

  app.post("/:id/disable", async (c) =>
    c.json(await deps.access.disablePrincipal(actorOf(callerOf(c).caller), kind, c.req.param("id"))),
  );

  return app;
}
