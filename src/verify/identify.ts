// What a file handed to the verifier is, before it is checked as a proof: people give the
// receipt, the report, a case list or the document itself in place of the proof, and deserve
// to hear what they gave and what to do instead, not "format missing". Pure, no I/O.

export type InputKind =
  | "proof"
  | "report"
  | "receipt"
  | "case-timeline"
  | "case-proofs"
  | "evidence-record"
  | "key-set"
  | "document"
  | "unknown";

export interface InputIdentity {
  kind: InputKind;
  /** True when the input is, or tries to be, a proof: check it as one and let the checks speak. */
  proof: boolean;
  /** What it is, in a sentence fragment ("this is a signed receipt, not a proof"). */
  what: string;
  /** What to do instead, one sentence. */
  advice: string;
  /** The evidence id it names, when it names one (receipts, evidence records). */
  evidenceId: string | null;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function proofLike(v: unknown): boolean {
  const o = obj(v);
  return o !== null && (String(o.format).startsWith("evidence-proof/") || (obj(o.evidence) !== null && "leaf" in o));
}

const id = (kind: InputKind, what: string, advice: string, evidenceId: string | null = null): InputIdentity => ({
  kind,
  proof: false,
  what,
  advice,
  evidenceId,
});

const AS_PROOF: InputIdentity = { kind: "proof", proof: true, what: "an evidence proof", advice: "", evidenceId: null };
const UNKNOWN: InputIdentity = { kind: "unknown", proof: true, what: "not a file this verifier knows", advice: "", evidenceId: null };

/**
 * Text that cannot be JSON because of what it starts with: a PDF, an office file, an image, a
 * plain-text document. Only the start is looked at: a proof is JSON, so "{" or "[" (after
 * whitespace or a byte-order mark) keeps the file a candidate, however broken the rest.
 */
function looksLikeDocument(text: string): boolean {
  const start = text.replace(/^\uFEFF/, "").trimStart();
  if (start === "") return false;
  if (start.startsWith("{") || start.startsWith("[")) return false;
  // NUL or the replacement character from undecodable bytes: binary, certainly not a proof.
  if (/[\u0000\uFFFD]/.test(text.slice(0, 4096))) return true;
  if (/^%PDF-|^PK\u0003\u0004|^<\?xml|^<!doctype|^<html/i.test(start)) return true;
  // Plain text: a contract as .txt. JSON scalars ("42", "true", a quoted string) stay candidates.
  return !/^(-?\d|"|true\b|false\b|null\b)/.test(start);
}

/**
 * What `input` (bundle text, or an already parsed JSON value) is. Never throws. Inputs that are
 * proofs, broken proofs or nothing recognisable come back with `proof: true`: the format check
 * then says exactly what is wrong with them.
 */
export function identifyInput(input: unknown): InputIdentity {
  let value = input;
  if (typeof input === "string") {
    if (looksLikeDocument(input)) {
      return id(
        "document",
        "this looks like a document (not JSON), not a proof",
        "give the proof file (a small .json file, format evidence-proof/v1) as the proof, and the document as the document",
      );
    }
    try {
      value = JSON.parse(input);
    } catch {
      return UNKNOWN;
    }
  }
  if (input instanceof Uint8Array) return id("document", "this is binary data, not a proof", "give the proof file (a small .json file) as the proof");
  const o = obj(value);
  if (o === null) return UNKNOWN;
  const format = str(o.format);
  if (format?.startsWith("evidence-proof/") || proofLike(o)) return AS_PROOF;
  if (format === "evidence-report/v1" || (format?.startsWith("evidence-report/") ?? false)) {
    const n = Array.isArray(o.events) ? o.events.length : 0;
    return id(
      "report",
      `this is an evidence report (${format}, ${n} event${n === 1 ? "" : "s"}), not a single proof`,
      "check it as a report: evidence verify-report <file>, or drop it on the /verify page, which checks its signature and every proof in it",
    );
  }
  const receipt = format?.startsWith("evidence-receipt/") ? o : obj(o.receipt);
  if (receipt !== null && str(receipt.format)?.startsWith("evidence-receipt/")) {
    const evidenceId = str(receipt.id);
    return id(
      "receipt",
      `this is a receipt${evidenceId === null ? "" : ` for evidence ${evidenceId}`}: the service's signed acknowledgement that it received the digest, not a proof`,
      `fetch the proof once the item is anchored (evidence wait ${evidenceId ?? "<id>"} -o proof.json, or GET /v1/evidence/${evidenceId ?? "<id>"}/proof) and check that file`,
      evidenceId,
    );
  }
  if (Array.isArray(o.items) && typeof o.caseId === "string") {
    return id(
      "case-proofs",
      `this is the list of proofs of case ${o.caseId} (${o.items.length} item${o.items.length === 1 ? "" : "s"}), not a single proof`,
      "save each item's proof as a file of its own and check that, or ask for an evidence report of the case and check the report",
    );
  }
  if (Array.isArray(o.events) && typeof o.caseId === "string") {
    return id(
      "case-timeline",
      `this is the timeline of case ${o.caseId} (a list of ${o.events.length} event${o.events.length === 1 ? "" : "s"}), not a proof`,
      "fetch the proof of each event (GET /v1/evidence/<id>/proof) and check those, or ask for an evidence report of the case",
    );
  }
  if (Array.isArray(o.keys)) {
    return id("key-set", "this is the service's public key set (JWKS), not a proof", "give it to verify-report with --keys; check a proof file here");
  }
  if (typeof o.status === "string" && typeof o.digest === "string" && typeof o.id === "string" && "leafHash" in o) {
    return id(
      "evidence-record",
      `this is the status record of evidence ${o.id} (GET /v1/evidence/${o.id}), not its proof`,
      `fetch the proof (evidence proof ${o.id} -o proof.json, or GET /v1/evidence/${o.id}/proof) and check that file`,
      o.id,
    );
  }
  return UNKNOWN;
}
