// Queries over the audit log and its anchored heads: appending an entry (gapless, chained,
// serialised across processes), reading entries back in seq order, recording anchored heads.
import { asc, count, desc, eq, gt, sql } from "drizzle-orm";
import { AUDIT_GENESIS_HASH, auditEntryHash, type AuditEntry } from "../core/audit.ts";
import { canonicalJson } from "../core/jcs.ts";
import type { DbOrTx } from "./db.ts";
import { auditAnchors, auditLog, evidence, type AuditAnchorRow, type AuditRow } from "./schema.ts";

/** What is audited. Add new acts here; the log itself stores any string. */
export const AUDIT_ACTIONS = [
  "principal.created",
  "principal.disabled",
  "key.created",
  "key.revoked",
  "disclosure.granted",
  "disclosure.revoked",
  "auth.failure-burst",
  "report.generated",
  "bootstrap.admin-created",
  "webhook.created",
  "webhook.deleted",
  "webhook.secret-rotated",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface NewAuditEntry {
  /** Principal id of whoever did it ("system" for the service itself). */
  actor: string;
  action: AuditAction;
  /** Id of what it was done to (a key id, principal id, disclosure id…). */
  target?: string | null;
  /** Plain JSON, no secrets: it is shown to admins and hashed as is. */
  details?: Record<string, unknown>;
}

/**
 * Serialises appends (and anchoring of the head) across every connection and process that
 * shares the database. A transaction-level lock: released by the commit or rollback of the
 * caller's transaction, so an entry written inside a caller's transaction keeps the head
 * locked until that change commits. Not the sealer's key (727318001).
 */
const AUDIT_LOCK = sql`select pg_advisory_xact_lock(727318002)`;

/** Takes the audit lock. Requires a transaction (outside one it would be released at once). */
export async function lockAudit(tx: DbOrTx): Promise<void> {
  await tx.execute(AUDIT_LOCK);
}

/**
 * Appends one entry after the current head. `db` may be the caller's transaction, so the
 * entry commits (or rolls back) with the change it records; given the plain Db it runs in
 * its own transaction. Callers must use READ COMMITTED (the default): the head is read
 * after the lock is taken and must see the entry committed by the previous holder.
 * Throws CoreError "invalid-json" for details that are not plain JSON.
 */
export async function appendAudit(db: DbOrTx, entry: NewAuditEntry, at: Date = new Date()): Promise<AuditRow> {
  if (Number.isNaN(at.getTime())) throw new RangeError("appendAudit: invalid date");
  // The column keeps milliseconds, as does Date; the copy only guards against later mutation.
  const when = new Date(at.getTime());
  // Stored exactly as hashed: whatever jsonb does to key order or spacing, the canonical
  // form of what comes back is the same.
  const details = JSON.parse(canonicalJson(entry.details ?? {})) as Record<string, unknown>;
  // On a Tx this is a savepoint inside the caller's transaction; the lock lives until its end.
  return db.transaction(async (tx) => {
    await lockAudit(tx);
    const head = await latestAudit(tx);
    const e: AuditEntry = {
      seq: (head?.seq ?? 0) + 1,
      at: when.toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      details,
      prevHash: head?.hash ?? AUDIT_GENESIS_HASH,
    };
    const row: AuditRow = { ...e, at: when, hash: auditEntryHash(e) };
    await tx.insert(auditLog).values(row);
    return row;
  });
}

/** The entry a row holds, in the form its hash is computed over. */
export function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
    prevHash: row.prevHash,
  };
}

/** The newest entry, or null for an empty log. */
export async function latestAudit(db: DbOrTx): Promise<AuditRow | null> {
  const rows = await db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  return rows[0] ?? null;
}

/** Entries with seq > after (all when after is undefined), oldest first. */
export async function listAudit(db: DbOrTx, opts: { after?: number | undefined; limit: number }): Promise<AuditRow[]> {
  const q = db.select().from(auditLog);
  const filtered = opts.after === undefined ? q : q.where(gt(auditLog.seq, opts.after));
  return filtered.orderBy(asc(auditLog.seq)).limit(opts.limit);
}

export const AUDIT_CHUNK = 1000;

/**
 * Every entry in seq order, `chunk` rows per query, so walking a long log never holds it
 * all in memory. Entries appended during the walk are included when they land after the
 * position reached. No lower bound on seq: a row whose seq was edited to 0 is still seen.
 */
export async function* auditChunks(db: DbOrTx, chunk = AUDIT_CHUNK): AsyncGenerator<AuditRow[]> {
  let after: number | undefined;
  for (;;) {
    const rows = await listAudit(db, { after, limit: chunk });
    if (rows.length > 0) yield rows;
    if (rows.length < chunk) return;
    after = rows.at(-1)!.seq;
  }
}

/** Records that entry `auditSeq` (hash `headHash`) was submitted as evidence `evidenceId`. */
export async function insertAuditAnchor(tx: DbOrTx, row: AuditAnchorRow): Promise<void> {
  await tx.insert(auditAnchors).values(row);
}

/** The newest anchored head, or null when none was anchored yet. */
export async function latestAuditAnchor(db: DbOrTx): Promise<AuditAnchorRow | null> {
  const rows = await db.select().from(auditAnchors).orderBy(desc(auditAnchors.auditSeq)).limit(1);
  return rows[0] ?? null;
}

/** An anchored head with the digest its evidence row holds (null if that row is gone). */
export type AuditAnchorWithDigest = AuditAnchorRow & { evidenceDigest: Uint8Array | null };

/** Anchored heads with audit_seq > after, oldest first. */
export async function listAuditAnchors(
  db: DbOrTx,
  opts: { after?: number | undefined; limit: number },
): Promise<AuditAnchorWithDigest[]> {
  const q = db
    .select({ anchor: auditAnchors, digest: evidence.digest })
    .from(auditAnchors)
    .leftJoin(evidence, eq(evidence.id, auditAnchors.evidenceId));
  const filtered = opts.after === undefined ? q : q.where(gt(auditAnchors.auditSeq, opts.after));
  const rows = await filtered.orderBy(asc(auditAnchors.auditSeq)).limit(opts.limit);
  return rows.map((r) => ({ ...r.anchor, evidenceDigest: r.digest }));
}

/** Every anchored head in audit_seq order, `chunk` rows per query. */
export async function* auditAnchorChunks(db: DbOrTx, chunk = AUDIT_CHUNK): AsyncGenerator<AuditAnchorWithDigest[]> {
  let after: number | undefined;
  for (;;) {
    const rows = await listAuditAnchors(db, { after, limit: chunk });
    if (rows.length > 0) yield rows;
    if (rows.length < chunk) return;
    after = rows.at(-1)!.auditSeq;
  }
}

/** The `n` newest anchored heads, oldest of them first. */
export async function recentAuditAnchors(db: DbOrTx, n: number): Promise<AuditAnchorRow[]> {
  const rows = await db.select().from(auditAnchors).orderBy(desc(auditAnchors.auditSeq)).limit(n);
  return rows.reverse();
}

export async function countAuditAnchors(db: DbOrTx): Promise<number> {
  const rows = await db.select({ n: count() }).from(auditAnchors);
  return Number(rows[0]?.n ?? 0);
}
