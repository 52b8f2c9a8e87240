// Stored tree levels and paths recomputed from them (src/core/levels.ts) against merkletreejs, merkle.ts and our RFC 9162 verifier.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MerkleTree as MerkleTreeJs } from "merkletreejs/MerkleTree";
import { describe, expect, it } from "vitest";
import { TreeBuilder, buildLevelsInline } from "../../src/batcher/tree.ts";
import { bytesEqual, fromHex, toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";
import { sha256 } from "../../src/core/hash.ts";
import { buildLevels, hashPair, nodeFromLevels, nodesForPath, pathFromNodes, type NodeRef } from "../../src/core/levels.ts";
import { buildTree, EMPTY_ROOT, hashLeaf, merkleRoot } from "../../src/core/merkle.ts";
import { expectedPathLength, verifyInclusion } from "../../src/core/rfc9162.ts";
import { xorshiftLeaves } from "../helpers/leaves.ts";

// 100 locally; CI raises it (FC_RUNS=10000). A run here is a whole tree of up to 2,000 leaves
// with every path checked three ways, so it gets a fiftieth of that, and at least 30.
const numRuns = Math.max(30, Math.floor(Number(process.env.FC_RUNS ?? 100) / 50));
const EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 1023, 1024, 1025];

/** n pseudo-random leaf hashes from `seed`, concatenated: reproducible from a fast-check counterexample. */
const randomLeaves = (n: number, seed: number): Uint8Array => xorshiftLeaves(n, seed);

const split = (flat: Uint8Array): Uint8Array[] => Array.from({ length: flat.length / 32 }, (_, i) => flat.subarray(32 * i, 32 * i + 32));
const hexes = (hs: Uint8Array[]): string => hs.map(toHex).join();

/** merkletreejs configured for RFC 6962 on its own here (not through merkle.ts): the oracle. */
function merkletreejs(leaves: Uint8Array[]): { root: Uint8Array; proof(i: number): Uint8Array[] } {
  const concatenator = (pair: Uint8Array[]) => Buffer.concat([Buffer.of(0x01), ...pair]);
  type Options = NonNullable<ConstructorParameters<typeof MerkleTreeJs>[2]>;
  const bufs = leaves.map((l) => Buffer.from(l));
  const tree = new MerkleTreeJs(bufs, sha256, {
    hashLeaves: false,
    sortPairs: false,
    sortLeaves: false,
    duplicateOdd: false,
    concatenator: concatenator as unknown as Options["concatenator"],
  });
  return {
    root: new Uint8Array(tree.getRoot()),
    proof: (i) => tree.getProof(bufs[i]!, i).map((p) => new Uint8Array(p.data)),
  };
}

/** Node (level, index) as pathFromNodes wants it, recording every call. */
function recordingNode(levels: Uint8Array[], calls: NodeRef[]): (level: number, index: number) => Uint8Array {
  return (level, index) => {
    calls.push({ level, index });
    return nodeFromLevels(levels, level, index);
  };
}

const key = (r: NodeRef): string => `${r.level}:${r.index}`;

describe("hashPair", () => {
  it("is SHA-256(0x01 || left || right) for every last byte and at unaligned offsets", () => {
    const failures: string[] = [];
    const buf = randomLeaves(10, 7); // 320 bytes
    for (let b = 0; b < 256; b++) {
      const off = 1 + (b % 13); // unaligned reads
      buf[off + 63] = b;
      const msg = new Uint8Array(65);
      msg[0] = 0x01;
      msg.set(buf.subarray(off, off + 64), 1);
      const out = new Uint8Array(40);
      hashPair(buf, off, out, 3);
      if (toHex(out.subarray(3, 35)) !== toHex(sha256(msg))) failures.push(`last byte ${b}`);
      if (out[0] !== 0 || out[35] !== 0) failures.push(`last byte ${b}: wrote outside its 32 bytes`);
    }
    expect(failures).toEqual([]);
  });
});

describe("buildLevels", () => {
  it("gives the Certificate Transparency reference roots for sizes 0..8", () => {
    const v = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "rfc6962", "roots.json"), "utf8")) as {
      leafInputs: string[];
      roots: { size: number; root: string }[];
    };
    const leaves = v.leafInputs.map((h) => hashLeaf(fromHex(h)));
    const flat = new Uint8Array(32 * leaves.length);
    leaves.forEach((l, i) => flat.set(l, 32 * i));
    expect(v.roots.length).toBe(9);
    for (const { size, root } of v.roots) expect(toHex(buildLevels(flat.subarray(0, 32 * size), size).root), `size ${size}`).toBe(root);
  });

  it("agrees with merkletreejs and merkle.ts on the root and on every path, for random sizes up to 2,000", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer(), (n, seed) => {
        const flat = randomLeaves(n, seed);
        const leaves = split(flat);
        const { root, levels } = buildLevels(flat, n);
        const oracle = merkletreejs(leaves);
        const ours = buildTree(leaves);
        const failures: string[] = [];
        if (toHex(root) !== toHex(oracle.root)) failures.push(`root differs from merkletreejs`);
        if (toHex(root) !== toHex(ours.root)) failures.push(`root differs from merkle.ts`);
        for (let i = 0; i < n; i++) {
          const calls: NodeRef[] = [];
          const path = pathFromNodes(i, n, recordingNode(levels, calls));
          const wanted = nodesForPath(i, n);
          if (hexes(path) !== hexes(oracle.proof(i))) failures.push(`${i}: path differs from merkletreejs`);
          if (hexes(path) !== hexes(ours.path(i))) failures.push(`${i}: path differs from merkle.ts`);
          if (!verifyInclusion(i, n, leaves[i]!, path, root)) failures.push(`${i}: path does not verify`);
          const allowed = new Set(wanted.map(key));
          const asked = calls.map(key);
          if (asked.some((k) => !allowed.has(k))) failures.push(`${i}: asked for ${asked.join(" ")}, nodesForPath gave ${[...allowed].join(" ")}`);
          if (new Set(asked).size !== asked.length) failures.push(`${i}: asked for a node twice`);
          if (allowed.size !== wanted.length) failures.push(`${i}: nodesForPath repeats a node`);
          for (const r of wanted) if ((r.index + 1) * 2 ** r.level > n) failures.push(`${i}: node ${key(r)} is not complete`);
        }
        expect(failures, `size ${n}, seed ${seed}`).toEqual([]);
      }),
      { numRuns, examples: EDGE_SIZES.map((n) => [n, n * 7919]) },
    );
  });

  it("stores floor(n / 2^k) nodes at level k, each the hash of its complete subtree", () => {
    const failures: string[] = [];
    for (let n = 0; n <= 300; n++) {
      const flat = randomLeaves(n, n + 1);
      const { levels } = buildLevels(flat, n);
      const want = n === 0 ? 0 : Math.floor(Math.log2(n)) + 1;
      if (levels.length !== want) failures.push(`n ${n}: ${levels.length} levels, want ${want}`);
      if (n > 0 && levels[0] !== flat) failures.push(`n ${n}: levels[0] is not the leaves`);
      levels.forEach((lv, k) => {
        if (lv.length !== Math.floor(n / 2 ** k) * 32) failures.push(`n ${n}: level ${k} is ${lv.length} bytes`);
      });
      if (n > 70) continue;
      const leaves = split(flat);
      levels.forEach((lv, k) => {
        for (let j = 0; j < lv.length / 32; j++) {
          const mth = merkleRoot(leaves.slice(j * 2 ** k, (j + 1) * 2 ** k));
          if (toHex(nodeFromLevels(levels, k, j)) !== toHex(mth)) failures.push(`n ${n}: node ${k}:${j} is not its subtree's hash`);
        }
      });
    }
    expect(failures).toEqual([]);
  });

  it("has the empty root and no levels for no leaves, and the leaf as root for one", () => {
    const empty = buildLevels(new Uint8Array(0), 0);
    expect(toHex(empty.root)).toBe(toHex(EMPTY_ROOT));
    expect(empty.levels).toEqual([]);
    const one = randomLeaves(1, 5);
    const built = buildLevels(one, 1);
    expect(toHex(built.root)).toBe(toHex(one));
    expect(built.levels).toHaveLength(1);
    one.fill(0);
    expect(toHex(built.root)).not.toBe(toHex(one)); // the root is a copy
    expect(pathFromNodes(0, 1, () => expect.unreachable())).toEqual([]);
    expect(nodesForPath(0, 1)).toEqual([]);
  });

  it("reads leaves at any byte offset", () => {
    const backing = new Uint8Array(3 + 32 * 37);
    backing.set(randomLeaves(37, 9), 3);
    const leaves = backing.subarray(3);
    expect(toHex(buildLevels(leaves, 37).root)).toBe(toHex(merkleRoot(split(leaves))));
  });

  it("rejects a leaf buffer of the wrong length and a bad count", () => {
    expect(() => buildLevels(new Uint8Array(95), 3)).toThrow("leaves are 95 bytes, want 96 (3 hashes of 32)");
    expect(() => buildLevels(new Uint8Array(96), 2)).toThrow(expect.objectContaining({ code: "invalid-length" }));
    expect(() => buildLevels(new Uint8Array(0), -1)).toThrow(expect.objectContaining({ code: "invalid-argument" }));
    expect(() => buildLevels(new Uint8Array(32), 1.5)).toThrow(CoreError);
  });

  it("builds 2^20 + 3 leaves: the root of a builder that promotes odd nodes instead, and sampled paths verify", () => {
    const n = 2 ** 20 + 3;
    const flat = randomLeaves(n, 42);
    const { root, levels } = buildLevels(flat, n);
    expect(levels).toHaveLength(21);
    expect(levels[20]!.length).toBe(32);

    // Level by level with the lone last node promoted: the RFC 6962 tree, computed another way.
    // The hash is hashPair (checked against @noble/hashes above): node:crypto would take
    // seconds here for nothing the smaller trees do not already check.
    let level = flat;
    while (level.length > 32) {
      const count = level.length / 32;
      const up = new Uint8Array(32 * Math.ceil(count / 2));
      for (let j = 0; 2 * j + 1 < count; j++) hashPair(level, 64 * j, up, 32 * j);
      if (count % 2 === 1) up.set(level.subarray(level.length - 32), up.length - 32);
      level = up;
    }
    expect(toHex(root)).toBe(toHex(level));

    const failures: string[] = [];
    const sample = [0, 1, 2 ** 19, 2 ** 20 - 1, 2 ** 20, 2 ** 20 + 1, n - 1];
    for (let i = 0; i < 500; i++) sample.push(Math.floor((i * n) / 500));
    for (const i of sample) {
      const path = pathFromNodes(i, n, (l, j) => nodeFromLevels(levels, l, j));
      if (!verifyInclusion(i, n, flat.subarray(32 * i, 32 * i + 32), path, root)) failures.push(`${i}`);
    }
    expect(failures).toEqual([]);
  });
});

describe("nodesForPath and pathFromNodes", () => {
  it("name only complete nodes, each once, for every index of every size up to 300", () => {
    const failures: string[] = [];
    for (let size = 1; size <= 300; size++) {
      for (let i = 0; i < size; i++) {
        const nodes = nodesForPath(i, size);
        if (new Set(nodes.map(key)).size !== nodes.length) failures.push(`${i}/${size}: repeats`);
        for (const r of nodes) {
          if (!Number.isSafeInteger(r.index) || r.index < 0 || (r.index + 1) * 2 ** r.level > size) failures.push(`${i}/${size}: ${key(r)}`);
        }
        // The leaf's own subtree is never needed: no node may cover leaf i.
        if (nodes.some((r) => r.index * 2 ** r.level <= i && i < (r.index + 1) * 2 ** r.level)) failures.push(`${i}/${size}: covers the leaf`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("work at sizes up to 2^53 - 1 without 32-bit arithmetic", () => {
    const failures: string[] = [];
    for (const [i, size] of [
      [0, 2 ** 53 - 1],
      [2 ** 53 - 2, 2 ** 53 - 1],
      [2 ** 40, 2 ** 41 + 3],
      [2 ** 32 + 5, 2 ** 32 + 6],
      [3, 2 ** 33],
    ] as const) {
      const nodes = nodesForPath(i, size);
      for (const r of nodes) if ((r.index + 1) * 2 ** r.level > size || !Number.isSafeInteger(r.index)) failures.push(`${i}/${size}: ${key(r)}`);
      const path = pathFromNodes(i, size, () => new Uint8Array(32));
      if (path.length !== expectedPathLength(i, size)) failures.push(`${i}/${size}: ${path.length} hashes, want ${expectedPathLength(i, size)}`);
    }
    expect(failures).toEqual([]);
  });

  it("give precise errors", () => {
    expect(() => nodesForPath(3, 3)).toThrow("index 3 out of range for size 3");
    expect(() => nodesForPath(0, 0)).toThrow(expect.objectContaining({ code: "index-out-of-range" }));
    expect(() => nodesForPath(-1, 3)).toThrow(expect.objectContaining({ code: "invalid-argument" }));
    expect(() => nodesForPath(0, 2 ** 53)).toThrow(expect.objectContaining({ code: "invalid-argument" }));
    expect(() => pathFromNodes(1.5, 3, () => new Uint8Array(32))).toThrow(CoreError);
    expect(() => pathFromNodes(0, 3, () => new Uint8Array(31))).toThrow("node 1 of level 0 is 31 bytes, want 32");
    const { levels } = buildLevels(randomLeaves(5, 1), 5);
    expect(() => nodeFromLevels(levels, 0, 5)).toThrow("no node 5 at level 0 (3 levels)");
    expect(() => nodeFromLevels(levels, 3, 0)).toThrow(expect.objectContaining({ code: "index-out-of-range" }));
  });

  it("return fresh arrays, not views of the stored levels", () => {
    const { levels } = buildLevels(randomLeaves(8, 3), 8);
    const path = pathFromNodes(0, 8, (l, j) => nodeFromLevels(levels, l, j));
    expect(path.every((p) => Object.getPrototypeOf(p) === Uint8Array.prototype && p.byteOffset === 0 && p.buffer.byteLength === 32)).toBe(true);
  });
});

describe("TreeBuilder.buildLevels", () => {
  it("gives the same root and levels in the worker thread as inline, from arrays or one flat buffer", async () => {
    const n = 70_001; // 2.2 MB: copied for the worker in three slices
    const flat = randomLeaves(n, 11);
    const leaves = split(flat);
    const inline = buildLevelsInline(leaves);
    const builder = new TreeBuilder({ workerThreshold: 1 });
    try {
      const fromArrays = await builder.buildLevels(leaves);
      const fromFlat = await builder.buildLevels(flat, n);
      for (const got of [fromArrays, fromFlat, buildLevelsInline(flat, n)]) {
        expect(toHex(got.root)).toBe(toHex(inline.root));
        expect(got.levels.length).toBe(inline.levels.length);
        expect(got.levels.every((lv, k) => bytesEqual(lv, inline.levels[k]!))).toBe(true);
      }
      expect(bytesEqual(inline.levels[0]!, flat)).toBe(true);
      // The caller's leaves are copied, not transferred away or aliased.
      expect(flat.length).toBe(32 * n);
      expect(fromFlat.levels[0]!.buffer).not.toBe(flat.buffer);
      expect(inline.levels[0]!.buffer).not.toBe(flat.buffer);
    } finally {
      await builder.close();
    }
  });

  it("answers calls made at the same time each with its own tree, paths and levels alike", async () => {
    const builder = new TreeBuilder({ workerThreshold: 1 });
    try {
      const sizes = [1, 5, 1024, 77, 3];
      const inputs = sizes.map((n, s) => randomLeaves(n, s + 100));
      const [paths, ...levels] = await Promise.all([builder.build(split(inputs[2]!)), ...inputs.map((f, i) => builder.buildLevels(f, sizes[i]))]);
      expect(toHex(paths.root)).toBe(toHex(levels[2]!.root));
      levels.forEach((got, i) => expect(toHex(got.root), `size ${sizes[i]}`).toBe(toHex(merkleRoot(split(inputs[i]!)))));
    } finally {
      await builder.close();
    }
  });

  it("stays inline below the threshold, and rejects a flat buffer that does not hold n hashes", async () => {
    const builder = new TreeBuilder({ workerThreshold: 4096 });
    try {
      const got = await builder.buildLevels(randomLeaves(10, 1), 10);
      expect(got.levels).toHaveLength(4);
      await expect(builder.buildLevels(new Uint8Array(64), 3)).rejects.toThrow("leaves are 64 bytes, want 96 (3 hashes of 32)");
      await expect(builder.buildLevels([new Uint8Array(31)])).rejects.toThrow("leaf hash 0 is 31 bytes, want 32");
      const worker = new TreeBuilder({ workerThreshold: 1 });
      try {
        await expect(worker.buildLevels(new Uint8Array(64), 3)).rejects.toThrow(CoreError);
      } finally {
        await worker.close();
      }
    } finally {
      await builder.close();
    }
  });
});
