// Integration tests of the store adapter (createDb, migrations, schema) on whichever backend
// is active: PostgreSQL when DATABASE_URL is set, otherwise PGlite.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, queryRows, type Database, type Db } from "../../src/store/db.ts";
import * as schema from "../../src/store/schema.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";

const journal = JSON.parse(
  readFileSync(new URL("../../src/store/migrations/meta/_journal.json", import.meta.url), "utf8"),
) as { entries: unknown[] };
const migrationCount = journal.entries.length;

const bytes = (n: number) => new Uint8Array(randomBytes(n));

function evidenceRow(over: Partial<typeof schema.evidence.$inferInsert> = {}) {
  return {
    id: randomUUID(),
    part: 0, // a UUIDv4's partition (src/store/partitions.ts)
    submitter: "test",
    digest: bytes(32),
    salt: bytes(32),
    hashAlg: "sha256",
    metaRest: { kind: "test" },
    leafHash: bytes(32),
    receivedAt: new Date(),
    ...over,
  } satisfies typeof schema.evidence.$inferInsert;
}

/** A batch with a random (unique) seq and root, so tests sharing a database never collide. */
async function insertBatch(db: Db): Promise<number> {
  const seq = 1 + Math.floor(Math.random() * 2 ** 40);
  await db.insert(schema.batches).values({
    seq,
    size: 1,
    root: bytes(32),
    sealedAt: new Date(),
  });
  return seq;
}

function anchorRow(batchSeq: number, status: schema.AnchorStatus) {
  return {
    batchSeq,
    chainId: 31337,
    contract: `0x${"11".repeat(20)}`,
    sender: `0x${"22".repeat(20)}`,
    nonce: 0,
    txHash: `0x${randomBytes(32).toString("hex")}`,
    rawTx: "0x00",
    status,
    sentAt: new Date(),
  } satisfies typeof schema.anchors.$inferInsert;
}

/** The SQLSTATE of a database error, looking through drizzle's wrapping. */
function sqlState(err: unknown): string | undefined {
  for (let e = err; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

async function appliedMigrations(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return Number(row?.n);
}

describe(`store adapter (${describeDbKind()})`, () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await freshDatabase();
    db = database.db;
  });
  afterAll(async () => {
    await database?.close();
  });

  it("opens the backend that the environment selects", () => {
    expect(database.kind).toBe(describeDbKind());
  });

  it("applies the migrations to an empty database", async () => {
    // Tables, not the evidence partitions (test/store/partitions.test.ts).
    const tables = await queryRows<{ tablename: string }>(
      db,
      sql`select c.relname as tablename from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`,
    );
    expect(tables.map((t) => t.tablename)).toEqual([
      "anchor_txs",
      "anchors",
      "api_keys",
      "audit_anchors",
      "audit_log",
      "batch_levels",
      "batch_timestamps",
      "batches",
      "deployments",
      "disclosures",
      "evidence",
      "idempotency_keys",
      "principals",
      "receipt_keys",
      "reports",
      "sequencer",
      "signing_keys",
      "webhook_deliveries",
      "webhook_endpoints",
    ]);
    expect(await appliedMigrations(db)).toBe(migrationCount);
  });

  it("migrates idempotently when the same database is opened again", async () => {
    const open = async (): Promise<{ second: Database; cleanup: () => Promise<void> }> => {
      if (database.url) {
        return { second: await createDb({ url: database.url, maxConnections: 2 }), cleanup: async () => {} };
      }
      // PGlite in memory cannot be reopened; use a data directory opened twice in turn.
      const dataDir = mkdtempSync(join(tmpdir(), "evidence-pglite-"));
      const first = await createDb({ dataDir });
      await first.db.insert(schema.evidence).values(evidenceRow({ submitter: "reopen" }));
      await first.close();
      return {
        second: await createDb({ dataDir }),
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    };
    if (database.url) await db.insert(schema.evidence).values(evidenceRow({ submitter: "reopen" }));

    const { second, cleanup } = await open();
    try {
      expect(await appliedMigrations(second.db)).toBe(migrationCount);
      const kept = await second.db
        .select({ id: schema.evidence.id })
        .from(schema.evidence)
        .where(eq(schema.evidence.submitter, "reopen"));
      expect(kept).toHaveLength(1);
    } finally {
      await second.close();
      await cleanup();
    }
  });

  it("stores bytea values and reads them back identical as Uint8Array", async () => {
    const edge = new Uint8Array(32).map((_, i) => (i % 2 ? 0xff : 0x00));
    const cases = [
      evidenceRow({ digest: bytes(32), receiptKey: 1, receiptSignature: new Uint8Array(0) }),
      evidenceRow({ digest: bytes(32), receiptKey: 1, receiptSignature: bytes(17 * 32) }),
      evidenceRow({ digest: edge, receiptKey: 1, receiptSignature: bytes(64) }),
    ];
    await db.insert(schema.evidence).values(cases);
    const read = await db
      .select()
      .from(schema.evidence)
      .where(inArray(schema.evidence.id, cases.map((c) => c.id)));
    expect(read).toHaveLength(cases.length);
    for (const want of cases) {
      const got = read.find((r) => r.id === want.id)!;
      for (const key of ["digest", "salt", "leafHash", "receiptSignature"] as const) {
        const value = got[key];
        expect(value, key).toBeInstanceOf(Uint8Array);
        expect(Array.from(value!), key).toEqual(Array.from(want[key]!));
      }
    }
    // An empty value is stored as zero bytes, not as NULL.
    expect(read.find((r) => r.id === cases[0]!.id)!.receiptSignature).toHaveLength(0);
  });

  it("finds rows by a bytea value", async () => {
    const row = evidenceRow();
    await db.insert(schema.evidence).values(row);
    const found = await db.select().from(schema.evidence).where(eq(schema.evidence.digest, row.digest));
    expect(found.map((r) => r.id)).toEqual([row.id]);
  });

  it("has the indexes the sequencer and anchoring rely on", async () => {
    const indexes = await queryRows<{ indexname: string; indexdef: string }>(
      db,
      sql`select indexname, indexdef from pg_indexes
          where schemaname = 'public' and indexname in ('evidence_batch_idx', 'evidence_pending_idx', 'anchors_live_batch_idx')`,
    );
    const def = (name: string) => indexes.find((i) => i.indexname === name)?.indexdef ?? "";
    // Sealing reads a batch's leaves in order; nothing marks leaves pending any more.
    expect(def("evidence_batch_idx")).toMatch(/^CREATE INDEX \S+ ON (ONLY )?public\.evidence .*\(batch_seq, leaf_index\)$/);
    expect(def("evidence_pending_idx")).toBe("");
    expect(def("anchors_live_batch_idx")).toMatch(
      /^CREATE UNIQUE INDEX \S+ ON public\.anchors .*\(batch_seq\) WHERE /,
    );
    expect(def("anchors_live_batch_idx")).toContain("'sent'");
    expect(def("anchors_live_batch_idx")).toContain("'confirmed'");
  });

  it("allows one live anchor per batch, and failed ones beside it", async () => {
    const batchSeq = await insertBatch(db);
    await db.insert(schema.anchors).values(anchorRow(batchSeq, "sent"));

    const second = await db.insert(schema.anchors).values(anchorRow(batchSeq, "sent")).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(second, "a second 'sent' anchor must be rejected").toBeDefined();
    expect(sqlState(second)).toBe("23505"); // unique_violation
    const confirmed = await db.insert(schema.anchors).values(anchorRow(batchSeq, "confirmed")).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(sqlState(confirmed)).toBe("23505");

    await db.insert(schema.anchors).values(anchorRow(batchSeq, "failed"));
    await db.insert(schema.anchors).values(anchorRow(batchSeq, "orphaned"));
    const stored = await db.select().from(schema.anchors).where(eq(schema.anchors.batchSeq, batchSeq));
    expect(stored.map((a) => a.status).sort()).toEqual(["failed", "orphaned", "sent"]);

    // Another batch has its own live anchor.
    await db.insert(schema.anchors).values(anchorRow(await insertBatch(db), "sent"));
  });

  it("answers ping() while open and fails it once closed", async () => {
    await expect(database.ping()).resolves.toBeUndefined();
    const other = await freshDatabase();
    await other.ping();
    await other.close();
    await expect(other.ping()).rejects.toThrow();
  });

  it("numbers evidence with an increasing identity seq", async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [row] = await db
        .insert(schema.evidence)
        .values(evidenceRow())
        .returning({ seq: schema.evidence.seq });
      seqs.push(row!.seq);
    }
    const many = [evidenceRow(), evidenceRow(), evidenceRow()];
    await db.insert(schema.evidence).values(many);
    const read = await db
      .select({ id: schema.evidence.id, seq: schema.evidence.seq })
      .from(schema.evidence)
      .where(inArray(schema.evidence.id, many.map((r) => r.id)));
    // Within one statement, rows are numbered in the order given.
    seqs.push(...many.map((r) => read.find((x) => x.id === r.id)!.seq));

    for (const seq of seqs) expect(typeof seq).toBe("number");
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  });
});
