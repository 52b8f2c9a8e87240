// Queries over evidence rows: insert at ingest (each row placed in its batch as it is
// committed), read back, and read a batch's leaves for sealing.
import { createHash } from "node:crypto";
import { and, asc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "./db.ts";
import { evidencePart } from "./partitions.ts";
import { evidence, receiptKeys, type EvidenceRow } from "./schema.ts";
import { evidenceVisible, type Scope } from "./scope.ts";

/** A row to store: its place, partition and receipt key number are found by the inserting statement. */
export type NewEvidence = Omit<typeof evidence.$inferInsert, "seq" | "batchSeq" | "leafIndex" | "part" | "receiptKey" | "metaRest"> & {
  /** The exact meta that was hashed. */
  meta: Record<string, string>;
  receiptKid?: string | null;
};

/**
 * What a row stores of its meta (meta_rest): the meta less `hashAlg` and `submitter`, which
 * every meta has (the core refuses one without) and the row's own columns hold: about 40
 * bytes a row. A meta whose values differ from the columns (none is written so) is stored
 * whole; it still has its `hashAlg`, which is how evidenceMeta tells it apart.
 */
function metaRest(meta: Record<string, string>, hashAlg: string, submitter: string): Record<string, string> {
  if (meta.hashAlg !== hashAlg || meta.submitter !== submitter) return meta;
  const { hashAlg: _h, submitter: _s, ...rest } = meta;
  return rest;
}

/**
 * The meta that was hashed, as read: meta_rest with the two keys the columns hold put back.
 * jsonb orders an object's keys itself, so the object read is the very one stored before
 * the two keys were left out.
 */
export const evidenceMeta = sql<Record<string, string>>`(case when ${evidence.metaRest} ? 'hashAlg' then ${evidence.metaRest}
  else jsonb_build_object('hashAlg', ${evidence.hashAlg}, 'submitter', ${evidence.submitter}) || ${evidence.metaRest} end)`.mapWith(
  evidence.metaRest,
);

/** The columns of an evidence row as read: the whole meta, the receipt's key by its id (see receipt_keys). */
const { part: _part, receiptKey: _receiptKey, metaRest: _metaRest, ...storedColumns } = getTableColumns(evidence);
export const evidenceColumns = {
  ...storedColumns,
  meta: evidenceMeta,
  receiptKid: sql<string | null>`(select k.kid from ${receiptKeys} k where k.ref = ${evidence.receiptKey})`,
};

// Rows go to the server as one JSON parameter per statement (jsonb_to_recordset): the same
// text on postgres.js and PGlite, no 65535-parameter ceiling, and one statement to plan.
// Statements are still kept to INSERT_CHUNK rows for PGlite, which runs in this thread:
// between two the event loop gets a turn (see yieldToEventLoop), so one big batch never
// freezes the HTTP server.
const INSERT_CHUNK = 1000;

/** Lets pending I/O callbacks run between two statements of a long transaction. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How many leaves a batch holds at most (BATCH_MAX_LEAVES): where the sequencer starts the next. */
export interface Placement {
  maxLeaves: number;
}

/**
 * Inserts all rows in one transaction: either every item is stored or none is. Each row
 * gets its place (batch, leaf index) in the same statement; see insertPlaced.
 */
export async function insertEvidence(db: DbOrTx, rows: NewEvidence[], placement: Placement): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length <= INSERT_CHUNK) {
    await insertPlaced(db, rows, placement);
    return;
  }
  await db.transaction((tx) => insertChunks(tx, rows, placement));
}

/** Inserts in statements of INSERT_CHUNK rows, the event loop getting a turn between two. */
async function insertChunks(db: DbOrTx, rows: NewEvidence[], placement: Placement): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    await insertPlaced(db, rows.slice(i, i + INSERT_CHUNK), placement);
  }
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/**
 * One statement: takes the next places from the sequencer row and inserts the rows there, in
 * order. Updating that row locks it until this transaction ends, so no other statement gets
 * places in between: places follow commit order, with no gap (a rolled-back insert gives its
 * places back). Statements that would take the open batch past `maxLeaves` start the next
 * batch instead (a statement never splits across two), which the sealer then closes.
 * The lock is taken by this statement, the last of the transaction, to be held briefly.
 */
async function insertPlaced(db: DbOrTx, rows: NewEvidence[], { maxLeaves }: Placement): Promise<void> {
  const n = rows.length;
  const json = JSON.stringify(
    rows.map((r) => ({
      id: r.id,
      part: evidencePart(r.id),
      submitter: r.submitter,
      digest: hex(r.digest),
      salt: hex(r.salt),
      hash_alg: r.hashAlg,
      case_id: r.caseId ?? null,
      event_type: r.eventType ?? null,
      meta_rest: metaRest(r.meta, r.hashAlg, r.submitter),
      leaf_hash: hex(r.leafHash),
      received_at: r.receivedAt.toISOString(),
      receipt_kid: r.receiptKid ?? null,
      receipt_signature: r.receiptSignature ? hex(r.receiptSignature) : null,
    })),
  );
  // A receipt key gets its number in receipt_keys on first use (the `not exists` keeps the
  // identity from being drawn for keys already numbered); rows store the number.
  await db.execute(sql`
    with r as materialized (
      select * from rows from (jsonb_to_recordset(${json}::jsonb) as (
        id uuid, part int, submitter text, digest text, salt text, hash_alg text, case_id text, event_type text,
        meta_rest jsonb, leaf_hash text, received_at timestamptz, receipt_kid text, receipt_signature text
      )) with ordinality as r(id, part, submitter, digest, salt, hash_alg, case_id, event_type, meta_rest, leaf_hash,
                              received_at, receipt_kid, receipt_signature, i)
    ),
    kids as (select distinct receipt_kid as kid from r where receipt_kid is not null),
    new_keys as (
      insert into receipt_keys (kid)
      select kid from kids where not exists (select 1 from receipt_keys k where k.kid = kids.kid)
      on conflict (kid) do nothing
      returning ref, kid
    ),
    keys as (select ref, kid from new_keys union all select k.ref, k.kid from receipt_keys k join kids using (kid)),
    place as (
      update sequencer set
        open_batch = case when next_index > 0 and next_index + ${n}::int > ${maxLeaves}::int then open_batch + 1 else open_batch end,
        next_index = case when next_index > 0 and next_index + ${n}::int > ${maxLeaves}::int then ${n}::int else next_index + ${n}::int end
      where id = 1
      returning open_batch, next_index - ${n}::int as first
    )
    insert into evidence (id, part, leaf_index, batch_seq, received_at, receipt_key, submitter, digest, salt, hash_alg,
                          case_id, event_type, meta_rest, leaf_hash, receipt_signature)
    select r.id, r.part, place.first + (r.i - 1)::int, place.open_batch, r.received_at, keys.ref, r.submitter,
           decode(r.digest, 'hex'), decode(r.salt, 'hex'), r.hash_alg, r.case_id, r.event_type, r.meta_rest,
           decode(r.leaf_hash, 'hex'), decode(r.receipt_signature, 'hex')
    from place, r left join keys on keys.kid = r.receipt_kid
    order by r.i`);
}

// ---------------------------------------------------------------------------------------
// Case timelines. Each item with a caseId carries, in meta.prev, the leaf hash of the item
// before it in the same (submitter, caseId): its meta (so its leaf hash) depends on the head
// of the case at the moment it is stored. Writers of one case are serialised by transaction-
// scoped advisory locks, held from reading the head until the new items are committed, so
// two concurrent submissions never chain to the same head (the timeline never forks).
//
// Locks are hierarchical, so that a request never takes an unbounded number of them (each
// takes a slot of PostgreSQL's shared lock table, about 64 per connection by default):
// every chaining writer holds ALL_CASES_LOCK, shared when it locks its cases one by one (at
// most MAX_CASE_LOCKS, in sorted key order so that two writers cannot deadlock), exclusive
// when it writes more cases than that (then it excludes every other case writer instead).

/** The one-key advisory lock space is shared with src/batcher/seal.ts, src/store/audit.ts, … */
const ALL_CASES_LOCK = 727318020n;
/** Past this many distinct cases in one request, lock all cases at once. */
export const MAX_CASE_LOCKS = 64;

/** The advisory-lock key of a (submitter, caseId): the first 8 bytes of a SHA-256, as a signed bigint. */
export function caseLockKey(submitter: string, caseId: string): bigint {
  const h = createHash("sha256").update(`evidence-case\0${submitter}\0${caseId}`, "utf8").digest();
  return h.readBigInt64BE(0);
}

/** Takes the locks that make this transaction the only writer of these cases until it ends. */
async function lockCases(tx: DbOrTx, submitter: string, caseIds: readonly string[]): Promise<void> {
  if (caseIds.length > MAX_CASE_LOCKS) {
    await tx.execute(sql`select pg_advisory_xact_lock(${ALL_CASES_LOCK.toString()}::bigint)`);
    return;
  }
  const keys = [...new Set(caseIds.map((c) => caseLockKey(submitter, c)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // One statement: a function scan yields the array's elements in order, so the locks are
  // taken in order: ALL_CASES_LOCK (shared) first, then each case's.
  await tx.execute(
    sql`select count(case when u.i = 1 then pg_advisory_xact_lock_shared(u.k::bigint) else pg_advisory_xact_lock(u.k::bigint) end)::int as n
        from jsonb_array_elements_text(${JSON.stringify([ALL_CASES_LOCK, ...keys].map(String))}::jsonb) with ordinality as u(k, i)`,
  );
}

/** The leaf hash of the last item of each case that has one (one statement for any number of cases). */
export async function caseHeads(db: DbOrTx, submitter: string, caseIds: readonly string[]): Promise<Map<string, Uint8Array>> {
  if (caseIds.length === 0) return new Map();
  const rows = await queryRows<{ case_id: string; leaf_hash: Uint8Array }>(
    db,
    sql`select c.case_id, h.leaf_hash
        from jsonb_array_elements_text(${JSON.stringify(caseIds)}::jsonb) as c(case_id)
        cross join lateral (
          select e.leaf_hash from ${evidence} e
          where e.submitter = ${submitter} and e.case_id = c.case_id
          order by e.seq desc
          limit 1
        ) h`,
  );
  return new Map(rows.map((r) => [r.case_id, new Uint8Array(r.leaf_hash)]));
}

/**
 * Stores a submission whose items may belong to cases: in one transaction (a savepoint when
 * `db` is a caller's transaction), locks the cases `caseIds` of `submitter`, reads their
 * heads, lets `build` make the rows from them, and inserts the rows. Every row or none is
 * stored. Returns the rows.
 */
export async function insertChained(
  db: DbOrTx,
  submitter: string,
  caseIds: readonly string[],
  build: (heads: Map<string, Uint8Array>) => Promise<NewEvidence[]>,
  placement: Placement,
): Promise<NewEvidence[]> {
  if (caseIds.length === 0) {
    const rows = await build(new Map());
    await insertEvidence(db, rows, placement);
    return rows;
  }
  return db.transaction(async (tx) => {
    await lockCases(tx, submitter, caseIds);
    const rows = await build(await caseHeads(tx, submitter, caseIds));
    await insertChunks(tx, rows, placement);
    return rows;
  });
}

/** One item, if `scope` may see it. */
export async function getEvidence(db: DbOrTx, scope: Scope, id: string): Promise<EvidenceRow | null> {
  const rows = await db
    .select(evidenceColumns)
    .from(evidence)
    .where(and(eq(evidence.id, id), eq(evidence.part, evidencePart(id)), evidenceVisible(scope)))
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
    .select(evidenceColumns)
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
    .select(evidenceColumns)
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

/** The leaf hashes of batch `batchSeq`, in leaf order, concatenated (32 bytes each). */
export async function batchLeafHashes(db: DbOrTx, batchSeq: number): Promise<{ count: number; leaves: Uint8Array }> {
  const rows = await queryRows<{ n: number; leaves: Uint8Array | null }>(
    db,
    sql`select count(*)::int as n, string_agg(leaf_hash, ''::bytea order by leaf_index) as leaves
        from evidence where batch_seq = ${batchSeq}`,
  );
  const r = rows[0];
  return { count: r?.n ?? 0, leaves: r?.leaves ? new Uint8Array(r.leaves) : new Uint8Array() };
}

/**
 * The items of batch `batchSeq` that `scope` may see, in leaf order, after leaf `afterIndex`:
 * what an evidence.anchored webhook event lists only the first of (evidence_batch_idx).
 */
export async function batchEvidence(
  db: DbOrTx,
  scope: Scope,
  batchSeq: number,
  opts: { afterIndex: number | undefined; limit: number },
): Promise<{ id: string; leafIndex: number; digest: Uint8Array; caseId: string | null; eventType: string | null; receivedAt: Date }[]> {
  const rows = await db
    .select({
      id: evidence.id,
      leafIndex: evidence.leafIndex,
      digest: evidence.digest,
      caseId: evidence.caseId,
      eventType: evidence.eventType,
      receivedAt: evidence.receivedAt,
    })
    .from(evidence)
    .where(
      and(
        eq(evidence.batchSeq, batchSeq),
        opts.afterIndex === undefined ? undefined : gt(evidence.leafIndex, opts.afterIndex),
        evidenceVisible(scope),
      ),
    )
    .orderBy(asc(evidence.leafIndex))
    .limit(opts.limit);
  return rows.map((r) => ({ ...r, leafIndex: r.leafIndex ?? 0 }));
}
