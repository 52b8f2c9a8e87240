// The audit entry hash against fixed vectors, recomputed here a second way (node:crypto and
// the canonicalize package, not the core's hashing), and the chain checker against every
// kind of break.
//
// The expected hashes were computed once and also reproduced with Python 3.11 (hashlib and
// json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False), which equals JCS
// for these values), e.g. entry 1:
//   sha256(b"evidence-audit/v1\n" + b'{"action":"principal.created","actor":"bootstrap",...}')
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import {
  AUDIT_GENESIS_HASH,
  AUDIT_HASH_DOMAIN,
  AuditChainChecker,
  auditEntryHash,
  auditEntryPreimage,
  type AuditBreak,
  type AuditEntry,
} from "../../src/core/audit.ts";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";

const ZERO = "0x" + "00".repeat(32);
const H1 = "0xa422e73ac01e5f0f33addf89cbbb497e20600de4d9049811772d20e3ac4511c2";
const H2 = "0x5178f78a94080bb3ae41003de3f5245a7c4e01cb923c898b86fbfd742366d6f5";
const H3 = "0x67d92a1263b3f58fde818e91789fd1fa5b53597a186cd909ff2282b6d335e686";
const H4 = "0xa11dda5353424229f6256e734e3e7e7db84119051c0ede61d6d77cbfff1a6339";

/** Four entries chained by the expected hashes (not by the code under test). */
const VECTORS: { entry: AuditEntry; preimage: string; hash: string }[] = [
  {
    entry: {
      seq: 1,
      at: "2026-01-15T09:30:00.000Z",
      actor: "bootstrap",
      action: "principal.created",
      target: "system",
      details: { kind: "system" },
      prevHash: fromHex(ZERO),
    },
    preimage: `{"action":"principal.created","actor":"bootstrap","at":"2026-01-15T09:30:00.000Z","details":{"kind":"system"},"prev":"${ZERO}","seq":1,"target":"system"}`,
    hash: H1,
  },
  {
    entry: {
      seq: 2,
      at: "2026-01-15T09:30:00.000Z",
      actor: "bootstrap",
      action: "bootstrap.admin-created",
      target: "admin",
      details: { keyId: "k1a2b3c4" },
      prevHash: fromHex(H1),
    },
    preimage: `{"action":"bootstrap.admin-created","actor":"bootstrap","at":"2026-01-15T09:30:00.000Z","details":{"keyId":"k1a2b3c4"},"prev":"${H1}","seq":2,"target":"admin"}`,
    hash: H2,
  },
  {
    // Nested values, non-ASCII text, a null, a fraction and an array; keys given unsorted.
    entry: {
      seq: 3,
      at: "2026-01-15T10:02:17.345Z",
      actor: "admin",
      action: "disclosure.granted",
      target: "6f1c1c1e-9a7e-4c52-9a51-3d2f0e0c7b11",
      details: { verifierId: "court-1", tenantId: "acme", caseId: "Fall 42/ü€", expiresAt: null, n: 1.5, tags: ["a", "b"] },
      prevHash: fromHex(H2),
    },
    preimage: `{"action":"disclosure.granted","actor":"admin","at":"2026-01-15T10:02:17.345Z","details":{"caseId":"Fall 42/ü€","expiresAt":null,"n":1.5,"tags":["a","b"],"tenantId":"acme","verifierId":"court-1"},"prev":"${H2}","seq":3,"target":"6f1c1c1e-9a7e-4c52-9a51-3d2f0e0c7b11"}`,
    hash: H3,
  },
  {
    entry: {
      seq: 4,
      at: "2026-01-15T10:05:00.001Z",
      actor: "system",
      action: "auth.failure-burst",
      target: null,
      details: {},
      prevHash: fromHex(H3),
    },
    preimage: `{"action":"auth.failure-burst","actor":"system","at":"2026-01-15T10:05:00.001Z","details":{},"prev":"${H3}","seq":4,"target":null}`,
    hash: H4,
  },
];

/** The hash definition of docs/audit-log.md, written without the core. */
function independentHash(e: AuditEntry): string {
  const json = canonicalize({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    details: e.details,
    prev: "0x" + Buffer.from(e.prevHash).toString("hex"),
  });
  return "0x" + createHash("sha256").update("evidence-audit/v1\n", "utf8").update(json!, "utf8").digest("hex");
}

describe("auditEntryHash", () => {
  it("matches the fixed vectors", () => {
    for (const v of VECTORS) {
      expect(auditEntryPreimage(v.entry), `preimage of ${v.entry.seq}`).toBe(v.preimage);
      expect(toHex(auditEntryHash(v.entry)), `hash of ${v.entry.seq}`).toBe(v.hash);
    }
  });

  it("agrees with node:crypto over the canonicalize package", () => {
    for (const v of VECTORS) expect(independentHash(v.entry)).toBe(v.hash);
  });

  it("is domain-separated: the prefix is not a Merkle leaf (0x00) or node (0x01) prefix", () => {
    expect(AUDIT_HASH_DOMAIN).toBe("evidence-audit/v1\n");
    const bare = "0x" + createHash("sha256").update(VECTORS[0]!.preimage, "utf8").digest("hex");
    expect(bare).not.toBe(H1);
    expect(AUDIT_HASH_DOMAIN.charCodeAt(0)).toBeGreaterThan(1);
  });

  it("changes with every field", () => {
    const base = VECTORS[2]!.entry;
    const variants: AuditEntry[] = [
      { ...base, seq: 4 },
      { ...base, at: "2026-01-15T10:02:17.346Z" },
      { ...base, actor: "admin2" },
      { ...base, action: "disclosure.revoked" },
      { ...base, target: null },
      { ...base, details: { ...base.details, n: 2 } },
      { ...base, prevHash: fromHex(H1) },
    ];
    const hashes = new Set(variants.map((v) => toHex(auditEntryHash(v))));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(H3)).toBe(false);
  });

  it("does not depend on the key order of details", () => {
    const e = VECTORS[2]!.entry;
    const reordered = Object.fromEntries(Object.entries(e.details).reverse());
    expect(toHex(auditEntryHash({ ...e, details: reordered }))).toBe(H3);
  });

  it("refuses entries that have no single hash", () => {
    const e = VECTORS[0]!.entry;
    const bad: [AuditEntry, string][] = [
      [{ ...e, seq: 0 }, "invalid-argument"],
      [{ ...e, seq: 1.5 }, "invalid-argument"],
      [{ ...e, at: "2026-01-15T09:30:00Z" }, "invalid-argument"],
      [{ ...e, at: "2026-01-15T10:30:00.000+01:00" }, "invalid-argument"],
      [{ ...e, prevHash: new Uint8Array(31) }, "invalid-length"],
      [{ ...e, details: { x: undefined } }, "invalid-json"],
      [{ ...e, details: { x: Number.NaN } }, "invalid-json"],
    ];
    for (const [entry, code] of bad) {
      expect(() => auditEntryHash(entry), JSON.stringify(entry)).toThrow(CoreError);
      try {
        auditEntryHash(entry);
      } catch (err) {
        expect((err as CoreError).code).toBe(code);
      }
    }
  });

  it("has 32 zero bytes as the genesis hash", () => {
    expect(toHex(AUDIT_GENESIS_HASH)).toBe(ZERO);
  });
});

type Row = { entry: AuditEntry; hash: Uint8Array };

const intact = (): Row[] => VECTORS.map((v) => ({ entry: { ...v.entry }, hash: fromHex(v.hash) }));

/** The first break the checker reports over `rows`, or null. */
function firstBreak(rows: Row[]): AuditBreak | null {
  const checker = new AuditChainChecker();
  for (const r of rows) {
    const b = checker.push(r.entry, r.hash);
    if (b) return b;
  }
  return null;
}

/** A row edited and given a correctly recomputed hash, as an attacker who read the docs would. */
const rehashed = (entry: AuditEntry): Row => ({ entry, hash: auditEntryHash(entry) });

describe("AuditChainChecker", () => {
  it("accepts an intact chain and counts it", () => {
    const checker = new AuditChainChecker();
    for (const r of intact()) expect(checker.push(r.entry, r.hash)).toBeNull();
    expect(checker.count).toBe(4);
  });

  it("names an edited row whose hash was left alone", () => {
    const rows = intact();
    rows[2]!.entry = { ...rows[2]!.entry, actor: "mallory" };
    expect(firstBreak(rows)).toMatchObject({ seq: 3, reason: expect.stringMatching(/stored hash does not match/) });
  });

  it("names a row whose stored hash was edited", () => {
    const rows = intact();
    rows[1]!.hash = fromHex(H4);
    expect(firstBreak(rows)).toMatchObject({ seq: 2 });
  });

  it("names a row edited with its hash recomputed, through the next row's prev_hash", () => {
    const rows = intact();
    rows[1] = rehashed({ ...rows[1]!.entry, details: { keyId: "forged" } });
    expect(firstBreak(rows)).toEqual({
      seq: 2,
      reason: "entry 3's prev_hash does not match entry 2's stored hash: entry 2 was edited and its hash recomputed",
    });
  });

  it("names entry 1 when it is rewritten onto another genesis", () => {
    const rows = intact();
    rows[0] = rehashed({ ...rows[0]!.entry, prevHash: fromHex(H4) });
    expect(firstBreak(rows)).toMatchObject({ seq: 1, reason: expect.stringMatching(/genesis/) });
  });

  it("names a deleted row", () => {
    const rows = intact();
    rows.splice(1, 1);
    expect(firstBreak(rows)).toMatchObject({ seq: 2, reason: expect.stringMatching(/entry 2 is missing/) });
  });

  it("names the first of several deleted rows, and a deleted first row", () => {
    const rows = intact();
    expect(firstBreak([rows[0]!, rows[3]!])).toMatchObject({ seq: 2, reason: expect.stringMatching(/entries 2 to 3 are missing/) });
    expect(firstBreak(rows.slice(1))).toMatchObject({ seq: 1 });
  });

  it("names a row whose seq was changed", () => {
    const rows = intact();
    // Moved down to 0 (sorts first) and up past the end (leaves a gap).
    expect(firstBreak([{ ...rows[0]!, entry: { ...rows[0]!.entry, seq: 0 } }, ...rows.slice(1)])).toMatchObject({ seq: 0 });
    expect(firstBreak([...rows.slice(0, 3), { ...rows[3]!, entry: { ...rows[3]!.entry, seq: 9 } }])).toMatchObject({ seq: 4 });
    // Swapped with its neighbour: the contents no longer hash to what is stored.
    const swapped = [rows[0]!, { entry: { ...rows[2]!.entry, seq: 2 }, hash: rows[2]!.hash }, { entry: { ...rows[1]!.entry, seq: 3 }, hash: rows[1]!.hash }];
    expect(firstBreak(swapped)).toMatchObject({ seq: 2 });
  });

  it("names an inserted row", () => {
    const rows = intact();
    const forged = rehashed({ ...rows[1]!.entry, seq: 3, prevHash: rows[1]!.hash, actor: "mallory" });
    // Entry 3 replaced by a forged one that chains correctly onto 2: entry 4 no longer does.
    expect(firstBreak([rows[0]!, rows[1]!, forged, rows[3]!])).toMatchObject({ seq: 3 });
  });

  it("reports an unhashable row as edited instead of throwing", () => {
    const rows = intact();
    rows[0]!.entry = { ...rows[0]!.entry, prevHash: new Uint8Array(3) };
    expect(firstBreak(rows)).toMatchObject({ seq: 1, reason: expect.stringMatching(/cannot be hashed/) });
  });

  it("reports each break relative to the entry before it", () => {
    const rows = intact();
    rows[1]!.entry = { ...rows[1]!.entry, actor: "x" };
    const checker = new AuditChainChecker();
    const found = rows.map((r) => checker.push(r.entry, r.hash)?.seq ?? null);
    // Entry 3 still chains onto entry 2's stored hash: only entry 2 is flagged.
    expect(found).toEqual([null, 2, null, null]);
  });
});
