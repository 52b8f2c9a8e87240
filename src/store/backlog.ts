// What waits to be anchored, read cheaply for the metrics scrape: how many leaves, since when,
// and the block of the newest confirmed anchor. Each query reads a bounded number of index
// entries (the backlog's batches, the oldest pending batch's first leaf), never the whole
// evidence table: a scrape must stay cheap with a million leaves pending.
import { sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "./db.ts";

export interface Backlog {
  /** Leaves not yet in a confirmed anchor: sealed batches waiting, closed ones not sealed yet, the open one. */
  pendingLeaves: number;
  /** When the oldest of them was received; null when nothing is pending. */
  oldestReceivedAt: Date | null;
  /** Block of the newest confirmed anchor; null before the first. */
  lastAnchorBlock: number | null;
}

/**
 * Pending leaves are those of the batches after the newest batch with a confirmed anchor:
 * anchors go out oldest batch first, so an unanchored batch below it is a transient gap (a
 * failed anchor being sent again), not counted. Sealed batches are counted by their `size`,
 * the open batch by the sequencer's next index, and only batches closed but not sealed yet
 * (sealing behind) by counting their rows in `evidence_batch_idx`, a range bounded by the backlog.
 * The newest anchored batch is found walking the batches' primary key down from the top, which
 * stops after the backlog's batches.
 */
export async function readBacklog(db: DbOrTx): Promise<Backlog> {
  const [row] = await queryRows<{
    anchored: string | number | null;
    sealed_max: string | number | null;
    open_batch: string | number;
    next_index: number;
    sealed_pending: string | number | null;
    block: string | number | null;
  }>(
    db,
    sql`with last as (
          select (select seq from batches where anchor_id is not null order by seq desc limit 1) as anchored,
                 (select max(seq) from batches) as sealed_max
        )
        select last.anchored, last.sealed_max, s.open_batch, s.next_index,
               (select sum(size) from batches b where b.seq > coalesce(last.anchored, -1)) as sealed_pending,
               (select a.block_number from batches b join anchors a on a.id = b.anchor_id
                 where b.seq = last.anchored) as block
          from last, sequencer s`,
  );
  if (!row) return { pendingLeaves: 0, oldestReceivedAt: null, lastAnchorBlock: null };
  const anchored = row.anchored === null ? -1 : Number(row.anchored);
  const sealedMax = row.sealed_max === null ? -1 : Number(row.sealed_max);
  const openBatch = Number(row.open_batch);
  let pending = Number(row.sealed_pending ?? 0) + row.next_index;
  // Closed batches sealing has not reached yet (normally none).
  const unsealedFrom = Math.max(sealedMax, anchored) + 1;
  if (unsealedFrom < openBatch) {
    const [c] = await queryRows<{ n: string | number }>(
      db,
      sql`select count(*) as n from evidence where batch_seq >= ${unsealedFrom} and batch_seq < ${openBatch}`,
    );
    pending += Number(c?.n ?? 0);
  }
  let oldestReceivedAt: Date | null = null;
  if (pending > 0) {
    // A batch's leaves are placed in commit order: the oldest pending leaf is the first leaf
    // of the first batch after the newest anchored one (one ordered read of evidence_batch_idx).
    const [first] = await queryRows<{ received_at: string | Date }>(
      db,
      sql`select received_at from evidence where batch_seq > ${anchored} order by batch_seq, leaf_index limit 1`,
    );
    if (first) oldestReceivedAt = new Date(first.received_at);
  }
  return { pendingLeaves: pending, oldestReceivedAt, lastAnchorBlock: row.block === null ? null : Number(row.block) };
}

/** When the first leaf of batch `seq` was received (its oldest, up to commit order); null if none. */
export async function batchFirstReceivedAt(db: DbOrTx, seq: number): Promise<Date | null> {
  const [first] = await queryRows<{ received_at: string | Date }>(
    db,
    sql`select received_at from evidence where batch_seq = ${seq} order by leaf_index limit 1`,
  );
  return first ? new Date(first.received_at) : null;
}
