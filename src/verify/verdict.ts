// One verdict, in words a non-technical reader understands, for a verification result: the
// CLI, the web page and the API all phrase their answer from here so they never disagree.
import type { Check } from "./checks.ts";
import { short } from "./checks.ts";

/**
 * - `valid`: every check ran and passed: the anchor was checked on the chain.
 * - `consistent`: every check that ran passed, but the chain was not asked (offline).
 * - `pending`: the proof is well-formed but its evidence is not anchored yet.
 * - `invalid`: a check failed.
 */
export type VerdictKind = "valid" | "consistent" | "pending" | "invalid";

export interface Verdict {
  kind: VerdictKind;
  /** True for `valid` and `consistent`: what a verifier's exit status 0 means. */
  passed: boolean;
  /** One sentence. */
  headline: string;
  /** The first failed check, for `invalid`. */
  failed: Check | null;
}

/** What the verdict needs of a verification result (VerificationResult fits). */
export interface VerdictInput {
  checks: Check[];
  anchoredAt: string | null;
  bundle: { evidence: { digest: string }; anchor: { blockNumber: number; chainId: number } | null } | null;
}

export function verdictOf(result: VerdictInput): Verdict {
  const failed = result.checks.find((c) => !c.ok && c.skipped !== true) ?? null;
  if (failed !== null || result.bundle === null) {
    const why = failed === null ? "the proof could not be read" : `the ${failed.name} check failed: ${failed.detail}`;
    return { kind: "invalid", passed: false, headline: `NOT VALID: ${why}.`, failed };
  }
  const { bundle } = result;
  if (bundle.anchor === null) {
    return {
      kind: "pending",
      passed: false,
      headline: `NOT YET ANCHORED: the proof is well-formed, but digest ${short(bundle.evidence.digest)} has not been anchored on a chain yet; fetch the proof again later.`,
      failed: null,
    };
  }
  if (result.checks.some((c) => c.skipped === true)) {
    return {
      kind: "consistent",
      passed: true,
      headline:
        "CONSISTENT, ANCHOR NOT CHECKED: the proof is internally consistent, but it was not checked against the chain; give a chain RPC URL to check the anchor.",
      failed: null,
    };
  }
  const when = result.anchoredAt ?? `block ${bundle.anchor.blockNumber}`;
  return {
    kind: "valid",
    passed: true,
    headline: `VALID: digest ${short(bundle.evidence.digest)} existed no later than ${when} (block ${bundle.anchor.blockNumber} of chain ${bundle.anchor.chainId}), and this record has not changed since.`,
    failed: null,
  };
}
