// /healthz (the process answers) and /readyz (the database and the chain answer).
import { Hono } from "hono";
import { problemResponse } from "./problem.ts";

export interface HealthDeps {
  pingDb: () => Promise<void>;
  /** Latest block number of the anchoring chain; throws when unreachable. */
  pingChain: () => Promise<{ chainId: number; blockNumber: number; contract: string | null }>;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const [db, chain] = await Promise.allSettled([withTimeout(deps.pingDb(), 3000), withTimeout(deps.pingChain(), 3000)]);
    const failed: string[] = [];
    if (db.status === "rejected") failed.push(`database: ${String((db.reason as Error)?.message ?? db.reason)}`);
    if (chain.status === "rejected") failed.push(`chain: ${String((chain.reason as Error)?.message ?? chain.reason)}`);
    if (failed.length > 0) return problemResponse(c, "service-unavailable", failed.join("; "), { headers: { "retry-after": "5" } });
    return c.json({ status: "ready", database: "ok", chain: chain.status === "fulfilled" ? chain.value : null });
  });
  return app;
}
