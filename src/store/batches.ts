// Queries over batches and their anchoring transactions: the sequencer's durable state.
// Each function is one step that can be repeated safely after a crash.
import { and, asc, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "./db.ts";
import { enqueueAnchorEvents } from "./webhooks.ts";
import { anchorTxs, anchors, batchLevels, batches, type AnchorRow, type AnchorTxRow, type BatchRow } from "./schema.ts";

export type NewAnchor = Omit<typeof anchors.$inferInsert, "id">;

/**
 * Records a sealed batch and its tree levels together. False, with nothing written, when the
 * batch is already recorded (another sealer was first).
 */
export async function insertSealedBatch(db: DbOrTx, row: typeof batches.$inferInsert, levels: readonly Uint8Array[]): Promise<boolean> {
  const inserted = await db.insert(batches).values(row).onConflictDoNothing().returning({ seq: batches.seq });
  if (inserted.length === 0) return false;
  // Level 0 (the leaf hashes) is stored too, though the evidence rows hold it: a batch's tree
  // is then whole on its own, and one lost or deleted evidence row cannot take its
  // neighbours' proofs with it (32 bytes a digest).
  if (levels.length > 0) {
    await db.insert(batchLevels).values(levels.map((hashes, level) => ({ batchSeq: row.seq, level, hashes })));
  }
  return true;
}

/** Every stored tree level of batch `batchSeq`, by level (a level not stored is absent). */
export async function batchLevelsOf(db: DbOrTx, batchSeq: number): Promise<Uint8Array[]> {
  const rows = await db.select().from(batchLevels).where(eq(batchLevels.batchSeq, batchSeq)).orderBy(asc(batchLevels.level));
  const out: Uint8Array[] = [];
  for (const r of rows) out[r.level] = new Uint8Array(r.hashes);
  return out;
}

/**
 * The stored tree nodes `nodes` of batch `batchSeq` (level, index): 32-byte slices of the
 * levels, read in one statement. A node the batch does not have is missing from the map.
 */
export async function readTreeNodes(
  db: DbOrTx,
  batchSeq: number,
  nodes: readonly { level: number; index: number }[],
): Promise<Map<string, Uint8Array>> {
  if (nodes.length === 0) return new Map();
  const rows = await queryRows<{ level: number; idx: number; hash: Uint8Array }>(
    db,
    sql`select l.level, n.idx, substring(l.hashes from n.idx * 32 + 1 for 32) as hash
        from jsonb_to_recordset(${JSON.stringify(nodes.map((n) => ({ level: n.level, idx: n.index })))}::jsonb) as n(level int, idx int)
        join batch_levels l on l.batch_seq = ${batchSeq} and l.level = n.level`,
  );
  const out = new Map<string, Uint8Array>();
  for (const r of rows) if (r.hash.length === 32) out.set(`${r.level}:${r.idx}`, new Uint8Array(r.hash));
  return out;
}

export interface BatchWithAnchor {
  batch: BatchRow;
  anchor: AnchorRow | null;
}

/** A batch and the anchor that currently proves it (null while pending or re-anchoring). */
export async function getBatch(db: DbOrTx, seq: number): Promise<BatchWithAnchor | null> {
  const rows = await db
    .select({ batch: batches, anchor: anchors })
    .from(batches)
    .leftJoin(anchors, eq(anchors.id, batches.anchorId))
    .where(eq(batches.seq, seq))
    .limit(1);
  return rows[0] ?? null;
}

/** Batches that need an anchoring transaction: none confirmed and none in flight. */
export async function batchesAwaitingAnchor(db: DbOrTx, limit: number): Promise<BatchRow[]> {
  return db
    .select()
    .from(batches)
    .where(
      and(
        isNull(batches.anchorId),
        sql`not exists (select 1 from ${anchors} where ${anchors.batchSeq} = ${batches.seq} and ${anchors.status} = 'sent')`,
      ),
    )
    .orderBy(asc(batches.seq))
    .limit(limit);
}

/** Anchors sent but not yet confirmed, oldest nonce first. */
export async function inFlightAnchors(db: DbOrTx): Promise<(AnchorRow & { root: Uint8Array; size: number })[]> {
  const rows = await db
    .select({ anchor: anchors, root: batches.root, size: batches.size })
    .from(anchors)
    .innerJoin(batches, eq(batches.seq, anchors.batchSeq))
    .where(eq(anchors.status, "sent"))
    .orderBy(asc(anchors.nonce), asc(anchors.id));
  return rows.map((r) => ({ ...r.anchor, root: r.root, size: r.size }));
}

/** Records an anchor row (one batch's claim on a transaction). Returns the new anchor id. */
export async function recordSentAnchor(db: DbOrTx, row: NewAnchor): Promise<number> {
  const inserted = await db.insert(anchors).values(row).returning({ id: anchors.id });
  const id = inserted[0]?.id;
  if (id === undefined) throw new Error("anchor insert returned no id");
  return id;
}

export type NewTxVersion = Omit<typeof anchorTxs.$inferInsert, "id">;

/**
 * Records a newly signed transaction before it is broadcast: its version row and one anchor
 * row per batch it anchors, in one transaction, so a crash leaves either nothing or all.
 */
export async function recordSentTransaction(
  db: DbOrTx,
  version: NewTxVersion,
  anchor: Omit<NewAnchor, "batchSeq" | "chainId" | "sender" | "nonce" | "txHash" | "rawTx">,
  batchSeqs: readonly number[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(anchorTxs).values(version);
    await tx.insert(anchors).values(
      batchSeqs.map((batchSeq) => ({
        ...anchor,
        batchSeq,
        chainId: version.chainId,
        sender: version.sender,
        nonce: version.nonce,
        txHash: version.txHash,
        rawTx: version.rawTx,
      })),
    );
  });
}

/** Records a replacement version of a transaction in flight (same nonce), before broadcast. */
export async function recordTxVersion(db: DbOrTx, version: NewTxVersion): Promise<void> {
  await db.insert(anchorTxs).values(version);
}

/** Every signed version of one nonce's transaction, oldest first. */
export async function txVersions(db: DbOrTx, chainId: number, sender: string, nonce: number): Promise<AnchorTxRow[]> {
  return db
    .select()
    .from(anchorTxs)
    .where(and(eq(anchorTxs.chainId, chainId), eq(anchorTxs.sender, sender), eq(anchorTxs.nonce, nonce)))
    .orderBy(asc(anchorTxs.id));
}

/** Whether any anchoring transaction is in flight: the sequencer keeps at most one. */
export async function hasInFlightAnchor(db: DbOrTx): Promise<boolean> {
  const rows = await db.select({ id: anchors.id }).from(anchors).where(eq(anchors.status, "sent")).limit(1);
  return rows.length > 0;
}

/**
 * Marks anchors of one mined transaction confirmed and makes each its batch's proof, and
 * enqueues their webhook events, all in one database transaction.
 */
export async function confirmAnchors(
  db: DbOrTx,
  list: readonly { id: number; batchSeq: number }[],
  block: { number: number; hash: string; timestamp: number },
  /** The version of the transaction that was mined (a replacement may have been). */
  txHash?: string,
): Promise<void> {
  if (list.length === 0) return;
  const confirmedAt = new Date();
  await db.transaction(async (tx) => {
    await tx
      .update(anchors)
      .set({
        ...(txHash === undefined ? {} : { txHash }),
        status: "confirmed",
        blockNumber: block.number,
        blockHash: block.hash,
        blockTimestamp: block.timestamp,
        confirmedAt,
      })
      .where(inArray(anchors.id, list.map((a) => a.id)));
    for (const a of list) await tx.update(batches).set({ anchorId: a.id }).where(eq(batches.seq, a.batchSeq));
    // The webhook events of these anchors (evidence.anchored / evidence.reanchored) commit with
    // them or not at all: the outbox never announces an anchor that was not recorded.
    await enqueueAnchorEvents(tx, list.map((a) => a.id), confirmedAt);
  });
}

export async function failAnchor(db: DbOrTx, id: number, error: string): Promise<void> {
  await db.update(anchors).set({ status: "failed", error }).where(eq(anchors.id, id));
}

/**
 * Confirmed anchors, newest block first: the reconciler walks these to find what a chain lost.
 * `fromBlock`/`belowBlock` bound the block numbers (at least / less than).
 */
export async function confirmedAnchors(
  db: DbOrTx,
  chainId: number,
  opts: { limit: number; offset?: number; fromBlock?: number; belowBlock?: number },
): Promise<AnchorRow[]> {
  return db
    .select()
    .from(anchors)
    .where(
      and(
        eq(anchors.status, "confirmed"),
        eq(anchors.chainId, chainId),
        opts.fromBlock === undefined ? undefined : gte(anchors.blockNumber, opts.fromBlock),
        opts.belowBlock === undefined ? undefined : lt(anchors.blockNumber, opts.belowBlock),
      ),
    )
    .orderBy(desc(anchors.blockNumber), desc(anchors.id))
    .limit(opts.limit)
    .offset(opts.offset ?? 0);
}

/**
 * Withdraws anchors the chain no longer has: they stop proving their batches, which go
 * back to awaiting an anchor. Proofs stop showing them at once.
 */
export async function orphanAnchors(db: DbOrTx, ids: number[], reason: string): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.update(batches).set({ anchorId: null }).where(inArray(batches.anchorId, ids));
    await tx.update(anchors).set({ status: "orphaned", error: reason }).where(inArray(anchors.id, ids));
  });
}

/** Highest nonce among our transactions still in flight, so a new one never reuses it. */
export async function maxInFlightNonce(db: DbOrTx, sender: string): Promise<number | null> {
  const rows = await db
    .select({ n: sql<number | null>`max(${anchors.nonce})` })
    .from(anchors)
    .where(and(eq(anchors.status, "sent"), eq(anchors.sender, sender)));
  const n = rows[0]?.n;
  return n === null || n === undefined ? null : Number(n);
}
