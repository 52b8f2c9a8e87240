// /v1/batches/:seq: a sealed batch, its root and its current anchor (for a tenant: only
// batches that hold one of its items).
import { Hono } from "hono";
import type { Prover } from "../services/prover.ts";
import { callerOf, type AppEnv } from "./context.ts";

export function batchRoutes(deps: { prover: Prover }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:seq", async (c) => c.json(await deps.prover.batch(callerOf(c).scope, c.req.param("seq"))));
  return app;
}
