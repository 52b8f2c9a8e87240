// RFC 3161 tokens over batch roots (table batch_timestamps): which sealed batches still lack
// one, recording one (once: a repeat is not an error), and reading them for the batch view and
// reports. Each function is one step that can be repeated safely after a crash.
import { and, asc, eq, gt, inArray, isNull } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { batches, batchTimestamps, type BatchTimestampRow } from "./schema.ts";

export type NewBatchTimestamp = typeof batchTimestamps.$inferInsert;

/** A batch's token as the API and reports show it. */
export interface BatchTimestampView {
  /** The authority asked. */
  tsa: string;
  /** Subject of the certificate that signed the token. */
  tsaName: string;
  /** When the authority says the batch root existed. */
  genTime: string;
  serialNumber: string;
  policy: string;
  /** The TimeStampToken (DER), base64: `openssl ts -verify -token_in` reads it. */
  token: string;
}

/**
 * Sealed batches without a token, oldest first, after `afterSeq` (to step past batches that
 * failed this round), at most `limit`.
 */
export async function batchesWithoutTimestamp(
  db: DbOrTx,
  opts: { limit: number; afterSeq?: number },
): Promise<{ seq: number; root: Uint8Array }[]> {
  return db
    .select({ seq: batches.seq, root: batches.root })
    .from(batches)
    .leftJoin(batchTimestamps, eq(batchTimestamps.batchSeq, batches.seq))
    .where(and(isNull(batchTimestamps.batchSeq), opts.afterSeq === undefined ? undefined : gt(batches.seq, opts.afterSeq)))
    .orderBy(asc(batches.seq))
    .limit(opts.limit);
}

/** Records a batch's token. False, with nothing written, when the batch already has one (kept as it was). */
export async function insertBatchTimestamp(db: DbOrTx, row: NewBatchTimestamp): Promise<boolean> {
  const inserted = await db.insert(batchTimestamps).values(row).onConflictDoNothing().returning({ seq: batchTimestamps.batchSeq });
  return inserted.length > 0;
}

/** The stored token of batch `seq`, or null. */
export async function getBatchTimestamp(db: DbOrTx, seq: number): Promise<BatchTimestampRow | null> {
  const [row] = await db.select().from(batchTimestamps).where(eq(batchTimestamps.batchSeq, seq));
  return row ?? null;
}

/** The stored tokens of several batches (reports gather one per batch of their items), by seq. */
export async function batchTimestampsOf(db: DbOrTx, seqs: readonly number[]): Promise<Map<number, BatchTimestampRow>> {
  if (seqs.length === 0) return new Map();
  const rows = await db.select().from(batchTimestamps).where(inArray(batchTimestamps.batchSeq, [...new Set(seqs)]));
  return new Map(rows.map((r) => [r.batchSeq, r]));
}

export function batchTimestampView(row: BatchTimestampRow): BatchTimestampView {
  return {
    tsa: row.tsaUrl,
    tsaName: row.tsaName,
    genTime: row.genTime.toISOString(),
    serialNumber: row.serialNumber,
    policy: row.policy,
    token: Buffer.from(row.token).toString("base64"),
  };
}
