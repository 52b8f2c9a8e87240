// docs/verifying.md's worked example must stay true: its proof verifies (offline: the chain of
// that run is gone) against contract.txt, and every intermediate value the page prints is
// what the core computes from that proof.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/core/bytes.ts";
import { sha256 } from "../../src/core/hash.ts";
import { metaDigest } from "../../src/core/leaf.ts";
import { verdictOf, verifyBundle } from "../../src/verify/index.ts";
import { CONTRACT_PATH, fileDigest } from "../helpers/vectors.ts";

const doc = readFileSync(new URL("../../docs/verifying.md", import.meta.url), "utf8");
const proofText = readFileSync(new URL("../../docs/examples/proof-2026-1127.json", import.meta.url), "utf8");
const proof = JSON.parse(proofText);
const node = (l: string, r: string) => toHex(sha256(concatBytes(Uint8Array.of(1), fromHex(l), fromHex(r))));

describe("docs/verifying.md's worked example", () => {
  it("the example proof is a proof of contract.txt, and the page quotes it whole", async () => {
    const result = await verifyBundle(proofText, { documentDigest: fileDigest(CONTRACT_PATH) });
    expect(verdictOf(result).kind).toBe("consistent");
    expect(doc).toContain(JSON.stringify(proof.anchor, null, 2).replaceAll("\n", "\n  "));
  });

  it("every intermediate hash printed is the one the core computes", () => {
    const md = toHex(metaDigest(proof.evidence.meta));
    const [p0, p1, p2] = proof.batch.path as string[];
    const n1 = node(p0!, proof.leaf.hash);
    const n2 = node(p1!, n1);
    const root = node(n2, p2!);
    expect(root).toBe(proof.batch.root);
    for (const value of [md, proof.leaf.hash, n1, n2, root]) expect(doc).toContain(value.slice(2));
  });
});
