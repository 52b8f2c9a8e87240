// Queries over evidence rows: insert at ingest, read back, take pending leaves for a batch
// and record where each landed in it.
import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "./db.ts";
import { evidence, type EvidenceRow } from "./schema.ts";
import { evidenceVisible, type Scope } from "./scope.ts";

export type NewEvidence = Omit<typeof evidence.$inferInsert, "seq" | "batchSeq" | "leafIndex" | "path">;

// PostgreSQL takes at most 65535 parameters per statement; evidence rows have 10. Chunks are
// also kept small for PGlite, which runs in this thread: between two chunks the event loop
// gets a turn (see yieldToEventLoop), so one big batch never freezes the HTTP server.
const INSERT_CHUNK = 1000;
const UPDATE_CHUNK = 1000;

/** Lets pending I/O callbacks run between two statements of a long transaction. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Inserts all rows in one transaction: either every item is stored or none is. */
export async function insertEvidence(db: DbOrTx, rows: NewEvidence[]): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length <= INSERT_CHUNK) {
    await db.insert(evidence).values(rows);
    return;
  }
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      if (i > 0) await yieldToEventLoop();
      await tx.insert(evidence).values(rows.slice(i, i + INSERT_CHUNK));
    }
  });
}

/** One item, if `scope` may see it. */
export async function getEvidence(db: DbOrTx, scope: Scope, id: string): Promise<EvidenceRow | null> {
  const rows = await db
    .select()
    .from(evidence)
    .where(and(eq(evidence.id, id), evidenceVisible(scope)))
    .limit(1);
  return rows[0] ?? null;
}

/** Items with this digest that `scope` may see, oldest first. */
export async function findEvidenceByDigest(
  db: DbOrTx,
  scope: Scope,
  digest: Uint8Array,
  opts: { limit: number },
): Promise<EvidenceRow[]> {
  return db
    .select()
    .from(evidence)
    .where(and(eq(evidence.digest, digest), evidenceVisible(scope)))
    .orderBy(asc(evidence.seq))
    .limit(opts.limit);
}

/** A case's items that `scope` may see, in arrival order, after arrival number `afterSeq`. */
export async function caseEvidence(
  db: DbOrTx,
  scope: Scope,
  tenantId: string,
  caseId: string,
  opts: { afterSeq: number | undefined; limit: number },
): Promise<EvidenceRow[]> {
  return db
    .select()
    .from(evidence)
    .where(
      and(
        eq(evidence.submitter, tenantId),
        eq(evidence.caseId, caseId),
        opts.afterSeq === undefined ? undefined : gt(evidence.seq, opts.afterSeq),
        evidenceVisible(scope),
      ),
    )
    .orderBy(asc(evidence.seq))
    .limit(opts.limit);
}

/** Whether batch `batchSeq` holds an item `scope` may see (a tenant sees only its own batches). */
export async function batchVisible(db: DbOrTx, scope: Scope, batchSeq: number): Promise<boolean> {
  if (scope.role === "admin") return true;
  const rows = await db
    .select({ id: evidence.id })
    .from(evidence)
    .where(and(eq(evidence.batchSeq, batchSeq), evidenceVisible(scope)))
    .limit(1);
  return rows.length > 0;
}

/** The oldest evidence not yet in a batch, in arrival order. */
export async function pendingLeaves(db: DbOrTx, limit: number): Promise<{ id: string; leafHash: Uint8Array }[]> {
  return db
    .select({ id: evidence.id, leafHash: evidence.leafHash })
    .from(evidence)
    .where(isNull(evidence.batchSeq))
    .orderBy(asc(evidence.seq))
    .limit(limit);
}

export async function countPending(db: DbOrTx): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(evidence)
    .where(isNull(evidence.batchSeq));
  return rows[0]?.n ?? 0;
}

/**
 * Records each leaf's place in batch `batchSeq`. Only rows still pending are touched, and
 * the number touched is returned so the caller can refuse a batch that lost a race.
 */
export async function assignToBatch(
  db: DbOrTx,
  batchSeq: number,
  leaves: { id: string; leafIndex: number; path: Uint8Array }[],
): Promise<number> {
  let updated = 0;
  for (let i = 0; i < leaves.length; i += UPDATE_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    const values = leaves
      .slice(i, i + UPDATE_CHUNK)
      .map((l) => sql`(${l.id}::uuid, ${l.leafIndex}::int, ${Buffer.from(l.path)}::bytea)`);
    const rows = await queryRows<{ id: string }>(
      db,
      sql`update evidence as e
          set batch_seq = ${batchSeq}, leaf_index = v.idx, path = v.path
          from (values ${sql.join(values, sql`, `)}) as v(id, idx, path)
          where e.id = v.id and e.batch_seq is null
          returning e.id`,
    );
    updated += rows.length;
  }
  return updated;
}
