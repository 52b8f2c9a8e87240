// RFC 6962 / RFC 9162 Merkle trees over leaf hashes: roots and inclusion paths (merkletreejs behind a small interface).
import { MerkleTree as MerkleTreeJs } from "merkletreejs/MerkleTree";
import { assertLength, concatBytes } from "./bytes.ts";
import { CoreError, InvariantError } from "./errors.ts";
import { sha256 } from "./hash.ts";

/** Domain separation byte of inner nodes (RFC 6962 section 2.1). */
export const NODE_PREFIX = 0x01;
const NODE_PREFIX_BYTES = Uint8Array.of(NODE_PREFIX);

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 MTH({})). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** SHA-256(0x00 || input): the RFC 6962 leaf hash of raw data (used for the reference vectors). */
export function hashLeaf(input: Uint8Array): Uint8Array {
  return sha256(concatBytes(Uint8Array.of(0x00), input));
}

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE_PREFIX_BYTES, left, right));
}

export interface MerkleTree {
  size: number;
  root: Uint8Array;
  /** RFC 9162 inclusion path of leaf `index`, sibling first. Requires 0 <= index < size; O(log size). */
  path(index: number): Uint8Array[];
}

/**
 * Number of hashes in the inclusion path of `index` in a tree of `size` leaves, counted
 * level by level (a node has a sibling unless it is the odd last node, which is promoted).
 * Requires 0 <= index < size (CoreError "index-out-of-range" otherwise).
 */
export function inclusionPathLength(index: number, size: number): number {
  checkIndex(index, size);
  let length = 0;
  // Division instead of bit operators: indexes up to 2^53 must work, bit ops are 32-bit.
  for (let i = index, n = size; n > 1; i = Math.floor(i / 2), n = Math.ceil(n / 2)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < n) length++;
  }
  return length;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CoreError("invalid-argument", `tree size ${size} is not a non-negative safe integer`);
  }
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new CoreError("invalid-argument", `index ${index} is not a non-negative safe integer`);
  }
  if (index >= size) throw new CoreError("index-out-of-range", `index ${index} out of range for size ${size}`);
}

// merkletreejs hands the concatenator the pair [left, right] and hashes its output with
// hashFn: prepending 0x01 here makes every node SHA-256(0x01 || l || r). With sortPairs
// and duplicateOdd off, its bottom-up layering promotes a lone last node unchanged, which
// yields exactly the RFC 6962 tree (checked against the CT reference roots in the tests).
type MerkleTreeJsOptions = NonNullable<ConstructorParameters<typeof MerkleTreeJs>[2]>;
// Hot loop (n - 1 calls per tree): one fixed-size allocation, no spread.
const concatenator = (pair: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(65);
  out[0] = NODE_PREFIX;
  out.set(pair[0]!, 1);
  out.set(pair[1]!, 33);
  return out;
};

/**
 * Builds the tree over `leafHashes` (each 32 bytes, in batch order). O(n) hashes;
 * afterwards `path(i)` is O(log n), so all paths of a 100,000-leaf batch are cheap.
 */
export function buildTree(leafHashes: Uint8Array[]): MerkleTree {
  const size = leafHashes.length;
  // Copied into one private buffer (one allocation, not n): the tree must not change if the
  // caller reuses its arrays afterwards.
  const store = new Uint8Array(32 * size);
  const leaves = leafHashes.map((h, i) => {
    assertLength(h, 32, `leaf hash ${i}`);
    store.set(h, 32 * i);
    return store.subarray(32 * i, 32 * i + 32);
  });
  if (size === 0) {
    return {
      size: 0,
      root: new Uint8Array(EMPTY_ROOT),
      path(index: number): Uint8Array[] {
        checkIndex(index, 0);
        throw new InvariantError("unreachable");
      },
    };
  }
  const tree = new MerkleTreeJs(leaves, sha256, {
    hashLeaves: false,
    sortPairs: false,
    sortLeaves: false,
    duplicateOdd: false,
    concatenator: concatenator as unknown as MerkleTreeJsOptions["concatenator"],
  });
  // Buffers are Uint8Arrays; copy into plain ones so callers' equality checks and
  // structured clones (worker threads) see ordinary Uint8Arrays.
  const root = new Uint8Array(tree.getRoot());
  if (root.length !== 32) throw new InvariantError(`merkletreejs root is ${root.length} bytes`);
  const bottom = tree.getLayers()[0]!;
  return {
    size,
    root,
    path(index: number): Uint8Array[] {
      checkIndex(index, size);
      // With an explicit index getProof walks the layers (O(log n)); it skips levels where
      // the node is promoted, which is the RFC 9162 path order, sibling first.
      const proof = tree.getProof(bottom[index]!, index).map((p) => new Uint8Array(p.data));
      const want = inclusionPathLength(index, size);
      if (proof.length !== want) {
        throw new InvariantError(`merkletreejs path for ${index}/${size} has ${proof.length} hashes, want ${want}`);
      }
      return proof;
    },
  };
}

/** RFC 6962 Merkle tree hash of `leafHashes` (each 32 bytes); EMPTY_ROOT for none. */
export function merkleRoot(leafHashes: Uint8Array[]): Uint8Array {
  return buildTree(leafHashes).root;
}

/** RFC 9162 inclusion path of leaf `index`. Requires 0 <= index < leafHashes.length. */
export function inclusionProof(leafHashes: Uint8Array[], index: number): Uint8Array[] {
  checkIndex(index, leafHashes.length);
  return buildTree(leafHashes).path(index);
}
