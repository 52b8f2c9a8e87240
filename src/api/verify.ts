// POST /v1/verify: checks a proof bundle against the chain (not against our database), with
// the same library the CLI and the web page use. Any JSON value is a question with an
// answer: a malformed bundle is reported as a failed `format` check, not as an error.
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { verifyBundle, type ChainReader } from "../verify/index.ts";
import { readJson } from "./body.ts";
import { VERIFY_BODY } from "./limits.ts";


export interface VerifyRouteDeps {
  /** Reader for the chain this service anchors to; absent when it is not configured. */
  chain: () => ChainReader | undefined;
  minConfirmations: number;
}

export function verifyRoutes(deps: VerifyRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", async (c) => {
    const body = await readJson(c, VERIFY_BODY);
    const chain = deps.chain();
    const result = await verifyBundle(body, { ...(chain ? { chain } : {}), minConfirmations: deps.minConfirmations });
    return c.json({
      valid: result.valid,
      checks: result.checks,
      anchoredAt: result.anchoredAt,
      confirmations: result.confirmations,
    });
  });
  return app;
}
