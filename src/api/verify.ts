// POST /v1/verify: checks a proof bundle against the chain (not against our database), with
// the same library the CLI and the web page use. A malformed bundle is reported as a failed
// `format` check, not as an error; but a file recognised as something else (a receipt, a
// report, a case list, an evidence record) is refused with 422, saying what it is and what to
// send instead. A chain that cannot be asked gives the verdict `inconclusive`, never `invalid`.
// `?documentDigest=0x…` (the caller's own hash of the document) adds the `document` check.
// `warnings` says in words when the platform's claimed occurredAt is later than the anchor: it
// is the platform's statement, so it never changes the verdict.
import { Hono } from "hono";
import { validationFailed } from "../errors.ts";
import type { AppEnv } from "./context.ts";
import { identifyInput, proofClaimedTimeWarnings, verdictOf, verifyBundle, type ChainReader } from "../verify/index.ts";
import { readJson } from "./body.ts";
import { VERIFY_BODY } from "./limits.ts";

export interface VerifyRouteDeps {
  /** Reader for the chain this service anchors to; absent when it is not configured. */
  chain: () => ChainReader | undefined;
  minConfirmations: number;
}

const DIGEST_RE = /^0x[0-9a-fA-F]{64}$/;

export function verifyRoutes(deps: VerifyRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", async (c) => {
    const documentDigest = c.req.query("documentDigest");
    if (documentDigest !== undefined && !DIGEST_RE.test(documentDigest)) {
      throw validationFailed([{ field: "documentDigest", reason: "expected 0x and 64 hex digits: your own hash of the document" }]);
    }
    const body = await readJson(c, VERIFY_BODY);
    const identity = identifyInput(body);
    if (!identity.proof) {
      throw validationFailed([{ field: "/", reason: `${identity.what}: ${identity.advice}` }]);
    }
    const chain = deps.chain();
    const result = await verifyBundle(body, {
      ...(chain ? { chain } : {}),
      ...(documentDigest === undefined ? {} : { documentDigest }),
      minConfirmations: deps.minConfirmations,
    });
    const verdict = verdictOf(result);
    return c.json({
      valid: result.valid,
      verdict: verdict.kind,
      headline: verdict.headline,
      checks: result.checks,
      anchoredAt: result.anchoredAt,
      confirmations: result.confirmations,
      warnings: proofClaimedTimeWarnings(result.bundle, result.anchoredAt),
    });
  });
  return app;
}
