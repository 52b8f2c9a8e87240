// Shared pieces of the chaos scenarios (scripts/chaos/run.ts): the processes under test and
// their cleanup, a load generator that records every acknowledged digest, the "anchored
// exactly once" checker over the database and the chain, and the figures table.
import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { anchorInterface } from "../../src/chain/contract.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { toHex } from "../../src/core/bytes.ts";
import { createDb, queryRows, type Db } from "../../src/store/db.ts";
import { jsonRpcReader } from "../../src/verify/index.ts";
import { HARDHAT_DEV_KEY, freePort, rpc, startTestChain } from "../../test/helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../../test/helpers/db.ts";
import { createTenant, readAdminKey, spawnService, type ServiceProcess } from "../../test/helpers/service.ts";

// ---------------------------------------------------------------------------------------
// Time, randomness, statistics

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** mulberry32: a seeded generator, so a run's sequence of kill delays can be replayed (--seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Summary {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles (as bench/ does): every value shown is one that was measured. */
export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, min: s[0]!, median: rank(50), p95: rank(95), max: s.at(-1)! };
}

export function ms(v: number): string {
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

/** "min / median / p95 / max (n)" in ms or s. */
export function spread(values: readonly number[]): string {
  const s = summarize(values);
  if (!s) return "none measured";
  return `${ms(s.min)} / ${ms(s.median)} / ${ms(s.p95)} / ${ms(s.max)} (n=${s.n})`;
}

// ---------------------------------------------------------------------------------------
// Figures and checks

export interface Figure {
  scenario: string;
  name: string;
  value: string;
}

export interface CheckResult {
  scenario: string;
  name: string;
  ok: boolean;
  detail: string;
}

/** What one scenario measured (figures) and asserted (checks); run.ts prints them all at the end. */
export class Report {
  readonly figures: Figure[] = [];
  readonly checks: CheckResult[] = [];
  readonly scenario: string;

  constructor(scenario: string) {
    this.scenario = scenario;
  }

  figure(name: string, value: string | number): void {
    this.figures.push({ scenario: this.scenario, name, value: String(value) });
    log(`${this.scenario}: ${name}: ${value}`);
  }

  check(name: string, ok: boolean, detail: string): boolean {
    this.checks.push({ scenario: this.scenario, name, ok, detail });
    log(`${this.scenario}: ${ok ? "PASS" : "FAIL"} ${name}: ${detail}`);
    return ok;
  }

  get ok(): boolean {
    return this.checks.every((c) => c.ok);
  }
}

/** Progress on stderr, so stdout carries only the tables. */
export function log(line: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

export function figuresTable(reports: readonly Report[]): string {
  const rows = reports.flatMap((r) => r.figures);
  return [
    "| scenario | figure | value |",
    "| --- | --- | --- |",
    ...rows.map((f) => `| ${f.scenario} | ${cell(f.name)} | ${cell(f.value)} |`),
  ].join("\n");
}

export function checksTable(reports: readonly Report[]): string {
  const rows = reports.flatMap((r) => r.checks);
  return [
    "| scenario | invariant | result | detail |",
    "| --- | --- | --- | --- |",
    ...rows.map((c) => `| ${c.scenario} | ${cell(c.name)} | ${c.ok ? "pass" : "**FAIL**"} | ${cell(c.detail)} |`),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------
// Processes: everything a scenario starts is registered here and killed when it ends, or
// when the script itself is interrupted, so no service or node outlives a run.

const children = new Set<ChildProcess>();

export function track(proc: ChildProcess): void {
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
}

/** Kills every process this script started that is still running (a stopped one is woken first). */
export function killAll(): void {
  for (const p of children) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    try {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

process.once("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    log(`${sig}: killing the services and nodes this run started`);
    killAll();
    process.exit(130);
  });
}

/** Only loopback targets: the script must never touch anything but what it started. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") throw new Error(`refusing non-loopback target ${url}`);
}

/** A Hardhat node on loopback (test/helpers/chain.ts), registered for cleanup. */
export async function startNode(port?: number, chainId?: number): Promise<LocalNode> {
  const node = await startTestChain(port, chainId === undefined ? {} : { chainId });
  assertLoopback(node.url);
  track(node.process);
  return node;
}

export async function readyz(url: string, timeoutMs = 3000): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // a problem+json body always parses; anything else is kept as text
    }
    return { status: res.status, body, ms: performance.now() - t0 };
  } catch (err) {
    return { status: 0, body: String(err), ms: performance.now() - t0 };
  }
}

/**
 * One service instance as an operator runs it (test/helpers/service.ts spawnService) on a
 * fixed port, so clients keep one URL across restarts. Each run's output is saved to
 * `<logDir>/<name>-<run>.log` when the process ends.
 */
export class Instance {
  readonly name: string;
  readonly port: number;
  readonly env: Record<string, string | undefined>;
  readonly logDir: string;
  readonly logFiles: string[] = [];
  current: ServiceProcess | undefined;
  runs = 0;

  constructor(name: string, port: number, env: Record<string, string | undefined>, logDir: string) {
    this.name = name;
    this.port = port;
    this.env = env;
    this.logDir = logDir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    const p = this.current?.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  /**
   * Spawns the service and waits until /readyz answers 200 (ready or degraded): resolves with
   * the milliseconds from spawn to that answer. Throws, with the output, when it does not.
   */
  async start(readyTimeoutMs = 120_000): Promise<number> {
    const run = ++this.runs;
    const t0 = performance.now();
    const file = join(this.logDir, `${this.name}-${run}.log`);
    this.logFiles.push(file);
    let service: ServiceProcess;
    try {
      service = await spawnService({ ...this.env, PORT: String(this.port) });
    } catch (err) {
      writeFileSync(file, err instanceof Error ? err.message : String(err));
      throw err;
    }
    track(service.proc);
    this.current = service;
    void service.exited.then(() => writeFileSync(file, service.output()));
    for (;;) {
      const r = await readyz(this.url);
      if (r.status === 200) return performance.now() - t0;
      if (!this.alive) throw new Error(`${this.name} exited before /readyz answered:\n${tail(service.output())}`);
      if (performance.now() - t0 > readyTimeoutMs) {
        throw new Error(`${this.name}: /readyz did not answer 200 within ${readyTimeoutMs} ms (last: ${r.status} ${JSON.stringify(r.body)})`);
      }
      await sleep(50);
    }
  }

  /** SIGKILL, and wait until the process is gone and its output saved. */
  async kill(): Promise<void> {
    const s = this.current;
    if (!s) return;
    await s.stop("SIGKILL");
  }

  /** SIGINT (a clean shutdown: the batch under way is finished); SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const s = this.current;
    if (!s || !this.alive) return;
    const timer = setTimeout(() => s.proc.kill("SIGKILL"), graceMs);
    await s.stop("SIGINT");
    clearTimeout(timer);
  }
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The first start's admin key, then a tenant "chaos" and its key, through the admin API. */
export async function chaosTenant(url: string, dataDir: string): Promise<string> {
  const adminKey = readAdminKey(dataDir);
  return (await createTenant(url, adminKey, "chaos")).key;
}

/**
 * The service's environment for a scenario: its own data directory, the chain, the database,
 * and no rate limits (one client sending a steady load would otherwise be answered 429).
 */
export function serviceEnv(opts: {
  dataDir: string;
  chainUrl: string;
  databaseUrl?: string | undefined;
  extra?: Record<string, string | undefined>;
}): Record<string, string | undefined> {
  assertLoopback(opts.chainUrl);
  if (opts.databaseUrl) assertLoopback(opts.databaseUrl);
  return {
    DATA_DIR: opts.dataDir,
    DATABASE_URL: opts.databaseUrl,
    CHAIN_RPC_URL: opts.chainUrl,
    ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY,
    BATCH_INTERVAL_MS: "1000",
    RATE_LIMIT_PER_MINUTE: "0",
    PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "info",
    ...opts.extra,
  };
}

// ---------------------------------------------------------------------------------------
// Databases

/**
 * A new, migrated database of its own on the PostgreSQL server in DATABASE_URL (the test
 * helper's freshDatabase(); close() drops it). The scenarios that watch the database while
 * the service runs need PostgreSQL: PGlite admits one process at a time.
 */
export async function scenarioDatabase(): Promise<TestDatabase & { url: string }> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error("this scenario needs a PostgreSQL server: set DATABASE_URL (see docs/reliability.md)");
  assertLoopback(server);
  const database = await freshDatabase();
  if (!database.url) throw new Error("freshDatabase() gave no URL");
  databases.push(database);
  return database as TestDatabase & { url: string };
}

const databases: TestDatabase[] = [];

/**
 * Drops the databases the scenario created, or, after a failure, keeps them (and says where)
 * so that what the service left can be looked at. run.ts calls this after each scenario.
 */
export async function releaseDatabases(keep: boolean): Promise<void> {
  for (const d of databases.splice(0)) {
    if (keep) log(`database kept for inspection: ${d.url}`);
    else await d.close().catch((err) => log(`dropping ${d.url} failed: ${String(err)}`));
  }
}

/** The embedded database of a stopped service, opened for the final check. */
export function openPglite(dataDir: string) {
  return createDb({ dataDir: join(dataDir, "pglite") });
}

const num = (v: unknown) => Number(v ?? 0);

/** Evidence received until `before` (all when absent) whose batch has no confirmed anchor. */
export async function unanchoredCount(db: Db, before?: Date): Promise<number> {
  const rows = await queryRows<{ n: unknown }>(
    db,
    sql`select count(*) as n from evidence e
        left join batches b on b.seq = e.batch_seq
        left join anchors a on a.id = b.anchor_id
        where a.status is distinct from 'confirmed'
        ${before ? sql`and e.received_at <= ${before.toISOString()}::timestamptz` : sql``}`,
  );
  return num(rows[0]?.n);
}

/** Evidence received until `before` whose anchor was confirmed after `after` (a re-anchor on a new chain). */
export async function anchoredSinceCount(db: Db, before: Date, after: Date): Promise<{ total: number; done: number }> {
  const rows = await queryRows<{ total: unknown; done: unknown }>(
    db,
    sql`select count(*) as total,
               count(*) filter (where a.status = 'confirmed' and a.confirmed_at > ${after.toISOString()}::timestamptz) as done
        from evidence e
        left join batches b on b.seq = e.batch_seq
        left join anchors a on a.id = b.anchor_id
        where e.received_at <= ${before.toISOString()}::timestamptz`,
  );
  return { total: num(rows[0]?.total), done: num(rows[0]?.done) };
}

export async function countRows(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const rows = await queryRows<{ n: unknown }>(db, query);
  return num(rows[0]?.n);
}

/**
 * Waits until every stored digest is in a batch with a confirmed anchor and no anchoring
 * transaction is in flight; resolves with how long that took. Throws after `timeoutMs`.
 */
export async function drain(db: Db, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const open = await unanchoredCount(db);
    const sent = await countRows(db, sql`select count(*) as n from anchors where status = 'sent'`);
    if (open === 0 && sent === 0) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`not drained after ${ms(timeoutMs)}: ${open} digests unanchored, ${sent} anchors in flight`);
    await sleep(500);
  }
}

/** Per digest: its batch and the anchor its batch points at (what a proof is built from). */
export interface EvidenceState {
  batchSeq: number | null;
  status: string | null;
  chainId: number | null;
  contract: string | null;
  blockNumber: number | null;
  blockHash: string | null;
  confirmedAt: Date | null;
}

export async function evidenceStates(db: Db): Promise<Map<string, EvidenceState>> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select e.id::text as id, e.batch_seq, a.status, a.chain_id, a.contract, a.block_number, a.block_hash, a.confirmed_at
        from evidence e
        left join batches b on b.seq = e.batch_seq
        left join anchors a on a.id = b.anchor_id`,
  );
  const out = new Map<string, EvidenceState>();
  for (const r of rows) {
    out.set(String(r.id), {
      batchSeq: r.batch_seq === null ? null : Number(r.batch_seq),
      status: (r.status as string | null) ?? null,
      chainId: r.chain_id === null ? null : Number(r.chain_id),
      contract: (r.contract as string | null) ?? null,
      blockNumber: r.block_number === null ? null : Number(r.block_number),
      blockHash: (r.block_hash as string | null) ?? null,
      confirmedAt: r.confirmed_at === null ? null : new Date(r.confirmed_at as string | Date),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The invariant: every acknowledged digest anchored exactly once

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Checks, on the database (the service stopped or idle) and the chain at `chainUrl`:
 * - lost: acknowledged ids with no evidence row (0);
 * - unanchored: acknowledged ids whose batch's anchor_id is not a confirmed anchor on this
 *   chain whose block is still there with the recorded hash (0);
 * - at most one live (sent or confirmed) anchor per batch, and batches.anchor_id agrees;
 * - every confirmed root is recorded by the contract in the anchor's block, and the
 *   contract's count() equals the number of distinct confirmed roots on it: no root on chain
 *   that the database does not count, none anchored twice;
 * - no anchoring transaction reverted (the contract refuses a root twice: a revert is a
 *   double anchor it caught).
 * Figures: acknowledged, batches, anchors by status, failed anchors by reason.
 */
export async function checkExactlyOnce(report: Report, db: Db, chainUrl: string, acked: Iterable<string>): Promise<boolean> {
  assertLoopback(chainUrl);
  const reader = jsonRpcReader(chainUrl);
  const chainId = await reader.chainId();
  const states = await evidenceStates(db);

  // Blocks of every confirmed anchor on this chain: still there with the recorded hash?
  const blocks = await queryRows<{ block_number: unknown; block_hash: string }>(
    db,
    sql`select distinct block_number, block_hash from anchors where status = 'confirmed' and chain_id = ${chainId}`,
  );
  const badBlocks = new Set<string>();
  await mapLimit(blocks, 8, async (b) => {
    const onChain = await reader.getBlock(Number(b.block_number));
    if (!onChain || onChain.hash.toLowerCase() !== b.block_hash.toLowerCase()) badBlocks.add(`${Number(b.block_number)}:${b.block_hash}`);
  });

  let total = 0;
  let lost = 0;
  const unanchored: string[] = [];
  for (const id of acked) {
    total++;
    const s = states.get(id);
    if (!s) {
      lost++;
      continue;
    }
    const live =
      s.status === "confirmed" && s.chainId === chainId && !badBlocks.has(`${s.blockNumber}:${s.blockHash}`);
    if (!live) unanchored.push(`${id} (batch ${s.batchSeq ?? "none"}, anchor ${s.status ?? "none"})`);
  }
  report.figure("acknowledged digests", total);
  let ok = report.check("0 acknowledged digests lost", lost === 0, `${lost} of ${total} acknowledged ids have no evidence row`);
  ok =
    report.check(
      "every acknowledged digest anchored on the chain now",
      unanchored.length === 0,
      unanchored.length === 0 ? `${total} of ${total}` : `${unanchored.length} not anchored, e.g. ${unanchored.slice(0, 3).join(", ")}`,
    ) && ok;

  const doubleLive = await queryRows<{ batch_seq: unknown; n: unknown }>(
    db,
    sql`select batch_seq, count(*) as n from anchors where status in ('sent', 'confirmed') group by batch_seq having count(*) > 1`,
  );
  const mismatched = await countRows(
    db,
    sql`select count(*) as n from anchors a join batches b on b.seq = a.batch_seq
        where a.status = 'confirmed' and b.anchor_id is distinct from a.id`,
  );
  ok =
    report.check(
      "at most one live anchor per batch",
      doubleLive.length === 0 && mismatched === 0,
      `${doubleLive.length} batches with several live anchors, ${mismatched} confirmed anchors their batch does not point at`,
    ) && ok;

  const batchCount = await countRows(db, sql`select count(*) as n from batches`);
  const unanchoredBatches = await countRows(
    db,
    sql`select count(*) as n from batches b left join anchors a on a.id = b.anchor_id where a.status is distinct from 'confirmed'`,
  );
  report.figure("batches", `${batchCount} (${unanchoredBatches} without a confirmed anchor)`);
  const byStatus = await queryRows<{ status: string; n: unknown }>(db, sql`select status, count(*) as n from anchors group by status order by status`);
  report.figure("anchor rows by status", byStatus.map((r) => `${r.status} ${num(r.n)}`).join(", ") || "none");
  const failed = await queryRows<{ reason: string; n: unknown }>(
    db,
    sql`select regexp_replace(coalesce(error, ''), '[0-9]+', 'N', 'g') as reason, count(*) as n
        from anchors where status in ('failed', 'orphaned') group by 1 order by 2 desc`,
  );
  if (failed.length > 0) report.figure("failed/orphaned anchors by reason", failed.map((r) => `${r.reason}: ${num(r.n)}`).join("; "));
  const txVersions = await countRows(db, sql`select count(*) as n from anchor_txs`);
  const txNonces = await countRows(db, sql`select count(*) as n from (select distinct chain_id, sender, nonce from anchor_txs) t`);
  report.figure("signed transaction versions / nonces", `${txVersions} / ${txNonces}`);

  const reverted = await queryRows<{ n: unknown; txs: unknown }>(
    db,
    sql`select count(*) as n, count(distinct tx_hash) as txs from anchors where error = 'transaction reverted'`,
  );
  const revertedRows = num(reverted[0]?.n);
  ok =
    report.check(
      "no anchoring transaction reverted (no root sent twice)",
      revertedRows === 0,
      `${revertedRows} anchor rows in ${num(reverted[0]?.txs)} reverted transactions`,
    ) && ok;

  // The contract's own record: every confirmed root there, in the recorded block, and nothing else.
  const iface = anchorInterface();
  const confirmed = await queryRows<{ contract: string; root: Uint8Array; size: unknown; block_number: unknown }>(
    db,
    sql`select a.contract, b.root, b.size, a.block_number from anchors a join batches b on b.seq = a.batch_seq
        where a.status = 'confirmed' and a.chain_id = ${chainId}`,
  );
  const byContract = new Map<string, typeof confirmed>();
  for (const r of confirmed) byContract.set(r.contract, [...(byContract.get(r.contract) ?? []), r]);
  const problems: string[] = [];
  for (const [contract, rows] of byContract) {
    const roots = new Set(rows.map((r) => toHex(r.root)));
    const countOut = await reader.call(contract, iface.encodeFunctionData("count"));
    const count = Number(iface.decodeFunctionResult("count", countOut)[0]);
    report.figure(`contract ${contract.slice(0, 10)}… count() / confirmed roots`, `${count} / ${roots.size}`);
    if (count !== roots.size) problems.push(`contract ${contract}: count() ${count}, confirmed roots ${roots.size}`);
    const wrong = await mapLimit(rows, 8, async (r) => {
      const out = await reader.call(contract, iface.encodeFunctionData("anchorOf", [toHex(r.root)]));
      const [anchored, , size, blockNumber] = iface.decodeFunctionResult("anchorOf", out);
      return anchored && Number(size) === num(r.size) && Number(blockNumber) === num(r.block_number) ? 0 : 1;
    });
    const n = wrong.reduce<number>((a, b) => a + b, 0);
    if (n > 0) problems.push(`contract ${contract}: ${n} confirmed roots not recorded as the database says`);
  }
  ok =
    report.check(
      "contract count() = distinct confirmed roots, each in its recorded block",
      problems.length === 0 && byContract.size > 0,
      problems.length > 0 ? problems.join("; ") : byContract.size === 0 ? "no confirmed anchor on this chain" : `${confirmed.length} roots checked`,
    ) && ok;
  return ok;
}

// ---------------------------------------------------------------------------------------
// Load

export const randomDigest = () => toHex(new Uint8Array(randomBytes(32)));

export interface Ack {
  id: string;
  /** performance.timeOrigin-based wall clock (ms since epoch) when the request was sent. */
  sentAt: number;
}

export interface LoadOptions {
  /** Base URLs to spread requests over (round robin); asked before every request. */
  targets: () => string[];
  key: string;
  /** Requests per second, open loop: sent on schedule whether or not earlier ones returned. */
  perSecond: number;
  /** Digests per request: 1 posts /v1/evidence, more post /v1/evidence/batch. */
  items: number;
  /** Above this many requests in flight, a scheduled request is skipped (and counted). */
  maxInFlight?: number;
  timeoutMs?: number;
}

/**
 * A client submitting digests over HTTP at a steady rate, recording every id acknowledged
 * with 202 and when it was sent, and every other outcome by kind. Requests in flight when a
 * process dies get no answer and count for nothing: only a 202 is a promise.
 */
export class Load {
  readonly acked: Ack[] = [];
  /** Outcome counts: "202", "503", "ECONNREFUSED", "timeout", … */
  readonly outcomes = new Map<string, number>();
  /** Latency of every answered request (any status), ms, with when it was sent. */
  readonly latencies: { sentAt: number; ms: number; status: number }[] = [];
  sent = 0;
  skipped = 0;
  /** Every request's outcome, answered or not. */
  readonly #all: { sentAt: number; status: number; kind: string }[] = [];
  readonly #opts: LoadOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();
  #rr = 0;
  #t0 = 0;
  #scheduled = 0;

  constructor(opts: LoadOptions) {
    for (const t of opts.targets()) assertLoopback(t);
    this.#opts = opts;
  }

  start(): this {
    this.#t0 = Date.now();
    this.#scheduled = 0;
    this.#timer = setInterval(() => this.#tick(), 10);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#inFlight]);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  ackedBetween(from: number, to: number): Ack[] {
    return this.acked.filter((a) => a.sentAt >= from && a.sentAt <= to);
  }

  /** Requests sent in [from, to] that were not answered 2xx, by outcome. */
  failuresBetween(from: number, to: number): { count: number; kinds: string } {
    const kinds = new Map<string, number>();
    let count = 0;
    for (const l of this.#all) {
      if (l.sentAt < from || l.sentAt > to || (l.status >= 200 && l.status < 300)) continue;
      count++;
      kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
    }
    return { count, kinds: [...kinds].map(([k, n]) => `${k} ${n}`).join(", ") };
  }

  outcomeText(): string {
    return [...this.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
  }

  #tick(): void {
    const due = Math.floor(((Date.now() - this.#t0) * this.#opts.perSecond) / 1000);
    while (this.#scheduled < due) {
      this.#scheduled++;
      if (this.#inFlight.size >= (this.#opts.maxInFlight ?? 64)) {
        this.skipped++;
        continue;
      }
      const p = this.#send().finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
  }

  async #send(): Promise<void> {
    const targets = this.#opts.targets();
    const sentAt = Date.now();
    if (targets.length === 0) {
      this.#count("no live target", sentAt, 0);
      return;
    }
    const base = targets[this.#rr++ % targets.length]!;
    const { items } = this.#opts;
    const body = items === 1 ? { digest: randomDigest() } : { items: Array.from({ length: items }, () => ({ digest: randomDigest() })) };
    this.sent++;
    const t0 = performance.now();
    try {
      const res = await fetch(`${base}/v1/evidence${items === 1 ? "" : "/batch"}`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.#opts.key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      this.latencies.push({ sentAt, ms: performance.now() - t0, status: res.status });
      if (res.status === 202) {
        const json = JSON.parse(text) as { id?: string; items?: { id: string }[] };
        const ids = items === 1 ? [json.id!] : json.items!.map((i) => i.id);
        for (const id of ids) this.acked.push({ id, sentAt });
      }
      this.#count(String(res.status), sentAt, res.status);
    } catch (err) {
      this.#count(errorKind(err), sentAt, 0);
    }
  }

  #count(kind: string, sentAt: number, status: number): void {
    this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + 1);
    this.#all.push({ sentAt, status, kind });
  }
}

function errorKind(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timeout";
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code ?? (err instanceof Error ? err.name : "error");
}

// ---------------------------------------------------------------------------------------
// Chain helpers

/** The anchoring account of ANCHOR_PRIVATE_KEY (Hardhat's first development account). */
export const ANCHOR_SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

export const gwei = (n: number | bigint) => BigInt(n) * 1_000_000_000n;
export const quantity = (v: bigint | number) => `0x${BigInt(v).toString(16)}`;

export async function headNumber(url: string): Promise<number> {
  return Number(await rpc<string>(url, "eth_blockNumber"));
}

export async function senderNonce(url: string): Promise<number> {
  return Number(await rpc<string>(url, "eth_getTransactionCount", [ANCHOR_SENDER, "latest"]));
}

export { rpc };

// ---------------------------------------------------------------------------------------
// A scenario's frame: what it is given, and the usual stack (one node, one database, one service)

export interface ScenarioOptions {
  /** kill9-*: kill/restart cycles. */
  cycles?: number;
  /** reorg, node-loss, instances: fault rounds. */
  rounds?: number;
  /** fee-spike, node-hang, empty-account: how long the fault lasts. */
  seconds?: number;
  /** Small sizes for a smoke run. */
  quick: boolean;
}

export interface ScenarioContext {
  report: Report;
  /** A directory of the scenario's own (data directories, service logs). */
  dir: string;
  random: () => number;
  opts: ScenarioOptions;
  /** Wall-clock time (ms) after which loops stop early and say so. */
  deadline: number;
}

/** Polls `probe` until it is true; resolves with the milliseconds that took. */
export async function timeUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Stack {
  node: LocalNode;
  database: TestDatabase & { url: string };
  service: Instance;
  dataDir: string;
  key: string;
}

/**
 * A Hardhat node, a new PostgreSQL database and one service on them, with the tenant's key.
 * Fills `into` as it goes, so that the caller's closeStack(into) stops whatever was started
 * even when a later step fails.
 */
export async function startStack(
  ctx: ScenarioContext,
  into: Partial<Stack>,
  opts: { chainId?: number; nodePort?: number; env?: Record<string, string | undefined>; beforeService?: (node: LocalNode) => Promise<void> } = {},
): Promise<Stack> {
  into.database = await scenarioDatabase();
  into.node = await startNode(opts.nodePort, opts.chainId);
  await opts.beforeService?.(into.node);
  into.dataDir = join(ctx.dir, "data");
  into.service = new Instance(
    "service",
    await freePort(),
    serviceEnv({ dataDir: into.dataDir, chainUrl: into.node.url, databaseUrl: into.database.url, extra: opts.env }),
    ctx.dir,
  );
  ctx.report.figure("first start (spawn → /readyz 200)", ms(await into.service.start()));
  into.key = await chaosTenant(into.service.url, into.dataDir);
  return into as Stack;
}

/**
 * The end of every scenario on a stack: the load stops, the service runs until everything
 * is anchored, stops cleanly, and the database and chain are checked.
 */
export async function finishStack(ctx: ScenarioContext, stack: Stack, load: Load | undefined, chainUrl = stack.node.url): Promise<void> {
  await load?.stop();
  if (load) {
    ctx.report.figure("requests sent / outcomes", `${load.sent} / ${load.outcomeText()}${load.skipped ? `, skipped ${load.skipped}` : ""}`);
  }
  const drained = await drain(stack.database.db, 180_000);
  ctx.report.figure("drain after the last fault (load stopped → all anchored)", ms(drained));
  await stack.service.stop();
  await checkExactlyOnce(ctx.report, stack.database.db, chainUrl, load ? load.acked.map((a) => a.id) : []);
}

/** Stops what startStack started (also after a failure); run.ts drops the database. */
export async function closeStack(stack: Partial<Stack>): Promise<void> {
  await stack.service?.stop(5000).catch(() => {});
  await stack.node?.stop().catch(() => {});
}
