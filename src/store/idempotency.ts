// Queries over idempotency_keys, the records behind Idempotency-Key replays (see
// src/api/idempotency.ts for the protocol). A record is owned by whoever claimed it: its
// created_at is the claim's token, so a process whose claim was taken over cannot complete
// or release the new owner's record.
import { and, eq, lt } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { idempotencyKeys, type IdempotencyRow } from "./schema.ts";

/** A claim on (principal, key): who, which key, and the created_at it was claimed with. */
export interface IdempotencyClaim {
  principalId: string;
  key: string;
  claimedAt: Date;
}

/** The response to replay for a completed request. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Inserts an in-progress record; false when (principal, key) already has one. */
export async function claimIdempotencyKey(db: DbOrTx, claim: IdempotencyClaim, fingerprint: Uint8Array): Promise<boolean> {
  const rows = await db
    .insert(idempotencyKeys)
    .values({
      principalId: claim.principalId,
      key: claim.key,
      fingerprint,
      state: "in-progress",
      createdAt: claim.claimedAt,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

/**
 * Replaces an expired or abandoned record with a fresh in-progress claim, but only if the
 * record is still the one the caller looked at (its created_at is `seenAt`): of two requests
 * racing for the same stale record, exactly one wins. Requires claim.claimedAt ≠ seenAt.
 */
export async function takeOverIdempotencyKey(
  db: DbOrTx,
  claim: IdempotencyClaim,
  fingerprint: Uint8Array,
  seenAt: Date,
): Promise<boolean> {
  const rows = await db
    .update(idempotencyKeys)
    .set({ fingerprint, state: "in-progress", status: null, headers: null, body: null, createdAt: claim.claimedAt })
    .where(and(ownedBy(claim.principalId, claim.key), eq(idempotencyKeys.createdAt, seenAt)))
    .returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

export async function findIdempotencyKey(db: DbOrTx, principalId: string, key: string): Promise<IdempotencyRow | null> {
  const rows = await db.select().from(idempotencyKeys).where(ownedBy(principalId, key)).limit(1);
  return rows[0] ?? null;
}

/** Records the response of a claimed request; false when the claim is no longer ours. */
export async function completeIdempotencyKey(db: DbOrTx, claim: IdempotencyClaim, response: StoredResponse): Promise<boolean> {
  const rows = await db
    .update(idempotencyKeys)
    .set({ state: "done", status: response.status, headers: response.headers, body: response.body })
    .where(claimed(claim))
    .returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

/** Deletes a claim whose request failed, so a corrected retry with the same key can run. */
export async function releaseIdempotencyKey(db: DbOrTx, claim: IdempotencyClaim): Promise<boolean> {
  const rows = await db.delete(idempotencyKeys).where(claimed(claim)).returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

/** Deletes every record created before `before` (done or not); returns how many. */
export async function sweepIdempotencyKeys(db: DbOrTx, before: Date): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, before))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}

function ownedBy(principalId: string, key: string) {
  return and(eq(idempotencyKeys.principalId, principalId), eq(idempotencyKeys.key, key));
}

function claimed(claim: IdempotencyClaim) {
  return and(
    ownedBy(claim.principalId, claim.key),
    eq(idempotencyKeys.createdAt, claim.claimedAt),
    eq(idempotencyKeys.state, "in-progress"),
  );
}
