// What the database holds and writes, in SQL only (so the same code measures older schemas
// too): bytes on disk per relation (heap, free-space and visibility maps, TOAST, indexes),
// the WAL position, commits in other databases of the server (WAL is server-wide, so they
// would count in a WAL difference), and the server settings that change what a commit costs.
import { sql } from "drizzle-orm";
import { queryRows, type DbOrTx } from "../../src/store/db.ts";

/** Runs one SQL text and returns its rows. */
export type Query = <T>(text: string) => Promise<T[]>;

export const queryOf =
  (db: DbOrTx): Query =>
  <T>(text: string) =>
    queryRows<T>(db, sql.raw(text));

export interface RelationSize {
  /** The table; partitions are counted under their partitioned parent. */
  name: string;
  /** Main fork: the rows themselves (live and dead). */
  heap: number;
  /** Free-space map and visibility map forks. */
  maps: number;
  /** The TOAST table and its index (out-of-line values). */
  toast: number;
  /** All indexes of the table. */
  indexes: number;
  /** pg_total_relation_size: all of the above. */
  total: number;
  indexCount: number;
  /** Each index by name, bytes (largest first). */
  indexSizes: { name: string; bytes: number }[];
}

/**
 * Sizes of every table in the current schema (partitions folded into their parent),
 * largest first. heap + maps + toast + indexes = total.
 */
export async function relationSizes(q: Query): Promise<RelationSize[]> {
  const rows = await q<{ name: string; heap: string; maps: string; toast: string; indexes: string; total: string; index_count: string }>(`
    select coalesce((select p.relname from pg_inherits i join pg_class p on p.oid = i.inhparent where i.inhrelid = c.oid limit 1), c.relname) as name,
           pg_relation_size(c.oid, 'main') as heap,
           pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm') as maps,
           case when c.reltoastrelid = 0 then 0 else pg_total_relation_size(c.reltoastrelid) end as toast,
           pg_indexes_size(c.oid) as indexes,
           pg_total_relation_size(c.oid) as total,
           (select count(*) from pg_index x where x.indrelid = c.oid) as index_count
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r'`);
  const idx = await q<{ tname: string; iname: string; bytes: string }>(`
    select coalesce((select p.relname from pg_inherits i join pg_class p on p.oid = i.inhparent where i.inhrelid = t.oid limit 1), t.relname) as tname,
           coalesce((select p.relname from pg_inherits i join pg_class p on p.oid = i.inhparent where i.inhrelid = ic.oid limit 1), ic.relname) as iname,
           pg_relation_size(ic.oid) as bytes
    from pg_index x join pg_class t on t.oid = x.indrelid join pg_class ic on ic.oid = x.indexrelid
         join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and t.relkind = 'r'`);
  const byName = new Map<string, RelationSize>();
  for (const r of rows) {
    const s = byName.get(r.name) ?? { name: r.name, heap: 0, maps: 0, toast: 0, indexes: 0, total: 0, indexCount: 0, indexSizes: [] };
    s.heap += Number(r.heap);
    s.maps += Number(r.maps);
    s.toast += Number(r.toast);
    s.indexes += Number(r.indexes);
    s.total += Number(r.total);
    s.indexCount = Math.max(s.indexCount, Number(r.index_count));
    byName.set(r.name, s);
  }
  for (const i of idx) {
    const s = byName.get(i.tname);
    if (!s) continue;
    const have = s.indexSizes.find((x) => x.name === i.iname);
    if (have) have.bytes += Number(i.bytes);
    else s.indexSizes.push({ name: i.iname, bytes: Number(i.bytes) });
  }
  for (const s of byName.values()) s.indexSizes.sort((a, b) => b.bytes - a.bytes);
  return [...byName.values()].sort((a, b) => b.total - a.total);
}

/** Digests in anchored batches: the denominator of bytes per anchored digest. */
export async function anchoredDigests(q: Query): Promise<{ anchored: number; evidenceRows: number }> {
  const r = (
    await q<{ anchored: string; rows: string }>(
      `select (select coalesce(sum(size), 0) from batches where anchor_id is not null) as anchored, (select count(*) from evidence) as rows`,
    )
  )[0];
  return { anchored: Number(r?.anchored ?? 0), evidenceRows: Number(r?.rows ?? 0) };
}

/** The server's current WAL insert position, as text (for walBytes). NaN-safe: null where unavailable. */
export async function walLsn(q: Query): Promise<string | null> {
  try {
    return (await q<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`))[0]?.lsn ?? null;
  } catch {
    return null;
  }
}

/** WAL bytes between two positions (NaN if either is unknown). */
export async function walBytes(q: Query, from: string | null, to: string | null): Promise<number> {
  if (from === null || to === null) return NaN;
  const r = await q<{ d: string }>(`select pg_wal_lsn_diff('${to}'::pg_lsn, '${from}'::pg_lsn) as d`);
  return Number(r[0]?.d ?? NaN);
}

/**
 * Commits counted so far in each of the server's other databases (pg_stat_database; flushed
 * about once a second). Their WAL lands in the same stream, so the difference over a WAL
 * window (commitsBetween) says how much of it may not be ours. Empty where unavailable.
 */
export async function otherDatabaseCommits(q: Query): Promise<Map<string, number>> {
  try {
    const rows = await q<{ datname: string; n: string }>(
      `select datname, xact_commit as n from pg_stat_database where datname is not null and datname <> current_database()`,
    );
    return new Map(rows.map((r) => [r.datname, Number(r.n)]));
  } catch {
    return new Map();
  }
}

/**
 * Commits between two snapshots of otherDatabaseCommits: per database, so that databases
 * dropped meanwhile (test runs drop theirs) do not subtract; a database created meanwhile
 * counts from zero.
 */
export function commitsBetween(before: Map<string, number>, after: Map<string, number>): number {
  let n = 0;
  for (const [db, c] of after) n += Math.max(0, c - (before.get(db) ?? 0));
  return n;
}

/** Settings that decide what a commit and its WAL cost (a test server may relax them). */
export async function durabilitySettings(q: Query): Promise<Record<string, string>> {
  const names = ["fsync", "synchronous_commit", "full_page_writes", "wal_compression", "shared_buffers", "wal_level"];
  try {
    const rows = await q<{ name: string; setting: string }>(
      `select name, current_setting(name) as setting from pg_settings where name in (${names.map((n) => `'${n}'`).join(", ")})`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } catch {
    return {};
  }
}

/** CHECKPOINT (flushes dirty pages, so the next full-page writes start afresh); false if not allowed. */
export async function checkpoint(q: Query): Promise<boolean> {
  try {
    await q(`checkpoint`);
    return true;
  } catch {
    return false;
  }
}

/** The table the COPY baseline writes (bench/lib/copy-baseline.ts); not part of the service's bytes. */
export const BASELINE_TABLE = "evidence_copy";

export interface StorageReport {
  /** What was run before the sizes were read. */
  prepared: string;
  anchoredDigests: number;
  evidenceRows: number;
  /** The service's tables, largest first (the baseline table left out). */
  relations: RelationSize[];
  /** The COPY baseline's table and its row count, when there is one. */
  baseline: { size: RelationSize; rows: number } | null;
  /** Average stored bytes of an evidence row and of each of its columns (a sample). */
  evidenceColumns: { sampled: number; row: number; columns: { name: string; bytes: number }[] } | null;
}

/**
 * Average pg_column_size of each column of `table` (a null counts 0), and of its whole row,
 * over up to `sample` rows: which columns the heap's bytes are. (Sizes as stored, after compression; the tuple
 * header and line pointer come on top of the row.)
 */
export async function columnSizes(q: Query, table: string, sample = 10_000): Promise<{ sampled: number; row: number; columns: { name: string; bytes: number }[] } | null> {
  try {
    const cols = (
      await q<{ name: string }>(
        `select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = '${table}' order by ordinal_position`,
      )
    ).map((c) => c.name);
    if (cols.length === 0) return null;
    const r = (
      await q<Record<string, string>>(
        `select count(*) as n, avg(pg_column_size(t.*)) as row, ${cols.map((c, i) => `coalesce(sum(pg_column_size(t."${c}")), 0)::float8 / greatest(count(*), 1) as c${i}`).join(", ")}
         from (select * from "${table}" limit ${sample}) t`,
      )
    )[0];
    if (!r) return null;
    return {
      sampled: Number(r.n),
      row: Number(r.row),
      columns: cols.map((name, i) => ({ name, bytes: Number(r[`c${i}`]) })).sort((a, b) => b.bytes - a.bytes),
    };
  } catch {
    return null;
  }
}

/**
 * Bytes on disk per anchored digest: after a plain VACUUM ANALYZE (it rewrites nothing, so
 * the space of dead row versions an UPDATE left stays counted, as it stays on disk; it sets
 * the visibility map and drops empty pages at the end of a file), every table's size split
 * into heap, maps, TOAST and indexes. Requires everything to be anchored, or the figure is per
 * anchored digest of a database holding more.
 */
export async function measureStorage(q: Query): Promise<StorageReport> {
  await q(`vacuum analyze`);
  const all = await relationSizes(q);
  const { anchored, evidenceRows } = await anchoredDigests(q);
  const base = all.find((r) => r.name === BASELINE_TABLE);
  const rows = base ? Number((await q<{ n: string }>(`select count(*) as n from ${BASELINE_TABLE}`))[0]?.n ?? 0) : 0;
  return {
    prepared: "VACUUM ANALYZE (plain)",
    anchoredDigests: anchored,
    evidenceRows,
    relations: all.filter((r) => r.name !== BASELINE_TABLE),
    baseline: base ? { size: base, rows } : null,
    evidenceColumns: await columnSizes(q, "evidence"),
  };
}
