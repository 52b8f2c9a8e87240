// Checking an evidence report (evidence-report/v1) without trusting the service: the
// signature against the published key set, every event's proof bundle (offline or against a
// chain), that each event's stated fields are its proof's, each receipt's signature, and the
// case's hash-linked timeline. Imports only src/core and src/verify.
import { checkTimeline } from "../core/timeline.ts";
import type { ChainReader } from "./rpc.ts";
import { checkSignature, type PublishedKey, type SignatureCheck } from "./signature.ts";
import { claimedTimeWarnings } from "./times.ts";
import { type VerdictKind, verdictOf } from "./verdict.ts";
import { hasFailed } from "./checks.ts";
import { verifyBundle } from "./index.ts";

export const REPORT_FORMAT_V1 = "evidence-report/v1";

export interface ReportEventCheck {
  n: number;
  evidenceId: string;
  /** The proof's own verdict, as checked now. */
  verdict: VerdictKind;
  /** Names of the proof checks that failed. */
  failing: string[];
  /** Problems with the event beyond its proof: fields that are not the proof's, a bad receipt. */
  problems: string[];
  link: { ok: boolean; detail: string };
}

export interface ReportVerification {
  /** Signature good, every proof valid on chain, every event consistent, timeline intact. */
  valid: boolean;
  /**
   * valid; consistent when the chain was not asked (offline); inconclusive ("could not
   * verify") when the chain could not be asked for some event and nothing failed; invalid.
   */
  verdict: "valid" | "consistent" | "inconclusive" | "invalid";
  headline: string;
  signature: SignatureCheck;
  events: ReportEventCheck[];
  timeline: { ok: boolean; detail: string };
  /**
   * About the platform's claimed times (occurredAt): later than the anchor, or out of order.
   * Its statements, not ours to check: flagged in words, they do not change the verdict.
   */
  warnings: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);

/** Never throws for anything about the report or the chain; problems are reported. */
export async function verifyReport(
  doc: unknown,
  opts: { keys: PublishedKey[]; chain?: ChainReader; minConfirmations?: number },
): Promise<ReportVerification> {
  const report = obj(doc);
  const signature = await checkSignature(doc, opts.keys);
  const fail = (headline: string): ReportVerification => ({
    valid: false,
    verdict: "invalid",
    headline,
    signature,
    events: [],
    timeline: { ok: false, detail: "not checked" },
    warnings: [],
  });
  if (report === null) return fail("NOT VALID: the report is not a JSON object.");
  if (report.format !== REPORT_FORMAT_V1) return fail(`NOT VALID: format is ${JSON.stringify(report.format)}, not "${REPORT_FORMAT_V1}".`);
  if (!Array.isArray(report.events)) return fail("NOT VALID: the report has no events array.");

  const events: ReportEventCheck[] = [];
  const claimed: { n: number; occurredAt: string | null; anchorTimestamp: number | null }[] = [];
  const raw = report.events.map(obj);
  const links =
    typeof report.caseId === "string"
      ? checkTimeline(raw.map((e) => ({ leafHash: String(e?.leafHash ?? ""), prev: typeof e?.prev === "string" ? e.prev : null })))
      : null;
  for (const [i, e] of raw.entries()) {
    const n = i + 1;
    if (e === null) {
      events.push({ n, evidenceId: "", verdict: "invalid", failing: ["format"], problems: ["the event is not an object"], link: { ok: false, detail: "not checked" } });
      continue;
    }
    const result = await verifyBundle(e.proof, { ...(opts.chain ? { chain: opts.chain } : {}), minConfirmations: opts.minConfirmations ?? 1 });
    const problems: string[] = [];
    const proof = result.bundle;
    claimed.push({
      n,
      occurredAt: proof?.evidence.meta.occurredAt ?? null,
      anchorTimestamp: proof?.anchor?.blockTimestamp ?? null,
    });
    if (proof !== null) {
      const same = (what: string, stated: unknown, actual: unknown) => {
        if (stated !== actual) problems.push(`${what} is ${JSON.stringify(stated)} in the report, ${JSON.stringify(actual)} in its proof`);
      };
      same("evidenceId", e.evidenceId, proof.evidence.id);
      same("digest", e.digest, proof.evidence.digest);
      same("salt", e.salt, proof.evidence.salt);
      same("leafHash", e.leafHash, proof.leaf?.hash ?? e.leafHash);
      same("prev", e.prev ?? null, proof.evidence.meta.prev ?? null);
      same("receivedAt", e.receivedAt, proof.evidence.receivedAt);
    }
    if (e.receipt !== null && e.receipt !== undefined) {
      const receipt = await checkSignature(e.receipt, opts.keys);
      if (!receipt.ok) problems.push(`receipt: ${receipt.detail}`);
      const r = obj(e.receipt);
      if (r !== null && (r.id !== e.evidenceId || r.digest !== e.digest || r.leafHash !== e.leafHash)) {
        problems.push("receipt: it is about another item than this event");
      }
    }
    events.push({
      n,
      evidenceId: String(e.evidenceId ?? ""),
      verdict: verdictOf(result).kind,
      failing: result.checks.filter(hasFailed).map((c) => c.name),
      problems,
      link: links?.events[i] ?? { ok: true, detail: "not a case report: no timeline to check" },
    });
  }
  const timeline = links === null ? { ok: true, detail: "not a case report: no timeline to check" } : { ok: links.ok, detail: links.detail };

  const warnings = claimedTimeWarnings(claimed);
  const bad = events.filter((e) => e.verdict === "invalid" || e.verdict === "pending" || e.problems.length > 0);
  const unasked = events.filter((e) => e.verdict === "inconclusive");
  const offline = events.some((e) => e.verdict === "consistent");
  let verdict: ReportVerification["verdict"];
  let headline: string;
  if (!signature.ok) {
    verdict = "invalid";
    headline = `NOT VALID: the report's signature does not check out (${signature.detail}).`;
  } else if (bad.length > 0) {
    verdict = "invalid";
    headline = `NOT VALID: event ${bad.map((e) => e.n).join(", ")} did not verify.`;
  } else if (!timeline.ok) {
    verdict = "invalid";
    headline = `NOT VALID: the case timeline is broken: ${timeline.detail}.`;
  } else if (unasked.length > 0) {
    verdict = "inconclusive";
    headline = `COULD NOT VERIFY: the chain could not be asked about event ${unasked.map((e) => e.n).join(", ")}, so ${unasked.length === 1 ? "its anchor was" : "their anchors were"} not checked; the signature and everything else checked out. Try again later, or with another RPC endpoint.`;
  } else if (offline) {
    verdict = "consistent";
    headline = `CONSISTENT, ANCHORS NOT CHECKED: the signature and all ${events.length} proofs check out offline; give a chain RPC URL to check the anchors.`;
  } else {
    verdict = "valid";
    headline = `VALID: the report is signed by the service key ${signature.kid}, all ${events.length} proofs verify on chain${links === null ? "" : ", and the timeline is complete"}.`;
  }
  if (warnings.length > 0 && verdict !== "invalid") {
    headline += ` ${warnings.length} warning${warnings.length === 1 ? "" : "s"} about the times the platform claims: see below.`;
  }
  return { valid: verdict === "valid", verdict, headline, signature, events, timeline, warnings };
}
