// The audit log's hash chain: what one entry hashes to, and a checker that walks entries in
// order and reports the first link that does not hold. Pure: storage lives in src/store/audit.ts.
import { bytesEqual, concatBytes, toHex, utf8 } from "./bytes.ts";
import { CoreError } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { canonicalJson } from "./jcs.ts";

export interface AuditEntry {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** ISO 8601 UTC with milliseconds, exactly as Date.prototype.toISOString() writes it. */
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** The hash of entry seq - 1, or AUDIT_GENESIS_HASH for entry 1. */
  prevHash: Uint8Array;
}

/** Where the chain stops holding, and why. */
export interface AuditBreak {
  /** The entry to look at: the one edited, missing or out of place. */
  seq: number;
  reason: string;
}

/** The prevHash of entry 1. */
export const AUDIT_GENESIS_HASH: Uint8Array = new Uint8Array(32);

/**
 * Prefixed to every entry before hashing. No leaf (0x00 …) or node (0x01 …) hash of the
 * Merkle trees starts with these bytes, so an audit hash can never pass for one of them,
 * and the version lets a future format hash differently without ambiguity.
 */
export const AUDIT_HASH_DOMAIN = "evidence-audit/v1\n";

// Exactly toISOString()'s shape: one spelling per instant, so the hash of a stored row is
// reproducible from the timestamp alone.
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The canonical JSON text an entry's hash covers (without the domain prefix).
 * Requires seq a positive safe integer, `at` in toISOString() form, prevHash 32 bytes and
 * details plain JSON; throws CoreError ("invalid-argument", "invalid-length" or
 * "invalid-json") otherwise.
 */
export function auditEntryPreimage(e: AuditEntry): string {
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) {
    throw new CoreError("invalid-argument", `audit seq ${e.seq} is not a positive safe integer`);
  }
  if (typeof e.at !== "string" || !ISO_MS_RE.test(e.at)) {
    throw new CoreError("invalid-argument", `audit time ${JSON.stringify(e.at)} is not ISO 8601 UTC with milliseconds`);
  }
  if (!(e.prevHash instanceof Uint8Array) || e.prevHash.length !== 32) {
    throw new CoreError("invalid-length", `audit prevHash is ${e.prevHash?.length} bytes, want 32`);
  }
  return canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    details: e.details,
    prev: toHex(e.prevHash),
  });
}

/**
 * SHA-256( UTF-8(AUDIT_HASH_DOMAIN) || UTF-8(JCS({seq, at, actor, action, target, details, prev})) )
 * where prev is the 0x-lowercase-hex of prevHash. Preconditions as auditEntryPreimage.
 */
export function auditEntryHash(e: AuditEntry): Uint8Array {
  return sha256(concatBytes(utf8(AUDIT_HASH_DOMAIN), utf8(auditEntryPreimage(e))));
}

/**
 * Walks a log entry by entry, in seq order, from entry 1. push() answers the first problem
 * with the entry just given, relative to the one before it, or null. After a break it
 * carries on from the entry given (so later breaks are reported relative to it), but only
 * the first break says where the log stops being trustworthy.
 */
export class AuditChainChecker {
  #expectedSeq = 1;
  #prevHash: Uint8Array = AUDIT_GENESIS_HASH;
  #count = 0;

  /** Entries pushed so far. */
  get count(): number {
    return this.#count;
  }

  /** `storedHash` is the hash the row claims; the entry is what the row holds. */
  push(entry: AuditEntry, storedHash: Uint8Array): AuditBreak | null {
    const expected = this.#expectedSeq;
    const prevStored = this.#prevHash;
    this.#count += 1;
    this.#expectedSeq = entry.seq + 1;
    this.#prevHash = storedHash;

    if (entry.seq > expected) {
      const missing = entry.seq - 1 === expected ? `entry ${expected} is` : `entries ${expected} to ${entry.seq - 1} are`;
      return { seq: expected, reason: `${missing} missing (deleted, or its seq was changed); the next entry is ${entry.seq}` };
    }
    if (entry.seq < expected) {
      return { seq: entry.seq, reason: `entry ${entry.seq} is out of sequence: expected entry ${expected} (its seq was changed)` };
    }
    let recomputed: Uint8Array;
    try {
      recomputed = auditEntryHash(entry);
    } catch (e) {
      if (!(e instanceof CoreError)) throw e;
      return { seq: entry.seq, reason: `entry ${entry.seq} cannot be hashed (${e.message}): the row was edited` };
    }
    if (!bytesEqual(recomputed, storedHash)) {
      return {
        seq: entry.seq,
        reason: `entry ${entry.seq}'s stored hash does not match its contents (recomputed ${toHex(recomputed)}): the row was edited`,
      };
    }
    if (!bytesEqual(entry.prevHash, prevStored)) {
      if (entry.seq === 1) {
        return { seq: 1, reason: "entry 1's prev_hash is not the genesis hash (32 zero bytes): the row was edited and its hash recomputed" };
      }
      const prev = entry.seq - 1;
      return {
        seq: prev,
        reason: `entry ${entry.seq}'s prev_hash does not match entry ${prev}'s stored hash: entry ${prev} was edited and its hash recomputed`,
      };
    }
    return null;
  }
}
