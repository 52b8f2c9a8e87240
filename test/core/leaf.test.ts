// Hashing, JCS, metaDigest and leafHash against fixed values computed outside this code base.
//
// Expected values were computed once with Python 3.11's hashlib and json (json.dumps of each
// key/value with ensure_ascii=False, keys sorted by their UTF-16-BE encoding, joined with ","
// and ":"), e.g. for META_A:
//   python3 -c 'import hashlib; print(hashlib.sha256(b"{\"caseId\":\"case-42\",...}").hexdigest())'
import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";
import { digestDocument, keccak256, sha256, sha3_256 } from "../../src/core/hash.ts";
import { canonicalJson } from "../../src/core/jcs.ts";
import { type EvidenceMeta, findMetaProblem, leafHash, leafHashOf, metaDigest, normaliseMeta } from "../../src/core/leaf.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const META_A: EvidenceMeta = { hashAlg: "sha256", submitter: "tenant-a", caseId: "case-42", eventType: "signature" };
const JCS_A = '{"caseId":"case-42","eventType":"signature","hashAlg":"sha256","submitter":"tenant-a"}';
const META_DIGEST_A = "0xa83dfe5c0d694ffb97421eb77dd0a9af8b1880f72c53bfa8d68fefebe0b1955e";
const SALT = Uint8Array.from({ length: 32 }, (_, i) => i); // 0x000102…1f
const DIGEST_HELLO = "0xb94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"; // sha256("hello world")
const LEAF_A = "0x6f4abdb5c3d77d7891eabb61f5853474e9334aa40948974896234b241b1b093e";

// Escapes, control characters, DEL, non-ASCII keys and an astral character.
const META_B: EvidenceMeta = {
  hashAlg: "sha3-256",
  submitter: "notaire-é",
  caseId: 'dossier "7"\n\t\u0001\u007f',
  "€": "\u{1F600}",
  occurredAt: "2026-11-27T10:00:00+01:00",
};
const JCS_B = '{"caseId":"dossier \\"7\\"\\n\\t\\u0001\u007f","hashAlg":"sha3-256","occurredAt":"2026-11-27T10:00:00+01:00","submitter":"notaire-é","€":"\u{1F600}"}';
const META_DIGEST_B = "0xe90f5f01b82fef88e2c22f99595be9de26d7fe2b37aa4b6a2b872afc4e471d9e";

describe("hash", () => {
  it("computes SHA-256, SHA3-256 and Keccak-256", () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(utf8("hello world")))).toBe(DIGEST_HELLO);
    expect(toHex(sha3_256(utf8("hello world")))).toBe("0x644bcc7e564373040999aac89e7622f3ca71fba1d972fd94a31c3bfbf24e3938");
    // Keccak-256 of "" (Ethereum's well-known empty hash), unlike SHA3-256 of "".
    expect(toHex(keccak256(new Uint8Array(0)))).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });

  it("digestDocument supports sha256 and sha3-256, not sm3", () => {
    expect(toHex(digestDocument("sha256", utf8("hello world")))).toBe(DIGEST_HELLO);
    expect(toHex(digestDocument("sha3-256", utf8("hello world")))).toBe("0x644bcc7e564373040999aac89e7622f3ca71fba1d972fd94a31c3bfbf24e3938");
    expect(() => digestDocument("sm3", utf8("x"))).toThrow(expect.objectContaining({ code: "unsupported-algorithm" }));
  });
});

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units (RFC 8785 section 3.2.3 example)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\u{1F600}": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const out = canonicalJson(input);
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","\u{1F600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(toHex(sha256(utf8(out)))).toBe("0x5e321556d22018a9656991a9e94f77ec175fa193e52a2429d312f8419ec8b08c");
  });

  it("serialises numbers and literals the ES way", () => {
    expect(canonicalJson({ b: [1e21, 0.1, -0, 1.5e-7, true, null], a: "x" })).toBe('{"a":"x","b":[1e+21,0.1,0,1.5e-7,true,null]}');
  });

  it("rejects values without a canonical JSON form", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [undefined, { a: undefined }, [undefined], NaN, Infinity, 1n, () => 1, new Date(0), cyclic, "\uD800", { "\uDC00": "x" }]) {
      expect(() => canonicalJson(bad), String(bad)).toThrow(CoreError);
    }
    expect(() => canonicalJson({ a: { b: [1, undefined] } })).toThrow("/a/b/1: undefined has no canonical JSON form");
  });

  it("accepts the same object seen twice (not a cycle)", () => {
    const shared = { x: "1" };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":"1"},"b":{"x":"1"}}');
  });
});

describe("metaDigest and leafHash", () => {
  it("hashes the JCS form of the meta", () => {
    expect(canonicalJson(META_A)).toBe(JCS_A);
    expect(toHex(metaDigest(META_A))).toBe(META_DIGEST_A);
    expect(canonicalJson(META_B)).toBe(JCS_B);
    expect(toHex(metaDigest(META_B))).toBe(META_DIGEST_B);
  });

  it("treats undefined optional fields as absent", () => {
    expect(toHex(metaDigest({ ...META_A, occurredAt: undefined, prev: undefined }))).toBe(META_DIGEST_A);
    expect(Object.keys(normaliseMeta({ ...META_A, prev: undefined }))).toEqual(["caseId", "eventType", "hashAlg", "submitter"]);
  });

  it("is SHA-256(0x00 || salt || digest || metaDigest)", () => {
    expect(toHex(leafHash({ salt: SALT, digest: fromHex(DIGEST_HELLO), meta: META_A }))).toBe(LEAF_A);
  });

  it("leafHashOf from a metaDigest computed once, and with node:crypto's SHA-256, gives the same leaf", () => {
    const digest = fromHex(DIGEST_HELLO);
    const nodeSha256 = (b: Uint8Array) => new Uint8Array(hash("sha256", b, "buffer"));
    expect(toHex(leafHashOf(SALT, digest, fromHex(META_DIGEST_A)))).toBe(LEAF_A);
    expect(toHex(leafHashOf(SALT, digest, metaDigest(META_A, nodeSha256), nodeSha256))).toBe(LEAF_A);
    expect(toHex(leafHash({ salt: SALT, digest, meta: META_A }, nodeSha256))).toBe(LEAF_A);
    expect(toHex(metaDigest(META_B, nodeSha256))).toBe(META_DIGEST_B);
    // A view into a larger buffer (ingest draws all salts of a request at once).
    const salts = new Uint8Array(96);
    salts.set(SALT, 32);
    expect(toHex(leafHashOf(salts.subarray(32, 64), digest, fromHex(META_DIGEST_A)))).toBe(LEAF_A);
    expect(() => leafHashOf(SALT, digest, new Uint8Array(31))).toThrow("metaDigest is 31 bytes, want 32");
  });

  it("requires 32-byte salt and digest", () => {
    expect(() => leafHash({ salt: SALT.subarray(1), digest: fromHex(DIGEST_HELLO), meta: META_A })).toThrow("salt is 31 bytes, want 32");
    expect(() => leafHash({ salt: SALT, digest: new Uint8Array(33), meta: META_A })).toThrow("digest is 33 bytes, want 32");
  });

  it("keeps a __proto__ key as data", () => {
    const meta = JSON.parse('{"hashAlg":"sha256","submitter":"s","__proto__":"x"}') as EvidenceMeta;
    expect(canonicalJson(normaliseMeta(meta))).toBe('{"__proto__":"x","hashAlg":"sha256","submitter":"s"}');
  });

  it("validates the meta and its limits", () => {
    const cases: [unknown, string | null, string][] = [
      [[], null, "expected an object"],
      [{ submitter: "s" }, "hashAlg", "missing"],
      [{ hashAlg: "sha256" }, "submitter", "missing"],
      [{ hashAlg: "md5", submitter: "s" }, "hashAlg", "expected one of"],
      [{ hashAlg: "sha256", submitter: "" }, "submitter", "must not be empty"],
      [{ hashAlg: "sha256", submitter: "s", n: 1 }, "n", "expected a string"],
      [{ hashAlg: "sha256", submitter: "s", long: "x".repeat(1025) }, "long", "1025 characters, limit 1024"],
      [{ hashAlg: "sha256", submitter: "s", ["k".repeat(65)]: "v" }, "k".repeat(65), "key must be 1 to 64"],
      [{ hashAlg: "sha256", submitter: "s", "": "v" }, "", "key must be 1 to 64"],
      [{ hashAlg: "sha256", submitter: "s", occurredAt: "yesterday" }, "occurredAt", "RFC 3339"],
      [{ hashAlg: "sha256", submitter: "s", occurredAt: "2026-13-01T00:00:00Z" }, "occurredAt", "RFC 3339"],
      [{ hashAlg: "sha256", submitter: "s", prev: "0x" + "AB".repeat(32) }, "prev", "lowercase"],
      [{ hashAlg: "sha256", submitter: "s", bad: "\uD800" }, "bad", "surrogate"],
      [Object.fromEntries([["hashAlg", "sha256"], ["submitter", "s"], ...Array.from({ length: 31 }, (_, i) => [`k${i}`, "v"])]), null, "33 keys, limit 32"],
    ];
    for (const [meta, key, reason] of cases) {
      const p = findMetaProblem(meta);
      expect(p, JSON.stringify(meta)).not.toBeNull();
      expect(p!.key).toBe(key);
      expect(p!.reason).toContain(reason);
    }
    expect(findMetaProblem({ ...META_B, prev: "0x" + "ab".repeat(32), occurredAt: "2026-11-27t10:00:00.123z" })).toBeNull();
    expect(() => metaDigest({ hashAlg: "sha256", submitter: "" })).toThrow(expect.objectContaining({ code: "invalid-meta", path: "/submitter" }));
  });
});
