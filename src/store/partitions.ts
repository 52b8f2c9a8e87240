// The partitions of the evidence table: which one a row goes in, and making them ahead of need.
//
// A row's partition key `part` is the UTC day of its id: evidence ids are UUIDv7 (RFC 9562),
// whose first 48 bits are the Unix time in milliseconds, so `part` is known from the id alone
// and a lookup by id reads one partition. Ids made before ids carried a time (UUIDv4) have
// part 0 and live in the first partition, `evidence_p0`. Time-ordered ids also keep inserts
// at the right edge of the primary-key index instead of at random pages.
//
// Each partition covers a run of days, `days` wide when it is made (PARTITION_DAYS; changing
// it affects only partitions made afterwards). `ensureEvidencePartitions` makes the missing
// ones from yesterday to a partition's width past tomorrow, so a clock a day off either way
// still finds its partition. It runs when the database is opened and every hour in a running
// service.
//
// A partition is made as a plain table and then attached: ATTACH takes only a SHARE UPDATE
// EXCLUSIVE lock on `evidence`, which reads and inserts do not wait for (CREATE TABLE …
// PARTITION OF would take an ACCESS EXCLUSIVE one). Concurrent instances serialise on an
// advisory lock and re-read the partitions under it.
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "./db.ts";

const DAY_MS = 86_400_000;

/** The last id's time and 12-bit counter: ids of this process do not go backwards. */
let last = { ms: 0, counter: 0 };
const STEP_BACK_MS = 10_000;

/**
 * A new evidence id: a UUIDv7 of `nowMs` (48-bit time, version 7, then a 12-bit counter and
 * 62 random bits: RFC 9562 section 6.2, method 1). Within a process each id is greater than
 * the one before, also within one millisecond or when the clock steps back a little, so a request's
 * rows, inserted in the order made, land at the right edge of the primary key's index
 * instead of splitting its pages (random order within a millisecond left them 2/3 full).
 */
export function newEvidenceId(nowMs: number = Date.now()): string {
  // A clock set back by more than STEP_BACK_MS is taken as it is: ids must not stay pinned to a
  // wrong future time (whose partition may not exist).
  if (nowMs > last.ms || last.ms - nowMs > STEP_BACK_MS) last = { ms: nowMs, counter: randomBytes(2).readUInt16BE(0) & 0x1ff };
  else if (++last.counter > 0xfff) last = { ms: last.ms + 1, counter: 0 };
  const b = randomBytes(16);
  b.writeUIntBE(last.ms, 0, 6);
  b[6] = 0x70 | (last.counter >> 8);
  b[7] = last.counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The partition key of the row with this id: the UTC day of a UUIDv7's time, 0 for any
 * other id. `id` is a UUID in its canonical 36-character form (as routes validate it).
 */
export function evidencePart(id: string): number {
  if (id.charCodeAt(14) !== 0x37 /* "7" */) return 0;
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  // Anything not a UUID gets 0 too: a lookup finds nothing rather than failing on the key.
  return Number.isSafeInteger(ms) ? Math.floor(ms / DAY_MS) : 0;
}

/** A partition: the days [from, to) it holds; `from` is null for the first (MINVALUE). */
export interface EvidencePartition {
  name: string;
  from: number | null;
  to: number;
}

/** The partitions of `evidence`, in order of their days. */
export async function evidencePartitions(db: DbOrTx): Promise<EvidencePartition[]> {
  const rows = await queryRows<{ name: string; bound: string }>(
    db,
    sql`select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'evidence'::regclass`,
  );
  return rows
    .map(({ name, bound }) => {
      // FOR VALUES FROM (MINVALUE) TO (1) | FOR VALUES FROM (20790) TO (20797)
      const m = /FROM \((MINVALUE|-?\d+)\) TO \((-?\d+)\)/.exec(bound);
      if (!m) throw new Error(`evidence partition ${name} has an unexpected bound: ${bound}`);
      return { name, from: m[1] === "MINVALUE" ? null : Number(m[1]), to: Number(m[2]) };
    })
    .sort((a, b) => a.to - b.to);
}

/** The one-key advisory lock space is shared with src/store/evidence.ts, src/batcher/seal.ts, … */
const PARTITIONS_LOCK = 727318040n;

/**
 * Makes the partitions that rows with ids of `nowMs` (give or take a day) may need, each
 * `days` wide, continuing from the last one. Returns the names of those it made.
 */
export async function ensureEvidencePartitions(db: DbOrTx, opts: { nowMs?: number; days: number }): Promise<string[]> {
  const today = Math.floor((opts.nowMs ?? Date.now()) / DAY_MS);
  const first = today - 1;
  const until = today + 2 + opts.days;
  const covered = (ps: EvidencePartition[]) => (ps.at(-1)?.to ?? 0) >= until;
  if (covered(await evidencePartitions(db))) return [];
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITIONS_LOCK.toString()}::bigint)`);
    const made: string[] = [];
    const parts = await evidencePartitions(tx);
    // Days before the first day needed are left alone (never a partition for the past: rows
    // of ids from those days cannot be made any more); a gap before it is not filled.
    let from = Math.max(parts.at(-1)?.to ?? first, first);
    while (from < until) {
      const to = from + opts.days;
      const name = `evidence_p${from}`;
      // The new table takes the parent's columns, defaults and identity; attaching it builds
      // the parent's indexes on it (instantly: it is empty).
      await tx.execute(sql.raw(`create table "${name}" (like "evidence" including defaults including constraints including storage)`));
      await tx.execute(sql.raw(`alter table "evidence" attach partition "${name}" for values from (${from}) to (${to})`));
      made.push(name);
      from = to;
    }
    return made;
  });
}
