// /healthz (the process answers) and /readyz (the database and the chain answer; which
// instance this is and whether it leads; "degraded" with reasons when anchoring is in trouble).
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { errorFields, type Logger } from "../log.ts";
import { problemResponse } from "./problem.ts";

export interface HealthDeps {
  pingDb: () => Promise<void>;
  /** Latest block number of the anchoring chain; throws when unreachable. */
  pingChain: () => Promise<{ chainId: number; blockNumber: number; contract: string | null }>;
  /** This instance and whether it runs the sequencer now (several may share one database). */
  instance?: () => { id: string; leader: boolean };
  /**
   * What keeps anchoring from working normally (Batcher.problems()). Asked only of the leader:
   * a follower anchors nothing, so its answer would say nothing.
   */
  problems?: () => string[];
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
    const instance = deps.instance?.();
    const reasons = instance && !instance.leader ? [] : anchoringProblems(deps);
    // Degraded, not unavailable: the instance still takes digests and serves proofs; anchoring
    // lags. A 503 would take it out of a load balancer for something it cannot fix.
    return c.json({
      status: reasons.length > 0 ? "degraded" : "ready",
      database: "ok",
      chain: chain.status === "fulfilled" ? chain.value : null,
      ...(instance ? { instance } : {}),
      ...(reasons.length > 0 ? { reasons } : {}),
    });
  });
  return app;
}

function anchoringProblems(deps: HealthDeps): string[] {
  try {
    return deps.problems?.() ?? [];
  } catch (err) {
    // A probe that throws is our bug; the probe still answers, and the log says what happened.
    deps.log.error("readiness: reading the batcher's problems failed", errorFields(err));
    return [];
  }
}
