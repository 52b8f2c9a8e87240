// /v1/cases/:tenantId/:caseId/proofs: every item of a case with its proof bundle, for the
// tenant that owns it, admins, and verifiers the case is disclosed to.
import { Hono } from "hono";
import type { Prover } from "../services/prover.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { parsePaging, seqCursor } from "./paging.ts";

export function caseRoutes(deps: { prover: Prover }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:tenantId/:caseId/proofs", async (c) => {
    const { after, limit } = parsePaging(c, seqCursor);
    const { tenantId, caseId } = c.req.param();
    return c.json(await deps.prover.caseProofs(callerOf(c).scope, tenantId, caseId, { afterSeq: after, limit }));
  });
  return app;
}
