// /v1/disclosures: a tenant's case made readable to a verifier (a court, a notary). Admins
// and the owning tenant grant and revoke; verifiers list what was disclosed to them.
import { Hono } from "hono";
import { z } from "zod";
import type { AccessService } from "../services/access.ts";
import { readBody } from "./body.ts";
import { actorOf, callerOf, type AppEnv } from "./context.ts";
import { dateTime, principalId, text } from "./fields.ts";
import { SMALL_BODY } from "./limits.ts";
import { uuidCursor, parsePaging } from "./paging.ts";

export const CreateDisclosureSchema = z.strictObject({
  caseId: text(256),
  /** Required for admins; a tenant may leave it out (it can only name itself). */
  tenantId: principalId.optional(),
  verifierId: principalId,
  expiresAt: dateTime.optional(),
});

export function disclosureRoutes(deps: { access: AccessService }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/", async (c) => {
    const input = await readBody(c, CreateDisclosureSchema, SMALL_BODY);
    const { caller, scope } = callerOf(c);
    const created = await deps.access.grantDisclosure(actorOf(caller), scope, input);
    c.header("location", `/v1/disclosures/${created.id}`);
    return c.json(created, 201);
  });

  app.get("/", async (c) => {
    const { after, limit } = parsePaging(c, uuidCursor);
    return c.json(await deps.access.listDisclosures(callerOf(c).scope, after, limit));
  });

  app.get("/:id", async (c) => c.json(await deps.access.getDisclosure(callerOf(c).scope, c.req.param("id"))));

  app.post("/:id/revoke", async (c) => {
    const { caller, scope } = callerOf(c);
    return c.json(await deps.access.revokeDisclosure(actorOf(caller), scope, c.req.param("id")));
  });

  return app;
}
