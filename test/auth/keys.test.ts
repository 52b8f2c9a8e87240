// The API key format: recognisable, checksummed, 256 random bits, stored only as a hash.
import { describe, expect, it } from "vitest";
import { base32, generateKey, hashKey, keyMatches, parseKey } from "../../src/auth/keys.ts";
import { FailureTracker } from "../../src/auth/failures.ts";

describe("API keys", () => {
  it("base32 is RFC 4648 (lowercase, no padding)", () => {
    // RFC 4648 section 10 test vectors.
    const enc = (s: string) => base32(new TextEncoder().encode(s));
    expect(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map(enc)).toEqual([
      "",
      "my",
      "mzxq",
      "mzxw6",
      "mzxw6yq",
      "mzxw6ytb",
      "mzxw6ytboi",
    ]);
  });

  it("has the evk_ prefix, a 12-character public id and parses back to it", () => {
    const k = generateKey();
    expect(k.key).toMatch(/^evk_[a-z2-7]{12}_[a-z2-7]{59}$/);
    expect(k.key.slice(4, 16)).toBe(k.id);
    expect(parseKey(k.key)).toBe(k.id);
    expect(k.hash).toEqual(hashKey(k.key));
    expect(Buffer.from(k.hash).toString("hex")).not.toContain(k.key);
  });

  it("draws 256 bits of secret from the random source", () => {
    const asked: number[] = [];
    generateKey((n) => {
      asked.push(n);
      return new Uint8Array(n).fill(7);
    });
    expect(asked).toContain(32);
  });

  it("is unique per call", () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateKey().key));
    expect(keys.size).toBe(200);
  });

  it("rejects any single-character change through the checksum or the format", () => {
    const { key } = generateKey();
    for (let i = 0; i < key.length; i++) {
      const other = key[i] === "a" ? "b" : "a";
      const changed = key.slice(0, i) + other + key.slice(i + 1);
      expect(parseKey(changed), `position ${i}`).toBeUndefined();
    }
    expect(parseKey(key.toUpperCase())).toBeUndefined();
    expect(parseKey(key + "a")).toBeUndefined();
    expect(parseKey(key.slice(0, -1))).toBeUndefined();
    expect(parseKey("")).toBeUndefined();
  });

  it("matches only the key it was hashed from", () => {
    const a = generateKey();
    const b = generateKey();
    expect(keyMatches(a.key, a.hash)).toBe(true);
    expect(keyMatches(b.key, a.hash)).toBe(false);
    expect(keyMatches(a.key, a.hash.subarray(0, 31))).toBe(false);
  });
});

describe("failed-authentication tracking", () => {
  it("reports a burst once per window and blocks past the hard limit until the window ends", () => {
    let now = 1_000_000;
    const t = new FailureTracker({ windowMs: 60_000, burstThreshold: 3, blockThreshold: 5, now: () => now });
    const verdicts = Array.from({ length: 6 }, (_, i) => t.record("10.0.0.1", `key${i}`));
    expect(verdicts.map((v) => v.burst)).toEqual([false, false, true, false, false, false]);
    expect(verdicts[2]!.keyIds).toEqual(["key0", "key1", "key2"]);
    expect(t.blockedFor("10.0.0.1")).toBe(60);
    expect(t.blockedFor("10.0.0.2")).toBe(0);
    now += 59_001;
    expect(t.blockedFor("10.0.0.1")).toBe(1);
    now += 1000;
    expect(t.blockedFor("10.0.0.1")).toBe(0);
    // A new window: counting starts again and a new burst is reported.
    expect(t.record("10.0.0.1").count).toBe(1);
  });
});
