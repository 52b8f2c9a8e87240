// The registry of public keys the service has signed with (never pruned, so that old
// receipts and reports still verify after a key rotation).
import { asc, sql } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { receiptKeys, signingKeys, type SigningKeyRow } from "./schema.ts";

/**
 * Adds the key if it is not registered yet, and gives it its number in receipt_keys (which
 * evidence rows store instead of the key id), so that the first receipt it signs writes no
 * row of its own.
 */
export async function registerSigningKey(db: DbOrTx, kid: string, publicKey: Uint8Array, now: Date): Promise<void> {
  await db.insert(signingKeys).values({ kid, publicKey, firstUsedAt: now }).onConflictDoNothing();
  await db.execute(sql`insert into ${receiptKeys} (kid) select ${kid} where not exists (select 1 from ${receiptKeys} where kid = ${kid})
                       on conflict (kid) do nothing`);
}

export function listSigningKeys(db: DbOrTx): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).orderBy(asc(signingKeys.firstUsedAt), asc(signingKeys.kid));
}
