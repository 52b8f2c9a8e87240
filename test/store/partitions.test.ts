// The evidence table's partitions: ids that carry their day, rows landing in that day's
// partition, lookups reading one partition, and partitions made ahead of need, also by two
// instances at once.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/store/db.ts";
import { getEvidence, insertEvidence, type NewEvidence } from "../../src/store/evidence.ts";
import {
  ensureEvidencePartitions,
  evidencePart,
  evidencePartitions,
  newEvidenceId,
} from "../../src/store/partitions.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";

const DAY = 86_400_000;

describe("evidence ids", () => {
  it("are UUIDv7 of the given time, RFC 9562 layout", () => {
    const ms = Date.UTC(2026, 11, 3, 20, 15, 0, 123);
    const id = newEvidenceId(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(ms);
    expect(newEvidenceId(ms)).not.toBe(id);
    // Ordered by time as text too, which keeps primary-key inserts at the index's right edge.
    expect(newEvidenceId(ms + 1) > id).toBe(true);
  });

  it("increase within a process: within one millisecond, past the counter's end, and when the clock steps back", () => {
    const ms = Date.UTC(2026, 11, 3, 21, 0, 0, 0) + 7_000;
    const ids = Array.from({ length: 10_000 }, () => newEvidenceId(ms));
    ids.push(newEvidenceId(ms - 5_000), newEvidenceId(ms + 60_000), newEvidenceId(ms + 60_000));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i}`).toBe(true);
    // 10,000 ids cannot share one millisecond's 12-bit counter: the time moved on, a little.
    const msOf = (id: string) => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
    expect(msOf(ids[9_999]!) - ms).toBeGreaterThan(0);
    expect(msOf(ids[9_999]!) - ms).toBeLessThan(10);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A clock set back far is believed: ids do not stay pinned to the wrong time.
    expect(msOf(newEvidenceId(ms))).toBe(ms);
  });

  it("name their partition by the UTC day of their time; any other id is in partition 0", () => {
    const day = 20_790; // 2026-12-03
    expect(evidencePart(newEvidenceId(day * DAY))).toBe(day);
    expect(evidencePart(newEvidenceId((day + 1) * DAY - 1))).toBe(day);
    expect(evidencePart(newEvidenceId((day + 1) * DAY))).toBe(day + 1);
    expect(evidencePart(randomUUID())).toBe(0);
    expect(evidencePart("00000000-0000-0000-0000-000000000000")).toBe(0);
    expect(evidencePart("not-a-uuid-at-all-7")).toBe(0);
    expect(evidencePart("zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz")).toBe(0);
  });
});

describe(`evidence partitions (${describeDbKind()})`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(() => database?.close());

  const row = (id: string): NewEvidence => ({
    id,
    submitter: "tenant-p",
    digest: new Uint8Array(32).fill(1),
    salt: new Uint8Array(32).fill(2),
    hashAlg: "sha256",
    meta: { hashAlg: "sha256", submitter: "tenant-p" },
    leafHash: new Uint8Array(32).fill(3),
    receivedAt: new Date(),
    receiptKid: "kid-p",
    receiptSignature: new Uint8Array(64),
  });
  const partitionOf = async (id: string) =>
    (await queryRows<{ p: string }>(database.db, sql`select tableoid::regclass::text as p from evidence where id = ${id}`))[0]?.p;

  it("are made when the database is opened: the first for ids without a time, then from yesterday on", async () => {
    const parts = await evidencePartitions(database.db);
    expect(parts[0]).toEqual({ name: "evidence_p0", from: null, to: 1 });
    const today = Math.floor(Date.now() / DAY);
    const dated = parts.slice(1);
    expect(dated[0]!.from).toBe(today - 1);
    // Contiguous, a week each, reaching past tomorrow by a partition's width.
    for (let i = 1; i < dated.length; i++) expect(dated[i]!.from).toBe(dated[i - 1]!.to);
    for (const p of dated) expect(p.to - p.from!).toBe(7);
    expect(dated.at(-1)!.to).toBeGreaterThanOrEqual(today + 2 + 7);
  });

  it("take each row in the partition of its id's day, and a lookup by id reads that partition alone", async () => {
    const now = newEvidenceId();
    const legacy = randomUUID();
    await insertEvidence(database.db, [row(now), row(legacy)], { maxLeaves: 1000 });
    const parts = await evidencePartitions(database.db);
    const today = evidencePart(now);
    const home = parts.find((p) => p.from !== null && p.from <= today && today < p.to)!;
    expect(await partitionOf(now)).toBe(home.name);
    expect(await partitionOf(legacy)).toBe("evidence_p0");
    // Read back whole, the receipt's key by its id.
    expect(await getEvidence(database.db, ADMIN_SCOPE, now)).toMatchObject({ id: now, receiptKid: "kid-p" });
    expect(await getEvidence(database.db, ADMIN_SCOPE, legacy)).toMatchObject({ id: legacy, receiptKid: "kid-p" });

    const plan = (
      await queryRows<{ "QUERY PLAN": string }>(
        database.db,
        sql`explain select id from evidence where id = ${now} and part = ${evidencePart(now)}`,
      )
    )
      .map((r) => r["QUERY PLAN"])
      .join("\n");
    expect(plan).toContain(home.name);
    for (const other of parts.filter((p) => p.name !== home.name)) expect(plan).not.toContain(`${other.name} `);
  });

  it("numbers a receipt key once, on first use, and stores rows with its number", async () => {
    await insertEvidence(database.db, [row(newEvidenceId()), { ...row(newEvidenceId()), receiptKid: "kid-q" }], { maxLeaves: 1000 });
    await insertEvidence(database.db, [row(newEvidenceId())], { maxLeaves: 1000 });
    const keys = await queryRows<{ ref: number; kid: string }>(database.db, sql`select ref, kid from receipt_keys order by ref`);
    expect(keys.map((k) => k.kid)).toEqual(["kid-p", "kid-q"]);
    // Identity values are not drawn for keys already numbered.
    expect(keys.map((k) => k.ref)).toEqual([1, 2]);
  });

  it("refuse a row whose day has no partition, until one is made for it", async () => {
    const later = Date.now() + 400 * DAY;
    const id = newEvidenceId(later);
    await expect(insertEvidence(database.db, [row(id)], { maxLeaves: 1000 })).rejects.toThrow();
    expect(await partitionOf(id)).toBeUndefined();

    // Two instances at once: the advisory lock makes one wait, and it then sees the other's.
    const made = await Promise.all([
      ensureEvidencePartitions(database.db, { nowMs: later, days: 30 }),
      ensureEvidencePartitions(database.db, { nowMs: later, days: 30 }),
    ]);
    expect(made.flat().length).toBeGreaterThan(0);
    expect(await ensureEvidencePartitions(database.db, { nowMs: later, days: 30 })).toEqual([]);
    const parts = (await evidencePartitions(database.db)).slice(1);
    for (let i = 1; i < parts.length; i++) {
      // The gap between the partitions of now and of 400 days on is left: no id of those days
      // can be made any more by a clock that has passed them.
      if (parts[i]!.from !== parts[i - 1]!.to) expect(parts[i]!.from).toBe(evidencePart(id) - 1);
    }
    await insertEvidence(database.db, [row(id)], { maxLeaves: 1000 });
    expect(await partitionOf(id)).toBe(`evidence_p${evidencePart(id) - 1}`);
  });
});
