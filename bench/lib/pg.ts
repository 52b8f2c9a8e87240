// A throwaway PostgreSQL database for one bench run: created on the server named by
// DATABASE_URL (bench_<random>), dropped again afterwards, like test/helpers/db.ts does.
import { randomBytes } from "node:crypto";
import postgres from "postgres";

export interface BenchDatabase {
  url: string;
  serverVersion: string;
  /** Process ids of the server backends connected to this database (for their CPU time). */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

async function onServer<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  // Random hex after a fixed prefix: a valid identifier that needs no quoting.
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const serverVersion = await onServer(serverUrl, async (sql) => {
    await sql.unsafe(`create database ${name}`);
    const rows = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    return `PostgreSQL ${rows[0]?.v ?? "?"}`;
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // One connection for looking at the server while the bench runs; it is not a backend of
  // the bench database, so it does not count itself.
  const monitor = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  return {
    url: url.toString(),
    serverVersion,
    backendPids: async () =>
      (await monitor<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${name}`).map((r) => Number(r.pid)),
    drop: async () => {
      await monitor.end({ timeout: 5 });
      await onServer(serverUrl, async (sql) => {
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      });
    },
  };
}
