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

/** An evidence row as versions before 0004 wrote it: place and path filled in at sealing. */
async function insertOld(
  db: ReturnType<typeof drizzle>,
  r: { id: string; salt: Uint8Array; digest: Uint8Array; meta: Record<string, string>; leaf: Uint8Array; batch: number | null; index: number | null; path: Uint8Array | null },
): Promise<void> {
  await db.execute(sql`insert into evidence (id, submitter, digest, salt, hash_alg, meta, leaf_hash, received_at, batch_seq, leaf_index, path)
    values (${r.id}, 'tenant-a', ${Buffer.from(r.digest)}, ${Buffer.from(r.salt)}, 'sha256', ${JSON.stringify(r.meta)}::jsonb,
            ${Buffer.from(r.leaf)}, now(), ${r.batch}, ${r.index}, ${r.path ? Buffer.from(r.path) : null})`);
}
