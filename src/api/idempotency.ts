// The Idempotency-Key middleware (IETF draft-ietf-httpapi-idempotency-key-header) for the
// operations the route registry marks `idempotent`: the first request with a key runs and,
// when it succeeds, its response is kept; a retry with the same key and request gets that
// response again without running anything; the same key with another request is a 422, and
// one that arrives while the first is still running a 409. Keys are scoped per principal.
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { bytesEqual, concatBytes, utf8 } from "../core/bytes.ts";
import { sha256 } from "../core/hash.ts";
import { ServiceError, validationFailed } from "../errors.ts";
import { errorFields, type Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
  takeOverIdempotencyKey,
  type IdempotencyClaim,
} from "../store/idempotency.ts";
import type { IdempotencyRow } from "../store/schema.ts";
import { readRawBody } from "./body.ts";
import type { AppEnv } from "./context.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** How long a completed request is replayed; published in the API docs, as the draft asks. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long an in-progress claim blocks its key before it counts as abandoned. */
export const DEFAULT_STALE_AFTER_MS = 5 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

/** Response headers replayed with the stored body; the rest are the current request's own. */
const KEPT_HEADERS = ["content-type", "location"] as const;
// A claim race (claimed, then released or taken over by another request between our two
// statements) resolves on the next pass; more passes than this means something is wrong.
const MAX_CLAIM_ATTEMPTS = 3;

export interface IdempotencyDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  /** Records older than this count as absent (and sweepIdempotencyKeys removes them). */
  ttlMs?: number;
  /** An in-progress claim older than this was abandoned by a crashed process. */
  staleAfterMs?: number;
}

/**
 * Must run after the operation lookup and auth (it needs c.var.operation and c.var.caller)
 * and before the handlers. Requests without the header, and operations that are not marked
 * idempotent, pass through untouched.
 */
export function idempotency(deps: IdempotencyDeps): MiddlewareHandler<AppEnv> {
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const staleAfterMs = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;

  return async (c, next) => {
    const header = c.req.header(IDEMPOTENCY_HEADER);
    const operation = c.var.operation;
    if (header === undefined || !operation?.op.idempotent) return next();
    const key = parseIdempotencyKey(header);
    const caller = c.var.caller;
    // Every idempotent operation needs a key, so auth has run: a missing caller is our bug.
    if (!caller) throw new Error(`idempotency middleware reached ${operation.key} without a caller`);

    // The body is part of the fingerprint, so it is read here (415, then 413, before anything
    // is claimed) and handed to readJson through c.var.rawBody.
    let body: Uint8Array = new Uint8Array();
    if (operation.op.bodyLimit !== undefined) {
      body = await readRawBody(c, operation.op.bodyLimit);
      c.set("rawBody", body);
    }
    const fingerprint = requestFingerprint(c.req.method, new URL(c.req.url).pathname, body);

    const outcome = await acquire(caller.principalId, key, fingerprint);
    if ("replay" in outcome) return replay(c, outcome.replay);
    const claim = outcome.claim;

    try {
      await next();
    } catch (err) {
      // Hono's compose normally turns a thrown error into c.res before it gets here.
      await release(claim);
      throw err;
    }
    const res = c.res;
    if (res.status < 200 || res.status > 299) {
      // Failures are not replayed: the client corrects the request and retries with the same key.
      await release(claim);
      return;
    }
    try {
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = res.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      // Kept as text, which replays byte for byte because every idempotent route answers JSON.
      // A response holding a secret (a new API key) is kept without it: see Operation.replayAs.
      const text = await res.clone().text();
      const body = operation.op.replayAs ? operation.op.replayAs(text) : text;
      const stored = await completeIdempotencyKey(deps.db, claim, { status: res.status, headers, body });
      if (!stored) deps.log.warn("idempotency claim was taken over before the request finished", logFields(claim, operation.key));
    } catch (err) {
      // The work is done and committed: answer with it. The claim stays in progress (retries
      // get 409) until it goes stale, after which a retry would run the operation again.
      deps.log.error("could not record an idempotent response", { ...logFields(claim, operation.key), ...errorFields(err) });
    }
  };

  /** Claims the key, or finds the record that stops us (422, 409) or is to be replayed. */
  async function acquire(
    principalId: string,
    key: string,
    fingerprint: Uint8Array,
  ): Promise<{ claim: IdempotencyClaim } | { replay: IdempotencyRow }> {
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const at = now();
      const fresh: IdempotencyClaim = { principalId, key, claimedAt: at };
      if (await claimIdempotencyKey(deps.db, fresh, fingerprint)) return { claim: fresh };
      const row = await findIdempotencyKey(deps.db, principalId, key);
      if (!row) continue; // released or swept since our insert: claim it again

      const age = at.getTime() - row.createdAt.getTime();
      const expired = age > ttlMs;
      // Taking over an abandoned claim is a bet that its process crashed. If it is merely slow
      // (still running after staleAfterMs), the operation runs twice: a duplicate, which is
      // what the key was meant to prevent. Its late completion finds the claim gone and only
      // logs; the retry's response is the one kept.
      const abandoned = row.state === "in-progress" && age > staleAfterMs;
      if (expired || abandoned) {
        // A distinct created_at, since it is the token that tells the two claims apart.
        const claimedAt = new Date(Math.max(at.getTime(), row.createdAt.getTime() + 1));
        const claim: IdempotencyClaim = { principalId, key, claimedAt };
        if (await takeOverIdempotencyKey(deps.db, claim, fingerprint, row.createdAt)) {
          if (abandoned && !expired) deps.log.warn("took over an abandoned idempotency claim", { principalId, key });
          return { claim };
        }
        continue; // another request took it over first: look again
      }
      if (!bytesEqual(row.fingerprint, fingerprint)) {
        throw new ServiceError(
          "idempotency-key-reused",
          `this ${IDEMPOTENCY_HEADER} was already used with a different request (method, path or body); use a new key`,
        );
      }
      if (row.state === "in-progress") {
        throw new ServiceError(
          "idempotency-key-in-use",
          `a request with this ${IDEMPOTENCY_HEADER} is still being processed; retry once it has finished`,
        );
      }
      return { replay: row };
    }
    throw new ServiceError("idempotency-key-in-use", `too much contention on this ${IDEMPOTENCY_HEADER}; retry later`);
  }

  async function release(claim: IdempotencyClaim): Promise<void> {
    try {
      await releaseIdempotencyKey(deps.db, claim);
    } catch (err) {
      // The claim goes stale and is taken over later; the client's answer is the error it got.
      deps.log.error("could not release an idempotency claim", { principalId: claim.principalId, key: claim.key, ...errorFields(err) });
    }
  }

  function logFields(claim: IdempotencyClaim, operation: string): Record<string, unknown> {
    return { principalId: claim.principalId, key: claim.key, operation };
  }
}

/**
 * The stored response, byte for byte, marked as a replay. Built with c.body so that what the
 * outer middleware already set on the context (rate-limit headers) is kept.
 */
function replay(c: Context<AppEnv>, row: IdempotencyRow): Response {
  const status = row.status ?? 200;
  const headers = { ...row.headers, [REPLAYED_HEADER]: "true" };
  // 204 and 205 may not carry a body, not even an empty one.
  if (status === 204 || status === 205) return c.body(null, status, headers);
  return c.body(row.body ?? "", status as ContentfulStatusCode, headers);
}

/**
 * The key from the header: an RFC 8941 sf-string as the draft defines it ("..." with \" and
 * \\ escapes), or leniently a bare value, since many clients send an unquoted UUID. Either
 * way 1 to 255 printable ASCII characters. Throws a 422 naming the header otherwise.
 */
export function parseIdempotencyKey(raw: string): string {
  const value = raw.trim();
  let key: string;
  if (value.startsWith('"')) {
    const parsed = parseSfString(value);
    if (typeof parsed !== "string") throw invalidKey(parsed.error);
    key = parsed;
  } else {
    // No quotes, backslashes, commas or spaces: those would make it ambiguous with the quoted
    // form, or be two header fields joined into one (which the draft forbids).
    if (!/^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]*$/.test(value)) {
      throw invalidKey('must be a quoted string ("...") or a single token of printable ASCII without spaces, quotes, backslashes or commas');
    }
    key = value;
  }
  if (key.length === 0) throw invalidKey("must not be empty");
  if (key.length > MAX_KEY_LENGTH) throw invalidKey(`must be at most ${MAX_KEY_LENGTH} characters`);
  return key;
}

/** RFC 8941 section 4.2.5 for a whole field value: the string, or why it is not one. */
function parseSfString(value: string): string | { error: string } {
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") return { error: 'in a quoted string a backslash may only escape " or \\' };
      out += next;
    } else if (ch === '"') {
      if (i !== value.length - 1) return { error: "unexpected characters after the closing quote" };
      return out;
    } else if (ch < "\x20" || ch > "\x7e") {
      return { error: "must hold printable ASCII characters only" };
    } else {
      out += ch;
    }
  }
  return { error: "the quoted string has no closing quote" };
}

function invalidKey(reason: string): ServiceError {
  return validationFailed([{ field: IDEMPOTENCY_HEADER, reason }]);
}

/**
 * SHA-256 over method, path and body, NUL-separated: neither a method nor a (percent-encoded)
 * path holds a NUL, so no two requests share an encoding. The path is part of it because a
 * key is scoped to a principal, not to a route.
 */
export function requestFingerprint(method: string, path: string, body: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(method), new Uint8Array([0]), utf8(path), new Uint8Array([0]), body));
}
