// Test databases: every call gives a brand-new, empty, migrated database, so test files never
// share state and never depend on order. With DATABASE_URL set it is a new database on that
// PostgreSQL server (dropped again by close()); otherwise an in-memory PGlite.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createDb, type Database } from "../../src/store/db.ts";

export type TestDatabase = Database & { url?: string };

/** Which backend freshDatabase() opens, for test names. */
export function describeDbKind(): "postgres" | "pglite" {
  return process.env.DATABASE_URL ? "postgres" : "pglite";
}

/** A new migrated database; call close() when done (it drops a PostgreSQL database too). */
export async function freshDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return createDb({});

  // Random hex after a fixed prefix: a valid identifier that needs no quoting.
  const name = `t_${randomBytes(8).toString("hex")}`;
  await onServer(serverUrl, (sql) => sql.unsafe(`create database ${name}`));
  const url = databaseUrl(serverUrl, name);
  let database: Database;
  try {
    database = await createDb({ url });
  } catch (err) {
    await dropDatabase(serverUrl, name);
    throw err;
  }
  return {
    ...database,
    url,
    close: async () => {
      try {
        await database.close();
      } finally {
        await dropDatabase(serverUrl, name);
      }
    },
  };
}

/** The same server URL pointing at another database. */
function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs statements over a short-lived single connection to the given URL. */
async function onServer(url: string, run: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, async (sql) => {
    // Pools of tests that forgot to close would otherwise keep the database busy.
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
              where datname = ${name} and pid <> pg_backend_pid()`;
    await sql.unsafe(`drop database if exists ${name} with (force)`);
  });
}
