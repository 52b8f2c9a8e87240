// Hashing the document in hand, in the browser, with the algorithm the proof names
// (evidence.meta.hashAlg). The bytes never leave this computer.
import { toHex } from "../../core/bytes.ts";
import { sha256, sha3_256 } from "../../core/hash.ts";
import { CLI_HINT } from "./view.ts";

export type DocumentDigest = { digest: string; note: null } | { digest: null; note: string };

/** WebCrypto's digest, where the page has it (secure contexts only). */
export type SubtleDigest = (alg: "SHA-256", data: Uint8Array<ArrayBuffer>) => Promise<ArrayBuffer>;

/**
 * The 0x-hex digest of `data` with `alg`, or the reason it cannot be computed here.
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
      return {
        digest: null,
        note: `This proof uses the SM3 algorithm, which web browsers do not provide, so your document was not checked here; the proof itself was verified without it. To check the document too, use the command-line verifier: ${CLI_HINT}`,
      };
    default:
      return {
        digest: null,
        note:
          typeof alg === "string"
            ? `The proof names a hash algorithm this page does not know (${JSON.stringify(alg).slice(0, 40)}), so your document was not checked.`
            : "The proof could not be read, so it does not say how to hash your document: your document was not checked.",
      };
  }
}

