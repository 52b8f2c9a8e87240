// Test fixture: a realistic evidence report (evidence-report/v1) built without any service, to
// feed the PDF renderer. A procurement contract's signing process (case "采购合同-2026-117"
// of the tenant "示例电子签约平台"): 20 events in 4 batches on Sepolia, each batch mixed with
// other tenants' leaves. The bundles are real (built and checked by src/core: leaf hashes,
// Merkle paths, roots), so the PDF's by-hand commands print values that actually hold; the
// chain facts (transactions, blocks, signatures) are made up, deterministically.
// brokenTimelineReport() is the same case with event 7 deleted from the database.
import { howToVerify, REPORT_STATEMENT } from "../../src/reports/content.ts";
import type { ReportLanguage } from "../../src/reports/i18n/language.ts";
import { reportAlgorithms, reportStatement, verdictTexts } from "../../src/reports/i18n/texts.ts";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { buildBundle, type ProofBundleV1 } from "../../src/core/bundle.ts";
import { sha256 } from "../../src/core/hash.ts";
import { type EvidenceMeta, leafHash } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { type Check, short } from "../../src/verify/checks.ts";
import { REPORT_ALGORITHMS,
  type EvidenceReportV1,
  RECEIPT_FORMAT,
  REPORT_FORMAT,
  type ReportAnchoring,
  type ReportAuditEntry,
  type ReportEvent,
} from "../../src/reports/format.ts";

export const CASE_ID = "采购合同-2026-117";
export const TENANT = { id: "tnt_7f3a9c2e", name: "示例电子签约平台" } as const;
export const SERVICE_URL = "https://evidence.example.org";
export const VERIFY_URL = `${SERVICE_URL}/verify`;
const CHAIN_ID = 11155111;
const CONTRACT = "0x3a1f9e6b2c7d4e8f0a5b6c7d8e9f0a1b2c3d4e5f";
const KID = "Xk3vQ9pL2mN8rT5wY7zA1bC4dE6fG0hJ2kM4nP6qR8s";
const REPORT_ID = "5b0e8f2a-3c41-4d7e-9a26-81f4c0d2b7e3";
const GENERATED_AT = "2026-03-10T08:00:00.000Z";
/** Block height at generation: the confirmations are counted from it. */
const LATEST_BLOCK = 7_893_120;

const enc = new TextEncoder();
/** A deterministic 32-byte value, 0x-hex: the same labels give the same report. */
const h32 = (label: string): string => toHex(sha256(enc.encode(`report-fixture:${label}`)));
const b64url = (label: string, bytes: number): string => {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 32) out.set(sha256(enc.encode(`report-fixture:${label}:${i}`)).slice(0, Math.min(32, bytes - i)), i);
  return Buffer.from(out).toString("base64url");
};

interface EventSpec {
  type: string;
  /** As the platform claims it: Beijing time, or null. */
  occurredAt: string | null;
  /** Seconds after the batch window opened. */
  receivedOffset: number;
}

// Four signing sessions, each sealed into one batch. Party A (buyer) and party B (seller)
// appear only as pseudonymous roles in the event types, as the platform submitted them.
const BATCHES: { seq: number; opens: string; size: number; positions: number[]; anchorDelay: number; block: number; events: EventSpec[] }[] = [
  {
    seq: 412,
    opens: "2026-03-02T01:14:05.213Z",
    size: 9,
    positions: [1, 2, 4, 6, 7],
    anchorDelay: 376,
    block: 7_842_611,
    events: [
      { type: "uploaded", occurredAt: "2026-03-02T09:14:03+08:00", receivedOffset: 0 },
      { type: "sent", occurredAt: "2026-03-02T09:14:40+08:00", receivedOffset: 38.4 },
      { type: "viewed by party A", occurredAt: "2026-03-02T09:16:12+08:00", receivedOffset: 129.9 },
      { type: "signed by party A", occurredAt: "2026-03-02T09:17:55+08:00", receivedOffset: 232.1 },
      { type: "viewed by party B", occurredAt: "2026-03-02T09:19:30+08:00", receivedOffset: 326.5 },
    ],
  },
  {
    seq: 418,
    opens: "2026-03-02T06:02:11.040Z",
    size: 13,
    positions: [0, 3, 5, 9, 12],
    anchorDelay: 421,
    block: 7_844_020,
    events: [
      { type: "signed by party B", occurredAt: "2026-03-02T14:02:09+08:00", receivedOffset: 0 },
      { type: "合同签署完成 (completed)", occurredAt: "2026-03-02T14:02:10+08:00", receivedOffset: 2.6 },
      { type: "certificate issued", occurredAt: "2026-03-02T14:02:31+08:00", receivedOffset: 21.9 },
      { type: "copy sent to party A", occurredAt: "2026-03-02T14:03:02+08:00", receivedOffset: 52.3 },
      { type: "copy sent to party B", occurredAt: "2026-03-02T14:03:02+08:00", receivedOffset: 52.8 },
    ],
  },
  {
    seq: 503,
    opens: "2026-03-04T02:31:40.502Z",
    size: 6,
    positions: [0, 1, 2, 3, 5],
    anchorDelay: 118,
    block: 7_857_905,
    events: [
      { type: "amendment uploaded", occurredAt: "2026-03-04T10:31:38+08:00", receivedOffset: 0 },
      { type: "amendment sent", occurredAt: "2026-03-04T10:31:52+08:00", receivedOffset: 13.1 },
      { type: "viewed by party A", occurredAt: "2026-03-04T10:32:40+08:00", receivedOffset: 61.7 },
      { type: "signed by party A", occurredAt: "2026-03-04T10:33:05+08:00", receivedOffset: 85.2 },
      { type: "signed by party B", occurredAt: "2026-03-04T10:33:29+08:00", receivedOffset: 109.9 },
    ],
  },
  {
    seq: 687,
    opens: "2026-03-09T06:10:00.007Z",
    size: 11,
    positions: [2, 3, 4, 8, 10],
    anchorDelay: 244,
    block: 7_886_342,
    events: [
      { type: "补充协议签署完成 (amendment completed)", occurredAt: "2026-03-09T14:09:58+08:00", receivedOffset: 0 },
      { type: "delivery confirmed by party A", occurredAt: "2026-03-09T14:11:20+08:00", receivedOffset: 82.4 },
      { type: "invoice uploaded", occurredAt: "2026-03-09T06:12:01Z", receivedOffset: 123.6 },
      { type: "dispute opened by party B", occurredAt: "2026-03-09T14:13:45+08:00", receivedOffset: 227 },
      { type: "case exported", occurredAt: null, receivedOffset: 229.5 },
    ],
  },
];

interface Draft {
  globalIndex: number;
  spec: EventSpec;
  id: string;
  digest: string;
  salt: string;
  receivedAt: string;
  batch: (typeof BATCHES)[number];
  position: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const unix = (isoTime: string): number => Math.floor(Date.parse(isoTime) / 1000);

function drafts(): Draft[] {
  const out: Draft[] = [];
  for (const batch of BATCHES) {
    batch.events.forEach((spec, j) => {
      const i = out.length;
      out.push({
        globalIndex: i,
        spec,
        id: `0195${h32(`id:${i}`).slice(2, 6)}-${h32(`id:${i}`).slice(6, 10)}-7${h32(`id:${i}`).slice(10, 13)}-8${h32(`id:${i}`).slice(13, 16)}-${h32(`id:${i}`).slice(16, 28)}`,
        digest: h32(`document:${i}`),
        salt: h32(`salt:${i}`),
        receivedAt: iso(Date.parse(batch.opens) + Math.round(spec.receivedOffset * 1000)),
        batch,
        position: batch.positions[j]!,
      });
    });
  }
  return out;
}

function metaOf(d: Draft, prev: string | null): EvidenceMeta {
  return {
    hashAlg: "sha256",
    submitter: TENANT.id,
    caseId: CASE_ID,
    eventType: d.spec.type,
    ...(d.spec.occurredAt === null ? {} : { occurredAt: d.spec.occurredAt }),
    ...(prev === null ? {} : { prev }),
  };
}

/** The proof bundles of every event, in timeline order, chained through meta.prev. */
function bundles(all: Draft[]): ProofBundleV1[] {
  const metas: EvidenceMeta[] = [];
  const leaves: string[] = [];
  for (const d of all) {
    const meta = metaOf(d, leaves.at(-1) ?? null);
    metas.push(meta);
    leaves.push(toHex(leafHash({ salt: fromHex(d.salt), digest: fromHex(d.digest), meta })));
  }
  const out: ProofBundleV1[] = [];
  for (const batch of BATCHES) {
    // The batch: this case's leaves at their positions, other tenants' leaves elsewhere.
    const ours = all.filter((d) => d.batch === batch);
    const slots: Uint8Array[] = Array.from({ length: batch.size }, (_, k) => fromHex(h32(`other:${batch.seq}:${k}`)));
    for (const d of ours) slots[d.position] = fromHex(leaves[d.globalIndex]!);
    const tree = buildTree(slots);
    const anchoredAt = unix(batch.opens) + batch.anchorDelay;
    for (const d of ours) {
      out.push(
        buildBundle({
          evidence: { id: d.id, digest: fromHex(d.digest), salt: fromHex(d.salt), meta: metas[d.globalIndex]!, receivedAt: d.receivedAt },
          leaf: { index: d.position, hash: fromHex(leaves[d.globalIndex]!) },
          batch: { seq: batch.seq, size: batch.size, root: tree.root, path: tree.path(d.position) },
          anchor: {
            chainId: CHAIN_ID,
            contract: CONTRACT,
            txHash: h32(`tx:${batch.seq}`),
            blockNumber: batch.block,
            blockHash: h32(`block:${batch.block}`),
            blockTimestamp: anchoredAt,
          },
        }),
      );
    }
  }
  return out;
}

/** The checks as the verifier words them (src/verify/checks.ts), all passed. */
function checksOf(p: ProofBundleV1): Check[] {
  const a = p.anchor!;
  const b = p.batch!;
  const when = new Date(a.blockTimestamp * 1000).toISOString().replace(".000Z", "Z");
  return [
    { name: "format", ok: true, detail: "a well-formed evidence-proof/v1 bundle" },
    { name: "leaf", ok: true, detail: `leaf hash ${short(p.leaf!.hash)} matches the evidence digest, salt and meta` },
    { name: "root", ok: true, detail: `leaf ${p.leaf!.index} of ${b.size} leads to the batch root ${short(b.root)}` },
    { name: "chain", ok: true, detail: `the RPC endpoint serves chain ${a.chainId}` },
    { name: "transaction", ok: true, detail: `transaction ${short(a.txHash)} succeeded in block ${a.blockNumber}, sent to ${a.contract}` },
    { name: "block", ok: true, detail: `block ${a.blockNumber} has hash ${short(a.blockHash)} and timestamp ${a.blockTimestamp} (${when})` },
    { name: "log", ok: true, detail: `a log from ${a.contract} carries root ${short(b.root)} as topic 1` },
    { name: "contract", ok: true, detail: `the contract records root ${short(b.root)} with size ${b.size} in block ${a.blockNumber} (seq ${b.seq})` },
    { name: "confirmations", ok: true, detail: `${LATEST_BLOCK - a.blockNumber + 1} confirmation(s), at least 1 asked for` },
  ];
}

function eventOf(p: ProofBundleV1, n: number, prevLeaf: string | null | undefined): ReportEvent {
  const a = p.anchor!;
  const anchoredAt = new Date(a.blockTimestamp * 1000).toISOString();
  const prev = p.evidence.meta.prev ?? null;
  const link =
    prevLeaf === undefined
      ? { ok: prev === null, detail: prev === null ? "the first event of the case: no previous event" : `meta.prev is ${prev}, but this is the first event in the report: an earlier event is missing` }
      : prev === prevLeaf
        ? { ok: true, detail: `meta.prev is the leaf hash of event ${n - 1}` }
        : {
            ok: false,
            detail: `meta.prev is ${prev}, not the leaf hash of event ${n - 1} (${prevLeaf}): an event between them is missing from the report`,
          };
  return {
    n,
    evidenceId: p.evidence.id,
    eventType: p.evidence.meta.eventType ?? null,
    occurredAt: p.evidence.meta.occurredAt ?? null,
    receivedAt: p.evidence.receivedAt,
    digest: p.evidence.digest,
    hashAlg: p.evidence.meta.hashAlg,
    salt: p.evidence.salt,
    leafHash: p.leaf!.hash,
    prev,
    receipt: {
      format: RECEIPT_FORMAT,
      id: p.evidence.id,
      digest: p.evidence.digest,
      leafHash: p.leaf!.hash,
      submitter: p.evidence.meta.submitter,
      receivedAt: p.evidence.receivedAt,
      signature: { alg: "EdDSA", kid: KID, value: b64url(`receipt:${p.evidence.id}`, 64) },
    },
    proof: p,
    verification: {
      verdict: "valid",
      checks: checksOf(p),
      anchoredAt,
      blockNumber: a.blockNumber,
      blockHash: a.blockHash,
      transaction: a.txHash,
      confirmations: LATEST_BLOCK - a.blockNumber + 1,
    },
    anchoringDelaySeconds: Math.round((Date.parse(anchoredAt) - Date.parse(p.evidence.receivedAt)) / 1000),
    link,
  };
}

const AUDIT: ReportAuditEntry[] = [
  { seq: 20417, at: "2026-03-09T06:20:31.118Z", actor: "adm_ops-wang", action: "disclosure.grant", target: `${TENANT.id}/${CASE_ID} → vrf_court-pd-01`, hash: h32("audit:20417") },
  { seq: 20433, at: "2026-03-09T07:02:54.730Z", actor: "vrf_court-pd-01", action: "case.read", target: `${TENANT.id}/${CASE_ID}`, hash: h32("audit:20433") },
  { seq: 20511, at: "2026-03-09T09:45:12.004Z", actor: "adm_ops-wang", action: "report.create", target: "report 1c9d27e0-6b55-4f0a-8e13-2d7c95a4e610", hash: h32("audit:20511") },
  { seq: 20512, at: "2026-03-09T09:45:40.389Z", actor: "vrf_court-pd-01", action: "report.read", target: "report 1c9d27e0-6b55-4f0a-8e13-2d7c95a4e610", hash: h32("audit:20512") },
  { seq: 20699, at: "2026-03-10T07:58:03.561Z", actor: "adm_ops-li", action: "disclosure.grant", target: `${TENANT.id}/${CASE_ID} → vrf_arbitration-07`, hash: h32("audit:20699") },
];


function assemble(proofs: ProofBundleV1[], o: { deleted: boolean }): EvidenceReportV1 {
  const events: ReportEvent[] = [];
  proofs.forEach((p, i) => events.push(eventOf(p, i + 1, i === 0 ? undefined : proofs[i - 1]!.leaf!.hash)));
  const broken = events.filter((e) => !e.link.ok);
  const what = `case ${CASE_ID} (${events.length} events)`;
  const timeline =
    broken.length === 0
      ? { ok: true, events: events.length, detail: `all ${events.length} events link to the one before: none is missing or out of order` }
      : { ok: false, events: events.length, detail: `the link of event ${broken.map((e) => e.n).join(", ")} is broken: ${broken[0]!.link.detail}` };
  const last = events.map((e) => e.verification.anchoredAt!).sort().at(-1);
  const verdict = timeline.ok
    ? {
        ok: true,
        sentence: `VERIFIED: every event of ${what} was checked on chain: each existed no later than its anchor time (the last ${last}), none has changed since, and none is missing from the timeline.`,
      }
    : { ok: false, sentence: `NOT VERIFIED: the timeline of ${what} is broken: an event is missing between event ${broken[0]!.n - 1} and event ${broken[0]!.n}.` };
  return {
    format: REPORT_FORMAT,
    id: o.deleted ? "9d41c7b3-0e2a-4f68-b5d1-6a3e8c72f094" : REPORT_ID,
    generatedAt: GENERATED_AT,
    software: { name: "evidence-anchor", version: "0.1.0", commit: "fd79fb6c0d2e4a8b9f1c3e5a7b9d0f2e4c6a8b0d" },
    requester: { principalId: "adm_ops-li", role: "admin", requestedBy: "李静 (Li Jing), 法务部 legal department, for 乙方 counsel Müller & Partner" },
    purpose: "提交上海市浦东新区人民法院 — evidence for case (2026)沪0115民初1234号, dispute over delivery under the procurement contract",
    tenant: { ...TENANT },
    caseId: CASE_ID,
    evidenceIds: null,
    chain: { chainId: CHAIN_ID, contract: CONTRACT },
    keys: { url: `${SERVICE_URL}/.well-known/evidence-keys.json`, kid: KID },
    algorithms: { ...REPORT_ALGORITHMS },
    events,
    timeline,
    audit: AUDIT.map((a) => ({ ...a })),
    verdict,
    statement: [...REPORT_STATEMENT],
    howToVerify: howToVerify(events, { origin: SERVICE_URL, reportId: REPORT_ID, kid: KID }),
    selfProof: { url: `${SERVICE_URL}/v1/reports/${REPORT_ID}/proof`, digest: "SHA-256 of this report's RFC 8785 form, signature included: jq -cjS . report.json | sha256sum" },
    signature: { alg: "EdDSA", kid: KID, value: b64url(`report:${o.deleted ? "broken" : "ok"}`, 64) },
  };
}

/**
 * The 20-event case, every proof valid, the timeline intact. Without a language it is the
 * English report of before the `language` field; with one, it is worded as the report service
 * words it in that language.
 */
export function fixtureReport(language?: ReportLanguage): EvidenceReportV1 {
  return localised(assemble(bundles(drafts()), { deleted: false }), language);
}

/** The same case after event 7 was deleted from the database: 19 events, event 7's link broken. */
export function brokenTimelineReport(language?: ReportLanguage): EvidenceReportV1 {
  const proofs = bundles(drafts());
  proofs.splice(6, 1);
  return localised(assemble(proofs, { deleted: true }), language);
}

/** The report in `language`, with every sentence for people from src/reports/i18n (as the service makes it). */
function localised(r: EvidenceReportV1, language: ReportLanguage | undefined): EvidenceReportV1 {
  if (language === undefined) return r;
  const words = verdictTexts(language);
  const events = r.events.map((e) => ({ ...e, link: { ok: e.link.ok, detail: words.linkDetail(e.link.detail) } }));
  const broken = events.filter((e) => !e.link.ok);
  const what = words.what(r.caseId, events.length);
  const timeline =
    broken.length === 0
      ? { ok: true, events: events.length, detail: words.allLinked(events.length) }
      : { ok: false, events: events.length, detail: words.brokenLinks(broken.map((e) => e.n).join(", "), broken[0]!.link.detail) };
  const last = events.map((e) => e.verification.anchoredAt!).sort().at(-1);
  return {
    ...r,
    language,
    algorithms: reportAlgorithms(language),
    statement: reportStatement(language),
    events,
    timeline,
    verdict: timeline.ok ? { ok: true, sentence: words.verified(what, last, true) } : { ok: false, sentence: words.brokenTimeline(what, timeline.detail) },
    howToVerify: howToVerify(events, { origin: SERVICE_URL, reportId: r.id, kid: KID }, language),
    selfProof: { ...r.selfProof, digest: words.selfProofDigest },
  };
}

/** Where the fixture report's own digest is anchored. */
export function fixtureAnchoring(report: EvidenceReportV1): ReportAnchoring {
  return { digest: h32(`report-digest:${report.id}`), evidenceId: "0195e2c4-77d1-7a3b-9c0e-5f6a7b8c9d0e", proofPath: `/v1/reports/${report.id}/proof` };
}

/** `n` events (for pagination tests): the fixture's events repeated with fresh numbers. */
export function longReport(n: number): EvidenceReportV1 {
  const base = fixtureReport();
  const events = Array.from({ length: n }, (_, i) => ({ ...base.events[i % base.events.length]!, n: i + 1 }));
  return { ...base, events, timeline: { ...base.timeline, events: n, detail: `all ${n} events link to the one before: none is missing or out of order` } };
}
