// Our own RFC 9162 section 2.1.3.2 inclusion verifier: independent of merkletreejs on purpose.
import { assertLength, bytesEqual, concatBytes } from "./bytes.ts";
import { CoreError, InvariantError } from "./errors.ts";
import { sha256 } from "./hash.ts";

const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(concatBytes(Uint8Array.of(0x01), l, r));

// Index and size come from bundles, i.e. from anyone: they are checked to be safe integers
// and all arithmetic uses division, never 32-bit bit operators.
const half = (x: number): number => Math.floor(x / 2);

/**
 * Path length RFC 9162 implies for (index, size): `inner` = bit length of index XOR (size-1)
 * (levels below the point where the paths to index and to the last leaf meet), plus
 * `border` = number of 1 bits of index above that point. Requires 0 <= index < size.
 */
export function expectedPathLength(index: number, size: number): number {
  let inner = 0;
  let a = index;
  let b = size - 1;
  for (; a !== b; a = half(a), b = half(b)) inner++;
  let border = 0;
  for (; a > 0; a = half(a)) border += a % 2;
  return inner + border;
}

/**
 * Root implied by an inclusion proof (RFC 9162 section 2.1.3.2).
 * Throws CoreError: "invalid-argument" unless index and size are non-negative safe integers,
 * "index-out-of-range" unless index < size, "wrong-proof-size" unless the path has exactly the
 * implied length, "invalid-length" unless every hash is 32 bytes.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, path: Uint8Array[]): Uint8Array {
  for (const [name, v] of [["index", index], ["size", size]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new CoreError("invalid-argument", `${name} ${v} is not a non-negative safe integer`);
  }
  if (index >= size) throw new CoreError("index-out-of-range", `index ${index} out of range for size ${size}`);
  const want = expectedPathLength(index, size);
  if (path.length !== want) throw new CoreError("wrong-proof-size", `wrong proof size ${path.length}, want ${want}`);
  assertLength(leafHash, 32, "leaf hash");
  path.forEach((p, i) => assertLength(p, 32, `path[${i}]`));

  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      // Climb past the levels where our node is the promoted last node (no sibling).
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = node(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // The RFC's final condition; the length check above already guarantees it.
  if (sn !== 0) throw new InvariantError(`proof for ${index}/${size} left sn=${sn}`);
  return r;
}

/**
 * True when the proof leads from `leafHash` to `root`; false when it leads elsewhere.
 * Throws (see rootFromInclusionProof) when the proof is malformed for (index, size).
 */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, path: Uint8Array[], root: Uint8Array): boolean {
  assertLength(root, 32, "root");
  return bytesEqual(rootFromInclusionProof(index, size, leafHash, path), root);
}
