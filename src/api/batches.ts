// /v1/batches/:seq: a sealed batch, its root, its current anchor and, when an external
// authority (TSA_URL) time-stamps roots, its RFC 3161 token (for a tenant: only batches that
// hold one of its items).
import { Hono } from "hono";
import type { Prover } from "../services/prover.ts";
import type { Db } from "../store/db.ts";
import { batchTimestampView, getBatchTimestamp } from "../store/timestamps.ts";
import { callerOf, type AppEnv } from "./context.ts";

export function batchRoutes(deps: { prover: Prover; db: Db }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:seq", async (c) => {
    const view = await deps.prover.batch(callerOf(c).scope, c.req.param("seq"));
    const ts = await getBatchTimestamp(deps.db, view.seq);
    return c.json({ ...view, timestamp: ts ? batchTimestampView(ts) : null });
  });
  return app;
}
