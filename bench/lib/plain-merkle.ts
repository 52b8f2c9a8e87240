// A plain, dependency-free RFC 6962 tree builder used as the bench's yardstick against
// merkletreejs: levels built bottom-up in flat buffers, every inclusion path cut from them.
// Same output shape as the batcher's buildTreeInline ({ root, paths: Uint8Array[] }).
import { createHash, hash as oneShotHash } from "node:crypto";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

export interface PlainTree {
  root: Uint8Array;
  paths: Uint8Array[];
}

/** Writes SHA-256(msg) into out[outOff .. outOff+32). msg is 0x01 || left || right (65 bytes). */
export type NodeHasher = (msg: Uint8Array, out: Uint8Array, outOff: number) => void;

export const hashers = {
  /** node:crypto createHash: one Hash object per node (what most code writes). */
  createHash: ((msg, out, off) => out.set(createHash("sha256").update(msg).digest(), off)) as NodeHasher,
  /** node:crypto hash() one-shot (Node >= 21.7): no Hash object per call. */
  cryptoHash: ((msg, out, off) => out.set(oneShotHash("sha256", msg, "buffer"), off)) as NodeHasher,
  /** @noble/hashes sha256, pure JS (the core's hash, so the core runs in browsers). */
  noble: ((msg, out, off) => out.set(nobleSha256(msg), off)) as NodeHasher,
};

const EMPTY_ROOT = new Uint8Array(createHash("sha256").digest());

interface Levels {
  /** levels[0] = leaves, flat 32-byte nodes; the last level holds the root. */
  levels: Uint8Array[];
  sizes: number[];
  root: Uint8Array;
}

/**
 * All levels of the RFC 6962 tree over `leafHashes` (32 bytes each). A level of n nodes
 * pairs (2k, 2k+1); an odd last node is promoted unchanged, which yields the RFC 6962 split
 * at the largest power of two below n.
 */
export function buildLevels(leafHashes: Uint8Array[], hashNode: NodeHasher): Levels {
  const n = leafHashes.length;
  if (n === 0) return { levels: [], sizes: [], root: EMPTY_ROOT.slice() };
  let level = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) level.set(leafHashes[i]!, i * 32);
  let size = n;
  const levels = [level];
  const sizes = [size];
  const msg = new Uint8Array(65);
  msg[0] = 0x01;
  while (size > 1) {
    const up = Math.ceil(size / 2);
    const next = new Uint8Array(up * 32);
    for (let k = 0; 2 * k + 1 < size; k++) {
      msg.set(level.subarray(64 * k, 64 * k + 64), 1);
      hashNode(msg, next, 32 * k);
    }
    if (size % 2 === 1) next.set(level.subarray((size - 1) * 32, size * 32), (up - 1) * 32);
    levels.push(next);
    sizes.push(up);
    level = next;
    size = up;
  }
  return { levels, sizes, root: level.slice(0, 32) };
}

/** Root only. */
export function plainRoot(leafHashes: Uint8Array[], hashNode: NodeHasher): Uint8Array {
  return buildLevels(leafHashes, hashNode).root;
}

/**
 * Root and all inclusion paths. Paths are sibling first and skip levels where the node was
 * promoted (RFC 9162 §2.1.3.1 order); each is a view into one flat buffer.
 */
export function buildPlainTree(leafHashes: Uint8Array[], hashNode: NodeHasher): PlainTree {
  const { levels, sizes, root } = buildLevels(leafHashes, hashNode);
  const n = leafHashes.length;
  const depth = levels.length - 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let l = 0, idx = i; l < depth; l++, idx = Math.floor(idx / 2)) if ((idx ^ 1) < sizes[l]!) total++;
  }
  // Copied as 8 aligned 32-bit words per hash: a subarray() view per sibling would cost
  // one allocation per path element (~20 per leaf at 10^6 leaves).
  const flat = new Uint8Array(total * 32);
  const flat32 = new Uint32Array(flat.buffer);
  const levels32 = levels.map((lv) => new Uint32Array(lv.buffer, lv.byteOffset, lv.length / 4));
  const paths: Uint8Array[] = new Array(n);
  let w = 0; // write position in 32-bit words
  for (let i = 0; i < n; i++) {
    const start = w * 4;
    for (let l = 0, idx = i; l < depth; l++, idx = Math.floor(idx / 2)) {
      const sib = idx ^ 1;
      if (sib < sizes[l]!) {
        const src = levels32[l]!;
        for (let k = 0, r = sib * 8; k < 8; k++) flat32[w++] = src[r + k]!;
      }
    }
    paths[i] = flat.subarray(start, w * 4);
  }
  return { root, paths };
}
