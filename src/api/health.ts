// /healthz (the process answers) and /readyz (the database and the chain answer).
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { errorFields, type Logger } from "../log.ts";
import { problemResponse } from "./problem.ts";

export interface HealthDeps {
  pingDb: () => Promise<void>;
  /** Latest block number of the anchoring chain; throws when unreachable. */
  pingChain: () => Promise<{ chainId: number; blockNumber: number; contract: string | null }>;
  log: Logger;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export function healthRoutes(deps: HealthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const [db, chain] = await Promise.allSettled([withTimeout(deps.pingDb(), 3000), withTimeout(deps.pingChain(), 3000)]);
    // The caller learns which dependency is down; the details (hosts, queries) go to the log only.
    const failed: string[] = [];
    if (db.status === "rejected") {
      failed.push("the database does not answer");
      deps.log.warn("readiness: database check failed", errorFields(db.reason));
    }
    if (chain.status === "rejected") {
      failed.push("the chain does not answer");
      deps.log.warn("readiness: chain check failed", errorFields(chain.reason));
    }
    if (failed.length > 0) return problemResponse(c, "service-unavailable", failed.join("; "), { headers: { "retry-after": "5" } });
    return c.json({ status: "ready", database: "ok", chain: chain.status === "fulfilled" ? chain.value : null });
  });
  return app;
}
