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
