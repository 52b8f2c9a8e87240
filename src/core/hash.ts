// Hash functions of the core (SHA-256, SHA3-256, Keccak-256) via @noble/hashes, so the core runs in browsers too.
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { keccak_256, sha3_256 as nobleSha3_256 } from "@noble/hashes/sha3.js";
import { CoreError } from "./errors.ts";
import type { HashAlg } from "./leaf.ts";

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function sha3_256(data: Uint8Array): Uint8Array {
  return nobleSha3_256(data);
}

/** Ethereum's Keccak-256 (pre-standard padding, not SHA3-256): ABI selectors and event topics. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * Digest of a document with the algorithm named in `meta.hashAlg`.
 * Throws CoreError "unsupported-algorithm" for sm3: @noble/hashes has no SM3, and the
 * core stays free of node:crypto (which has it) so that it runs in browsers.
 */
export function digestDocument(alg: HashAlg, data: Uint8Array): Uint8Array {
  switch (alg) {
    case "sha256":
      return sha256(data);
    case "sha3-256":
      return sha3_256(data);
    case "sm3":
      throw new CoreError("unsupported-algorithm", "sm3 is not available in the core; compute the digest with node:crypto");
    default:
      throw new CoreError("unsupported-algorithm", `unknown hash algorithm ${JSON.stringify(alg)}`);
  }
}
