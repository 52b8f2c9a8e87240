// The signing worker: the same signatures Signer makes (Ed25519 is deterministic), each one
// verifiable on its own with the public key, in order under concurrency; a worker that dies
// fails the jobs under way and the next call gets a new one.
import { verify } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/jcs.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { SigningPool } from "../../src/signing/pool.ts";
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

  it("sends requests that wait behind a busy worker together, each failing or succeeding alone", async () => {
    const signer = new Signer(key);
    const busy = pool.signMany(Array.from({ length: 500 }, (_, i) => doc(i))); // the worker is at this one
    const small = Array.from({ length: 12 }, (_, i) => [doc(1000 + i)]);
    // Not JSON: refused in the worker (canonicalJson), in the same message as the others.
    const bad = pool.signMany([{ ...doc(2000), extra: undefined }]);
    const [results] = await Promise.all([
      Promise.all(small.map((docs) => pool.signMany(docs))),
      expect(bad).rejects.toThrow(/signing failed: .*undefined has no canonical JSON form/),
    ]);
    results.forEach((signed, i) => expect(signed).toEqual(small[i]!.map((d) => signer.sign(d))));
    expect(await busy).toHaveLength(500);
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
      await own.signMany([doc(1)]);
      const under = own.signMany(Array.from({ length: 2000 }, (_, i) => doc(i)));
      const waiting = own.signMany([doc(3)]); // queued behind `under`, not yet sent
      await own.close(); // the worker goes away while it works
      await expect(under).rejects.toThrow(/signing worker exited/);
      // What waited was not at the dead worker: a new one signs it.
      expect(await waiting).toEqual([new Signer(key).sign(doc(3))]);
      expect(await own.signMany([doc(2)])).toEqual([new Signer(key).sign(doc(2))]);
    } finally {
      await own.close();
    }
  });
});
