// The evidence report (evidence-report/v1): what an admin hands to a court for a case. A
// report is a signed JSON document (src/signing/signer.ts: Ed25519 over the RFC 8785 form
// without `signature`); the PDF is a rendering of the same document for people. Pure types
// and constants, no I/O.
import type { ProofBundleV1 } from "../core/bundle.ts";
import type { Check } from "../verify/checks.ts";
import type { VerdictKind } from "../verify/verdict.ts";
import type { ReportLanguage } from "./i18n/language.ts";
import { reportAlgorithms } from "./i18n/texts.ts";

export const REPORT_FORMAT = "evidence-report/v1";
export const RECEIPT_FORMAT = "evidence-receipt/v1";

/** The algorithms a report names, in English words (./i18n/texts.ts has every language). */
export const REPORT_ALGORITHMS = reportAlgorithms("en");

export interface SignatureMember {
  alg: "EdDSA";
  kid: string;
  /** base64url, 64 bytes. */
  value: string;
}

/** The signed promise handed out in the 202, before the anchor exists. */
export interface ReceiptV1 {
  format: typeof RECEIPT_FORMAT;
  /** Evidence id. */
  id: string;
  digest: string;
  leafHash: string;
  submitter: string;
  receivedAt: string;
  signature: SignatureMember;
}

/** One event of the case, in timeline order. */
export interface ReportEvent {
  /** 1-based position in the timeline. */
  n: number;
  evidenceId: string;
  eventType: string | null;
  /** As claimed by the platform (meta.occurredAt), or null. */
  occurredAt: string | null;
  receivedAt: string;
  digest: string;
  hashAlg: string;
  salt: string;
  leafHash: string;
  /** meta.prev as stored: the previous event's leaf hash, or null for the first. */
  prev: string | null;
  receipt: ReceiptV1 | null;
  /** The full v1 proof bundle. */
  proof: ProofBundleV1;
  /** Checked against the chain when the report was generated. */
  verification: {
    verdict: VerdictKind;
    checks: Check[];
    anchoredAt: string | null;
    blockNumber: number | null;
    blockHash: string | null;
    transaction: string | null;
    confirmations: number | null;
    /**
     * The RFC 3161 token an external authority (TSA_URL) gave over this event's batch root,
     * as checked when the report was generated; null when the batch has none (no TSA_URL,
     * not stamped yet, not in a batch). Absent in reports made before the member existed.
     */
    batchTimestamp?: ReportBatchTimestamp | null;
  };
  /** Seconds from receivedAt to the anchoring block's time, or null when not anchored. */
  anchoringDelaySeconds: number | null;
  /** Whether meta.prev names the previous event of this timeline (null prev for the first). */
  link: { ok: boolean; detail: string };
}

/**
 * A batch root's RFC 3161 time-stamp in a report: the second clock beside the chain's. `ok`
 * says whether the token's signature, ESSCertID(v2) and imprint (= `imprint`, the batch root)
 * checked out at generation; whether its certificate is trusted is the reader's call, made
 * against the authority's CA (`evidence verify-report` does both).
 */
export interface ReportBatchTimestamp {
  /** The TimeStampToken (DER), base64: `openssl ts -verify -token_in` reads it. */
  token: string;
  /** The token's genTime: when the authority says the batch root existed. */
  time: string;
  /** Subject of the certificate that signed the token. */
  authority: string;
  /** The authority's URL the service asked (TSA_URL). */
  tsa: string;
  serialNumber: string;
  policy: string;
  /** The batch whose root was stamped, and that root (0x-hex), which is the token's imprint. */
  batchSeq: number;
  imprint: string;
  ok: boolean;
  /** What was checked, and the token's time beside the anchor's, in the report's language. */
  detail: string;
}

export interface ReportAuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  hash: string;
}

export interface EvidenceReportV1 {
  format: typeof REPORT_FORMAT;
  /**
   * The language every sentence for people is written in (verdict, statement, algorithms,
   * how-to-verify titles, timeline details); the PDF is rendered in it. Absent in reports
   * made before the field existed, which are English.
   */
  language?: ReportLanguage;
  id: string;
  generatedAt: string;
  software: { name: string; version: string; commit: string | null };
  requester: { principalId: string; role: string; requestedBy: string };
  purpose: string;
  tenant: { id: string; name: string };
  /** The case, or null when the report covers a list of evidence ids. */
  caseId: string | null;
  /** Ids asked for when no case was given. */
  evidenceIds: string[] | null;
  /** The chain the events are anchored on, and where the service's keys are published. */
  chain: { chainId: number | null; contract: string | null };
  keys: { url: string; kid: string };
  algorithms: {
    digest: string;
    leaf: string;
    tree: string;
    proof: string;
    signature: string;
  };
  events: ReportEvent[];
  timeline: { ok: boolean; events: number; detail: string };
  /** Audit-log entries about this case (disclosures, earlier reports). */
  audit: ReportAuditEntry[];
  verdict: { ok: boolean; sentence: string };
  /** What the proofs show and what they do not, in plain words. */
  statement: string[];
  /** How to check each claim yourself. */
  howToVerify: { title: string; commands: string[] }[];
  /**
   * Where the proof that this report existed is served: its digest (SHA-256 of this report's
   * RFC 8785 form, signature included) is anchored as evidence of the system tenant.
   */
  selfProof: { url: string; digest: string };
  signature: SignatureMember;
}

/** Where the report's own anchoring can be found; not part of the signed report. */
export interface ReportAnchoring {
  /** SHA-256 of the signed report's canonical form (JCS), 0x-hex. */
  digest: string;
  /** The evidence item of the system tenant that carries `digest`. */
  evidenceId: string;
  /** GET path of its proof. */
  proofPath: string;
}
