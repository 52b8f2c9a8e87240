// Accepting evidence: fix each item's salt, meta and leaf hash, and commit it before the
// caller is answered. What is committed here is what the proof will later hash. An item of
// a case is chained to the case's previous item (meta.prev, see src/store/evidence.ts), and
// every item gets a receipt signed with the service key, stored with it.
import { randomBytes as nodeRandomBytes, randomUUID } from "node:crypto";
import { fromHex, toHex } from "../core/bytes.ts";
import { leafHash, normaliseMeta, type EvidenceMeta, type HashAlg } from "../core/leaf.ts";
import type { ReceiptV1 } from "../reports/format.ts";
import type { Db, DbOrTx } from "../store/db.ts";
import { insertChained, insertEvidence, type NewEvidence } from "../store/evidence.ts";
import { GroupCommit } from "../store/group-commit.ts";
import type { Signer } from "../signing/signer.ts";
import type { SigningPool } from "../signing/pool.ts";
import { signReceipts } from "./receipts.ts";

export interface SubmitItem {
  /** 0x + 64 hex digits (either case). */
  digest: string;
  hashAlg?: HashAlg | undefined;
  caseId?: string | undefined;
  eventType?: string | undefined;
  occurredAt?: string | undefined;
}

export interface SubmitReceipt {
  id: string;
  status: "pending";
  leafHash: string;
  receivedAt: string;
  /** The signed receipt (evidence-receipt/v1). */
  receipt: ReceiptV1;
}

export interface IngestDeps {
  db: Db;
  /** Signs the receipt of each accepted item. */
  signer: Signer;
  /** The same key in a worker thread: receipts are signed there, off the event loop. */
  signingPool?: SigningPool;
  /** Leaves per batch at most (BATCH_MAX_LEAVES); a batch is started anew past it. */
  batchMaxLeaves?: number;
  /** Told how many items were committed (the batcher closes full batches early). */
  onIngested?: (count: number) => void;
  /** Injected so tests can fix salts; a CSPRNG otherwise. */
  randomBytes?: (n: number) => Uint8Array;
  now?: () => Date;
}

/** BATCH_MAX_LEAVES' default (src/config.ts). */
const DEFAULT_BATCH_MAX_LEAVES = 100_000;

/** Rows one group commit writes at most (unless one request alone brings more). */
const GROUP_MAX_ITEMS = 4000;

/** Items hashed and signed between two turns of the event loop. */
const BUILD_CHUNK = 1000;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class IngestService {
  readonly #deps: IngestDeps;

  /** Submissions outside cases share statements and commits (src/store/group-commit.ts). */
  readonly #group: GroupCommit<NewEvidence>;

  constructor(deps: IngestDeps) {
    this.#deps = deps;
    const placement = { maxLeaves: deps.batchMaxLeaves ?? DEFAULT_BATCH_MAX_LEAVES };
    this.#group = new GroupCommit((rows) => insertEvidence(deps.db, rows, placement), { maxItems: GROUP_MAX_ITEMS });
  }

  /**
   * Stores every item or none, then answers. Requires items already validated (the API's
   * schemas do it); a malformed digest here is a programming error and throws.
   * Items with a caseId chain to the last stored item of (submitter, caseId), and items of
   * one request in one case to each other, in request order.
   * `opts.db`: a caller's transaction to insert in, so the items commit with the caller's
   * other writes (the audit log anchors its head this way).
   */
  async submit(submitter: string, items: SubmitItem[], opts: { db?: DbOrTx } = {}): Promise<SubmitReceipt[]> {
    const random = this.#deps.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
    const receivedAt = (this.#deps.now ?? (() => new Date()))();
    const { signer } = this.#deps;
    // What does not depend on the case heads is fixed before any lock is taken.
    const prepared = items.map((item) => ({
      item,
      id: randomUUID(),
      digest: fromHex(item.digest.toLowerCase(), 32),
      salt: random(32),
    }));
    const caseIds = [...new Set(items.flatMap((i) => (i.caseId === undefined ? [] : [i.caseId])))];
    const receipts: ReceiptV1[] = [];
    const build = async (heads: Map<string, Uint8Array>): Promise<NewEvidence[]> => {
      receipts.length = 0;
      const last = new Map(heads);
      const rows: NewEvidence[] = [];
      for (const [i, { item, id, digest, salt }] of prepared.entries()) {
        if (i > 0 && i % BUILD_CHUNK === 0) await yieldToEventLoop();
        const prev = item.caseId === undefined ? undefined : last.get(item.caseId);
        const meta: EvidenceMeta = normaliseMeta({
          hashAlg: item.hashAlg ?? "sha256",
          submitter,
          caseId: item.caseId,
          eventType: item.eventType,
          occurredAt: item.occurredAt,
          prev: prev === undefined ? undefined : toHex(prev),
        });
        const leaf = leafHash({ salt, digest, meta });
        if (item.caseId !== undefined) last.set(item.caseId, leaf);
        rows.push({
          id,
          submitter,
          digest,
          salt,
          hashAlg: meta.hashAlg,
          caseId: item.caseId ?? null,
          eventType: item.eventType ?? null,
          meta: meta as Record<string, string>,
          leafHash: leaf,
          receivedAt,
        });
      }
      const signed = await signReceipts(this.#deps.signingPool ?? signer, rows);
      rows.forEach((row, i) => {
        receipts.push(signed[i]!.receipt);
        row.receiptKid = signed[i]!.receiptKid;
        row.receiptSignature = signed[i]!.receiptSignature;
      });
      return rows;
    };
    let rows: NewEvidence[];
    if (caseIds.length === 0 && !opts.db) {
      // No case head to read and no caller's transaction: nothing ties these rows to one
      // connection, so they may share a commit with other requests'.
      rows = await build(new Map());
      await this.#group.write(rows);
    } else {
      rows = await insertChained(opts.db ?? this.#deps.db, submitter, caseIds, build, {
        maxLeaves: this.#deps.batchMaxLeaves ?? DEFAULT_BATCH_MAX_LEAVES,
      });
    }
    this.#deps.onIngested?.(rows.length);
    return rows.map((r, i) => ({
      id: r.id,
      status: "pending",
      leafHash: toHex(r.leafHash),
      receivedAt: receivedAt.toISOString(),
      receipt: receipts[i]!,
    }));
  }
}
