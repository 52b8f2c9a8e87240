// /v1/batches/:seq: a sealed batch, its root and its current anchor.
import { Hono } from "hono";
import type { Prover } from "../services/prover.ts";

export function batchRoutes(deps: { prover: Prover }): Hono {
  const app = new Hono();
  app.get("/:seq", async (c) => c.json(await deps.prover.batch(c.req.param("seq"))));
  return app;
}
