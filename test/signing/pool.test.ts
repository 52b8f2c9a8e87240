// The signing worker: the same signatures Signer makes (Ed25519 is deterministic), each one
// verifiable on its own with the public key, in order under concurrency; a worker that dies
// fails the jobs under way and the next call gets a new one.
import { verify } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/jcs.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { INLINE_MAX_DOCS, SigningPool } from "../../src/signing/pool.ts";
import { Signer } from "../../src/signing/signer.ts";

const key = generateSigningKey();
const pool = new SigningPool(key);
afterAll(() => pool.close());

const doc = (i: number) => ({ format: "evidence-receipt/v1", id: `item-${i}`, digest: "0x" + i.toString(16).padStart(64, "0"), submitter: "tenant-a" });

describe("SigningPool", () => {
  it("signs as Signer does, byte for byte, and each signature verifies with the public key", async () => {
    const docs = Array.from({ length: 50 }, (_, i) => doc(i));
    const signer = new Signer(key);
    const pooled = await pool.signMany(docs);
    expect(pooled).toEqual(docs.map((d) => signer.sign(d)));
    for (const s of pooled) {
      const { signature, ...body } = s;
      expect(signature.kid).toBe(key.kid);
      expect(verify(null, Buffer.from(canonicalJson(body)), key.privateKey, Buffer.from(signature.value, "base64url"))).toBe(true);
    }
  });

  it("signs small requests in place, the same as Signer and as the worker", async () => {
    const signer = new Signer(key);
    for (const n of [1, INLINE_MAX_DOCS, INLINE_MAX_DOCS + 1]) {
      const docs = Array.from({ length: n }, (_, i) => doc(100 + i));
      expect(await pool.signMany(docs)).toEqual(docs.map((d) => signer.sign(d)));
    }
  });

  it("keeps each caller's documents and order when calls overlap", async () => {
    const calls = Array.from({ length: 20 }, (_, c) => Array.from({ length: 1 + (c % 5) }, (_, i) => doc(c * 10 + i)));
    const results = await Promise.all(calls.map((docs) => pool.signMany(docs)));
    results.forEach((signed, c) => expect(signed.map((s) => s.id)).toEqual(calls[c]!.map((d) => d.id)));
  });

  it("refuses a document that carries a signature already, as Signer does", async () => {
    await expect(pool.signMany([{ ...doc(1), signature: "x" }])).rejects.toThrow(/already has a signature/);
  });

  it("fails the jobs under way when its worker dies, and starts a new worker for the next", async () => {
    const own = new SigningPool(key);
    try {
      // More than INLINE_MAX_DOCS: these go to the worker.
      const next = Array.from({ length: INLINE_MAX_DOCS + 1 }, (_, i) => doc(10_000 + i));
      await own.signMany(next);
      const under = own.signMany(Array.from({ length: 2000 }, (_, i) => doc(i)));
      await own.close(); // the worker goes away while it works
      await expect(under).rejects.toThrow(/signing worker exited/);
      expect(await own.signMany(next)).toEqual(next.map((d) => new Signer(key).sign(d)));
    } finally {
      await own.close();
    }
  });
});
