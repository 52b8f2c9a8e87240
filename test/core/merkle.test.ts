// Tree building (merkletreejs behind src/core/merkle.ts) against our own RFC 9162 verifier.
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";
import { sha256 } from "../../src/core/hash.ts";
import { buildTree, EMPTY_ROOT, hashChildren, hashLeaf, inclusionPathLength, inclusionProof, merkleRoot } from "../../src/core/merkle.ts";
import { expectedPathLength, rootFromInclusionProof, verifyInclusion } from "../../src/core/rfc9162.ts";

const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => hashLeaf(Uint8Array.of(i >> 8, i & 255)));

/** Recursive RFC 6962 MTH, written from the RFC for this test only. */
function mth(hs: Uint8Array[]): Uint8Array {
  if (hs.length === 0) return sha256(new Uint8Array(0));
  if (hs.length === 1) return hs[0]!;
  let k = 1;
  while (k * 2 < hs.length) k *= 2;
  return hashChildren(mth(hs.slice(0, k)), mth(hs.slice(k)));
}

describe("buildTree", () => {
  it("agrees with the recursive definition, merkleRoot, inclusionProof and the verifier for every size 1..64", () => {
    const failures: string[] = [];
    for (let size = 1; size <= 64; size++) {
      const ls = leaves(size);
      const tree = buildTree(ls);
      if (tree.size !== size) failures.push(`size ${size}: tree.size ${tree.size}`);
      if (toHex(tree.root) !== toHex(mth(ls))) failures.push(`size ${size}: root differs from MTH`);
      if (toHex(merkleRoot(ls)) !== toHex(tree.root)) failures.push(`size ${size}: merkleRoot differs`);
      for (let i = 0; i < size; i++) {
        const path = tree.path(i);
        if (path.length !== inclusionPathLength(i, size)) failures.push(`${i}/${size}: path length ${path.length}`);
        if (!verifyInclusion(i, size, ls[i]!, path, tree.root)) failures.push(`${i}/${size}: path does not verify`);
        if (path.map(toHex).join() !== inclusionProof(ls, i).map(toHex).join()) failures.push(`${i}/${size}: inclusionProof differs`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("has the empty root for no leaves and the leaf itself for one", () => {
    expect(toHex(merkleRoot([]))).toBe("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(EMPTY_ROOT)).toBe(toHex(buildTree([]).root));
    const one = leaves(1);
    expect(toHex(merkleRoot(one))).toBe(toHex(one[0]!));
    expect(buildTree(one).path(0)).toEqual([]);
    expect(() => buildTree([]).path(0)).toThrow("index 0 out of range for size 0");
  });

  it("returns plain Uint8Arrays and does not depend on the caller's arrays afterwards", () => {
    const ls = leaves(5);
    const tree = buildTree(ls);
    const before = toHex(tree.root);
    const path = tree.path(2).map(toHex);
    ls[0]!.fill(0);
    expect(Object.getPrototypeOf(tree.root)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(tree.path(2)[0])).toBe(Uint8Array.prototype);
    expect(toHex(tree.root)).toBe(before);
    expect(tree.path(2).map(toHex)).toEqual(path);
  });

  it("rejects bad indexes and leaves", () => {
    const tree = buildTree(leaves(3));
    expect(() => tree.path(3)).toThrow("index 3 out of range for size 3");
    expect(() => tree.path(-1)).toThrow(CoreError);
    expect(() => tree.path(1.5)).toThrow(CoreError);
    expect(() => buildTree([new Uint8Array(31)])).toThrow("leaf hash 0 is 31 bytes, want 32");
  });

  it("computes the same path lengths two ways, for all index < size <= 300 and a few huge sizes", () => {
    const failures: string[] = [];
    for (let size = 1; size <= 300; size++) {
      for (let i = 0; i < size; i++) {
        if (inclusionPathLength(i, size) !== expectedPathLength(i, size)) failures.push(`${i}/${size}`);
      }
    }
    for (const [i, size] of [[2 ** 40, 2 ** 41 + 3], [2 ** 53 - 2, 2 ** 53 - 1], [0, 2 ** 53 - 1]]) {
      if (inclusionPathLength(i!, size!) !== expectedPathLength(i!, size!)) failures.push(`${i}/${size}`);
    }
    expect(failures).toEqual([]);
    expect(inclusionPathLength(0, 2 ** 53 - 1)).toBe(53);
  });

  it("builds 10,000 leaves and all their paths quickly", () => {
    const ls = Array.from({ length: 10_000 }, (_, i) => sha256(Uint8Array.of(i >> 8, i & 255)));
    const t0 = performance.now();
    const tree = buildTree(ls);
    for (let i = 0; i < ls.length; i++) tree.path(i);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(verifyInclusion(9_999, 10_000, ls[9_999]!, tree.path(9_999), tree.root)).toBe(true);
  });
});

describe("rootFromInclusionProof", () => {
  const ls = leaves(8);
  const tree = buildTree(ls);

  it("gives precise errors", () => {
    expect(() => rootFromInclusionProof(8, 8, ls[0]!, tree.path(0))).toThrow("index 8 out of range for size 8");
    expect(() => rootFromInclusionProof(0, 9, ls[0]!, tree.path(0))).toThrow("wrong proof size 3, want 4");
    expect(() => rootFromInclusionProof(0, 8, ls[0]!, [...tree.path(0), ls[1]!])).toThrow(
      expect.objectContaining({ code: "wrong-proof-size", message: "wrong proof size 4, want 3" }),
    );
    expect(() => rootFromInclusionProof(-1, 8, ls[0]!, [])).toThrow(expect.objectContaining({ code: "invalid-argument" }));
    expect(() => rootFromInclusionProof(0, 2 ** 53, ls[0]!, [])).toThrow(expect.objectContaining({ code: "invalid-argument" }));
    expect(() => rootFromInclusionProof(0, 8, ls[0]!, [new Uint8Array(32), new Uint8Array(31), new Uint8Array(32)])).toThrow(
      "path[1] is 31 bytes, want 32",
    );
    expect(() => verifyInclusion(0, 8, ls[0]!, tree.path(0), new Uint8Array(31))).toThrow("root is 31 bytes");
  });

  it("returns false, not an error, for a well-formed proof that leads elsewhere", () => {
    expect(verifyInclusion(1, 8, ls[0]!, tree.path(0), tree.root)).toBe(false);
    expect(verifyInclusion(0, 8, ls[0]!, tree.path(0), tree.root)).toBe(true);
  });

  it("accepts an inner node as a 'leaf' only under a smaller size: why size and leaf are checked elsewhere", () => {
    // The level-1 nodes of the 8-leaf tree form a 4-leaf tree with the same root, so
    // (index 0, size 4, leaf = inner node) verifies. Two things defeat the forgery in a bundle:
    // the verifier recomputes the leaf hash from salt, digest and meta (0x00-prefixed, never a
    // 0x01 node), and the contract's record pins the batch size.
    const inner = hashChildren(ls[0]!, ls[1]!);
    const t4 = buildTree([inner, hashChildren(ls[2]!, ls[3]!), hashChildren(ls[4]!, ls[5]!), hashChildren(ls[6]!, ls[7]!)]);
    expect(toHex(t4.root)).toBe(toHex(tree.root));
    expect(verifyInclusion(0, 4, inner, t4.path(0), tree.root)).toBe(true);
    expect(() => verifyInclusion(0, 8, inner, t4.path(0), tree.root)).toThrow("wrong proof size 2, want 3");
  });
});
