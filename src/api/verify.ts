// POST /v1/verify: checks a proof bundle against the chain (not against our database), with
// the same library the CLI and the web page use. Any JSON value is a question with an
// answer: a malformed bundle is reported as a failed `format` check, not as an error.
import { Hono } from "hono";
import { verifyBundle, type ChainReader } from "../verify/index.ts";
import { readJson } from "./body.ts";

const VERIFY_BODY_BYTES = 1024 * 1024;

export interface VerifyRouteDeps {
  /** Reader for the chain this service anchors to; absent when it is not configured. */
  chain: () => ChainReader | undefined;
  minConfirmations: number;
}

export function verifyRoutes(deps: VerifyRouteDeps): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    const body = await readJson(c, VERIFY_BODY_BYTES);
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
