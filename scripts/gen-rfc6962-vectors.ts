// Generates test/vectors/rfc6962/*.json once, from an independent recursive RFC 6962 implementation.
// Run: npx tsx scripts/gen-rfc6962-vectors.ts   (the output is committed; tests only read it)
//
// Deliberately shares no code with src/: node:crypto instead of @noble/hashes, and the
// recursive MTH / PATH definitions of RFC 6962 section 2.1 instead of layers or bit tricks.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "vectors", "rfc6962");

const sha256 = (...parts: Buffer[]): Buffer => createHash("sha256").update(Buffer.concat(parts)).digest();
const hex = (b: Buffer): string => "0x" + b.toString("hex");
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

// Pasted from specs/proof-format-v1.md (the Certificate Transparency reference data).
const SPEC_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const SPEC_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const SPEC_PROOF_8_0 = [
  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
];

const inputs = SPEC_INPUTS.map((h) => Buffer.from(h, "hex"));
const leafHashes = inputs.map((d) => sha256(LEAF, d));

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 MTH over leaf hashes. */
function mth(hs: Buffer[]): Buffer {
  if (hs.length === 0) return sha256();
  if (hs.length === 1) return hs[0]!;
  const k = split(hs.length);
  return sha256(NODE, mth(hs.slice(0, k)), mth(hs.slice(k)));
}

/** RFC 6962 PATH(m, D[n]). */
function path(m: number, hs: Buffer[]): Buffer[] {
  if (hs.length <= 1) return [];
  const k = split(hs.length);
  return m < k ? [...path(m, hs.slice(0, k)), mth(hs.slice(k))] : [...path(m - k, hs.slice(k)), mth(hs.slice(0, k))];
}

/** Length of PATH(m, D[n]), from the same recursion. */
function pathLength(m: number, n: number): number {
  if (n <= 1) return 0;
  const k = split(n);
  return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k));
}

/** Root implied by a proof, undoing the PATH recursion (last element = top-level sibling). */
function rootFromPath(m: number, n: number, leaf: Buffer, proof: Buffer[]): Buffer {
  if (n === 1) return leaf;
  const k = split(n);
  const sibling = proof[proof.length - 1]!;
  const rest = proof.slice(0, -1);
  return m < k ? sha256(NODE, rootFromPath(m, k, leaf, rest), sibling) : sha256(NODE, sibling, rootFromPath(m - k, n - k, leaf, rest));
}

type Want = { valid: boolean } | { error: string; message: string };

/** What a correct verifier must answer, decided by this file's own recursion. */
function expected(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): Want {
  if (index >= size) return { error: "index-out-of-range", message: `index ${index} out of range for size ${size}` };
  const want = pathLength(index, size);
  if (proof.length !== want) return { error: "wrong-proof-size", message: `wrong proof size ${proof.length}, want ${want}` };
  return { valid: rootFromPath(index, size, leaf, proof).equals(root) };
}

// Self-check against the spec before writing anything.
for (let n = 0; n <= 8; n++) {
  if (mth(leafHashes.slice(0, n)).toString("hex") !== SPEC_ROOTS[n]) throw new Error(`MTH of size ${n} disagrees with the spec`);
}
if (path(0, leafHashes).map((b) => b.toString("hex")).join() !== SPEC_PROOF_8_0.join()) throw new Error("PATH(0, D[8]) disagrees with the spec");

mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".json")) rmSync(join(OUT, f));
const write = (name: string, value: unknown): void => writeFileSync(join(OUT, name), JSON.stringify(value, null, 2) + "\n");

write("roots.json", {
  kind: "roots",
  description: "Certificate Transparency reference roots for sizes 0..8 (spec proof-format-v1); leaf i hashes leafInputs[i] as SHA-256(0x00 || input)",
  source: "spec",
  leafInputs: SPEC_INPUTS.map((h) => "0x" + h),
  roots: SPEC_ROOTS.map((r, size) => ({ size, root: "0x" + r })),
});

function inclusion(description: string, source: string, leaf: Buffer, index: number, size: number, proof: Buffer[], root: Buffer): object {
  return {
    kind: "inclusion",
    description,
    source,
    leafIndex: index,
    treeSize: size,
    leafHash: hex(leaf),
    proof: proof.map(hex),
    root: hex(root),
    want: expected(index, size, leaf, proof, root),
  };
}

write(
  "inclusion-spec-size8-index0.json",
  inclusion("inclusion proof of index 0 in the size-8 tree, as printed in the spec", "spec", leafHashes[0]!, 0, 8, SPEC_PROOF_8_0.map((h) => Buffer.from(h, "hex")), Buffer.from(SPEC_ROOTS[8]!, "hex")),
);

for (let size = 1; size <= 8; size++) {
  const hs = leafHashes.slice(0, size);
  const root = mth(hs);
  for (let index = 0; index < size; index++) {
    write(`inclusion-size${size}-index${index}.json`, inclusion(`happy path: leaf ${index} of ${size}`, "generated", hs[index]!, index, size, path(index, hs), root));
  }
}

const GARBAGE = sha256(Buffer.from("trailing garbage"));
const NEGATIVE_CASES: [size: number, index: number][] = [[8, 0], [8, 5], [7, 6], [6, 4], [3, 2], [1, 0]];
for (const [size, index] of NEGATIVE_CASES) {
  const hs = leafHashes.slice(0, size);
  const root = mth(hs);
  const proof = path(index, hs);
  const leaf = hs[index]!;
  const name = (variant: string): string => `inclusion-size${size}-index${index}-${variant}.json`;
  const gen = "generated (negative)";
  write(name("leafIdx-plus-1"), inclusion(`leaf ${index} of ${size}, proof checked as leaf ${index + 1}`, gen, leaf, index + 1, size, proof, root));
  write(name("trailing-garbage"), inclusion(`leaf ${index} of ${size}, one extra hash appended`, gen, leaf, index, size, [...proof, GARBAGE], root));
  write(name("wrong-size"), inclusion(`leaf ${index} of ${size}, proof checked against size ${size + 1}`, gen, leaf, index, size + 1, proof, root));
  if (proof.length > 0) {
    write(name("truncated"), inclusion(`leaf ${index} of ${size}, last hash removed`, gen, leaf, index, size, proof.slice(0, -1), root));
    const flipped = Buffer.from(proof[0]!);
    flipped[0]! ^= 0x01;
    write(name("modified-proof[0]-bit"), inclusion(`leaf ${index} of ${size}, lowest bit of proof[0] flipped`, gen, leaf, index, size, [flipped, ...proof.slice(1)], root));
  }
}
console.log(`wrote ${readdirSync(OUT).length} files to ${OUT}`);
