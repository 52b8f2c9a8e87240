// Checking a document signed by the service (receipts, reports) against its published key set
// (/.well-known/evidence-keys.json): Ed25519 over the RFC 8785 canonical form of the document
// without its `signature` member. WebCrypto only, so it runs in Node and in browsers alike.
import { canonicalJson } from "../core/jcs.ts";

export interface PublishedKey {
  kty: string;
  crv: string;
  x: string;
  kid: string;
}

export interface SignatureCheck {
  ok: boolean;
  kid: string | null;
  detail: string;
}

const B64URL_RE = /^[A-Za-z0-9_-]+$/;

function base64url(s: string): Uint8Array {
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** Parses a JWKS ({"keys": [...]}) into the Ed25519 keys it holds; others are ignored. */
export function parseKeySet(value: unknown): PublishedKey[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('a key set is an object with a "keys" array');
  return keys.filter(
    (k): k is PublishedKey =>
      typeof k === "object" && k !== null && k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string" && typeof k.kid === "string",
  );
}

/** Whether `doc.signature` is a valid service signature over the rest of `doc`, by a key in `keys`. */
export async function checkSignature(doc: unknown, keys: PublishedKey[]): Promise<SignatureCheck> {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { ok: false, kid: null, detail: "not a JSON object" };
  const { signature, ...rest } = doc as Record<string, unknown>;
  const sig = signature as { alg?: unknown; kid?: unknown; value?: unknown } | undefined;
  if (typeof sig !== "object" || sig === null) return { ok: false, kid: null, detail: "no signature member" };
  if (sig.alg !== "EdDSA" || typeof sig.kid !== "string" || typeof sig.value !== "string" || !B64URL_RE.test(sig.value)) {
    return { ok: false, kid: null, detail: 'the signature member is not {alg: "EdDSA", kid, value (base64url)}' };
  }
  const key = keys.find((k) => k.kid === sig.kid);
  if (key === undefined) return { ok: false, kid: sig.kid, detail: `key ${sig.kid} is not in the published key set` };
  let message: Uint8Array;
  try {
    message = new TextEncoder().encode(canonicalJson(rest));
  } catch (e) {
    return { ok: false, kid: sig.kid, detail: `the document is not plain JSON: ${(e as Error).message}` };
  }
  try {
    const publicKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: key.x }, { name: "Ed25519" }, false, ["verify"]);
    const ok = await crypto.subtle.verify("Ed25519", publicKey, base64url(sig.value) as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
    return ok
      ? { ok: true, kid: sig.kid, detail: `signed by the service key ${sig.kid}` }
      : { ok: false, kid: sig.kid, detail: `the signature does not match the document: it was changed after signing, or signed by another key` };
  } catch (e) {
    return { ok: false, kid: sig.kid, detail: `cannot check the signature: ${(e as Error).message}` };
  }
}
