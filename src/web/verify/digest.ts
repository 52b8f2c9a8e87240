// Hashing the document in hand, in the browser, with the algorithm the proof names
// (evidence.meta.hashAlg). The bytes never leave this computer.
// SM3 comes from sm-crypto (its SM3 module alone), as browsers do not provide it.
import sm3 from "sm-crypto/src/sm3/index.js";
import { toHex } from "../../core/bytes.ts";
import { sha256, sha3_256 } from "../../core/hash.ts";
import { MESSAGES } from "./messages.ts";
import { formatBytes } from "./view.ts";

/**
 * sm-crypto hashes a plain array of numbers, about 20 bytes of memory for each byte of the
 * document: past this a browser tab may run out of memory, so larger files are not hashed here
 * and the verdict says the document could not be checked.
 */
export const MAX_SM3_BYTES = 64 * 1000 * 1000;

export type DocumentDigest = { digest: string; note: null } | { digest: null; note: string };

/** WebCrypto's digest, where the page has it (secure contexts only). */
export type SubtleDigest = (alg: "SHA-256", data: Uint8Array<ArrayBuffer>) => Promise<ArrayBuffer>;

/**
 * The 0x-hex digest of `data` with `alg`, or the reason it cannot be computed here (the caller
 * then makes the document check unavailable: the verdict can never be the plain VALID).
 * SHA-256 uses WebCrypto when given (fast on large files), the bundled implementation otherwise
 * (pages served over plain http to another host have no crypto.subtle).
 */
export async function digestDocument(alg: unknown, data: Uint8Array<ArrayBuffer>, subtle?: SubtleDigest): Promise<DocumentDigest> {
  switch (alg) {
    case "sha256":
      return { digest: toHex(subtle === undefined ? sha256(data) : new Uint8Array(await subtle("SHA-256", data))), note: null };
    case "sha3-256":
      return { digest: toHex(sha3_256(data)), note: null };
    case "sm3":
      if (data.byteLength > MAX_SM3_BYTES) return { digest: null, note: MESSAGES.documentTooLargeForSm3(formatBytes(data.byteLength)) };
      return { digest: "0x" + sm3(data), note: null };
    default:
      return {
        digest: null,
        note: typeof alg === "string" ? MESSAGES.documentUnknownAlg(JSON.stringify(alg).slice(0, 40)) : MESSAGES.documentNoAlg,
      };
  }
}

