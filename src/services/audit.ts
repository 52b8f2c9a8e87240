// The audit log as a service: paging through it, verifying its hash chain and the heads
// anchored on chain, and anchoring the current head (on demand and on a timer) by
// submitting it as evidence of the system tenant.
import { AuditChainChecker, auditEntryHash, type AuditBreak, type AuditEntry } from "../core/audit.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import type { ProofBundleV1 } from "../core/bundle.ts";
import { errorFields, type Logger } from "../log.ts";
import {
  auditAnchorChunks,
  auditChunks,
  auditEntryOf,
  countAuditAnchors,
  insertAuditAnchor,
  latestAudit,
  latestAuditAnchor,
  listAudit,
  lockAudit,
  recentAuditAnchors,
  type AuditAnchorWithDigest,
} from "../store/audit.ts";
import type { Db } from "../store/db.ts";
import { pageOf } from "../store/paging.ts";
import type { AuditRow } from "../store/schema.ts";
import { ADMIN_SCOPE } from "../store/scope.ts";
import { verifyBundle, type ChainReader } from "../verify/index.ts";
import { SYSTEM_TENANT } from "./access.ts";
import type { IngestService } from "./ingest.ts";
import type { Prover } from "./prover.ts";

/** Audit heads are evidence of the system tenant. */
export const AUDIT_SUBMITTER = SYSTEM_TENANT;
export const AUDIT_CASE_ID = "audit-log";
export const AUDIT_EVENT_TYPE = "audit.head";
/** How many of the newest anchored heads verify() checks against the chain. */
export const AUDIT_ANCHORS_CHECKED_ON_CHAIN = 20;

export interface AuditDeps {
  db: Db;
  ingest: IngestService;
  prover: Prover;
  /** The chain to check anchored heads against, or undefined when not connected. */
  chainReader: () => ChainReader | undefined;
  minConfirmations: number;
  log: Logger;
  now?: () => Date;
}

/** An entry as the API shows it: the hashed fields, with hashes as 0x-hex. */
export type AuditEntryView = Omit<AuditEntry, "prevHash"> & { prevHash: string; hash: string };

export type AnchorCheckStatus =
  /** The head's bundle verifies on chain. */
  | "anchored"
  /** Not anchored yet (or not deep enough yet). */
  | "pending"
  /** The bundle or its anchor does not hold: see `failure`. */
  | "invalid"
  /** Anchored, but no chain is connected, or it did not answer: see `failure`. */
  | "unchecked";

export interface AuditAnchorCheck {
  auditSeq: number;
  headHash: string;
  evidenceId: string;
  createdAt: string;
  status: AnchorCheckStatus;
  txHash: string | null;
  blockNumber: number | null;
  anchoredAt: string | null;
  /** The first check that failed ("invalid"), why it is pending, or why it was not checked. */
  failure: { check: string; detail: string } | null;
}

export interface AuditVerification {
  /** No broken link and no invalid anchored head. */
  valid: boolean;
  /** Rows walked. */
  entries: number;
  head: { seq: number; hash: string } | null;
  firstBroken: AuditBreak | null;
  anchors: {
    total: number;
    /** Of `items`, how many were checked against a chain. */
    checkedOnChain: number;
    /** The newest anchored heads (at most AUDIT_ANCHORS_CHECKED_ON_CHAIN), oldest first. */
    items: AuditAnchorCheck[];
  };
}

export interface AuditAnchorResult {
  auditSeq: number;
  headHash: string;
  evidenceId: string;
  /** False when this head had been anchored already. */
  created: boolean;
}

export function auditEntryView(row: AuditRow): AuditEntryView {
  return { ...auditEntryOf(row), prevHash: toHex(row.prevHash), hash: toHex(row.hash) };
}

export class AuditService {
  readonly #deps: AuditDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: AuditDeps) {
    this.#deps = deps;
  }

  /** Entries with seq > after, oldest first; `next` is the cursor of the following page. */
  async list(after: number | undefined, limit: number): Promise<{ items: AuditEntryView[]; next: number | null }> {
    const rows = await listAudit(this.#deps.db, { after, limit: limit + 1 });
    const page = pageOf(rows, limit, (r) => r.seq);
    return { items: page.items.map(auditEntryView), next: page.next };
  }

  /**
   * Walks the whole log from entry 1 in chunks, checking every link, and every anchored
   * head against the entry it names and the evidence that carries it; then checks the
   * newest anchored heads' proof bundles against the chain. Never throws for what it finds.
   */
  async verify(): Promise<AuditVerification> {
    const { db } = this.#deps;
    const checker = new AuditChainChecker();
    let firstBroken: AuditBreak | null = null;
    const note = (b: AuditBreak | null) => {
      if (b && (firstBroken === null || b.seq < firstBroken.seq)) firstBroken = b;
    };
    const anchors = new Lookahead(auditAnchorChunks(db));
    let head: AuditRow | null = null;
    // The newest anchored head found intact: a rewrite detected at a later anchor lies after it.
    let lastGoodAnchor = 0;

    for await (const rows of auditChunks(db)) {
      for (const row of rows) {
        head = row;
        note(checker.push(auditEntryOf(row), row.hash));
        for (let a = await anchors.peek(); a && a.auditSeq <= row.seq; a = await anchors.peek()) {
          anchors.take();
          if (a.auditSeq < row.seq) {
            note({ seq: a.auditSeq, reason: `entry ${a.auditSeq} was anchored (evidence ${a.evidenceId}) but is missing from the log` });
            continue;
          }
          const problem = anchorProblem(a, row, lastGoodAnchor);
          if (problem) note({ seq: a.auditSeq, reason: problem });
          else lastGoodAnchor = a.auditSeq;
        }
      }
    }
    // Anchors past the last entry: the log lost its tail after it was anchored.
    for (let a = await anchors.peek(); a; a = await anchors.peek()) {
      anchors.take();
      note({ seq: a.auditSeq, reason: `entry ${a.auditSeq} was anchored (evidence ${a.evidenceId}) but is missing from the log (its tail was deleted)` });
    }

    const [total, recent] = await Promise.all([countAuditAnchors(db), recentAuditAnchors(db, AUDIT_ANCHORS_CHECKED_ON_CHAIN)]);
    const reader = this.#deps.chainReader();
    const items: AuditAnchorCheck[] = [];
    let checkedOnChain = 0;
    // One at a time: each check is several RPC calls already, and the node may be public.
    for (const a of recent) {
      const { check, onChain } = await this.#checkAnchor(a, reader);
      items.push(check);
      if (onChain) checkedOnChain += 1;
    }
    // A head that fails on chain while the database agrees with itself: everything up to it
    // was rewritten consistently (log, anchor and evidence rows), which only the chain shows.
    for (const i of items) {
      if (i.status === "invalid") {
        note({
          seq: i.auditSeq,
          reason: `the head anchored for entry ${i.auditSeq} fails the ${i.failure?.check} check (${i.failure?.detail}): the log up to entry ${i.auditSeq}, or the rows anchoring it, were rewritten`,
        });
      }
    }
    const broken = firstBroken as AuditBreak | null;
    return {
      valid: broken === null && items.every((i) => i.status !== "invalid"),
      entries: checker.count,
      head: head ? { seq: head.seq, hash: toHex(head.hash) } : null,
      firstBroken: broken,
      anchors: { total, checkedOnChain, items },
    };
  }

  /**
   * Submits the current head as evidence of the system tenant and records it, in one
   * transaction under the audit lock: the head cannot move meanwhile, a crash leaves both
   * or neither, and a head is anchored at most once. Null for an empty log. Writes no
   * audit entry itself: that would move the head it has just anchored.
   */
  async anchorHead(): Promise<AuditAnchorResult | null> {
    const { db, ingest } = this.#deps;
    const now = (this.#deps.now ?? (() => new Date()))();
    return db.transaction(async (tx) => {
      await lockAudit(tx);
      const head = await latestAudit(tx);
      if (!head) return null;
      const last = await latestAuditAnchor(tx);
      if (last && last.auditSeq === head.seq) {
        return { auditSeq: last.auditSeq, headHash: toHex(last.headHash), evidenceId: last.evidenceId, created: false };
      }
      if (last && last.auditSeq > head.seq) {
        // Entries that were anchored are gone: refuse to paper over it with a new anchor.
        throw new Error(`the audit log ends at entry ${head.seq} but entry ${last.auditSeq} was anchored: run GET /v1/audit/verify`);
      }
      const [receipt] = await ingest.submit(
        AUDIT_SUBMITTER,
        [{ digest: toHex(head.hash), caseId: AUDIT_CASE_ID, eventType: AUDIT_EVENT_TYPE }],
        { db: tx },
      );
      await insertAuditAnchor(tx, { auditSeq: head.seq, headHash: head.hash, evidenceId: receipt!.id, createdAt: now });
      return { auditSeq: head.seq, headHash: toHex(head.hash), evidenceId: receipt!.id, created: true };
    });
  }

  /**
   * Anchors the head now (so entries written before a start, bootstrap's among them, do not
   * wait a whole interval) and then every `intervalMs` when it moved. The timer does not
   * keep the process alive.
   */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #tick(): void {
    // A slow run (a busy database) is not overlapped by the next tick.
    if (this.#running) return;
    this.#running = this.#anchorIfMoved().finally(() => {
      this.#running = undefined;
    });
  }

  async #anchorIfMoved(): Promise<void> {
    const { db, log } = this.#deps;
    try {
      // Two cheap reads first, so an idle log costs no transaction and no lock.
      const [head, last] = await Promise.all([latestAudit(db), latestAuditAnchor(db)]);
      if (!head || last?.auditSeq === head.seq) return;
      const result = await this.anchorHead();
      if (result?.created) {
        log.info("audit head submitted for anchoring", { auditSeq: result.auditSeq, headHash: result.headHash, evidenceId: result.evidenceId });
      }
    } catch (err) {
      log.error("anchoring the audit head failed", errorFields(err));
    }
  }

  async #checkAnchor(
    a: { auditSeq: number; headHash: Uint8Array; evidenceId: string; createdAt: Date },
    reader: ChainReader | undefined,
  ): Promise<{ check: AuditAnchorCheck; onChain: boolean }> {
    // Every outcome below overrides status (and what it knows); the key order stays this one.
    const base = {
      auditSeq: a.auditSeq,
      headHash: toHex(a.headHash),
      evidenceId: a.evidenceId,
      createdAt: a.createdAt.toISOString(),
      status: "pending" as AnchorCheckStatus,
      txHash: null,
      blockNumber: null,
      anchoredAt: null,
      failure: null,
    };
    const invalid = (check: string, detail: string) => ({ check: { ...base, status: "invalid" as const, failure: { check, detail } }, onChain: false });
    let bundle: ProofBundleV1;
    try {
      bundle = await this.#deps.prover.proof(ADMIN_SCOPE, a.evidenceId);
    } catch (err) {
      // The prover refuses to build a bundle whose stored parts disagree (an edited row).
      return invalid("bundle", `no proof bundle for evidence ${a.evidenceId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (bundle.evidence.digest !== base.headHash) {
      return invalid("digest", `evidence ${a.evidenceId} carries digest ${bundle.evidence.digest}, not the anchored head ${base.headHash}`);
    }
    if (bundle.evidence.meta.submitter !== AUDIT_SUBMITTER) {
      return invalid("submitter", `evidence ${a.evidenceId} was submitted by ${JSON.stringify(bundle.evidence.meta.submitter)}, not the system tenant`);
    }
    const onChain = bundle.anchor !== null && reader !== undefined;
    const result = await verifyBundle(bundle, onChain ? { chain: reader, minConfirmations: this.#deps.minConfirmations } : {});
    const failed = result.checks.filter((c) => !c.ok && c.skipped !== true);
    const first = failed[0];
    const failure = first ? { check: first.name, detail: first.detail } : null;
    const anchored = bundle.anchor ? { txHash: bundle.anchor.txHash, blockNumber: bundle.anchor.blockNumber } : {};
    // A chain that does not answer tells nothing about the head: not a forgery. (The checks
    // report reader failures with this prefix.)
    if (failed.length > 0 && failed.every((c) => c.detail.startsWith("RPC error"))) {
      return { check: { ...base, ...anchored, status: "unchecked", failure }, onChain: false };
    }
    // Too few confirmations yet is a matter of waiting, not a forgery.
    if (first && !(failed.length === 1 && first.name === "confirmations")) {
      return { check: { ...base, ...anchored, status: "invalid", failure }, onChain };
    }
    if (bundle.anchor === null) {
      return { check: { ...base, status: "pending", failure: { check: "anchor", detail: "the batch holding this head is not anchored yet" } }, onChain };
    }
    if (!onChain) {
      return { check: { ...base, ...anchored, status: "unchecked", failure: { check: "chain", detail: "no chain connected to check against" } }, onChain };
    }
    if (failure) return { check: { ...base, ...anchored, status: "pending", failure }, onChain };
    return { check: { ...base, ...anchored, status: "anchored", anchoredAt: result.anchoredAt }, onChain };
  }
}

/**
 * Why an anchored head does not hold, or null. `row` is the entry it names; its stored hash
 * was already checked against its contents by the chain checker.
 */
function anchorProblem(a: AuditAnchorWithDigest, row: AuditRow, lastGood: number): string | null {
  const seq = a.auditSeq;
  if (!bytesEqual(a.headHash, row.hash)) {
    const where = lastGood > 0 ? `entries ${lastGood + 1} to ${seq}` : `entries 1 to ${seq}`;
    return `entry ${seq}'s hash is not the head anchored for it (${toHex(a.headHash)}): ${where} were rewritten after anchoring, or the anchor row was edited`;
  }
  let recomputed: Uint8Array | null;
  try {
    recomputed = auditEntryHash(auditEntryOf(row));
  } catch {
    recomputed = null;
  }
  if (recomputed === null || !bytesEqual(recomputed, a.headHash)) {
    return `entry ${seq}'s contents do not hash to the head anchored for it: the row was edited`;
  }
  if (a.evidenceDigest === null) return `the evidence ${a.evidenceId} anchoring entry ${seq} is missing`;
  if (!bytesEqual(a.evidenceDigest, a.headHash)) {
    return `the evidence ${a.evidenceId} anchoring entry ${seq} carries digest ${toHex(a.evidenceDigest)}, not the anchored head: the anchor or evidence row was edited`;
  }
  return null;
}

/** One-item lookahead over an async stream of chunks (anchors merged into the entry walk). */
class Lookahead<T> {
  readonly #source: AsyncIterator<T[]>;
  #buffer: T[] = [];
  #index = 0;
  #done = false;

  constructor(source: AsyncIterable<T[]>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  async peek(): Promise<T | undefined> {
    while (this.#index >= this.#buffer.length && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else {
        this.#buffer = next.value;
        this.#index = 0;
      }
    }
    return this.#buffer[this.#index];
  }

  /** Drops the item peek() returned. */
  take(): void {
    this.#index += 1;
  }
}
