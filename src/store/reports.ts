// Stored evidence reports, and the audit-log entries a report about a case quotes.
import { and, asc, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "./db.ts";
import { auditLog, reports, type AuditRow, type ReportRow } from "./schema.ts";

export async function insertReport(db: DbOrTx, row: ReportRow): Promise<void> {
  await db.insert(reports).values(row);
}

export async function getReport(db: DbOrTx, id: string): Promise<ReportRow | null> {
  const rows = await db.select().from(reports).where(eq(reports.id, id)).limit(1);
  return rows[0] ?? null;
}

/** Audit entries whose details name this tenant's case (disclosures, earlier reports), oldest first. */
export function auditAboutCase(db: DbOrTx, tenantId: string, caseId: string, limit: number): Promise<AuditRow[]> {
  return db
    .select()
    .from(auditLog)
    .where(and(sql`${auditLog.details}->>'tenantId' = ${tenantId}`, sql`${auditLog.details}->>'caseId' = ${caseId}`))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
}
