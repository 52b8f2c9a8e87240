// Migrations over data written by earlier versions: a database migrated to an older schema,
// filled the way that version filled it, then brought up to date by the current migrations.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/store/db.ts";
import { randomBytes, randomUUID } from "node:crypto";
import { toHex } from "../../src/core/bytes.ts";
import { leafHash } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { buildLevels } from "../../src/core/levels.ts";
import { sealBatch } from "../../src/batcher/seal.ts";
import { Prover } from "../../src/services/prover.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { evidenceMeta, insertEvidence } from "../../src/store/evidence.ts";
import { ensureEvidencePartitions, newEvidenceId } from "../../src/store/partitions.ts";

const migrationsFolder = fileURLToPath(new URL("../../src/store/migrations", import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the migrations folder whose journal stops after migration `lastIdx`. */
function migrationsUpTo(lastIdx: number): string {
  const dir = mkdtempSync(join(tmpdir(), "migrations-"));
  dirs.push(dir);
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= lastIdx);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe("0003_anchor_txs", () => {
  it("turns anchoring transactions in flight into their first recorded version, and leaves settled ones alone", async () => {
    const client = new PGlite();
    const db = drizzle(client);
    try {
      await migrate(db, { migrationsFolder: migrationsUpTo(2) });
      // What the previous version left: a batch with a transaction in flight, one confirmed.
      await db.execute(sql`insert into batches (seq, size, root, sealed_at) values
        (0, 1, '\\x01', now()), (1, 1, '\\x02', now())`);
      await db.execute(sql`insert into anchors (batch_seq, chain_id, contract, sender, nonce, tx_hash, raw_tx, status, sent_at) values
        (0, 31337, '0xc', '0xs', 7, '0xconfirmed', '0xraw0', 'confirmed', now()),
        (1, 31337, '0xc', '0xs', 8, '0xinflight', '0xraw1', 'sent', now())`);

      await migrate(db, { migrationsFolder });
      const versions = await queryRows<{ nonce: number; tx_hash: string; raw_tx: string; sent_block: string }>(
        db as never,
        sql`select nonce, tx_hash, raw_tx, sent_block from anchor_txs order by id`,
      );
      // Counted as sent at block 0: one the chain is not mining is re-priced at once.
      expect(versions.map((v) => ({ ...v, sent_block: Number(v.sent_block) }))).toEqual([
        { nonce: 8, tx_hash: "0xinflight", raw_tx: "0xraw1", sent_block: 0 },
      ]);
      // One transaction may now anchor several batches: the tx hash is no longer unique.
      await db.execute(sql`insert into batches (seq, size, root, sealed_at) values (2, 1, '\x03', now())`);
      await db.execute(sql`insert into anchors (batch_seq, chain_id, contract, sender, nonce, tx_hash, raw_tx, status, sent_at)
        values (2, 31337, '0xc', '0xs', 8, '0xinflight', '0xraw1', 'sent', now())`);
    } finally {
      await client.close();
    }
  });
});

describe("0004_tree_levels", () => {
  it("moves every stored path into the batch's tree levels, places pending leaves, and serves the same bundles", async () => {
    const client = new PGlite();
    const db = drizzle(client);
    try {
      await migrate(db, { migrationsFolder: migrationsUpTo(3) });
      // What the previous version left: batches sealed with a path in every leaf's row (sizes
      // chosen for ragged right edges), then two leaves not sealed yet.
      const sizes = [1, 2, 5, 13, 64];
      const oldBundles = new Map<string, { index: number; size: number; path: string[]; root: string }>();
      const row = (id: string, batch: number | null, index: number | null, path: Uint8Array | null) => {
        const salt = new Uint8Array(randomBytes(32));
        const digest = new Uint8Array(randomBytes(32));
        const meta = { hashAlg: "sha256" as const, submitter: "tenant-a" };
        const leaf = leafHash({ salt, digest, meta });
        return { id, salt, digest, meta, leaf, batch, index, path };
      };
      for (const [batch, size] of sizes.entries()) {
        const rows = Array.from({ length: size }, (_, i) => row(randomUUID(), batch, i, null));
        const tree = buildTree(rows.map((r) => r.leaf));
        await db.execute(sql`insert into batches (seq, size, root, sealed_at) values (${batch}, ${size}, ${Buffer.from(tree.root)}, now())`);
        for (const [i, r] of rows.entries()) {
          const path = tree.path(i);
          await insertOld(db, { ...r, path: Buffer.concat(path) });
          oldBundles.set(r.id, { index: i, size, path: path.map(toHex), root: toHex(tree.root) });
        }
      }
      const pending = [row(randomUUID(), null, null, null), row(randomUUID(), null, null, null)];
      for (const r of pending) await insertOld(db, r);

      await migrate(db, { migrationsFolder });

      // Every sealed leaf's path, read from the levels as the prover reads it, is the stored one.
      const prover = new Prover({ db: db as never });
      for (const [id, old] of oldBundles) {
        const bundle = await prover.proof(ADMIN_SCOPE, id);
        expect(bundle.batch).toEqual({ seq: bundle.batch!.seq, size: old.size, root: old.root, path: old.path });
        expect(bundle.leaf!.index).toBe(old.index);
      }
      // The levels are those of the batch's tree: level k has floor(size / 2^k) nodes.
      const levels = await queryRows<{ batch_seq: string; level: number; n: number }>(
        db as never,
        sql`select batch_seq::text, level, length(hashes) / 32 as n from batch_levels order by batch_seq, level`,
      );
      const expected = sizes.flatMap((size, b) => {
        const out = [];
        for (let k = 0; size >> k >= 1; k++) out.push({ batch_seq: String(b), level: k, n: size >> k });
        return out;
      });
      expect(levels).toEqual(expected);
      // Pending leaves are placed, in arrival order, in the open batch after the last sealed one.
      const placed = await queryRows<{ id: string; batch_seq: string; leaf_index: number }>(
        db as never,
        sql`select id::text, batch_seq::text, leaf_index from evidence where batch_seq = ${sizes.length} order by leaf_index`,
      );
      expect(placed).toEqual(pending.map((p, i) => ({ id: p.id, batch_seq: String(sizes.length), leaf_index: i })));
      expect(await queryRows(db as never, sql`select open_batch::int, next_index from sequencer`)).toEqual([{ open_batch: sizes.length, next_index: 2 }]);
      const columns = await queryRows<{ column_name: string }>(db as never, sql`select column_name from information_schema.columns where table_name = 'evidence'`);
      expect(columns.map((c) => c.column_name)).not.toContain("path");
      // And the next seal takes the open batch as the previous version would have: both leaves, in order.
      const sealed = await sealBatch(db as never, async (leaves, n) => buildLevels(leaves, n), { closeOpen: true });
      expect(sealed).toMatchObject({ seq: sizes.length, size: 2 });
      expect(toHex(sealed!.root)).toBe(toHex(buildTree(pending.map((p) => p.leaf)).root));
    } finally {
      await client.close();
    }
  });
});

describe("0006_partitioned_evidence", () => {
  it("moves every row unchanged into the first partition, numbers receipt keys, and numbering goes on", async () => {
    const client = new PGlite();
    const db = drizzle(client);
    try {
      await migrate(db, { migrationsFolder: migrationsUpTo(5) });
      // What the previous version left: rows with a receipt by a registered key, by a key
      // the registry lacks, and without one; in cases and not; sealed and in the open batch.
      await db.execute(sql`insert into signing_keys (kid, public_key, first_used_at) values ('kid-registered', '\\x01', now())`);
      await db.execute(sql`insert into batches (seq, size, root, sealed_at) values (0, 2, '\\x0a', now())`);
      const kids = ["kid-registered", "kid-orphan", null, "kid-registered"];
      for (const [i, kid] of kids.entries()) {
        await db.execute(sql`insert into evidence (id, submitter, digest, salt, hash_alg, case_id, event_type, meta, leaf_hash,
                                                   received_at, batch_seq, leaf_index, receipt_kid, receipt_signature)
          values (${randomUUID()}, 'tenant-a', ${randomBytes(32)}, ${randomBytes(32)}, 'sha256', ${i % 2 ? "case-1" : null},
                  ${i % 2 ? "signed" : null}, ${JSON.stringify({ hashAlg: "sha256", submitter: i === 2 ? "someone-else" : "tenant-a", n: String(i) })}::jsonb, ${randomBytes(32)},
                  now() - make_interval(secs => ${10 - i}), ${i < 2 ? 0 : 1}, ${i % 2}, ${kid}, ${kid ? randomBytes(64) : null})`);
      }
      await db.execute(sql`update sequencer set open_batch = 1, next_index = 2`);
      const before = await queryRows<Record<string, unknown>>(
        db as never,
        sql`select id, seq, submitter, digest, salt, hash_alg, case_id, event_type, meta, leaf_hash, received_at, batch_seq,
                   leaf_index, receipt_kid, receipt_signature from evidence order by seq`,
      );
      const firstId = before[0]!.id as string;
      await db.execute(sql`insert into audit_anchors (audit_seq, head_hash, evidence_id, created_at) values (1, '\\x0b', ${firstId}, now())`);

      await migrate(db, { migrationsFolder });

      const after = await queryRows<Record<string, unknown>>(
        db as never,
        sql`select id, seq, submitter, digest, salt, hash_alg, case_id, event_type,
                   ${evidenceMeta} as meta, leaf_hash, received_at,
                   batch_seq, leaf_index, (select kid from receipt_keys k where k.ref = evidence.receipt_key) as receipt_kid,
                   receipt_signature, part, tableoid::regclass::text as partition, meta_rest as stored_meta
            from evidence order by seq`,
      );
      expect(after.map(({ part: _p, partition: _t, stored_meta: _m, ...rest }) => rest)).toEqual(before);
      // Stored without the two keys the columns hold; a meta that differs from them, whole.
      expect(after.map((r) => r.stored_meta)).toEqual(
        kids.map((_, i) => (i === 2 ? { hashAlg: "sha256", submitter: "someone-else", n: "2" } : { n: String(i) })),
      );
      expect(new Set(after.map((r) => `${r.part} ${r.partition}`))).toEqual(new Set(["0 evidence_p0"]));
      // Keys numbered in order of first use, the registry's first.
      expect(await queryRows(db as never, sql`select ref, kid from receipt_keys order by ref`)).toEqual([
        { ref: 1, kid: "kid-registered" },
        { ref: 2, kid: "kid-orphan" },
      ]);
      // The evidence indexes are on the partition, and the audit anchor still names its item.
      const indexes = await queryRows<{ indexname: string }>(
        db as never,
        sql`select indexname from pg_indexes where tablename = 'evidence_p0' order by indexname`,
      );
      expect(indexes.map((i) => i.indexname)).toEqual([
        "evidence_p0_batch_seq_leaf_index_idx",
        "evidence_p0_digest_idx",
        "evidence_p0_pkey",
        "evidence_p0_submitter_case_id_seq_idx",
      ]);
      expect(await queryRows(db as never, sql`select evidence_id::text as id from audit_anchors`)).toEqual([{ id: firstId }]);
      // The next row is numbered after the last one moved.
      await ensureEvidencePartitions(db as never, { days: 7 });
      await insertEvidence(
        db as never,
        [{ id: newEvidenceId(), submitter: "tenant-a", digest: randomBytes(32), salt: randomBytes(32), hashAlg: "sha256",
           meta: { hashAlg: "sha256" }, leafHash: randomBytes(32), receivedAt: new Date(), receiptKid: null, receiptSignature: null }],
        { maxLeaves: 1000 },
      );
      const [last] = await queryRows<{ seq: string; batch_seq: string; leaf_index: number }>(
        db as never,
        sql`select seq::text, batch_seq::text, leaf_index from evidence order by seq desc limit 1`,
      );
      expect(last).toEqual({ seq: String(Number(before.at(-1)!.seq) + 1), batch_seq: "1", leaf_index: 2 });
    } finally {
      await client.close();
    }
  });
});

/** An evidence row as versions before 0004 wrote it: place and path filled in at sealing. */
async function insertOld(
  db: ReturnType<typeof drizzle>,
  r: { id: string; salt: Uint8Array; digest: Uint8Array; meta: Record<string, string>; leaf: Uint8Array; batch: number | null; index: number | null; path: Uint8Array | null },
): Promise<void> {
  await db.execute(sql`insert into evidence (id, submitter, digest, salt, hash_alg, meta, leaf_hash, received_at, batch_seq, leaf_index, path)
    values (${r.id}, 'tenant-a', ${Buffer.from(r.digest)}, ${Buffer.from(r.salt)}, 'sha256', ${JSON.stringify(r.meta)}::jsonb,
            ${Buffer.from(r.leaf)}, now(), ${r.batch}, ${r.index}, ${r.path ? Buffer.from(r.path) : null})`);
}
