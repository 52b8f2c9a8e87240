// evidence-proof/v1 bundles: build, serialise, parse, and the exact JSON pointer of every rejection.
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import {
  buildBundle,
  type BundleParts,
  MAX_BUNDLE_TEXT_LENGTH,
  parseBundle,
  parseBundleText,
  PROOF_FORMAT,
  serializeBundle,
} from "../../src/core/bundle.ts";
import { CoreError, InvariantError } from "../../src/core/errors.ts";
import { sha256 } from "../../src/core/hash.ts";
import { leafHash } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { anchoredFixture, jsonCopy } from "../verify/fixture.ts";

const { bundles } = anchoredFixture();
const bundle = bundles[3]!;

function rejection(json: unknown): { code: string; path: string | undefined; message: string } {
  try {
    parseBundle(json);
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return { code: e.code, path: e.path, message: e.message };
  }
  throw new Error("accepted");
}

/** A copy of the valid bundle with the value at `pointer` replaced (or deleted when `value` is omitted). */
function edit(pointer: string, ...value: unknown[]): unknown {
  const copy = jsonCopy(bundle);
  const keys = pointer.split("/").slice(1);
  let o = copy;
  for (const k of keys.slice(0, -1)) o = o[k];
  if (value.length === 0) delete o[keys[keys.length - 1]!];
  else o[keys[keys.length - 1]!] = value[0];
  return copy;
}

describe("buildBundle", () => {
  it("produces the spec's shape with lowercase hex", () => {
    expect(Object.keys(bundle)).toEqual(["format", "evidence", "leaf", "batch", "anchor"]);
    expect(Object.keys(bundle.evidence)).toEqual(["id", "digest", "salt", "meta", "receivedAt"]);
    expect(Object.keys(bundle.anchor!)).toEqual(["chainId", "contract", "txHash", "blockNumber", "blockHash", "blockTimestamp"]);
    expect(bundle.format).toBe(PROOF_FORMAT);
    expect(bundle.anchor!.contract).toBe("0x5fbdb2315678afecb367f032d93f642f64180aa3");
    expect(bundle.batch!.path).toHaveLength(3);
    expect(Object.keys(bundle.evidence.meta)).toEqual(["caseId", "eventType", "hashAlg", "occurredAt", "submitter"]);
  });

  it("round-trips through JSON text", () => {
    const text = serializeBundle(bundle);
    expect(text.endsWith("}\n")).toBe(true);
    expect(parseBundleText(text)).toEqual(bundle);
    expect(serializeBundle(parseBundleText(text))).toBe(text);
  });

  it("builds pending bundles (no leaf, batch or anchor) and unanchored ones", () => {
    const salt = sha256(Uint8Array.of(1));
    const digest = sha256(Uint8Array.of(2));
    const meta = { hashAlg: "sha256" as const, submitter: "t", caseId: undefined };
    const evidence = { id: "x", digest, salt, meta, receivedAt: "2026-11-27T10:00:00.000Z" };
    const pending = buildBundle({ evidence, leaf: null, batch: null, anchor: null });
    expect(pending.leaf).toBeNull();
    expect(pending.evidence.meta).toEqual({ hashAlg: "sha256", submitter: "t" });
    const h = leafHash(evidence);
    const batched = buildBundle({ evidence, leaf: { index: 0, hash: h }, batch: { seq: 0, size: 1, root: h, path: [] }, anchor: null });
    expect(parseBundle(JSON.parse(serializeBundle(batched)))).toEqual(batched);
  });

  it("refuses inconsistent parts with an InvariantError and malformed ones with a CoreError", () => {
    const salt = sha256(Uint8Array.of(1));
    const digest = sha256(Uint8Array.of(2));
    const evidence = { id: "x", digest, salt, meta: { hashAlg: "sha256" as const, submitter: "t" }, receivedAt: "2026-11-27T10:00:00Z" };
    const h = leafHash(evidence);
    const other = sha256(h);
    const tree = buildTree([h, other]);
    const good: BundleParts = { evidence, leaf: { index: 0, hash: h }, batch: { seq: 1, size: 2, root: tree.root, path: tree.path(0) }, anchor: null };
    expect(() => buildBundle(good)).not.toThrow();
    expect(() => buildBundle({ ...good, leaf: { index: 0, hash: other } })).toThrow(InvariantError);
    expect(() => buildBundle({ ...good, leaf: { index: 1, hash: h } })).toThrow(InvariantError);
    expect(() => buildBundle({ ...good, batch: { ...good.batch!, size: 3 } })).toThrow(InvariantError);
    expect(() => buildBundle({ ...good, evidence: { ...evidence, salt: salt.subarray(1) } })).toThrow(
      expect.objectContaining({ code: "invalid-bundle", path: "/evidence/salt" }),
    );
    expect(() => buildBundle({ ...good, evidence: { ...evidence, receivedAt: "today" } })).toThrow(
      expect.objectContaining({ path: "/evidence/receivedAt" }),
    );
    expect(() => buildBundle({ ...good, batch: null })).toThrow(expect.objectContaining({ path: "/batch" }));
  });
});

describe("parseBundle", () => {
  it("ignores unknown fields at every level, and drops them", () => {
    const copy = jsonCopy(bundle);
    copy.extra = { nested: [1, 2] };
    copy.evidence.note = "x";
    copy.leaf.x = 1;
    copy.batch.algorithm = "rfc6962";
    copy.anchor.confirmations = 4;
    expect(parseBundle(copy)).toEqual(bundle);
  });

  it("keeps every meta key: meta is hashed, nothing in it is 'unknown'", () => {
    const parsed = parseBundle(edit("/evidence/meta/custom", "value"));
    expect(parsed.evidence.meta.custom).toBe("value");
  });

  it("accepts the legitimate null combinations", () => {
    expect(parseBundle(edit("/anchor", null)).anchor).toBeNull();
    const pending = jsonCopy(bundle);
    pending.leaf = pending.batch = pending.anchor = null;
    expect(parseBundle(pending).leaf).toBeNull();
  });

  const LOWER32 = "expected 0x followed by 64 lowercase hex digits";
  const cases: [string, unknown, string, string][] = [
    ["not an object", [], "", "bundle: expected an object"],
    ["missing format", edit("/format"), "/format", "/format: missing"],
    ["other format", edit("/format", "evidence-proof/v2"), "/format", '/format: expected "evidence-proof/v1", got "evidence-proof/v2"'],
    ["missing evidence", edit("/evidence"), "/evidence", "/evidence: missing"],
    ["evidence null", edit("/evidence", null), "/evidence", "/evidence: expected an object"],
    ["missing id", edit("/evidence/id"), "/evidence/id", "/evidence/id: missing"],
    ["empty id", edit("/evidence/id", ""), "/evidence/id", "/evidence/id: expected 1 to 1024 characters, got 0"],
    ["missing digest", edit("/evidence/digest"), "/evidence/digest", "/evidence/digest: missing"],
    ["digest not hex", edit("/evidence/digest", "0x" + "zz".repeat(32)), "/evidence/digest", `/evidence/digest: ${LOWER32}`],
    ["salt uppercase", edit("/evidence/salt", bundle.evidence.salt.toUpperCase().replace("0X", "0x")), "/evidence/salt", `/evidence/salt: ${LOWER32}`],
    ["salt short", edit("/evidence/salt", bundle.evidence.salt.slice(0, 64)), "/evidence/salt", `/evidence/salt: ${LOWER32}`],
    ["salt without 0x", edit("/evidence/salt", bundle.evidence.salt.slice(2)), "/evidence/salt", `/evidence/salt: ${LOWER32}`],
    ["missing meta", edit("/evidence/meta"), "/evidence/meta", "/evidence/meta: missing"],
    ["meta array", edit("/evidence/meta", []), "/evidence/meta", "/evidence/meta: expected an object"],
    ["meta without hashAlg", edit("/evidence/meta/hashAlg"), "/evidence/meta/hashAlg", "/evidence/meta/hashAlg: missing"],
    ["meta bad hashAlg", edit("/evidence/meta/hashAlg", "md5"), "/evidence/meta/hashAlg", "/evidence/meta/hashAlg: expected one of sha256, sha3-256, sm3"],
    ["meta number value", edit("/evidence/meta/caseId", 42), "/evidence/meta/caseId", "/evidence/meta/caseId: expected a string"],
    ["meta key with / and ~", (() => { const c = jsonCopy(bundle); c.evidence.meta["a/b~"] = 1; return c; })(), "/evidence/meta/a~1b~0", "/evidence/meta/a~1b~0: expected a string"],
    ["missing receivedAt", edit("/evidence/receivedAt"), "/evidence/receivedAt", "/evidence/receivedAt: missing"],
    ["receivedAt not UTC", edit("/evidence/receivedAt", "2026-11-27T10:00:00+01:00"), "/evidence/receivedAt", "/evidence/receivedAt: expected an RFC 3339 UTC date-time"],
    ["missing leaf", edit("/leaf"), "/leaf", "/leaf: missing"],
    ["leaf array", edit("/leaf", [1]), "/leaf", "/leaf: expected an object or null"],
    ["leaf index negative", edit("/leaf/index", -1), "/leaf/index", "/leaf/index: expected a non-negative integer below 2^53"],
    ["leaf index fractional", edit("/leaf/index", 1.5), "/leaf/index", "/leaf/index: expected a non-negative integer below 2^53"],
    ["leaf index string", edit("/leaf/index", "1"), "/leaf/index", "/leaf/index: expected a non-negative integer below 2^53"],
    ["leaf index 2^53", edit("/leaf/index", 2 ** 53), "/leaf/index", "/leaf/index: expected a non-negative integer below 2^53"],
    ["leaf hash missing", edit("/leaf/hash"), "/leaf/hash", "/leaf/hash: missing"],
    ["missing batch", edit("/batch"), "/batch", "/batch: missing"],
    ["batch seq missing", edit("/batch/seq"), "/batch/seq", "/batch/seq: missing"],
    ["batch size zero", edit("/batch/size", 0), "/batch/size", "/batch/size: expected a positive integer below 2^53"],
    ["batch root wrong length", edit("/batch/root", "0x00"), "/batch/root", `/batch/root: ${LOWER32}`],
    ["path not array", edit("/batch/path", "0x00"), "/batch/path", "/batch/path: expected an array of hashes"],
    ["path element", edit("/batch/path/2", "0x1234"), "/batch/path/2", `/batch/path/2: ${LOWER32}`],
    ["path element number", edit("/batch/path/0", 7), "/batch/path/0", `/batch/path/0: ${LOWER32}`],
    ["path too long", edit("/batch/path", Array(65).fill(bundle.batch!.root)), "/batch/path", "/batch/path: has 65 hashes, limit 64"],
    ["missing anchor", edit("/anchor"), "/anchor", "/anchor: missing"],
    ["chainId zero", edit("/anchor/chainId", 0), "/anchor/chainId", "/anchor/chainId: expected a positive integer below 2^53"],
    ["contract checksummed", edit("/anchor/contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3"), "/anchor/contract", "/anchor/contract: expected 0x followed by 40 lowercase hex digits"],
    ["contract 32 bytes", edit("/anchor/contract", bundle.batch!.root), "/anchor/contract", "/anchor/contract: expected 0x followed by 40 lowercase hex digits"],
    ["txHash missing", edit("/anchor/txHash"), "/anchor/txHash", "/anchor/txHash: missing"],
    ["blockNumber float", edit("/anchor/blockNumber", 1.25), "/anchor/blockNumber", "/anchor/blockNumber: expected a non-negative integer below 2^53"],
    ["blockHash uppercase", edit("/anchor/blockHash", "0x" + "AB".repeat(32)), "/anchor/blockHash", `/anchor/blockHash: ${LOWER32}`],
    ["blockTimestamp string", edit("/anchor/blockTimestamp", "1700000000"), "/anchor/blockTimestamp", "/anchor/blockTimestamp: expected a non-negative integer below 2^53"],
    ["leaf without batch", edit("/batch", null), "/batch", "/batch: must not be null when /leaf is set"],
  ];
  for (const [name, json, path, message] of cases) {
    it(`rejects ${name} at ${path || "(root)"}`, () => {
      expect(rejection(json)).toEqual({ code: "invalid-bundle", path, message });
    });
  }

  it("rejects batch without leaf, and anchor without batch", () => {
    const a = jsonCopy(bundle);
    a.leaf = null;
    expect(rejection(a)).toEqual({ code: "invalid-bundle", path: "/leaf", message: "/leaf: must not be null when /batch is set" });
    const b = jsonCopy(bundle);
    b.leaf = b.batch = null;
    expect(rejection(b)).toEqual({ code: "invalid-bundle", path: "/batch", message: "/batch: must not be null when /anchor is set" });
  });

  it("looks at own properties only", () => {
    const inherited = Object.create(jsonCopy(bundle));
    expect(rejection(inherited).path).toBe("/format");
  });

  it("reports malformed and oversized text", () => {
    expect(() => parseBundleText("{")).toThrow(expect.objectContaining({ code: "malformed-json" }));
    expect(() => parseBundleText(" ".repeat(MAX_BUNDLE_TEXT_LENGTH + 1))).toThrow(expect.objectContaining({ code: "malformed-json" }));
    expect(() => parseBundleText("[]")).toThrow(expect.objectContaining({ code: "invalid-bundle", path: "" }));
  });

  it("does not change the hashed bytes: parse(build(x)) recomputes the same leaf", () => {
    const parsed = parseBundle(JSON.parse(serializeBundle(bundle)));
    const h = leafHash({ salt: fromHex(parsed.evidence.salt), digest: fromHex(parsed.evidence.digest), meta: parsed.evidence.meta });
    expect(toHex(h)).toBe(parsed.leaf!.hash);
  });
});
