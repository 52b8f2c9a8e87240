// Evidence reports: gathering a case's events (or a list of items), checking every proof
// against the chain and the case's hash-linked timeline at generation time, signing the
// result with the service key, and anchoring the report's own digest as evidence of the
// system tenant, so that when the report existed is provable too.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fromHex, toHex } from "../core/bytes.ts";
import type { ProofBundleV1 } from "../core/bundle.ts";
import { sha256 } from "../core/hash.ts";
import { canonicalJson } from "../core/jcs.ts";
import { checkTimeline } from "../core/timeline.ts";
import { notFound, ServiceError, validationFailed } from "../errors.ts";
import {
  REPORT_FORMAT,
  type EvidenceReportV1,
  type ReportAnchoring,
  type ReportAuditEntry,
  type ReportBatchTimestamp,
  type ReportEvent,
} from "../reports/format.ts";
import { howToVerify } from "../reports/content.ts";
import { DEFAULT_REPORT_LANGUAGE, type ReportLanguage } from "../reports/i18n/language.ts";
import { batchTimestampTexts, reportAlgorithms, reportStatement, verdictTexts, type BatchTimestampTexts, type VerdictTexts } from "../reports/i18n/texts.ts";
import type { Signer } from "../signing/signer.ts";
import { getPrincipal } from "../store/access.ts";
import { appendAudit, lockAudit } from "../store/audit.ts";
import type { Db } from "../store/db.ts";
import { caseEvidence, getEvidence } from "../store/evidence.ts";
import { auditAboutCase, getReport, insertReport } from "../store/reports.ts";
import { enqueueEvent } from "../store/webhooks.ts";
import type { BatchTimestampRow, EvidenceRow, ReportRow } from "../store/schema.ts";
import { batchTimestampsOf } from "../store/timestamps.ts";
import { checkToken } from "../verify/timestamp.ts";
import { ADMIN_SCOPE, type Scope } from "../store/scope.ts";
import { type ChainReader, claimedTimeFindings, verdictOf, verifyBundle } from "../verify/index.ts";
import { SYSTEM_TENANT } from "./access.ts";
import type { IngestService } from "./ingest.ts";
import type { Prover } from "./prover.ts";
import { receiptOf } from "./receipts.ts";
import { signingStatement } from "../reports/signing-statement.ts";
import { PACKAGE, PROJECT_ROOT } from "../runtime.ts";

/**
 * Name, version and commit of this build, for the report's provenance. The commit comes from
 * GIT_COMMIT, or from the checkout the service runs in; null when neither is there.
 */
export function softwareIdentity(env: Record<string, string | undefined> = process.env): ReportDeps["software"] {
  const root = PROJECT_ROOT;
  const pkg = PACKAGE;
  let commit = env.GIT_COMMIT ?? null;
  if (commit === null) {
    try {
      commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).toString().trim() || null;
    } catch {
      commit = null;
    }
  }
  return { name: pkg.name, version: pkg.version, commit };
}

/** A report covers at most this many events: each is verified on chain when it is made. */
export const MAX_REPORT_EVENTS = 1000;
/** The system tenant's case under which report digests are anchored. */
export const REPORTS_CASE_ID = "evidence-reports";
export const REPORT_EVENT_TYPE = "report.generated";

export interface ReportRequest {
  tenantId: string;
  caseId?: string | undefined;
  evidenceIds?: string[] | undefined;
  purpose: string;
  requestedBy: string;
  /** The report's language; the service's default (REPORT_LANGUAGE) when not given. */
  language?: ReportLanguage | undefined;
}

export interface ReportCaller {
  principalId: string;
  role: string;
  scope: Scope;
}

export interface ReportDeps {
  db: Db;
  prover: Prover;
  ingest: IngestService;
  signer: Signer;
  chainReader: () => ChainReader | undefined;
  minConfirmations: number;
  software: { name: string; version: string; commit: string | null };
  /** The language of reports made without one (REPORT_LANGUAGE); zh-CN when not given. */
  defaultLanguage?: ReportLanguage;
  now?: () => Date;
  /** Called after a report.created webhook event committed: wakes the dispatcher. */
  onWebhookEvent?: () => void;
}

export interface CreatedReport {
  id: string;
  digest: string;
  evidenceId: string;
}

export interface StoredReport {
  row: ReportRow;
  report: EvidenceReportV1;
  anchoring: ReportAnchoring;
}

export class ReportService {
  readonly #deps: ReportDeps;

  constructor(deps: ReportDeps) {
    this.#deps = deps;
  }

  /**
   * Builds, signs, stores and anchors a report. `origin` is the service's public origin
   * (for the key-set URL and the commands in the report). Not found when the caller may
   * not see the case or an item; 422 for a report that would be too large. `pdfCertificate`:
   * the certificate the PDF form is signed with, which the report names (null: PDFs unsigned).
   */
  async create(
    caller: ReportCaller,
    req: ReportRequest,
    origin: string,
    pdfCertificate: { subject: string; sha256: string } | null = null,
  ): Promise<CreatedReport> {
    const now = (this.#deps.now ?? (() => new Date()))();
    const rows = await this.#events(caller.scope, req);
    const tenant = await getPrincipal(this.#deps.db, req.tenantId, "tenant");
    const id = randomUUID();
    const language = req.language ?? this.#deps.defaultLanguage ?? DEFAULT_REPORT_LANGUAGE;
    const words = verdictTexts(language);
    const events = await this.#checkEvents(rows, req.caseId !== undefined, words, batchTimestampTexts(language));
    const audit = req.caseId === undefined ? [] : await this.#audit(req.tenantId, req.caseId);
    const first = events.find((e) => e.proof.anchor !== null)?.proof.anchor ?? null;
    const timeline = timelineSummary(events, req.caseId !== undefined, words);
    const unsigned: Omit<EvidenceReportV1, "signature"> = {
      format: REPORT_FORMAT,
      language,
      id,
      generatedAt: now.toISOString(),
      software: this.#deps.software,
      requester: { principalId: caller.principalId, role: caller.role, requestedBy: req.requestedBy },
      purpose: req.purpose,
      tenant: { id: req.tenantId, name: tenant?.name ?? req.tenantId },
      caseId: req.caseId ?? null,
      evidenceIds: req.evidenceIds ?? null,
      chain: { chainId: first?.chainId ?? null, contract: first?.contract ?? null },
      keys: { url: `${origin}/.well-known/evidence-keys.json`, kid: this.#deps.signer.kid },
      algorithms: reportAlgorithms(language),
      events,
      timeline,
      audit,
      verdict: verdictOfReport(events, timeline, req.caseId ?? null, words, batchTimestampTexts(language)),
      statement: reportStatement(language),
      howToVerify: howToVerify(events, { origin, reportId: id, kid: this.#deps.signer.kid }, language),
      selfProof: {
        url: `${origin}/v1/reports/${id}/proof`,
        digest: words.selfProofDigest,
      },
    };
    // Which key signs what: the JSON (Ed25519) and the PDF (X.509, PAdES), in the report's language.
    unsigned.statement.push(
      signingStatement(
        {
          kid: this.#deps.signer.kid,
          keysUrl: unsigned.keys.url,
          pdf: pdfCertificate === null ? null : { ...pdfCertificate, caUrl: `${origin}/.well-known/evidence-ca.pem` },
        },
        (unsigned as { language?: string }).language === "zh-CN" ? "zh-CN" : "en",
      ),
    );
    const report = this.#deps.signer.sign(unsigned as unknown as Record<string, unknown>) as unknown as EvidenceReportV1;
    const body = JSON.stringify(report, null, 2) + "\n";
    const digest = sha256(new TextEncoder().encode(canonicalJson(report)));

    let webhookEvents = 0;
    const evidenceId = await this.#deps.db.transaction(async (tx) => {
      // The audit lock first, then ingest's case locks: the order the audit log's own
      // anchoring takes them in, so the two can never wait on each other in a cycle.
      await lockAudit(tx);
      const [receipt] = await this.#deps.ingest.submit(
        SYSTEM_TENANT,
        [{ digest: toHex(digest), hashAlg: "sha256", caseId: REPORTS_CASE_ID, eventType: REPORT_EVENT_TYPE }],
        { db: tx },
      );
      await insertReport(tx, {
        id,
        tenantId: req.tenantId,
        caseId: req.caseId ?? null,
        requestedBy: caller.principalId,
        createdAt: now,
        body,
        digest,
        evidenceId: receipt!.id,
      });
      await appendAudit(
        tx,
        {
          actor: caller.principalId,
          action: "report.generated",
          target: id,
          details: { tenantId: req.tenantId, caseId: req.caseId ?? null, events: events.length, purpose: req.purpose, digest: toHex(digest) },
        },
        now,
      );
      // report.created for the tenant's webhook endpoints, in the same transaction as the report.
      const queued = await enqueueEvent(tx, {
        tenantId: req.tenantId,
        type: "report.created",
        at: now,
        data: {
          reportId: id,
          tenantId: req.tenantId,
          caseId: req.caseId ?? null,
          requestedBy: caller.principalId,
          createdAt: now.toISOString(),
          digest: toHex(digest),
          evidenceId: receipt!.id,
          links: { report: `/v1/reports/${id}`, pdf: `/v1/reports/${id}/pdf`, proof: `/v1/reports/${id}/proof` },
        },
      });
      webhookEvents = queued.length;
      return receipt!.id;
    });
    if (webhookEvents > 0) this.#deps.onWebhookEvent?.();
    return { id, digest: toHex(digest), evidenceId };
  }

  /** A stored report the scope may see: admins any; a tenant its own; a verifier those of cases disclosed to it. */
  async get(scope: Scope, id: string): Promise<StoredReport> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound("report");
    const row = await getReport(this.#deps.db, id.toLowerCase());
    if (row === null || !(await this.#visible(scope, row))) throw notFound("report");
    return {
      row,
      report: JSON.parse(row.body) as EvidenceReportV1,
      anchoring: { digest: toHex(row.digest), evidenceId: row.evidenceId, proofPath: `/v1/reports/${row.id}/proof` },
    };
  }

  /** The proof of the report's own digest (system-tenant evidence), for whoever may read the report. */
  async proof(scope: Scope, id: string): Promise<ProofBundleV1> {
    const { row } = await this.get(scope, id);
    return this.#deps.prover.proof(ADMIN_SCOPE, row.evidenceId);
  }

  async #visible(scope: Scope, row: ReportRow): Promise<boolean> {
    if (scope.role === "admin") return true;
    if (scope.role === "tenant") return scope.tenantId === row.tenantId;
    if (row.caseId === null) return false;
    return (await caseEvidence(this.#deps.db, scope, row.tenantId, row.caseId, { afterSeq: undefined, limit: 1 })).length > 0;
  }

  async #events(scope: Scope, req: ReportRequest): Promise<EvidenceRow[]> {
    if (req.caseId !== undefined) {
      const rows = await caseEvidence(this.#deps.db, scope, req.tenantId, req.caseId, { afterSeq: undefined, limit: MAX_REPORT_EVENTS + 1 });
      if (rows.length === 0) throw notFound("case");
      if (rows.length > MAX_REPORT_EVENTS) {
        throw validationFailed([{ field: "/caseId", reason: `the case has more than ${MAX_REPORT_EVENTS} events: report on a list of evidenceIds instead` }]);
      }
      return rows;
    }
    const rows: EvidenceRow[] = [];
    for (const [i, id] of (req.evidenceIds ?? []).entries()) {
      const row = await getEvidence(this.#deps.db, scope, id.toLowerCase());
      // Another tenant's item, or one out of scope, is missing: 404, as for any unknown id.
      if (row === null || row.submitter !== req.tenantId) throw new ServiceError("not-found", `/evidenceIds/${i}: evidence ${id} was not found`);
      rows.push(row);
    }
    return rows.sort((a, b) => a.seq - b.seq);
  }

  async #checkEvents(rows: EvidenceRow[], isCase: boolean, words: VerdictTexts, stampWords: BatchTimestampTexts): Promise<ReportEvent[]> {
    const chain = this.#deps.chainReader();
    // The tokens of the report's batches, in one query; each is checked once, for all its events.
    const stamps = await batchTimestampsOf(this.#deps.db, rows.flatMap((r) => (r.batchSeq === null ? [] : [r.batchSeq])));
    const stampChecks = new Map<number, Promise<{ ok: true; time: string; authority: string } | { ok: false; reason: string }>>();
    const links = isCase ? checkTimeline(rows.map((r) => ({ leafHash: toHex(r.leafHash), prev: r.meta.prev ?? null }))) : null;
    const events: ReportEvent[] = [];
    for (const [i, row] of rows.entries()) {
      const proof = await this.#deps.prover.proof(ADMIN_SCOPE, row.id);
      const result = await verifyBundle(proof, { ...(chain ? { chain } : {}), minConfirmations: this.#deps.minConfirmations });
      const anchor = proof.anchor;
      const batch = proof.batch;
      const stamp = batch === null ? undefined : stamps.get(batch.seq);
      let batchTimestamp: ReportBatchTimestamp | null = null;
      if (batch !== null && stamp !== undefined) {
        if (!stampChecks.has(batch.seq)) stampChecks.set(batch.seq, checkBatchToken(stamp, batch.root));
        const checked = await stampChecks.get(batch.seq)!;
        batchTimestamp = {
          token: Buffer.from(stamp.token).toString("base64"),
          time: checked.ok ? checked.time : stamp.genTime.toISOString(),
          authority: checked.ok ? checked.authority : stamp.tsaName,
          tsa: stamp.tsaUrl,
          serialNumber: stamp.serialNumber,
          policy: stamp.policy,
          batchSeq: batch.seq,
          imprint: batch.root,
          ok: checked.ok,
          detail: checked.ok ? stampWords.checked(checked.time, checked.authority, result.anchoredAt ?? (anchor === null ? null : new Date(anchor.blockTimestamp * 1000).toISOString())) : stampWords.failed(checked.reason),
        };
      }
      events.push({
        n: i + 1,
        evidenceId: row.id,
        eventType: row.eventType,
        occurredAt: row.meta.occurredAt ?? null,
        receivedAt: row.receivedAt.toISOString(),
        digest: toHex(row.digest),
        hashAlg: row.hashAlg,
        salt: toHex(row.salt),
        leafHash: toHex(row.leafHash),
        prev: row.meta.prev ?? null,
        receipt: receiptOf(row),
        proof,
        verification: {
          verdict: verdictOf(result).kind,
          checks: result.checks,
          anchoredAt: result.anchoredAt,
          blockNumber: anchor?.blockNumber ?? null,
          blockHash: anchor?.blockHash ?? null,
          transaction: anchor?.txHash ?? null,
          confirmations: result.confirmations,
          batchTimestamp,
        },
        anchoringDelaySeconds: anchor === null ? null : Math.max(0, Math.round(anchor.blockTimestamp - row.receivedAt.getTime() / 1000)),
        link: links === null ? { ok: true, detail: words.linkNotChecked } : { ok: links.events[i]!.ok, detail: words.linkDetail(links.events[i]!.detail) },
      });
    }
    return events;
  }

  async #audit(tenantId: string, caseId: string): Promise<ReportAuditEntry[]> {
    const rows = await auditAboutCase(this.#deps.db, tenantId, caseId, 1000);
    return rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, hash: toHex(r.hash) }));
  }
}

/**
 * Checks a kept batch token as the report states it: the signature over the signed attributes,
 * the ESSCertID(v2) hash of the signing certificate, and that the imprint is the proof's batch
 * root. Whom to trust for the certificate is the reader's choice (verify-report asks for it).
 */
async function checkBatchToken(stamp: BatchTimestampRow, root: string): Promise<{ ok: true; time: string; authority: string } | { ok: false; reason: string }> {
  try {
    const info = await checkToken(stamp.token, { hashedMessage: fromHex(root) });
    if (info.genTime.getTime() !== stamp.genTime.getTime()) return { ok: false, reason: `the token's time ${info.genTime.toISOString()} is not the time kept with it (${stamp.genTime.toISOString()})` };
    return { ok: true, time: info.genTime.toISOString(), authority: info.signerName };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

function timelineSummary(events: ReportEvent[], isCase: boolean, words: VerdictTexts): EvidenceReportV1["timeline"] {
  // The platform's claimed times against the anchors (the chain's time when it was checked)
  // and, in a case, against the order: warnings in words, never what makes the timeline fail.
  const findings = claimedTimeFindings(
    events.map((e) => ({
      n: e.n,
      occurredAt: e.occurredAt,
      anchorTimestamp: e.verification.anchoredAt !== null ? Date.parse(e.verification.anchoredAt) / 1000 : (e.proof.anchor?.blockTimestamp ?? null),
    })),
  ).filter((f) => isCase || f.kind !== "out-of-order"); // a list is in arrival order, not the events' order
  const warned = (detail: string) => (findings.length === 0 ? detail : words.withClaimedTimes(detail, findings));
  if (!isCase) return { ok: true, events: events.length, detail: warned(words.notACase) };
  const broken = events.filter((e) => !e.link.ok);
  return broken.length === 0
    ? { ok: true, events: events.length, detail: warned(words.allLinked(events.length)) }
    : { ok: false, events: events.length, detail: warned(words.brokenLinks(broken.map((e) => e.n).join(", "), broken[0]!.link.detail)) };
}

function verdictOfReport(
  events: ReportEvent[],
  timeline: EvidenceReportV1["timeline"],
  caseId: string | null,
  words: VerdictTexts,
  stampWords: BatchTimestampTexts,
): EvidenceReportV1["verdict"] {
  const what = words.what(caseId, events.length);
  const list = (xs: ReportEvent[]): string => xs.map((e) => e.n).join(", ");
  const failed = events.filter((e) => e.verification.verdict === "invalid");
  const pending = events.filter((e) => e.verification.verdict === "pending" || e.verification.verdict === "consistent");
  if (failed.length > 0) return { ok: false, sentence: words.failed(failed.length, what, list(failed)) };
  // A kept token that does not check out is a failed check, as a proof's would be.
  const badStamps = events.filter((e) => e.verification.batchTimestamp?.ok === false);
  if (badStamps.length > 0) return { ok: false, sentence: stampWords.verdictFailed(what, list(badStamps)) };
  if (!timeline.ok) return { ok: false, sentence: words.brokenTimeline(what, timeline.detail) };
  // A check that could not run (the chain unreachable) is neither a pass nor a failure.
  const unchecked = events.filter((e) => e.verification.verdict === "inconclusive");
  if (unchecked.length > 0) return { ok: false, sentence: words.couldNotVerify(unchecked.length, what, list(unchecked)) };
  if (pending.length > 0) return { ok: false, sentence: words.notYet(pending.length, what, list(pending)) };
  const last = events.map((e) => e.verification.anchoredAt).filter((t) => t !== null).sort().at(-1);
  return { ok: true, sentence: words.verified(what, last, caseId !== null) };
}
