// The one read behind a proof: an evidence row with its batch, the batch's current anchor and
// the tree nodes of its inclusion path, in a single statement (one round trip per proof).
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { evidenceColumns } from "./evidence.ts";
import { evidencePart } from "./partitions.ts";
import { anchors, batches, evidence, type AnchorRow } from "./schema.ts";
import { evidenceVisible, type Scope } from "./scope.ts";

/** What a bundle shows of an anchor row (see anchorInfo in src/services/prover.ts). */
export type AnchorFields = Pick<AnchorRow, "status" | "chainId" | "contract" | "txHash" | "blockNumber" | "blockHash" | "blockTimestamp">;

export interface ProofRow {
  id: string;
  digest: Uint8Array;
  salt: Uint8Array;
  meta: Record<string, string>;
  leafHash: Uint8Array;
  receivedAt: Date;
  leafIndex: number | null;
  /** The leaf's batch once it is sealed (recorded in `batches`), else null. */
  batch: { seq: number; size: number; root: Uint8Array } | null;
  /** The anchor that currently proves the batch (batches.anchor_id), if any. */
  anchor: AnchorFields | null;
  /**
   * When asked for and the batch is sealed: the stored tree nodes of the leaf's inclusion path,
   * 32 bytes each, concatenated in the order of nodesForPath(leafIndex, batch.size); null for
   * none. A node the stored levels lack is missing from it (so it is shorter): the caller checks
   * the length.
   */
  nodes: Uint8Array | null;
}

// The scope's values as placeholders: one prepared statement per kind of caller serves every
// caller of that kind, with evidenceVisible's own predicate.
const SCOPES: Record<Scope["role"], Scope> = {
  admin: { role: "admin" },
  tenant: { role: "tenant", tenantId: sql.placeholder("tenantId") as unknown as string },
  verifier: { role: "verifier", verifierId: sql.placeholder("verifierId") as unknown as string, now: sql.placeholder("now") as unknown as Date },
};

const proofQuery = (db: DbOrTx, role: Scope["role"], withNodes: boolean) =>
  db
    .select({
      // Read as every evidence read reads them (the meta, say, may be stored in parts).
      id: evidenceColumns.id,
      digest: evidenceColumns.digest,
      salt: evidenceColumns.salt,
      meta: evidenceColumns.meta,
      leafHash: evidenceColumns.leafHash,
      receivedAt: evidenceColumns.receivedAt,
      leafIndex: evidenceColumns.leafIndex,
      batch: { seq: batches.seq, size: batches.size, root: batches.root },
      anchor: {
        status: anchors.status,
        chainId: anchors.chainId,
        contract: anchors.contract,
        txHash: anchors.txHash,
        blockNumber: anchors.blockNumber,
        blockHash: anchors.blockHash,
        blockTimestamp: anchors.blockTimestamp,
      },
      nodes: (withNodes ? pathNodes(sql`${evidence.leafIndex}`, sql`${batches.size}`, sql`${batches.seq}`) : sql`null::bytea`).mapWith(
        (b: Uint8Array | null) => (b === null ? null : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
      ),
    })
    .from(evidence)
    .leftJoin(batches, eq(batches.seq, evidence.batchSeq))
    .leftJoin(anchors, eq(anchors.id, batches.anchorId))
    // A row is found by its id and partition (both from the id: see src/store/partitions.ts).
    .where(and(eq(evidence.id, sql.placeholder("id")), eq(evidence.part, sql.placeholder("part")), evidenceVisible(SCOPES[role])))
    .limit(1)
    .prepare(`proof_row_${role}${withNodes ? "_nodes" : ""}`);

// Prepared once per database handle and kind of query: this runs on every proof read, and
// planning it (path nodes included) costs more than running it.
const prepared = new WeakMap<DbOrTx, Map<string, ReturnType<typeof proofQuery>>>();

/**
 * Evidence `id` as `scope` sees it (null: absent or not visible), with its batch, the batch's
 * anchor and, with `withNodes`, its path's tree nodes (see pathNodes), in one statement.
 * Requires `id` to be a UUID in canonical lowercase form.
 */
export async function readProofRow(db: DbOrTx, scope: Scope, id: string, withNodes: boolean): Promise<ProofRow | null> {
  let queries = prepared.get(db);
  if (!queries) prepared.set(db, (queries = new Map()));
  const name = `${scope.role}:${withNodes}`;
  let query = queries.get(name);
  if (!query) queries.set(name, (query = proofQuery(db, scope.role, withNodes)));
  const values: Record<string, unknown> = { id, part: evidencePart(id) };
  if (scope.role === "tenant") values.tenantId = scope.tenantId;
  if (scope.role === "verifier") Object.assign(values, { verifierId: scope.verifierId, now: scope.now.toISOString() });
  const rows = await query.execute(values);
  return rows[0] ?? null;
}

/**
 * SQL for the stored tree nodes of leaf `leafIndex`'s inclusion path in batch `batchSeq` of
 * `size` leaves, concatenated (bytea) in the order of nodesForPath; null when there are none.
 * The nodes follow from the leaf index i and the size n alone, as nodesForPath(i, n) lists them: for each level k with 2^k <= n, the sibling s = (i >> k) xor 1
 * of the leaf's ancestor is either a complete subtree, (s + 1) * 2^k <= n, read as node (k, s);
 * or it starts inside the tree, s * 2^k < n, and runs into its right border, which is made of
 * the nodes (j, (n >> j) - 1) for the one bits j < k of n, largest first; or it lies wholly
 * past the tree and contributes nothing. Each node is a 32-byte substring of its level, so
 * PostgreSQL reads only the TOAST chunks holding it (test/store/proofs.test.ts checks the list
 * against nodesForPath).
 */
export function pathNodes(leafIndex: SQL, size: SQL, batchSeq: SQL): SQL {
  return sql`(select string_agg(substring(l.hashes from (n.idx * 32 + 1)::int for 32), ''::bytea order by t.k, n.j desc)
    from (select k, (${leafIndex}::bigint >> k) # 1 as s, ${size}::bigint as size
          from generate_series(0, 62) as k where ${size}::bigint >> k > 0) as t
    cross join lateral (
      select t.k as j, t.k as level, t.s as idx where (t.s + 1) << t.k <= t.size
      union all
      select j, j, (t.size >> j) - 1 from generate_series(0, t.k - 1) as j
      where (t.s + 1) << t.k > t.size and t.s << t.k < t.size and (t.size >> j) & 1 = 1
    ) as n
    join batch_levels l on l.batch_seq = ${batchSeq} and l.level = n.level)`;
}
