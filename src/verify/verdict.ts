// One verdict, in words a non-technical reader understands, for a verification result: the
// CLI, the web page and the API all phrase their answer from here so they never disagree.
import type { Check } from "./checks.ts";
import { hasFailed, short } from "./checks.ts";

/**
 * - `valid`: every check ran and passed: the anchor was checked on the chain.
 * - `consistent`: every check that ran passed, but the chain was not asked (offline).
 * - `pending`: the proof is well-formed but its evidence is not anchored yet.
 * - `inconclusive`: "could not verify": a check could not run (the chain node unreachable, an
 *   RPC error or timeout, a document that could not be hashed) and none that ran failed.
 *   Nothing is known against the proof; try again, or with another node.
 * - `invalid`: a check ran and failed. Only this says "not valid".
 */
export type VerdictKind = "valid" | "consistent" | "pending" | "inconclusive" | "invalid";

/** Every verdict, in the order of the table in docs/verifying.md. */
export const VERDICT_KINDS: readonly VerdictKind[] = ["valid", "consistent", "pending", "inconclusive", "invalid"];

export interface Verdict {
  kind: VerdictKind;
  /** True for `valid` and `consistent`: what a verifier's exit status 0 means. */
  passed: boolean;
  /** One sentence. */
  headline: string;
  /** The first failed check, for `invalid`. */
  failed: Check | null;
  /** The first check that could not run, for `inconclusive`. */
  unavailable: Check | null;
}

/** What the verdict needs of a verification result (VerificationResult fits). */
export interface VerdictInput {
  checks: Check[];
  anchoredAt: string | null;
  bundle: { evidence: { digest: string }; anchor: { blockNumber: number; chainId: number } | null } | null;
}

export function verdictOf(result: VerdictInput): Verdict {
  const failed = result.checks.find(hasFailed) ?? null;
  if (failed !== null || result.bundle === null) {
    const why = failed === null ? "the proof could not be read" : `the ${failed.name} check failed: ${failed.detail}`;
    return { kind: "invalid", passed: false, headline: `NOT VALID: ${why}.`, failed, unavailable: null };
  }
  const { bundle } = result;
  const unavailable = result.checks.find((c) => c.unavailable === true) ?? null;
  if (unavailable !== null) {
    const headline =
      unavailable.name === "document"
        ? `COULD NOT VERIFY: the document could not be checked (${unavailable.detail}); nothing found so far is wrong with the proof, but it is not shown to be about this document. Check the document with a tool that can hash it.`
        : `COULD NOT VERIFY: the chain could not be asked (${unavailable.detail}), so the anchor was not checked; nothing found so far is wrong with the proof. Try again later, or with another RPC endpoint of chain ${bundle.anchor?.chainId ?? "?"}.`;
    return { kind: "inconclusive", passed: false, headline, failed: null, unavailable };
  }
  if (bundle.anchor === null) {
    return {
      kind: "pending",
      passed: false,
      headline: `NOT YET ANCHORED: the proof is well-formed, but digest ${short(bundle.evidence.digest)} has not been anchored on a chain yet; fetch the proof again later.`,
      failed: null,
      unavailable: null,
    };
  }
  if (result.checks.some((c) => c.skipped === true)) {
    return {
      kind: "consistent",
      passed: true,
      headline:
        "CONSISTENT, ANCHOR NOT CHECKED: the proof is internally consistent, but it was not checked against the chain; give a chain RPC URL to check the anchor.",
      failed: null,
      unavailable: null,
    };
  }
  const when = result.anchoredAt ?? `block ${bundle.anchor.blockNumber}`;
  return {
    kind: "valid",
    passed: true,
    headline: `VALID: digest ${short(bundle.evidence.digest)} existed no later than ${when} (block ${bundle.anchor.blockNumber} of chain ${bundle.anchor.chainId}), and this record has not changed since.`,
    failed: null,
    unavailable: null,
  };
}
