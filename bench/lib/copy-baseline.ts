// The batch-ingest baseline: what PostgreSQL itself takes for the same kind of rows, written
// with COPY ... FROM STDIN (postgres.js) into `evidence_copy`, a copy of the `evidence` table
// made with `create table ... (like evidence including all)` in the same database: same
// columns, defaults, identity and indexes. Rows are modelled on a row the service stored
// (random id, digest, salt, leaf hash and signature; the rest as stored), so they are as wide
// and index as randomly as the real ones. SQL only: it measures older schemas as well.
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { newEvidenceId } from "../../src/store/partitions.ts";

export interface CopyRun {
  rows: number;
  /** COPY statements (each its own transaction). */
  statements: number;
  connections: number;
  elapsedMs: number;
  rowsPerSec: number;
}

export interface CopyBaseline {
  /** Columns written (the identity column `seq` is left to its default). */
  columns: string[];
  /**
   * `rows` rows in COPY statements of `chunk` rows each (one transaction each), `connections`
   * at once: the shape of the HTTP load (1,000 items per request, 4 connections).
   */
  run(rows: number, chunk: number, connections: number): Promise<CopyRun>;
  close(): Promise<void>;
}

const TABLE = "evidence_copy";

const hexBytes = (n: number) => "\\\\x" + randomBytes(n).toString("hex");
/** Byte length of a bytea in COPY text output (`\\x` + hex). */
const byteaLength = (text: string) => (text.length - 3) / 2;

/**
 * Creates `evidence_copy` next to `evidence` (which must hold at least one row to model the
 * rows on) and opens `connections` connections for the COPY runs.
 */
export async function createCopyBaseline(url: string, connections: number): Promise<CopyBaseline> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop table if exists ${TABLE}`);
  await admin.unsafe(`drop table if exists ${TABLE}_p`);
  // Partitioned like evidence (since migration 0006), into one partition: the rows of one run
  // all fall in today's partition there too.
  const [kind] = await admin<{ relkind: string }[]>`select relkind from pg_class where oid = 'evidence'::regclass`;
  const partitioned = kind?.relkind === "p";
  await admin.unsafe(`create table ${TABLE} (like evidence including all)${partitioned ? " partition by range (part)" : ""}`);
  if (partitioned) await admin.unsafe(`create table ${TABLE}_p partition of ${TABLE} default`);
  const cols = (
    await admin<{ column_name: string; is_identity: string }[]>`
      select column_name, is_identity from information_schema.columns
      where table_schema = current_schema() and table_name = 'evidence' order by ordinal_position`
  ).map((c) => ({ name: c.column_name, identity: c.is_identity === "YES" }));
  // The newest row without a case, as COPY text: the values are already in COPY's format.
  let template = "";
  const out = await admin`copy (select * from evidence where case_id is null order by seq desc limit 1) to stdout`.readable();
  for await (const chunk of out) template += (chunk as Buffer).toString("utf8");
  const values = template.replace(/\n$/, "").split("\t");
  if (values.length !== cols.length) throw new Error(`copy baseline: template row has ${values.length} fields for ${cols.length} columns`);
  await admin.end({ timeout: 5 });

  // Before sealing stopped rewriting rows (schema with a `path` column), a row was inserted
  // without its batch, index or path; since then it is inserted with its batch and index.
  const oldSchema = cols.some((c) => c.name === "path");
  const written = cols.map((c, i) => ({ ...c, template: values[i]! })).filter((c) => !c.identity);
  let leafIndex = 0;
  const rowText = (): string =>
    written
      .map((c) => {
        switch (c.name) {
          case "id":
            // The service's ids: UUIDv4 before partitioning, UUIDv7 (time-ordered) since.
            return partitioned ? newEvidenceId() : randomUUID();
          case "digest":
          case "salt":
          case "leaf_hash":
            return hexBytes(32);
          case "receipt_signature":
            return c.template === "\\N" ? c.template : hexBytes(byteaLength(c.template));
          case "path":
            return "\\N";
          case "batch_seq":
            return oldSchema ? "\\N" : c.template;
          case "leaf_index":
            return oldSchema ? "\\N" : String(leafIndex++);
          default:
            return c.template;
        }
      })
      .join("\t") + "\n";

  const pool = Array.from({ length: connections }, () => postgres(url, { max: 1, onnotice: () => {} }));
  await Promise.all(pool.map((sql) => sql`select 1`));
  const copyStatement = `copy ${TABLE} (${written.map((c) => c.name).join(", ")}) from stdin`;

  return {
    columns: written.map((c) => c.name),
    async run(rows, chunk, conns) {
      if (conns > pool.length) throw new Error(`copy baseline: ${conns} connections asked, ${pool.length} open`);
      // Prepared before the clock starts, as the HTTP load prepares its bodies.
      const chunks: string[] = [];
      for (let i = 0; i < rows; i += chunk) {
        let s = "";
        for (let k = i; k < Math.min(rows, i + chunk); k++) s += rowText();
        chunks.push(s);
      }
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        pool.slice(0, conns).map(async (sql) => {
          for (;;) {
            const i = next++;
            if (i >= chunks.length) return;
            const w = await sql.unsafe(copyStatement).writable();
            await pipeline(Readable.from([chunks[i]!]), w);
          }
        }),
      );
      const elapsedMs = performance.now() - t0;
      return { rows, statements: chunks.length, connections: conns, elapsedMs, rowsPerSec: rows / (elapsedMs / 1000) };
    },
    async close() {
      await Promise.all(pool.map((sql) => sql.end({ timeout: 5 })));
    },
  };
}
