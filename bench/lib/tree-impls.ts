// The tree builders compared in section 1, behind one shape, and deterministic test leaves
// (so separate processes build identical trees and their roots can be cross-checked).
import { buildTree } from "../../src/core/merkle.ts";
import { buildTreeInline } from "../../src/batcher/tree.ts";
import { buildPlainTree, hashers, plainRoot } from "./plain-merkle.ts";
import { xorshiftLeaves } from "../../test/helpers/leaves.ts";

export interface TreeImpl {
  id: ImplId;
  label: string;
  /** Root and every leaf's path: what the sealer needs. */
  rootAndPaths(leaves: Uint8Array[]): { root: Uint8Array; paths: Uint8Array[] };
  /** Root only: isolates the hashing/layering cost from path extraction. */
  rootOnly(leaves: Uint8Array[]): Uint8Array;
}

export type ImplId = "merkletreejs" | "plain-createHash" | "plain-cryptoHash" | "plain-noble";

export const IMPLS: TreeImpl[] = [
  {
    id: "merkletreejs",
    label: "service: buildTree (merkletreejs+noble) + all paths",
    rootAndPaths: buildTreeInline,
    rootOnly: (l) => buildTree(l).root,
  },
  {
    id: "plain-createHash",
    label: "plain RFC 6962, node:crypto createHash",
    rootAndPaths: (l) => buildPlainTree(l, hashers.createHash),
    rootOnly: (l) => plainRoot(l, hashers.createHash),
  },
  {
    id: "plain-cryptoHash",
    label: "plain RFC 6962, node:crypto hash() one-shot",
    rootAndPaths: (l) => buildPlainTree(l, hashers.cryptoHash),
    rootOnly: (l) => plainRoot(l, hashers.cryptoHash),
  },
  {
    id: "plain-noble",
    label: "plain RFC 6962, @noble/hashes sha256",
    rootAndPaths: (l) => buildPlainTree(l, hashers.noble),
    rootOnly: (l) => plainRoot(l, hashers.noble),
  },
];

export function implById(id: string): TreeImpl {
  const impl = IMPLS.find((i) => i.id === id);
  if (!impl) throw new Error(`unknown tree implementation ${id}`);
  return impl;
}

/**
 * n leaf hashes as 32-byte views into one buffer (the way rows read from the database
 * arrive), filled by xorshift32 from `seed`: fast, and identical in every process.
 */
export function makeLeaves(n: number, seed = 0x9e3779b9): Uint8Array[] {
  const bytes = xorshiftLeaves(n, seed);
  const out: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.subarray(i * 32, i * 32 + 32);
  return out;
}

export function toHexString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Throws unless both trees have the same root and the same paths at `sample` indexes. */
export function assertSameTree(
  a: { root: Uint8Array; paths: Uint8Array[] },
  b: { root: Uint8Array; paths: Uint8Array[] },
  what: string,
  sample = 200,
): void {
  if (toHexString(a.root) !== toHexString(b.root)) throw new Error(`${what}: roots differ`);
  if (a.paths.length !== b.paths.length) throw new Error(`${what}: path counts differ`);
  const n = a.paths.length;
  const step = Math.max(1, Math.floor(n / sample));
  for (let i = 0; i < n; i += step) {
    if (toHexString(a.paths[i]!) !== toHexString(b.paths[i]!)) throw new Error(`${what}: path ${i} differs`);
  }
  if (n > 0 && toHexString(a.paths[n - 1]!) !== toHexString(b.paths[n - 1]!)) throw new Error(`${what}: last path differs`);
}
