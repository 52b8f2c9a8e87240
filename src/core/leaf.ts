// Evidence meta (validation and limits), metaDigest and the evidence leaf hash of evidence-proof/v1.
import { assertLength, isHex, isWellFormedString, utf8 } from "./bytes.ts";
import { CoreError } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { canonicalJson } from "./jcs.ts";

export const HASH_ALGS = ["sha256", "sha3-256", "sm3"] as const;
export type HashAlg = (typeof HASH_ALGS)[number];

/**
 * `evidence.meta`: a flat object of strings. Optional keys may be passed as `undefined`;
 * they are dropped before hashing (an absent key and an undefined one hash the same).
 */
export type EvidenceMeta = {
  hashAlg: HashAlg;
  submitter: string;
  caseId?: string;
  eventType?: string;
  occurredAt?: string;
  prev?: string;
  [k: string]: string | undefined;
};

// Hard limits (python-opentimestamps style): every input length is bounded, so a hostile
// bundle or API call cannot make us hash or store arbitrarily much.
export const MAX_META_KEYS = 32;
export const MAX_META_KEY_LENGTH = 64;
export const MAX_META_VALUE_LENGTH = 1024;

/** RFC 3339 date-time (section 5.6), with field ranges; leap seconds allowed as :60. */
export const RFC3339_RE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** RFC 3339 date-time in UTC ("Z" offset), as `receivedAt` must be. */
export function isRfc3339Utc(s: string): boolean {
  return RFC3339_RE.test(s) && /[Zz]$/.test(s);
}

export interface MetaProblem {
  /** Offending key, or null when the problem is the object itself. */
  key: string | null;
  reason: string;
}

/**
 * First problem with `meta` as evidence-proof/v1 meta, or null when it is valid.
 * Keys whose value is `undefined` count as absent. Shared by metaDigest (ingest) and the
 * bundle parser, so the service can never produce a meta that its own parser rejects.
 */
export function findMetaProblem(meta: unknown): MetaProblem | null {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    return { key: null, reason: "expected an object whose values are strings" };
  }
  const rec = meta as Record<string, unknown>;
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
  if (keys.length > MAX_META_KEYS) return { key: null, reason: `has ${keys.length} keys, limit ${MAX_META_KEYS}` };
  for (const required of ["hashAlg", "submitter"]) {
    if (rec[required] === undefined) return { key: required, reason: "missing" };
  }
  for (const key of keys.sort()) {
    const v = rec[key];
    if (key.length === 0 || key.length > MAX_META_KEY_LENGTH || !isWellFormedString(key)) {
      return { key, reason: `key must be 1 to ${MAX_META_KEY_LENGTH} characters of well-formed Unicode` };
    }
    if (typeof v !== "string") return { key, reason: "expected a string" };
    if (v.length > MAX_META_VALUE_LENGTH) {
      return { key, reason: `is ${v.length} characters, limit ${MAX_META_VALUE_LENGTH}` };
    }
    if (!isWellFormedString(v)) return { key, reason: "contains a lone UTF-16 surrogate" };
  }
  const { hashAlg, submitter, occurredAt, prev } = rec;
  if (!(HASH_ALGS as readonly unknown[]).includes(hashAlg)) {
    return { key: "hashAlg", reason: `expected one of ${HASH_ALGS.join(", ")}` };
  }
  if (submitter === "") return { key: "submitter", reason: "must not be empty" };
  if (occurredAt !== undefined && !RFC3339_RE.test(occurredAt as string)) {
    return { key: "occurredAt", reason: "expected an RFC 3339 date-time" };
  }
  if (prev !== undefined && !isHex(prev, 32, { lowercaseOnly: true })) {
    return { key: "prev", reason: "expected 0x followed by 64 lowercase hex digits (a leaf hash)" };
  }
  return null;
}

/**
 * The meta that gets hashed: `undefined` members dropped, keys in canonical order.
 * Throws CoreError "invalid-meta" (with `path` = "/key") when the meta is not valid.
 */
export function normaliseMeta(meta: EvidenceMeta): EvidenceMeta {
  const problem = findMetaProblem(meta);
  if (problem !== null) {
    const where = problem.key === null ? "meta" : `meta.${problem.key}`;
    throw new CoreError("invalid-meta", `${where}: ${problem.reason}`, {
      path: problem.key === null ? "" : `/${problem.key.replaceAll("~", "~0").replaceAll("/", "~1")}`,
    });
  }
  // fromEntries defines own properties, so even a "__proto__" key survives as data.
  const entries = Object.entries(meta).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries) as EvidenceMeta;
}

/**
 * SHA-256 over bytes. The core's own (@noble/hashes) runs anywhere; a caller on Node may hand
 * in node:crypto's, which is faster on short inputs and gives the same bytes.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** SHA-256 of the UTF-8 of JCS(meta). Throws CoreError "invalid-meta" for an invalid meta. */
export function metaDigest(meta: EvidenceMeta, hash: Sha256 = sha256): Uint8Array {
  return hash(utf8(canonicalJson(normaliseMeta(meta))));
}

/** Domain separation byte of leaves (RFC 6962): a leaf can never be read as an inner node. */
export const LEAF_PREFIX = 0x00;

/**
 * leafHash = SHA-256(0x00 || salt || digest || metaDigest(meta)), 97 bytes hashed.
 * Requires salt and digest of 32 bytes each (CoreError "invalid-length" otherwise).
 */
export function leafHash(input: { salt: Uint8Array; digest: Uint8Array; meta: EvidenceMeta }, hash: Sha256 = sha256): Uint8Array {
  assertLength(input.salt, 32, "salt");
  assertLength(input.digest, 32, "digest");
  return leafHashOf(input.salt, input.digest, metaDigest(input.meta, hash), hash);
}

/**
 * leafHash with metaDigest(meta) already computed: many items share one meta (a tenant's
 * items outside cases), and ingest hashes it once for all of them.
 * Requires salt, digest and metaDigest of 32 bytes each (CoreError "invalid-length" otherwise).
 */
export function leafHashOf(salt: Uint8Array, digest: Uint8Array, metaDigestBytes: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  assertLength(salt, 32, "salt");
  assertLength(digest, 32, "digest");
  assertLength(metaDigestBytes, 32, "metaDigest");
  const message = new Uint8Array(97);
  message[0] = LEAF_PREFIX;
  message.set(salt, 1);
  message.set(digest, 33);
  message.set(metaDigestBytes, 65);
  return hash(message);
}
