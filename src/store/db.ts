// Opens the database: PostgreSQL through postgres.js when a URL is given, otherwise an
// embedded PGlite under a data directory (or in memory). Both run the same migrations and
// are used through the same drizzle type, so every query has one code path. On PostgreSQL it
// also gives what several instances on one database coordinate through (sessions of their
// own for locks and LISTEN, NOTIFY).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { ensureEvidencePartitions } from "./partitions.ts";
import * as schema from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; queries accept either a Db or a Tx. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /**
   * PostgreSQL only: what instances sharing the database coordinate through. PGlite has one
   * process per data directory (src/store/data-dir-lock.ts), so there is nothing to share.
   */
  cluster?: Cluster;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** Closes the pool and every cluster session (releasing the locks they hold). */
  close(): Promise<void>;
}

/** Coordination between processes on one PostgreSQL database. */
export interface Cluster {
  /**
   * A session of its own: one connection outside the pool, never reconnected (throws
   * SessionClosedError once the Database is closed). Session-level
   * advisory locks and LISTEN live exactly as long as it, so a process that dies (and with it
   * the TCP connection) lets go of them without any cleanup of ours.
   */
  session(opts: SessionOptions): ClusterSession;
  /** NOTIFY `channel` with `payload`, through the pool. */
  notify(channel: string, payload: string): Promise<void>;
}

export interface SessionOptions {
  /** Shown as application_name in pg_stat_activity: which instance holds which session. */
  name: string;
  /**
   * Server settings for this session, applied before its first statement. Settings the
   * server does not know are skipped (idle_session_timeout exists from PostgreSQL 14 on).
   */
  settings?: Record<string, string>;
  /** Seconds before the client's TCP keepalive probes a silent server (postgres.js: 60). */
  keepAliveSeconds?: number;
  onNotify?: (channel: string, payload: string) => void;
  /** Called once, when the connection ends for any reason: error, the server, close(). */
  onClosed?: () => void;
}

export interface ClusterSession {
  /** pg_try_advisory_lock(key) on this session: true when taken (or held already). */
  tryAdvisoryLock(key: bigint): Promise<boolean>;
  /** LISTEN on this session; notifications go to `onNotify`. */
  listen(channel: string): Promise<void>;
  /** One round trip; rejects when the session is gone or does not answer within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** True once the connection has ended; a closed session never connects again. */
  readonly closed: boolean;
  close(): Promise<void>;
}

/** Thrown by a ClusterSession used after its connection ended. */
export class SessionClosedError extends Error {
  override name = "SessionClosedError";
}

export interface DbOptions {
  /** postgres:// URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; absent means in memory (tests). */
  dataDir?: string | undefined;
  /** Largest postgres.js pool. */
  maxConnections?: number;
  /** The pool's application_name in pg_stat_activity (the metrics count this instance's connections by it). */
  applicationName?: string | undefined;
  /** How many days each new evidence partition holds (PARTITION_DAYS); see src/store/partitions.ts. */
  partitionDays?: number;
}

/** PARTITION_DAYS' default: a week of rows per partition. */
export const DEFAULT_PARTITION_DAYS = 7;

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * Session advisory lock held while migrating: instances started together on an empty
 * database would otherwise race to create the same tables (drizzle's migrator takes no lock).
 * The one-key lock space is shared with src/batcher/seal.ts, src/store/evidence.ts, …
 */
const MIGRATION_LOCK = 727318031n;

/**
 * Opens the database, applies pending migrations and makes the evidence partitions that
 * rows of the next days need, before returning it.
 */
export async function createDb(opts: DbOptions = {}): Promise<Database> {
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      ...(opts.applicationName ? { connection: { application_name: opts.applicationName } } : {}),
      // Sub-second batches want fast failure when the server is gone, not a long hang.
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { schema });
    try {
      await withSessionLock(opts.url, MIGRATION_LOCK, () => migratePostgres(db, { migrationsFolder }));
      await ensureEvidencePartitions(db as unknown as Db, { days: opts.partitionDays ?? DEFAULT_PARTITION_DAYS });
    } catch (err) {
      await client.end({ timeout: 5 });
      throw err;
    }
    const sessions = new Set<ClusterSession>();
    const state = { closed: false };
    const cluster = clusterOf(opts.url, client, sessions, state);
    return {
      ...handle(db as unknown as Db, "postgres", async () => {
        state.closed = true;
        await Promise.all([...sessions].map((s) => s.close()));
        await client.end({ timeout: 5 });
      }),
      cluster,
    };
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = new PGlite(opts.dataDir ?? "memory://");
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  await ensureEvidencePartitions(db as unknown as Db, { days: opts.partitionDays ?? DEFAULT_PARTITION_DAYS });
  return handle(db as unknown as Db, "pglite", () => client.close());
}

/** Runs `fn` holding session advisory lock `key`, on a connection of its own (not the pool's). */
async function withSessionLock<T>(url: string, key: bigint, fn: () => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${key.toString()}::bigint)`;
    return await fn();
  } finally {
    // Ending the session releases the lock, also when the unlock was never sent.
    await sql.end({ timeout: 5 });
  }
}

function clusterOf(url: string, pool: postgres.Sql, sessions: Set<ClusterSession>, database: { closed: boolean }): Cluster {
  return {
    notify: async (channel, payload) => void (await pool.notify(channel, payload)),
    session(opts) {
      // A closed handle opens nothing: its instance must not take a lock it can no longer use.
      if (database.closed) throw new SessionClosedError(`the database is closed: no session ${opts.name}`);
      let closed = false;
      let ending: Promise<void> | undefined;
      const markClosed = () => {
        if (closed) return;
        closed = true;
        sessions.delete(session);
        opts.onClosed?.();
      };
      const options = {
        max: 1,
        onnotice: () => {},
        connect_timeout: 10,
        keep_alive: opts.keepAliveSeconds ?? 60,
        // The defaults recycle connections (max_lifetime 30–60 min): that would drop the lock.
        idle_timeout: 0,
        max_lifetime: null,
        fetch_types: false,
        connection: { application_name: opts.name },
        // Read by postgres.js for every NOTIFY on the connection, though its types omit it.
        onnotify: (channel: string, payload: string) => opts.onNotify?.(channel, payload),
        onclose: markClosed,
      };
      const client = postgres(url, options as postgres.Options<{}>);
      // postgres.js would silently open a new connection (a new session, without our locks)
      // for a statement sent after the old one ended: a closed session refuses instead.
      const run = async <T>(query: () => Promise<T>): Promise<T> => {
        if (closed) throw new SessionClosedError(`session ${opts.name} has ended`);
        const result = await query();
        if (closed) throw new SessionClosedError(`session ${opts.name} ended during the statement`);
        return result;
      };
      let configured: Promise<unknown> | undefined;
      const configure = () =>
        (configured ??= run(
          () => client`select set_config(s.name, v.value, false)
                       from jsonb_each_text(${JSON.stringify(opts.settings ?? {})}::text::jsonb) as v(name, value)
                       join pg_settings s on s.name = v.name`,
        ));
      const session: ClusterSession = {
        get closed() {
          return closed;
        },
        async tryAdvisoryLock(key) {
          await configure();
          const rows = await run(() => client<{ got: boolean }[]>`select pg_try_advisory_lock(${key.toString()}::bigint) as got`);
          return rows[0]?.got === true;
        },
        async listen(channel) {
          await configure();
          await run(() => client.unsafe(`listen "${channel.replace(/"/g, '""')}"`));
        },
        async ping(timeoutMs) {
          let timer: NodeJS.Timeout | undefined;
          const silent = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`session ${opts.name} did not answer within ${timeoutMs} ms`)), timeoutMs);
          });
          try {
            await Promise.race([run(() => client`select 1`), silent]);
          } finally {
            clearTimeout(timer);
          }
        },
        close() {
          // Waits for the server to see the goodbye (then the lock is free for others), but not
          // for long: a partitioned server never acknowledges it.
          ending ??= Promise.race([
            client.end({ timeout: 0 }).catch(() => {}),
            new Promise<void>((r) => setTimeout(r, 3000).unref()),
          ]).then(markClosed);
          return ending;
        },
      };
      sessions.add(session);
      return session;
    },
  };
}

function handle(db: Db, kind: Database["kind"], close: () => Promise<void>): Database {
  return { db, kind, ping: async () => void (await db.execute(sql`select 1`)), close };
}

/**
 * Runs raw SQL and returns its rows. postgres.js returns an array and PGlite an object with
 * `rows`; this is the one place that knows.
 */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
