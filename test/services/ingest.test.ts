// Ingest against a real database (PGlite, or PostgreSQL with DATABASE_URL): what one request
// stores is what the core recomputes, item by item, however its items share or differ in
// meta (ingest hashes a meta once for all the items that share it), and whether their
// receipts went to the signing worker alone or with other requests'.
import { createPublicKey, verify } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { canonicalJson } from "../../src/core/jcs.ts";
import { leafHash, type EvidenceMeta } from "../../src/core/leaf.ts";
import { IngestService, type SubmitItem, type SubmitReceipt } from "../../src/services/ingest.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { SigningPool } from "../../src/signing/pool.ts";
import { Signer } from "../../src/signing/signer.ts";
import { queryRows } from "../../src/store/db.ts";
import { randomDigest } from "../helpers/api.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { evidenceMeta } from "../../src/store/evidence.ts";

const key = generateSigningKey();
const publicKey = createPublicKey(key.privateKey);
let database: TestDatabase;
let pool: SigningPool;
let ingest: IngestService;

beforeAll(async () => {
  database = await freshDatabase();
  pool = new SigningPool(key);
  ingest = new IngestService({ db: database.db, signer: new Signer(key), signingPool: pool });
});
afterAll(async () => {
  await pool?.close();
  await database?.close();
});

interface Row {
  id: string;
  salt: Uint8Array;
  digest: Uint8Array;
  meta: EvidenceMeta;
  leaf_hash: Uint8Array;
}

/** Each receipt against its stored row: the core's leaf hash, the digest, the signature. */
async function expectStoredAsAnswered(items: SubmitItem[], receipts: SubmitReceipt[]): Promise<Row[]> {
  expect(receipts).toHaveLength(items.length);
  const rows = await queryRows<Row>(
    database.db,
    sql`select id, salt, digest, ${evidenceMeta} as meta, leaf_hash from evidence where id in (${sql.join(
      receipts.map((r) => sql`${r.id}`),
      sql`, `,
    )})`,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [i, r] of receipts.entries()) {
    const row = byId.get(r.id)!;
    expect(row, `item ${i}`).toBeDefined();
    expect(toHex(new Uint8Array(row.digest))).toBe(items[i]!.digest.toLowerCase());
    const recomputed = toHex(leafHash({ salt: new Uint8Array(row.salt), digest: new Uint8Array(row.digest), meta: row.meta }));
    expect(recomputed, `item ${i}`).toBe(r.leafHash);
    expect(toHex(new Uint8Array(row.leaf_hash))).toBe(r.leafHash);
    expect(r.receipt.leafHash).toBe(r.leafHash);
    expect(r.receipt.receivedAt).toBe(r.receivedAt);
    const { signature, ...body } = r.receipt;
    expect(verify(null, Buffer.from(canonicalJson(body)), publicKey, Buffer.from(signature.value, "base64url")), `item ${i}`).toBe(true);
  }
  expect(new Set(rows.map((r) => toHex(new Uint8Array(r.salt)))).size, "every salt its own").toBe(rows.length);
  return rows;
}

describe(`ingest on ${describeDbKind()}`, () => {
  it("one request mixing metas: each item's leaf is its own meta's, shared metas or not", async () => {
    const digest = randomDigest();
    const items: SubmitItem[] = [
      { digest },
      { digest }, // the same digest and meta: still its own salt, so its own leaf
      { digest: randomDigest().toUpperCase().replace("0X", "0x") },
      { digest: randomDigest(), hashAlg: "sha3-256" },
      { digest: randomDigest(), eventType: "a" },
      { digest: randomDigest(), eventType: "b" },
      { digest: randomDigest(), eventType: "a", occurredAt: "2026-01-02T03:04:05Z" },
      { digest: randomDigest(), occurredAt: "2026-01-02T03:04:05Z" },
      { digest: randomDigest(), caseId: "c1" },
      { digest: randomDigest(), caseId: "c1" }, // chained to the one before
      { digest: randomDigest(), caseId: "c2", eventType: "a" },
      { digest: randomDigest() },
      { digest: randomDigest(), eventType: "a" },
    ];
    const receipts = await ingest.submit("tenant-m", items);
    const rows = await expectStoredAsAnswered(items, receipts);
    const meta = (i: number) => rows.find((r) => r.id === receipts[i]!.id)!.meta;
    expect(meta(0)).toEqual({ hashAlg: "sha256", submitter: "tenant-m" });
    expect(meta(3)).toEqual({ hashAlg: "sha3-256", submitter: "tenant-m" });
    expect(meta(6)).toEqual({ hashAlg: "sha256", submitter: "tenant-m", eventType: "a", occurredAt: "2026-01-02T03:04:05Z" });
    expect(meta(7)).toEqual({ hashAlg: "sha256", submitter: "tenant-m", occurredAt: "2026-01-02T03:04:05Z" });
    expect(meta(8)).toEqual({ hashAlg: "sha256", submitter: "tenant-m", caseId: "c1" });
    expect(meta(9)).toEqual({ hashAlg: "sha256", submitter: "tenant-m", caseId: "c1", prev: receipts[8]!.leafHash });
    expect(meta(10)).toEqual({ hashAlg: "sha256", submitter: "tenant-m", caseId: "c2", eventType: "a" });
    expect(receipts[0]!.leafHash).not.toBe(receipts[1]!.leafHash);
  });

  it("receipts signed in the worker verify one by one, alone or grouped with concurrent requests", async () => {
    for (const n of [1, 5, 1500]) {
      const items = Array.from({ length: n }, () => ({ digest: randomDigest() }));
      await expectStoredAsAnswered(items, await ingest.submit("tenant-s", items));
    }
    const many = Array.from({ length: 20 }, () => [{ digest: randomDigest() }]);
    const answers = await Promise.all(many.map((items) => ingest.submit("tenant-s", items)));
    await expectStoredAsAnswered(many.flat(), answers.flat());
  });

  it("a second tenant's items get its own meta, never the first's", async () => {
    const items = [{ digest: randomDigest() }];
    const [a] = await ingest.submit("tenant-x", items);
    const [b] = await ingest.submit("tenant-y", items);
    const rows = await expectStoredAsAnswered([...items, ...items], [a!, b!]);
    expect(rows.find((r) => r.id === b!.id)!.meta.submitter).toBe("tenant-y");
    expect(a!.receipt.submitter).toBe("tenant-x");
  });
});
