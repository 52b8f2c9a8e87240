// Case timelines at ingest, against a real database (PGlite, or PostgreSQL with DATABASE_URL):
// every item of a (submitter, caseId) carries in meta.prev the leaf hash of the item before it,
// in arrival order; concurrent submissions to one case never fork the chain; a caller's
// transaction keeps working.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { leafHash, type EvidenceMeta } from "../../src/core/leaf.ts";
import { checkTimeline } from "../../src/core/timeline.ts";
import { IngestService, type SubmitItem } from "../../src/services/ingest.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { queryRows } from "../../src/store/db.ts";
import { caseLockKey, evidenceMeta, MAX_CASE_LOCKS } from "../../src/store/evidence.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { randomDigest } from "../helpers/api.ts";

let database: TestDatabase;
let ingest: IngestService;

beforeAll(async () => {
  database = await freshDatabase();
  ingest = new IngestService({ db: database.db, signer: new Signer(generateSigningKey()) });
});
afterAll(() => database?.close());

interface Stored {
  seq: number;
  id: string;
  caseId: string | null;
  leafHash: string;
  prev: string | null;
  meta: Record<string, string>;
  salt: Uint8Array;
  digest: Uint8Array;
}

/** Rows of `submitter` (of one case, or all), in arrival order, straight from the table. */
async function stored(submitter: string, caseId?: string): Promise<Stored[]> {
  const rows = await queryRows<{ seq: string | number; id: string; case_id: string | null; leaf_hash: Uint8Array; meta: Record<string, string>; salt: Uint8Array; digest: Uint8Array }>(
    database.db,
    sql`select seq, id, case_id, leaf_hash, ${evidenceMeta} as meta, salt, digest from evidence
        where submitter = ${submitter} ${caseId === undefined ? sql`` : sql`and case_id = ${caseId}`}
        order by seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.id,
    caseId: r.case_id,
    leafHash: toHex(new Uint8Array(r.leaf_hash)),
    prev: r.meta.prev ?? null,
    meta: r.meta,
    salt: new Uint8Array(r.salt),
    digest: new Uint8Array(r.digest),
  }));
}

/** Asserts `events` (one case, by seq) form one unforked chain from a first event with no prev. */
function expectChain(events: Stored[]): void {
  expect(events.length).toBeGreaterThan(0);
  expect(events.filter((e) => e.prev === null).map((e) => e.seq), "exactly one event with no prev: the first").toEqual([events[0]!.seq]);
  for (let i = 1; i < events.length; i++) {
    expect(events[i]!.prev, `event ${i + 1} (seq ${events[i]!.seq})`).toBe(events[i - 1]!.leafHash);
  }
  const prevs = events.flatMap((e) => (e.prev === null ? [] : [e.prev]));
  expect(new Set(prevs).size, "no two events share a prev (no fork)").toBe(prevs.length);
  const check = checkTimeline(events);
  expect(check.ok, check.detail).toBe(true);
  // prev is part of the hashed meta: the stored leaf hash is the hash of the stored meta, prev included.
  for (const e of events) {
    expect(toHex(leafHash({ salt: e.salt, digest: e.digest, meta: e.meta as EvidenceMeta }))).toBe(e.leafHash);
  }
}

const items = (n: number, caseId?: string, extra: Partial<SubmitItem> = {}): SubmitItem[] =>
  Array.from({ length: n }, () => ({ digest: randomDigest(), ...(caseId === undefined ? {} : { caseId }), ...extra }));

describe(`case timelines at ingest on ${describeDbKind()}`, () => {
  it("chains sequential submissions to a case; other cases, other tenants and items without a case are apart", async () => {
    const r1 = await ingest.submit("tenant-a", items(1, "case-x", { eventType: "created" }));
    const r2 = await ingest.submit("tenant-a", items(1, "case-x", { eventType: "signed" }));
    await ingest.submit("tenant-a", items(1, "case-y"));
    await ingest.submit("tenant-b", items(1, "case-x"));
    await ingest.submit("tenant-a", items(1));
    const r3 = await ingest.submit("tenant-a", items(1, "case-x", { eventType: "archived" }));
    await ingest.submit("tenant-b", items(1, "case-x"));

    const x = await stored("tenant-a", "case-x");
    expect(x.map((e) => e.id)).toEqual([r1[0]!.id, r2[0]!.id, r3[0]!.id]);
    expect(x.map((e) => e.prev)).toEqual([null, r1[0]!.leafHash, r2[0]!.leafHash]);
    expectChain(x);
    expect(x[1]!.meta).toEqual({ hashAlg: "sha256", submitter: "tenant-a", caseId: "case-x", eventType: "signed", prev: r1[0]!.leafHash });

    const y = await stored("tenant-a", "case-y");
    expect(y).toHaveLength(1);
    expect(y[0]!.prev).toBeNull();
    // Tenant B's case-x is its own timeline: its first item does not chain to tenant A's.
    const bx = await stored("tenant-b", "case-x");
    expect(bx).toHaveLength(2);
    expect(bx[0]!.prev).toBeNull();
    expect(bx[1]!.prev).toBe(bx[0]!.leafHash);
    expectChain(bx);

    const noCase = (await stored("tenant-a")).filter((e) => e.caseId === null);
    expect(noCase).toHaveLength(1);
    expect(noCase[0]!.meta).toEqual({ hashAlg: "sha256", submitter: "tenant-a" });
  });

  it("chains the items of one batch in request order, per case, continuing from the stored head", async () => {
    const [head] = await ingest.submit("tenant-a", items(1, "case-p"));
    const batch: SubmitItem[] = [
      { digest: randomDigest(), caseId: "case-p", eventType: "p1" },
      { digest: randomDigest(), caseId: "case-q", eventType: "q0" },
      { digest: randomDigest(), eventType: "none" },
      { digest: randomDigest(), caseId: "case-p", eventType: "p2" },
      { digest: randomDigest(), caseId: "case-q", eventType: "q1" },
      { digest: randomDigest(), caseId: "case-p", eventType: "p3" },
    ];
    const receipts = await ingest.submit("tenant-a", batch);
    const leaf = (i: number) => receipts[i]!.leafHash;
    const p = await stored("tenant-a", "case-p");
    expect(p.map((e) => e.meta.eventType ?? null)).toEqual([null, "p1", "p2", "p3"]);
    expect(p.map((e) => e.prev)).toEqual([null, head!.leafHash, leaf(0), leaf(3)]);
    expectChain(p);
    const q = await stored("tenant-a", "case-q");
    expect(q.map((e) => e.prev)).toEqual([null, leaf(1)]);
    expectChain(q);
    // The 202's leaf hashes are the stored ones, in request order.
    const all = await stored("tenant-a");
    expect(all.slice(-6).map((e) => e.leafHash)).toEqual(receipts.map((r) => r.leafHash));
    expect(all.slice(-6)[2]!.prev).toBeNull();
  });

  it("never forks a case under concurrent submissions: 20 single items and 3 batches at once", async () => {
    const CASE = "case-race";
    await Promise.all([
      ...Array.from({ length: 20 }, () => ingest.submit("tenant-a", items(1, CASE))),
      ...Array.from({ length: 3 }, (_, b) =>
        ingest.submit("tenant-a", [...items(5, CASE), ...items(2, `case-race-side-${b}`), ...items(5, CASE), ...items(1)]),
      ),
    ]);
    const events = await stored("tenant-a", CASE);
    expect(events).toHaveLength(20 + 3 * 10);
    expectChain(events);
    for (let b = 0; b < 3; b++) expectChain(await stored("tenant-a", `case-race-side-${b}`));
  });

  it("keeps chains whole when a batch of many cases (all cases locked at once) races single submissions", async () => {
    // More distinct cases than MAX_CASE_LOCKS, and more rows than one insert statement takes.
    const cases = Array.from({ length: MAX_CASE_LOCKS * 2 }, (_, i) => `case-wide-${i}`);
    const big: SubmitItem[] = Array.from({ length: 2500 }, (_, i) => ({ digest: randomDigest(), caseId: cases[i % cases.length]! }));
    const [bigReceipts] = await Promise.all([
      ingest.submit("tenant-a", big),
      ...cases.slice(0, 10).map((c) => ingest.submit("tenant-a", items(2, c))),
      ...cases.slice(0, 10).map((c) => ingest.submit("tenant-a", items(1, c))),
    ]);
    expect(bigReceipts).toHaveLength(2500);
    for (const c of cases) {
      const events = await stored("tenant-a", c);
      expect(events.length).toBe(Math.ceil((2500 - cases.indexOf(c)) / cases.length) + (cases.indexOf(c) < 10 ? 3 : 0));
      expectChain(events);
    }
  });

  it("works in a caller's transaction: chained across two submissions in it, nothing left after a rollback", async () => {
    const first = await database.db.transaction(async (tx) => {
      const a = await ingest.submit("tenant-a", items(1, "case-tx"), { db: tx });
      const b = await ingest.submit("tenant-a", items(2, "case-tx"), { db: tx });
      return [...a, ...b];
    });
    const events = await stored("tenant-a", "case-tx");
    expect(events.map((e) => e.id)).toEqual(first.map((r) => r.id));
    expectChain(events);

    await expect(
      database.db.transaction(async (tx) => {
        await ingest.submit("tenant-a", items(1, "case-tx"), { db: tx });
        throw new Error("the caller's later write failed");
      }),
    ).rejects.toThrow("the caller's later write failed");
    expect(await stored("tenant-a", "case-tx")).toHaveLength(3);
    // The rolled-back item never became the head: the next one chains to the last committed item.
    const [next] = await ingest.submit("tenant-a", items(1, "case-tx"));
    const after = await stored("tenant-a", "case-tx");
    expect(after.at(-1)!.id).toBe(next!.id);
    expectChain(after);
  });

  it("stores nothing of a batch whose item fails, and the case head stays where it was", async () => {
    const [head] = await ingest.submit("tenant-a", items(1, "case-atomic"));
    // The database refuses an item of the second insert statement (NUL is no PostgreSQL text;
    // the API's schemas never let one through): the first statement's 1000 rows go too.
    const bad = [...items(1500, "case-atomic"), { digest: randomDigest(), caseId: "case-atomic", eventType: "bad\u0000" }];
    await expect(ingest.submit("tenant-a", bad)).rejects.toThrow(/insert into "?evidence"?/);
    const [next] = await ingest.submit("tenant-a", items(1, "case-atomic"));
    const events = await stored("tenant-a", "case-atomic");
    expect(events.map((e) => e.id)).toEqual([head!.id, next!.id]);
    expectChain(events);
  });

  it("derives one lock key per (submitter, caseId)", () => {
    expect(caseLockKey("t", "c")).toBe(caseLockKey("t", "c"));
    expect(caseLockKey("t", "c")).not.toBe(caseLockKey("t2", "c"));
    expect(caseLockKey("t", "c")).not.toBe(caseLockKey("t", "c2"));
    // "a\0b" + "c" and "a" + "b\0c" must not collide through the separator.
    expect(caseLockKey("ab", "c")).not.toBe(caseLockKey("a", "bc"));
    const k = caseLockKey("tenant-a", "案件");
    expect(k >= -(2n ** 63n) && k < 2n ** 63n).toBe(true);
  });
});
