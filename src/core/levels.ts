// A batch's RFC 6962 tree stored as levels of complete subtrees (no per-leaf paths), and RFC 9162 inclusion paths recomputed from a few of those nodes.
import { assertLength } from "./bytes.ts";
import { CoreError, InvariantError } from "./errors.ts";
import { sha256 } from "./hash.ts";

/**
 * Writes SHA-256(0x01 || src[srcOff, srcOff + 64)) to dst[dstOff, dstOff + 32): the RFC 6962
 * interior node over the 64 bytes left || right. `dst` never overlaps the bytes read.
 */
export type PairHasher = (src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number) => void;

export interface Levels {
  /** RFC 6962 MTH of all n leaves (its own buffer). */
  root: Uint8Array;
  /**
   * levels[0] is the `leaves` argument itself (not a copy); levels[k] holds the floor(n / 2^k)
   * complete, aligned subtrees of height k, node j covering leaves [j*2^k, (j+1)*2^k), 32
   * bytes each. Up to the highest level with a node, so floor(log2 n) + 1 entries; none for
   * n = 0 (no level has a node). Levels 1.. are views into one shared buffer. The nodes
   * on the right border of a tree whose size is not a power of two are incomplete: they are
   * hashed for the root but not stored (pathFromNodes recomputes them from stored nodes).
   */
  levels: Uint8Array[];
}

/** A complete subtree: covers leaves [index * 2^level, (index + 1) * 2^level). */
export interface NodeRef {
  level: number;
  index: number;
}

const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

// ---------------------------------------------------------------------------------------
// SHA-256 of exactly 65 bytes (0x01 || left || right), FIPS 180-4, written for this one
// message shape. Why not @noble/hashes or node:crypto: a 10^6-leaf tree is 10^6 such hashes,
// and per call @noble/hashes costs about 3.4 µs (a hasher object, padding, an output array)
// and node:crypto's one-shot hash() about 3 µs (the crossing into C++ and a Buffer), against
// about 0.9 µs here on the same 2-core machine: a 10^6-leaf buildLevels takes 0.9 s with this,
// 3.2 s with node:crypto, 4.7 s with @noble/hashes (bench/tree-bench.ts). The message
// is always two blocks, and the second block is fixed but for its first byte (the right
// child's last byte), so its whole schedule, plus the round constants, is precomputed for
// each of the 256 values. Nothing is allocated per hash. Checked against @noble/hashes and
// merkletreejs in test/core/levels.test.ts.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Message schedule of the first block (W), and with the round constants added (KW1 = W + K). */
const W = new Int32Array(64);
const KW1 = new Int32Array(64);
/** KW2[b * 64 + i]: K[i] + W[i] of the second block when the right child's last byte is b. */
const KW2 = new Int32Array(256 * 64);
/** Chaining state between the two blocks. */
const S = new Int32Array(8);

/** Extends W[0..16) to the 64-word schedule, in place. */
function expand(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = w[i - 15]!;
    const w2 = w[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[i] = (s1 + w[i - 7]! + s0 + w[i - 16]!) | 0;
  }
}

for (let b = 0; b < 256; b++) {
  // Second block: message byte 64, the 0x80 pad byte, zeros, and the bit length 65 * 8 = 520.
  W.fill(0);
  W[0] = (b << 24) | 0x80_0000;
  W[15] = 520;
  expand(W);
  for (let i = 0; i < 64; i++) KW2[b * 64 + i] = (W[i]! + K[i]!) | 0;
}

/**
 * 64 rounds over the state S with the schedule-plus-constants kw[base, base + 64), then the
 * feed-forward (S += result). Unrolled by eight with the variables renamed per round, so no
 * round shuffles eight locals.
 */
function rounds(kw: Int32Array, base: number): void {
  let a = S[0]!, b = S[1]!, c = S[2]!, d = S[3]!, e = S[4]!, f = S[5]!, g = S[6]!, h = S[7]!;
  for (let i = base, end = base + 64; i < end; i += 8) {
    let t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + kw[i]!) | 0;
    d = (d + t) | 0;
    h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + kw[i + 1]!) | 0;
    c = (c + t) | 0;
    g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0;
    t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + kw[i + 2]!) | 0;
    b = (b + t) | 0;
    f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0;
    t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + kw[i + 3]!) | 0;
    a = (a + t) | 0;
    e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0;
    t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + kw[i + 4]!) | 0;
    h = (h + t) | 0;
    d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0;
    t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + kw[i + 5]!) | 0;
    g = (g + t) | 0;
    c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0;
    t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + kw[i + 6]!) | 0;
    f = (f + t) | 0;
    b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0;
    t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + kw[i + 7]!) | 0;
    e = (e + t) | 0;
    a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0;
  }
  S[0] = (S[0]! + a) | 0;
  S[1] = (S[1]! + b) | 0;
  S[2] = (S[2]! + c) | 0;
  S[3] = (S[3]! + d) | 0;
  S[4] = (S[4]! + e) | 0;
  S[5] = (S[5]! + f) | 0;
  S[6] = (S[6]! + g) | 0;
  S[7] = (S[7]! + h) | 0;
}

/** SHA-256(0x01 || src[so, so + 64)) written big-endian to dst[dO, dO + 32). */
function hashNodeView(src: DataView, so: number, dst: DataView, dO: number): void {
  // Block 1 is the bytes 0x01, m[0..63) where m = left || right: every word is shifted by
  // one byte against m's own big-endian words.
  let p = src.getInt32(so, false);
  let w = 0x0100_0000 | (p >>> 8);
  W[0] = w;
  KW1[0] = (w + K[0]!) | 0;
  for (let i = 1; i < 16; i++) {
    const q = src.getInt32(so + 4 * i, false);
    w = (p << 24) | (q >>> 8);
    W[i] = w;
    KW1[i] = (w + K[i]!) | 0;
    p = q;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w = (s1 + W[i - 7]! + s0 + W[i - 16]!) | 0;
    W[i] = w;
    KW1[i] = (w + K[i]!) | 0;
  }
  S.set(IV);
  rounds(KW1, 0);
  rounds(KW2, (p & 0xff) * 64);
  for (let i = 0; i < 8; i++) dst.setInt32(dO + 4 * i, S[i]!, false);
}

const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The default PairHasher: the 65-byte SHA-256 above. */
export const hashPair: PairHasher = (src, srcOff, dst, dstOff) => hashNodeView(viewOf(src), srcOff, viewOf(dst), dstOff);

// 64 bytes for a left || right pair that does not lie side by side in a level (right border).
const pairScratch = new Uint8Array(64);

/** SHA-256(0x01 || left || right) of two 32-byte hashes, as a new array. */
function hashTwo(left: Uint8Array, right: Uint8Array, hasher: PairHasher): Uint8Array {
  pairScratch.set(left, 0);
  pairScratch.set(right, 32);
  const out = new Uint8Array(32);
  hasher(pairScratch, 0, out, 0);
  return out;
}

// ---------------------------------------------------------------------------------------

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new CoreError("invalid-argument", `${what} ${size} is not a non-negative safe integer`);
}

function checkIndex(index: number, size: number): void {
  checkSize(size, "tree size");
  checkSize(index, "index");
  if (index >= size) throw new CoreError("index-out-of-range", `index ${index} out of range for size ${size}`);
}

/**
 * Builds every level of complete subtrees over `n` leaf hashes, and the root.
 * Requires `leaves.length === 32 * n` (CoreError "invalid-length" otherwise) and n a
 * non-negative safe integer ("invalid-argument"). n = 0 gives EMPTY_ROOT and no levels;
 * n = 1 gives the leaf as root and levels [leaves]. O(n) hashes (n - popcount(n) stored,
 * fewer than log2 n more on the right border), one allocation for all levels above the leaves.
 * `hasher` is for measurements and other hash back ends; the default is the fastest here.
 */
export function buildLevels(leaves: Uint8Array, n: number, hasher?: PairHasher): Levels {
  checkSize(n, "leaf count");
  if (leaves.length !== 32 * n) {
    throw new CoreError("invalid-length", `leaves are ${leaves.length} bytes, want ${32 * n} (${n} hashes of 32)`);
  }
  if (n === 0) return { root: new Uint8Array(EMPTY_ROOT), levels: [] };

  let top = 0;
  let upperBytes = 0;
  for (let m = Math.floor(n / 2); m > 0; m = Math.floor(m / 2)) {
    top++;
    upperBytes += 32 * m;
  }
  const upper = new Uint8Array(upperBytes);
  const levels: Uint8Array[] = [leaves];
  const upperView = viewOf(upper);
  const leavesView = viewOf(leaves);
  let below = leaves;
  let belowView = leavesView;
  let belowOffset = 0; // byte offset of `below` within its own view
  let offset = 0;
  for (let k = 1, m = Math.floor(n / 2); k <= top; k++, m = Math.floor(m / 2)) {
    const level = upper.subarray(offset, offset + 32 * m);
    // Node j of level k is H(node 2j, node 2j+1) of level k-1: 64 bytes side by side.
    if (hasher) {
      for (let j = 0; j < m; j++) hasher(below, 64 * j, level, 32 * j);
    } else {
      for (let j = 0; j < m; j++) hashNodeView(belowView, belowOffset + 64 * j, upperView, offset + 32 * j);
    }
    levels.push(level);
    below = level;
    belowView = upperView;
    belowOffset = offset;
    offset += 32 * m;
  }
  if (offset !== upperBytes) throw new InvariantError(`levels filled ${offset} of ${upperBytes} bytes`);

  // MTH folds the complete subtrees of n's one bits from the right: the lowest bit's subtree
  // first, then H(higher subtree, what is folded so far). They are each level's last node.
  let root: Uint8Array | undefined;
  for (let k = 0, m = n; k <= top; k++, m = Math.floor(m / 2)) {
    if (m % 2 === 0) continue;
    const lv = levels[k]!;
    const node = lv.subarray(lv.length - 32);
    root = root === undefined ? new Uint8Array(node) : hashTwo(node, root, hasher ?? hashPair);
  }
  if (!root) throw new InvariantError(`no root for ${n} leaves`);
  return { root, levels };
}

/**
 * The path elements of RFC 9162's PATH(index, D[0:size]), sibling first, each as the complete
 * nodes it is made of, left to right: one node for a sibling that is a complete subtree, several
 * for a sibling on the right border, whose hash is MTH of those nodes.
 * Follows the RFC's recursion: split [lo, lo + len) at the largest power of two k < len; the
 * half without the leaf is a path element. Every range start is a multiple of every power of
 * two below the range's length, so a range of power-of-two length is one aligned, stored node.
 */
function pathPlan(index: number, size: number): NodeRef[][] {
  checkIndex(index, size);
  const elements: NodeRef[][] = [];
  let lo = 0;
  let len = size;
  while (len > 1) {
    let k = 1;
    while (2 * k < len) k *= 2;
    if (index < lo + k) {
      elements.push(rangeNodes(lo + k, len - k));
      len = k;
    } else {
      elements.push(rangeNodes(lo, k));
      lo += k;
      len -= k;
    }
  }
  // The recursion finds the top of the path first; RFC 9162 lists it last.
  return elements.reverse();
}

/** The complete nodes whose MTH is MTH(D[start:start+len]): one per one bit of len, largest first. */
function rangeNodes(start: number, len: number): NodeRef[] {
  let s = 1;
  let level = 0;
  while (2 * s <= len) {
    s *= 2;
    level++;
  }
  const nodes: NodeRef[] = [];
  for (; len > 0; s /= 2, level--) {
    if (len >= s) {
      nodes.push({ level, index: start / s });
      start += s;
      len -= s;
    }
  }
  return nodes;
}

/**
 * The complete nodes an RFC 9162 inclusion path of leaf `index` in a tree of `size` leaves is
 * computed from (see pathFromNodes), each with (index + 1) * 2^level <= size; no repeats (the
 * path elements cover disjoint ranges), in path order and left to right within an element.
 * At most about 2 log2 size nodes. Requires 0 <= index < size (CoreError "index-out-of-range",
 * "invalid-argument").
 */
export function nodesForPath(index: number, size: number): NodeRef[] {
  return pathPlan(index, size).flat();
}

/**
 * RFC 9162 inclusion path of leaf `index` in a tree of `size` leaves, sibling first: the same
 * bytes as merkle.ts's buildTree(leaves).path(index). Calls `node` only for the nodes listed by
 * nodesForPath(index, size), once each, and expects the 32-byte hash of that complete subtree
 * (e.g. read from levels[level] at 32 * index). The returned hashes are fresh arrays.
 * Requires 0 <= index < size; `hasher` as in buildLevels.
 */
export function pathFromNodes(
  index: number,
  size: number,
  node: (level: number, index: number) => Uint8Array,
  hasher: PairHasher = hashPair,
): Uint8Array[] {
  const fetch = (ref: NodeRef): Uint8Array => {
    const h = node(ref.level, ref.index);
    assertLength(h, 32, `node ${ref.index} of level ${ref.level}`);
    return h;
  };
  return pathPlan(index, size).map((refs) => {
    // MTH of a right-border range: H(first, MTH(rest)), so fold from the right.
    let acc: Uint8Array = new Uint8Array(fetch(refs[refs.length - 1]!));
    for (let i = refs.length - 2; i >= 0; i--) acc = hashTwo(fetch(refs[i]!), acc, hasher);
    return acc;
  });
}

/** Reads node (level, index) from the output of buildLevels, as pathFromNodes wants it. */
export function nodeFromLevels(levels: Uint8Array[], level: number, index: number): Uint8Array {
  const lv = levels[level];
  if (!lv || 32 * index + 32 > lv.length || !Number.isSafeInteger(index) || index < 0) {
    throw new CoreError("index-out-of-range", `no node ${index} at level ${level} (${levels.length} levels)`);
  }
  return lv.subarray(32 * index, 32 * index + 32);
}
