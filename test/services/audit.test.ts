// The audit log against a real database: every column of a row edited through raw SQL (as
// someone with database access would) is named by verify(); concurrent appends stay gapless;
// anchoring the head is idempotent and atomic; anchored heads verify on a real chain, and a
// log rewritten consistently in the database is caught by the chain alone.
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditAnchorResultSchema, AuditPageSchema, AuditVerificationSchema, auditRoutes } from "../../src/api/audit.ts";
import type { AppEnv } from "../../src/api/context.ts";
import { onError } from "../../src/api/problem.ts";
import { AuditChainChecker, auditEntryHash } from "../../src/core/audit.ts";
import { toHex } from "../../src/core/bytes.ts";
import { leafHash, type EvidenceMeta } from "../../src/core/leaf.ts";
import type { Logger } from "../../src/log.ts";
import { AuditService } from "../../src/services/audit.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { Prover } from "../../src/services/prover.ts";
import { appendAudit, auditChunks, auditEntryOf, latestAudit, type NewAuditEntry } from "../../src/store/audit.ts";
import type { Db } from "../../src/store/db.ts";
import { queryRows } from "../../src/store/db.ts";
import { auditAnchors, auditLog, batches, evidence, type AuditRow } from "../../src/store/schema.ts";
import { jsonRpcReader } from "../../src/verify/index.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { evidenceColumns } from "../../src/store/evidence.ts";

interface Recorded extends Logger {
  infos: string[];
  errors: string[];
}

function recorder(): Recorded {
  const infos: string[] = [];
  const errors: string[] = [];
  return {
    infos,
    errors,
    debug() {},
    warn() {},
    info: (msg) => void infos.push(msg),
    error: (msg, fields) => void errors.push(`${msg}: ${JSON.stringify(fields ?? {})}`),
  };
}

function auditService(db: Db, opts: { ingest?: IngestService; log?: Logger } = {}): AuditService {
  return new AuditService({
    db,
    ingest: opts.ingest ?? new IngestService({ db , signer: new Signer(generateSigningKey()) }),
    prover: new Prover({ db }),
    chainReader: () => undefined,
    minConfirmations: 1,
    log: opts.log ?? recorder(),
  });
}

/** Six entries of different shapes (a null target, nested details, non-ASCII text). */
const SEED: NewAuditEntry[] = [
  { actor: "bootstrap", action: "principal.created", target: "system", details: { kind: "system" } },
  { actor: "bootstrap", action: "bootstrap.admin-created", target: "admin", details: { keyId: "k1" } },
  { actor: "admin", action: "principal.created", target: "acme", details: { kind: "tenant", name: "Acme – Ünïcode" } },
  { actor: "admin", action: "key.created", target: "k2", details: { principalId: "acme", label: null, expiresAt: "2027-01-01T00:00:00.000Z" } },
  { actor: "system", action: "auth.failure-burst", target: null, details: { address: "203.0.113.7", failures: 20, windowMs: 60000 } },
  { actor: "admin", action: "disclosure.granted", target: "d1", details: { tenantId: "acme", caseId: "c/1", verifierId: "court", nested: { a: [1, 2.5, true] } } },
];

async function seed(db: Db, entries = SEED): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  // Distinct, increasing times with milliseconds, in order.
  for (const [i, e] of entries.entries()) rows.push(await appendAudit(db, e, new Date(Date.UTC(2026, 0, 15, 9, 30, i, 123 + i))));
  return rows;
}

async function reset(db: Db): Promise<void> {
  await db.execute(sql`truncate audit_anchors, audit_log, evidence, batches cascade`);
}

async function row(db: Db, seq: number): Promise<AuditRow> {
  const [r] = await db.select().from(auditLog).where(eq(auditLog.seq, seq));
  return r!;
}

/** What an attacker who read docs/audit-log.md does: edit rows and recompute hashes from `from` on. */
async function rewriteFrom(db: Db, from: number, edit: (r: AuditRow) => AuditRow): Promise<void> {
  const rows = await db.select().from(auditLog).where(sql`${auditLog.seq} >= ${from}`).orderBy(asc(auditLog.seq));
  let prev = from > 1 ? (await row(db, from - 1)).hash : new Uint8Array(32);
  for (const r of rows) {
    const changed = { ...(r.seq === from ? edit(r) : r), prevHash: prev };
    const hash = auditEntryHash(auditEntryOf(changed));
    await db
      .update(auditLog)
      .set({ actor: changed.actor, details: changed.details, prevHash: changed.prevHash, hash })
      .where(eq(auditLog.seq, r.seq));
    prev = hash;
  }
}

describe(`audit log on ${describeDbKind()}`, () => {
  let database: TestDatabase;
  let db: Db;

  // One database for the file (opening one takes seconds); every test starts from empty tables.
  beforeAll(async () => {
    database = await freshDatabase();
    db = database.db;
  });

  beforeEach(async () => {
    await reset(db);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await database?.close();
  });

  describe("appending", () => {
    it("chains entries from the genesis hash, each row re-hashing to what it stores", async () => {
      const rows = await seed(db);
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(toHex(rows[0]!.prevHash)).toBe("0x" + "00".repeat(32));
      for (let i = 1; i < rows.length; i++) expect(toHex(rows[i]!.prevHash)).toBe(toHex(rows[i - 1]!.hash));
      // Read back from the database, every row hashes to its stored hash (jsonb reordered keys).
      const checker = new AuditChainChecker();
      for await (const chunk of auditChunks(db)) for (const r of chunk) expect(checker.push(auditEntryOf(r), r.hash)).toBeNull();
      expect(checker.count).toBe(6);
      expect((await row(db, 3)).at.toISOString()).toBe("2026-01-15T09:30:02.125Z");
    });

    it("stays gapless and valid with 50 concurrent writers", async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => appendAudit(db, { actor: `a${i}`, action: "key.created", target: `k${i}`, details: { i } })),
      );
      const result = await auditService(db).verify();
      expect(result).toMatchObject({ valid: true, entries: 50, firstBroken: null, head: { seq: 50 } });
      const actors = (await db.select({ actor: auditLog.actor }).from(auditLog)).map((r) => r.actor).sort();
      expect(new Set(actors).size).toBe(50);
    });

    it("commits and rolls back with the caller's transaction, without leaving a gap", async () => {
      class Abort extends Error {}
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db
            .transaction(async (tx) => {
              await appendAudit(tx, { actor: "admin", action: "disclosure.granted", target: `d${i}` });
              // Every other change fails after its audit entry was written.
              if (i % 2 === 1) throw new Abort();
            })
            .catch((e: unknown) => {
              if (!(e instanceof Abort)) throw e;
            }),
        ),
      );
      const rows = await db.select().from(auditLog).orderBy(asc(auditLog.seq));
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(rows.map((r) => Number(r.target!.slice(1)) % 2)).toEqual(Array(10).fill(0));
      expect((await auditService(db).verify()).valid).toBe(true);
    });

    it("refuses details that are not plain JSON, and writes nothing", async () => {
      await expect(appendAudit(db, { actor: "a", action: "key.created", details: { when: new Date() } })).rejects.toThrow(/non-plain object/);
      expect(await latestAudit(db)).toBeNull();
    });
  });

  describe("listing", () => {
    it("pages oldest first with a seq cursor", async () => {
      await seed(db);
      const audit = auditService(db);
      const first = await audit.list(undefined, 4);
      expect(first.items.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
      expect(first.next).toBe(4);
      const second = await audit.list(first.next!, 4);
      expect(second.items.map((i) => i.seq)).toEqual([5, 6]);
      expect(second.next).toBeNull();
      expect(first.items[2]).toEqual({
        seq: 3,
        at: "2026-01-15T09:30:02.125Z",
        actor: "admin",
        action: "principal.created",
        target: "acme",
        details: { kind: "tenant", name: "Acme – Ünïcode" },
        prevHash: first.items[1]!.hash,
        hash: toHex((await row(db, 3)).hash),
      });
      expect((await audit.list(6, 10)).items).toEqual([]);
    });
  });

  describe("verify names the row that was edited", () => {
    let audit: AuditService;

    beforeEach(async () => {
      await seed(db);
      audit = auditService(db);
      expect(await audit.verify()).toMatchObject({ valid: true, entries: 6, firstBroken: null });
    });

    const edits: [string, string | string[], number][] = [
      ["at", "update audit_log set at = at + interval '1 millisecond' where seq = 3", 3],
      ["actor", "update audit_log set actor = 'mallory' where seq = 3", 3],
      ["action", "update audit_log set action = 'key.revoked' where seq = 3", 3],
      ["target (to null)", "update audit_log set target = null where seq = 3", 3],
      ["target (from null)", "update audit_log set target = 'someone' where seq = 5", 5],
      ["details (a value)", `update audit_log set details = jsonb_set(details, '{name}', '"Acme"') where seq = 3`, 3],
      ["details (a key added)", `update audit_log set details = details || '{"note":"x"}' where seq = 4`, 4],
      ["details (a nested value)", `update audit_log set details = jsonb_set(details, '{nested,a,1}', '2.5000001') where seq = 6`, 6],
      ["prev_hash", "update audit_log set prev_hash = decode(repeat('00', 32), 'hex') where seq = 3", 3],
      ["hash", "update audit_log set hash = decode(repeat('ab', 32), 'hex') where seq = 3", 3],
      ["hash of the last row", "update audit_log set hash = decode(repeat('ab', 32), 'hex') where seq = 6", 6],
      ["hash of the first row", "update audit_log set hash = decode(repeat('ab', 32), 'hex') where seq = 1", 1],
      ["seq (moved past the end)", "update audit_log set seq = 100 where seq = 3", 3],
      ["seq (moved to 0)", "update audit_log set seq = 0 where seq = 3", 0],
      ["seq (of the last row)", "update audit_log set seq = 7 where seq = 6", 6],
      [
        "seq (two rows swapped)",
        ["update audit_log set seq = 99 where seq = 3", "update audit_log set seq = 3 where seq = 4", "update audit_log set seq = 4 where seq = 99"],
        3,
      ],
      ["a deleted row", "delete from audit_log where seq = 3", 3],
      ["the first row deleted", "delete from audit_log where seq = 1", 1],
    ];

    for (const [what, statements, seq] of edits) {
      it(`${what}: entry ${seq}`, async () => {
        for (const s of [statements].flat()) await db.execute(sql.raw(s));
        const result = await audit.verify();
        expect(result.valid, JSON.stringify(result.firstBroken)).toBe(false);
        expect(result.firstBroken?.seq, result.firstBroken?.reason).toBe(seq);
      });
    }

    it("a row edited with its hash recomputed: named through the next row's prev_hash", async () => {
      const r = await row(db, 3);
      const forged = { ...r, actor: "mallory" };
      await db.update(auditLog).set({ actor: "mallory", hash: auditEntryHash(auditEntryOf(forged)) }).where(eq(auditLog.seq, 3));
      const result = await audit.verify();
      expect(result.firstBroken).toEqual({
        seq: 3,
        reason: "entry 4's prev_hash does not match entry 3's stored hash: entry 3 was edited and its hash recomputed",
      });
    });

    it("a row inserted at the end with a forged hash chain is fine for the chain alone (only anchors bind the tail)", async () => {
      // Appending is what the service itself does: the log cannot tell it apart. Documented.
      const head = (await latestAudit(db))!;
      const e = { ...auditEntryOf(head), seq: 7, actor: "mallory", prevHash: head.hash };
      await db.insert(auditLog).values({ ...e, at: new Date(e.at), hash: auditEntryHash(e) });
      expect((await audit.verify()).valid).toBe(true);
    });

    it("deleting the unanchored tail is not visible without an anchor (documented limit)", async () => {
      await db.execute(sql`delete from audit_log where seq >= 5`);
      expect(await audit.verify()).toMatchObject({ valid: true, entries: 4 });
    });
  });

  describe("anchored heads", () => {
    it("anchorHead: null on an empty log, then once per head, and the evidence carries the head", async () => {
      const audit = auditService(db);
      expect(await audit.anchorHead()).toBeNull();
      await seed(db);
      const head = (await latestAudit(db))!;
      const first = await audit.anchorHead();
      expect(first).toMatchObject({ auditSeq: 6, headHash: toHex(head.hash), created: true });
      expect(await audit.anchorHead()).toEqual({ ...first, created: false });
      // Concurrent calls after the head moved: exactly one anchors it.
      await appendAudit(db, { actor: "admin", action: "key.revoked", target: "k2" });
      const results = await Promise.all(Array.from({ length: 5 }, () => audit.anchorHead()));
      expect(results.filter((r) => r!.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r!.evidenceId)).size).toBe(1);

      const ev = await db.select(evidenceColumns).from(evidence).orderBy(asc(evidence.seq));
      expect(ev).toHaveLength(2);
      expect(ev[0]).toMatchObject({ id: first!.evidenceId, submitter: "system", caseId: "audit-log", eventType: "audit.head" });
      expect(toHex(ev[0]!.digest)).toBe(toHex(head.hash));
      expect(ev[0]!.meta).toMatchObject({ submitter: "system", caseId: "audit-log", eventType: "audit.head" });
      const anchors = await db.select().from(auditAnchors).orderBy(asc(auditAnchors.auditSeq));
      expect(anchors.map((a) => [a.auditSeq, a.evidenceId])).toEqual([
        [6, first!.evidenceId],
        [7, results[0]!.evidenceId],
      ]);
      const v = await audit.verify();
      expect(v).toMatchObject({ valid: true, firstBroken: null, anchors: { total: 2, checkedOnChain: 0 } });
      // Not sealed yet: pending, which is not a failure.
      expect(v.anchors.items.map((i) => [i.auditSeq, i.status])).toEqual([
        [6, "pending"],
        [7, "pending"],
      ]);
    });

    it("anchorHead writes the evidence and the anchor row together or not at all", async () => {
      await seed(db);
      const failing = new IngestService({
        db,
        signer: new Signer(generateSigningKey()),
        onIngested: () => {
          throw new Error("crash after the evidence insert");
        },
      });
      await expect(auditService(db, { ingest: failing }).anchorHead()).rejects.toThrow(/crash/);
      const [n] = await queryRows<{ ev: number; an: number }>(
        db,
        sql`select (select count(*) from evidence)::int as ev, (select count(*) from audit_anchors)::int as an`,
      );
      expect(n).toEqual({ ev: 0, an: 0 });
    });

    it("a rewrite of anchored entries is named at the anchor, after the last intact anchored head", async () => {
      const audit = auditService(db);
      await seed(db, SEED.slice(0, 2));
      await audit.anchorHead(); // head 2
      await seed(db, SEED.slice(2, 5)).then(() => audit.anchorHead()); // head 5
      await appendAudit(db, SEED[5]!); // 6, not anchored
      await rewriteFrom(db, 3, (r) => ({ ...r, actor: "mallory" }));
      const result = await audit.verify();
      expect(result.valid).toBe(false);
      expect(result.firstBroken?.seq).toBe(5);
      expect(result.firstBroken?.reason).toMatch(/entries 3 to 5 were rewritten after anchoring/);
    });

    it("edits of an anchor row or of the evidence carrying it name the anchored entry", async () => {
      const audit = auditService(db);
      const statements = [
        "update audit_anchors set head_hash = decode(repeat('cd', 32), 'hex')",
        "update evidence set digest = decode(repeat('cd', 32), 'hex')",
      ];
      for (const s of statements) {
        await reset(db);
        await seed(db);
        await audit.anchorHead();
        expect((await audit.verify()).valid).toBe(true);
        await db.execute(sql.raw(s));
        const result = await audit.verify();
        expect(result.valid, s).toBe(false);
        expect(result.firstBroken?.seq, s).toBe(6);
      }
    });

    it("a deleted tail is named when it was anchored", async () => {
      const audit = auditService(db);
      await seed(db);
      await audit.anchorHead();
      await db.execute(sql`delete from audit_log where seq >= 5`);
      const result = await audit.verify();
      expect(result.firstBroken).toMatchObject({ seq: 6, reason: expect.stringMatching(/missing from the log/) });
      // And the timer's anchoring refuses to cover the loss with a new anchor.
      await expect(audit.anchorHead()).rejects.toThrow(/ends at entry 4 but entry 6 was anchored/);
    });
  });

  describe("the anchoring timer", () => {
    it("anchors when the head moved, not otherwise; errors are logged, never thrown; stop() waits", async () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      const log = recorder();
      const audit = auditService(db, { log });
      const anchorHead = vi.spyOn(audit, "anchorHead");
      audit.start(60_000);

      vi.advanceTimersByTime(60_000); // empty log: nothing to anchor
      await audit.stop();
      expect(anchorHead).not.toHaveBeenCalled();

      await seed(db);
      audit.start(60_000);
      vi.advanceTimersByTime(60_000);
      await audit.stop();
      expect(anchorHead).toHaveBeenCalledTimes(1);
      expect((await db.select().from(auditAnchors)).map((a) => a.auditSeq)).toEqual([6]);
      expect(log.infos).toContain("audit head submitted for anchoring");

      audit.start(60_000);
      vi.advanceTimersByTime(60_000); // head unchanged
      await audit.stop();
      expect(anchorHead).toHaveBeenCalledTimes(1);

      await db.execute(sql`delete from audit_log where seq >= 5`);
      audit.start(60_000);
      vi.advanceTimersByTime(60_000);
      await audit.stop();
      expect(log.errors).toEqual([expect.stringMatching(/^anchoring the audit head failed: .*entry 6 was anchored/)]);
    });
  });

  describe("routes", () => {
    it("answer with the documented schemas", async () => {
      const audit = auditService(db);
      const app = new Hono<AppEnv>();
      app.route("/v1/audit", auditRoutes({ audit }));
      app.onError(onError(recorder()));

      const empty = await app.request("/v1/audit/anchor", { method: "POST" });
      expect(empty.status).toBe(200);
      expect(AuditAnchorResultSchema.parse(await empty.json())).toEqual({ anchored: null });

      await seed(db);
      const anchored = await app.request("/v1/audit/anchor", { method: "POST" });
      expect(AuditAnchorResultSchema.parse(await anchored.json()).anchored).toMatchObject({ auditSeq: 6, created: true });

      const page = await app.request("/v1/audit?limit=5");
      expect(page.status).toBe(200);
      expect(AuditPageSchema.parse(await page.json()).next).toBe(5);
      const rest = AuditPageSchema.parse(await (await app.request("/v1/audit?after=5")).json());
      expect(rest.items.map((i) => i.seq)).toEqual([6]);
      expect((await app.request("/v1/audit?after=x")).status).toBe(422);

      await db.execute(sql`update audit_log set actor = 'mallory' where seq = 2`);
      const verdict = await app.request("/v1/audit/verify");
      expect(verdict.status).toBe(200);
      expect(AuditVerificationSchema.parse(await verdict.json())).toMatchObject({ valid: false, firstBroken: { seq: 2 }, entries: 6 });
    });
  });
});

describe("audit heads on a real chain", () => {
  let h: ApiHarness & { node: LocalNode };
  let audit: AuditService;

  const deps = () => ({
    db: h.database.db,
    ingest: h.ingest,
    prover: h.prover,
    chainReader: () => h.reader,
    minConfirmations: 1,
    log: recorder(),
  });

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    audit = new AuditService(deps());
  });

  afterAll(async () => {
    await h?.close();
  });

  it("an anchored head verifies on chain; a log rewritten consistently in the database fails there", async () => {
    const db = h.database.db;
    // The harness may have written bootstrap entries already; add ours after them.
    await appendAudit(db, { actor: "admin", action: "key.created", target: "k-chain" });
    const anchored = (await audit.anchorHead())!;
    expect(anchored.created).toBe(true);

    const before = await audit.verify();
    expect(before.anchors.items.at(-1)).toMatchObject({ auditSeq: anchored.auditSeq, status: "pending" });
    expect(before.valid).toBe(true);

    await h.batcher.tick(); // seals and anchors the head (one confirmation)
    const after = await audit.verify();
    expect(after.valid, JSON.stringify(after)).toBe(true);
    const item = after.anchors.items.at(-1)!;
    expect(item).toMatchObject({ auditSeq: anchored.auditSeq, headHash: anchored.headHash, status: "anchored", failure: null });
    expect(item.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(item.blockNumber).toBeGreaterThan(0);
    expect(item.anchoredAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(after.anchors.checkedOnChain).toBe(1);

    // Not deep enough yet is pending, a chain that does not answer leaves it unchecked:
    // neither is a forgery, so neither makes the log invalid.
    const deeper = new AuditService({ ...deps(), minConfirmations: 1000 });
    expect((await deeper.verify()).anchors.items.at(-1)).toMatchObject({ status: "pending", failure: { check: "confirmations" } });
    const closed = jsonRpcReader(`http://127.0.0.1:${await freePort()}`, { timeoutMs: 2000 });
    const offline = await new AuditService({ ...deps(), chainReader: () => closed }).verify();
    expect(offline.valid).toBe(true);
    expect(offline.anchors.checkedOnChain).toBe(0);
    expect(offline.anchors.items.at(-1)).toMatchObject({ status: "unchecked", failure: { detail: expect.stringMatching(/^RPC error/) } });

    // Everything the database holds rewritten to agree with itself: the log from entry 1,
    // the anchor row, the evidence digest, its leaf hash and the (one-leaf) batch root.
    await rewriteFrom(db, 1, (r) => ({ ...r, actor: "mallory" }));
    const head = (await latestAudit(db))!;
    const [ev] = await db.select(evidenceColumns).from(evidence).where(eq(evidence.id, anchored.evidenceId));
    const leaf = leafHash({ salt: ev!.salt, digest: head.hash, meta: ev!.meta as EvidenceMeta });
    await db.update(auditAnchors).set({ headHash: head.hash }).where(eq(auditAnchors.auditSeq, anchored.auditSeq));
    await db.update(evidence).set({ digest: head.hash, leafHash: leaf }).where(eq(evidence.id, anchored.evidenceId));
    const [batch] = await db.select().from(batches).where(eq(batches.seq, ev!.batchSeq!));
    expect(batch!.size).toBe(1);
    await db.update(batches).set({ root: leaf }).where(eq(batches.seq, batch!.seq));

    const forged = await audit.verify();
    expect(forged.valid).toBe(false);
    const forgedItem = forged.anchors.items.at(-1)!;
    expect(forgedItem.status).toBe("invalid");
    expect(["log", "contract"]).toContain(forgedItem.failure?.check);
    expect(forged.firstBroken).toMatchObject({ seq: anchored.auditSeq, reason: expect.stringMatching(/were rewritten/) });
  });
});
