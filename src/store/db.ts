// Opens the database: PostgreSQL through postgres.js when a URL is given, otherwise an
// embedded PGlite under a data directory (or in memory). Both run the same migrations and
// are used through the same drizzle type, so every query has one code path.
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
import * as schema from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; queries accept either a Db or a Tx. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** postgres:// URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; absent means in memory (tests). */
  dataDir?: string | undefined;
  /** Largest postgres.js pool. */
  maxConnections?: number;
}

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** Opens the database and applies pending migrations before returning it. */
export async function createDb(opts: DbOptions = {}): Promise<Database> {
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      // Sub-second batches want fast failure when the server is gone, not a long hang.
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { schema });
    await migratePostgres(db, { migrationsFolder });
    return handle(db as unknown as Db, "postgres", () => client.end({ timeout: 5 }));
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = new PGlite(opts.dataDir ?? "memory://");
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  return handle(db as unknown as Db, "pglite", () => client.close());
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
