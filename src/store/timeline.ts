// Reading a case timeline: the items of one (submitter, caseId) that a scope may see, in
// arrival order, with only what a timeline shows (not the salts, paths or receipts).
import { and, asc, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { evidence } from "./schema.ts";
import { evidenceVisible, type Scope } from "./scope.ts";

export interface TimelineRow {
  seq: number;
  id: string;
  eventType: string | null;
  /** meta.occurredAt, as claimed by the platform. */
  occurredAt: string | null;
  receivedAt: Date;
  leafHash: Uint8Array;
  /** meta.prev: the previous item's leaf hash (0x-hex) as stored, or null. */
  prev: string | null;
  batchSeq: number | null;
}

/**
 * Up to `limit` items of the case, oldest first. A verifier sees a whole case or none of it
 * (disclosures are per case), a tenant only its own cases, an admin every case.
 */
export async function caseTimelineRows(
  db: DbOrTx,
  scope: Scope,
  tenantId: string,
  caseId: string,
  opts: { limit: number },
): Promise<TimelineRow[]> {
  return db
    .select({
      seq: evidence.seq,
      id: evidence.id,
      eventType: evidence.eventType,
      occurredAt: sql<string | null>`${evidence.metaRest}->>'occurredAt'`,
      receivedAt: evidence.receivedAt,
      leafHash: evidence.leafHash,
      prev: sql<string | null>`${evidence.metaRest}->>'prev'`,
      batchSeq: evidence.batchSeq,
    })
    .from(evidence)
    .where(and(eq(evidence.submitter, tenantId), eq(evidence.caseId, caseId), evidenceVisible(scope)))
    .orderBy(asc(evidence.seq))
    .limit(opts.limit);
}
