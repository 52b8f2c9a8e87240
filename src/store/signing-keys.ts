// The registry of public keys the service has signed with (never pruned, so that old
// receipts and reports still verify after a key rotation).
import { asc } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { signingKeys, type SigningKeyRow } from "./schema.ts";

/** Adds the key if it is not registered yet. */
export async function registerSigningKey(db: DbOrTx, kid: string, publicKey: Uint8Array, now: Date): Promise<void> {
  await db.insert(signingKeys).values({ kid, publicKey, firstUsedAt: now }).onConflictDoNothing();
}

export function listSigningKeys(db: DbOrTx): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).orderBy(asc(signingKeys.firstUsedAt), asc(signingKeys.kid));
}
