// Step one of the sequencer: close the open batch and record its tree. A leaf's place
// (batch, index) is fixed when its row is committed (src/store/evidence.ts); sealing moves
// the sequencer on to the next batch, reads the closed batch's leaves in order, and records
// the batch and its tree levels in one transaction. No evidence row is rewritten.
// Safe to repeat: a crash after closing leaves a closed, unsealed batch, sealed next time;
// a crash before it leaves the batch open.
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "../store/db.ts";
import { batchLeafHashes } from "../store/evidence.ts";
import { insertSealedBatch } from "../store/batches.ts";

export interface SealedBatch {
  seq: number;
  size: number;
  root: Uint8Array;
}

/** What a tree builder returns: the root and every level of complete subtrees (src/core/levels.ts). */
export interface BuiltLevels {
  root: Uint8Array;
  levels: Uint8Array[];
}

/** Builds a tree over `n` leaf hashes given concatenated. */
export type BuildLevels = (leaves: Uint8Array, n: number) => Promise<BuiltLevels>;

/** Serialises sealers across processes sharing one database. */
const SEAL_LOCK = sql`select pg_advisory_xact_lock(727318001)`;

/**
 * Seals one batch: the oldest closed one that is not sealed yet, else (with `closeOpen`) the
 * open batch, which is closed first. Returns null when there is nothing to seal.
 */
export async function sealBatch(db: Db, build: BuildLevels, opts: { closeOpen: boolean }): Promise<SealedBatch | null> {
  const seq = await nextToSeal(db, opts.closeOpen);
  if (seq === null) return null;
  const { count, leaves } = await batchLeafHashes(db, seq);
  // A closed batch always holds its leaves (a rolled-back insert gives its places back). One
  // without any means rows were deleted by hand: say so on every tick rather than stall quietly,
  // since every later batch waits behind it (fsck names the rows: leaf-batch).
  if (count === 0) throw new Error(`batch ${seq} is closed but holds no evidence rows: sealing cannot go past it`);
  // Hash outside the transaction: a big tree takes a while and needs no lock.
  const tree = await build(leaves, count);
  const sealed = await db.transaction(async (tx) => {
    await tx.execute(SEAL_LOCK);
    return insertSealedBatch(tx, { seq, size: count, root: tree.root, sealedAt: new Date() }, tree.levels);
  });
  // Another sealer got there first: its batch is the same (same leaves, same tree).
  return sealed ? { seq, size: count, root: tree.root } : null;
}

/**
 * The batch to seal next: the one after the last sealed, if the sequencer has moved past
 * it (it filled up, or an earlier sealer closed it and stopped); otherwise, with `closeOpen`,
 * the open batch once it holds a leaf, closed here. The UPDATE waits for the row lock that
 * every inserting statement holds until its commit: once it returns, no leaf can still join
 * the batch it closed.
 */
async function nextToSeal(db: Db, closeOpen: boolean): Promise<number | null> {
  const [state] = await queryRows<{ next: string; open_batch: string; next_index: number }>(
    db,
    sql`select (select coalesce(max(seq) + 1, 0) from batches) as next, open_batch, next_index from sequencer where id = 1`,
  );
  if (!state) throw new Error("the sequencer row is missing (migration 0004 creates it)");
  const next = Number(state.next);
  if (next < Number(state.open_batch)) return next;
  if (!closeOpen || state.next_index === 0) return null;
  const closed = await queryRows<{ closed: string }>(
    db,
    sql`update sequencer set open_batch = open_batch + 1, next_index = 0
        where id = 1 and open_batch = ${next} and next_index > 0
        returning open_batch - 1 as closed`,
  );
  return closed[0] ? Number(closed[0].closed) : null;
}
