// Step one of the sequencer: take pending leaves, build their tree, and record the batch
// and every leaf's place in it in one transaction. Safe to repeat: a crash before the
// commit leaves the leaves pending; after it, they are no longer pending.
import { TransactionRollbackError, sql } from "drizzle-orm";
import type { Db } from "../store/db.ts";
import { assignToBatch, pendingLeaves } from "../store/evidence.ts";
import { insertBatch, nextBatchSeq } from "../store/batches.ts";
import type { BuiltTree } from "./tree.ts";

export interface SealedBatch {
  seq: number;
  size: number;
  root: Uint8Array;
}

/** Serialises sealers across processes sharing one database. */
const SEAL_LOCK = sql`select pg_advisory_xact_lock(727318001)`;

export async function sealBatch(
  db: Db,
  buildTree: (leaves: Uint8Array[]) => Promise<BuiltTree>,
  maxLeaves: number,
): Promise<SealedBatch | null> {
  const pending = await pendingLeaves(db, maxLeaves);
  if (pending.length === 0) return null;
  // Hash outside the transaction: a big tree takes a while and needs no lock.
  const tree = await buildTree(pending.map((p) => p.leafHash));
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(SEAL_LOCK);
      const seq = await nextBatchSeq(tx);
      await insertBatch(tx, { seq, size: pending.length, root: tree.root, sealedAt: new Date() });
      const assigned = await assignToBatch(
        tx,
        seq,
        pending.map((p, i) => ({ id: p.id, leafIndex: i, path: tree.paths[i] ?? new Uint8Array() })),
      );
      if (assigned !== pending.length) {
        // Another sealer took some of these leaves first; roll back and let the next tick retry.
        tx.rollback();
      }
      return { seq, size: pending.length, root: tree.root };
    });
  } catch (err) {
    if (err instanceof TransactionRollbackError) return null;
    throw err;
  }
}
