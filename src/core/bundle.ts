// The evidence-proof/v1 bundle: its type, building it from bytes, parsing it with exact errors, serialising it.
import { bytesEqual, fromHex, hexShape, isHex, toHex } from "./bytes.ts";
import { CoreError, InvariantError } from "./errors.ts";
import { type EvidenceMeta, findMetaProblem, isRfc3339Utc, leafHash, normaliseMeta } from "./leaf.ts";
import { rootFromInclusionProof } from "./rfc9162.ts";

export const PROOF_FORMAT = "evidence-proof/v1";

// Hard limits on what a bundle may contain (python-opentimestamps style). 64 path hashes
// cover any tree of up to 2^64 leaves; nothing legitimate is longer.
export const MAX_PATH_LENGTH = 64;
export const MAX_ID_LENGTH = 1024;
export const MAX_BUNDLE_TEXT_LENGTH = 1_000_000;

export interface EvidenceInfo {
  id: string;
  /** 0x + 64 lowercase hex digits. */
  digest: string;
  salt: string;
  meta: EvidenceMeta;
  /** RFC 3339 UTC. */
  receivedAt: string;
}

export interface LeafInfo {
  index: number;
  hash: string;
}

export interface BatchInfo {
  seq: number;
  size: number;
  root: string;
  /** RFC 9162 inclusion path, sibling first. */
  path: string[];
}

export interface AnchorInfo {
  chainId: number;
  /** 0x + 40 lowercase hex digits. */
  contract: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** Unix seconds. */
  blockTimestamp: number;
}

/** Exactly the JSON shape of spec proof-format-v1. `leaf` and `batch` are both null or both set; `anchor` requires them. */
export interface ProofBundleV1 {
  format: typeof PROOF_FORMAT;
  evidence: EvidenceInfo;
  leaf: LeafInfo | null;
  batch: BatchInfo | null;
  anchor: AnchorInfo | null;
}

export interface BundleParts {
  evidence: { id: string; digest: Uint8Array; salt: Uint8Array; meta: EvidenceMeta; receivedAt: string };
  leaf: { index: number; hash: Uint8Array } | null;
  batch: { seq: number; size: number; root: Uint8Array; path: Uint8Array[] } | null;
  anchor: AnchorInfo | null;
}

/**
 * Assembles a bundle, hex-encoding the bytes and lowercasing chain hex strings.
 * Throws CoreError "invalid-bundle" (with `path`) when a part is malformed, and
 * InvariantError when the parts are well-formed but inconsistent (leaf hash not derived
 * from the evidence, or path not leading to the root): that can only come from a bug or
 * corrupted storage, and such a bundle must never leave the service.
 */
export function buildBundle(parts: BundleParts): ProofBundleV1 {
  const { evidence, leaf, batch, anchor } = parts;
  const raw = {
    format: PROOF_FORMAT,
    evidence: {
      id: evidence.id,
      digest: hexOf(evidence.digest, "/evidence/digest"),
      salt: hexOf(evidence.salt, "/evidence/salt"),
      meta: evidence.meta,
      receivedAt: evidence.receivedAt,
    },
    leaf: leaf === null ? null : { index: leaf.index, hash: hexOf(leaf.hash, "/leaf/hash") },
    batch:
      batch === null
        ? null
        : {
            seq: batch.seq,
            size: batch.size,
            root: hexOf(batch.root, "/batch/root"),
            path: batch.path.map((p, i) => hexOf(p, `/batch/path/${i}`)),
          },
    anchor:
      anchor === null
        ? null
        : {
            chainId: anchor.chainId,
            contract: lower(anchor.contract),
            txHash: lower(anchor.txHash),
            blockNumber: anchor.blockNumber,
            blockHash: lower(anchor.blockHash),
            blockTimestamp: anchor.blockTimestamp,
          },
  };
  const bundle = parseBundle(raw);

  if (bundle.leaf !== null) {
    const recomputed = leafHash({ salt: evidence.salt, digest: evidence.digest, meta: evidence.meta });
    if (bundle.leaf.hash !== toHex(recomputed)) {
      throw new InvariantError(`leaf hash ${bundle.leaf.hash} is not derived from evidence ${evidence.id} (${toHex(recomputed)})`);
    }
  }
  if (bundle.leaf !== null && bundle.batch !== null) {
    const { index } = bundle.leaf;
    const { size, root } = bundle.batch;
    let got: Uint8Array;
    try {
      got = rootFromInclusionProof(index, size, fromHex(bundle.leaf.hash), batch!.path);
    } catch (e) {
      throw new InvariantError(`inclusion proof of evidence ${evidence.id} is malformed: ${(e as Error).message}`, { cause: e });
    }
    if (!bytesEqual(got, fromHex(root))) {
      throw new InvariantError(`path of leaf ${index}/${size} leads to ${toHex(got)}, not the batch root ${root}`);
    }
  }
  return bundle;
}

function hexOf(b: Uint8Array, path: string): string {
  if (!(b instanceof Uint8Array)) fail(path, "expected bytes (Uint8Array)");
  return toHex(b);
}

// Chain clients return checksummed addresses; the bundle carries lowercase hex only.
// A non-string is passed through untouched so that the parser reports it.
function lower(s: string): string {
  return typeof s === "string" && s.startsWith("0x") ? "0x" + s.slice(2).toLowerCase() : s;
}

/** Pretty JSON text of a bundle (2-space indent, trailing newline). */
export function serializeBundle(bundle: ProofBundleV1): string {
  return JSON.stringify(bundle, null, 2) + "\n";
}

/**
 * Parses bundle text. Throws CoreError "malformed-json" when the text is not JSON (or is
 * longer than MAX_BUNDLE_TEXT_LENGTH), otherwise as parseBundle.
 */
export function parseBundleText(text: string): ProofBundleV1 {
  if (typeof text !== "string") throw new CoreError("malformed-json", "expected JSON text");
  if (text.length > MAX_BUNDLE_TEXT_LENGTH) {
    throw new CoreError("malformed-json", `bundle text is ${text.length} characters, limit ${MAX_BUNDLE_TEXT_LENGTH}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CoreError("malformed-json", `malformed JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseBundle(json);
}

/**
 * Validates a parsed JSON value as an evidence-proof/v1 bundle and returns a fresh copy
 * holding only the fields of the format. Unknown fields are ignored at every level
 * (forward compatibility); fields the format defines are checked strictly. The values are
 * attacker-controlled, so every number and length is bounded before anything uses it.
 * Throws CoreError "invalid-bundle" whose `path` is the JSON pointer of the first offending
 * field and whose message names it and the reason.
 */
export function parseBundle(json: unknown): ProofBundleV1 {
  const top = asObject(json, "");
  const format = field(top, "format", "");
  if (typeof format !== "string") fail("/format", "expected a string");
  if (format !== PROOF_FORMAT) fail("/format", `expected ${JSON.stringify(PROOF_FORMAT)}, got ${JSON.stringify(format.slice(0, 64))}`);

  const ev = asObject(field(top, "evidence", ""), "/evidence");
  const evidence: EvidenceInfo = {
    id: str(ev, "id", "/evidence", MAX_ID_LENGTH),
    digest: hex(ev, "digest", "/evidence", 32),
    salt: hex(ev, "salt", "/evidence", 32),
    meta: meta(field(ev, "meta", "/evidence"), "/evidence/meta"),
    receivedAt: receivedAt(ev),
  };

  const leafRaw = nullableObject(top, "leaf", "");
  const leaf: LeafInfo | null =
    leafRaw === null ? null : { index: uint(leafRaw, "index", "/leaf", 0), hash: hex(leafRaw, "hash", "/leaf", 32) };

  const batchRaw = nullableObject(top, "batch", "");
  const batch: BatchInfo | null =
    batchRaw === null
      ? null
      : {
          seq: uint(batchRaw, "seq", "/batch", 0),
          size: uint(batchRaw, "size", "/batch", 1),
          root: hex(batchRaw, "root", "/batch", 32),
          path: hashList(field(batchRaw, "path", "/batch"), "/batch/path"),
        };

  const anchorRaw = nullableObject(top, "anchor", "");
  const anchor: AnchorInfo | null =
    anchorRaw === null
      ? null
      : {
          chainId: uint(anchorRaw, "chainId", "/anchor", 1),
          contract: hex(anchorRaw, "contract", "/anchor", 20),
          txHash: hex(anchorRaw, "txHash", "/anchor", 32),
          blockNumber: uint(anchorRaw, "blockNumber", "/anchor", 0),
          blockHash: hex(anchorRaw, "blockHash", "/anchor", 32),
          blockTimestamp: uint(anchorRaw, "blockTimestamp", "/anchor", 0),
        };

  if (leaf !== null && batch === null) fail("/batch", "must not be null when /leaf is set");
  if (leaf === null && batch !== null) fail("/leaf", "must not be null when /batch is set");
  if (anchor !== null && batch === null) fail("/batch", "must not be null when /anchor is set");

  return { format: PROOF_FORMAT, evidence, leaf, batch, anchor };
}

type Obj = Record<string, unknown>;

function fail(path: string, reason: string): never {
  throw new CoreError("invalid-bundle", `${path === "" ? "bundle" : path}: ${reason}`, { path });
}

function pointer(base: string, key: string): string {
  return `${base}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

function asObject(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "expected an object");
  return v as Obj;
}

function field(o: Obj, key: string, base: string): unknown {
  // Own properties only: "constructor" or "__proto__" must not be found on the prototype.
  if (!Object.hasOwn(o, key) || o[key] === undefined) fail(pointer(base, key), "missing");
  return o[key];
}

function nullableObject(o: Obj, key: string, base: string): Obj | null {
  const v = field(o, key, base);
  if (v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) fail(pointer(base, key), "expected an object or null");
  return v as Obj;
}

function str(o: Obj, key: string, base: string, max: number): string {
  const v = field(o, key, base);
  if (typeof v !== "string") fail(pointer(base, key), "expected a string");
  if (v.length === 0 || v.length > max) fail(pointer(base, key), `expected 1 to ${max} characters, got ${v.length}`);
  return v;
}

function hex(o: Obj, key: string, base: string, byteLength: number): string {
  return hexValue(field(o, key, base), pointer(base, key), byteLength);
}

function hexValue(v: unknown, path: string, byteLength: number): string {
  if (!isHex(v, byteLength, { lowercaseOnly: true })) fail(path, `expected ${hexShape(byteLength, { lowercaseOnly: true })}`);
  return v;
}

function uint(o: Obj, key: string, base: string, min: 0 | 1): number {
  const v = field(o, key, base);
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    fail(pointer(base, key), `expected ${min === 0 ? "a non-negative" : "a positive"} integer below 2^53`);
  }
  return v;
}

function hashList(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) fail(path, "expected an array of hashes");
  if (v.length > MAX_PATH_LENGTH) fail(path, `has ${v.length} hashes, limit ${MAX_PATH_LENGTH}`);
  return v.map((h, i) => hexValue(h, `${path}/${i}`, 32));
}

function meta(v: unknown, path: string): EvidenceMeta {
  const o = asObject(v, path);
  const problem = findMetaProblem(o);
  if (problem !== null) fail(problem.key === null ? path : pointer(path, problem.key), problem.reason);
  return normaliseMeta(o as EvidenceMeta);
}

function receivedAt(ev: Obj): string {
  const v = field(ev, "receivedAt", "/evidence");
  if (typeof v !== "string" || !isRfc3339Utc(v)) fail("/evidence/receivedAt", "expected an RFC 3339 UTC date-time");
  return v;
}
