// Sections 2-6: the real service started in-process (startService, its own Hardhat node, a
// temp data dir, PGlite or a fresh PostgreSQL database) and driven over real HTTP from load
// child processes: batch ingest beside a raw COPY of the same kind of rows (with the WAL of
// each), single ingest beside GET /healthz, proof fetch under ingest load, time to anchor,
// the gas of the anchoring transactions that the batch ingest produced against their floor,
// and bytes on disk per anchored digest at the end. The new measurements need only HTTP and
// SQL, so the same file measures older versions of the service too.
// The load is sent as a platform sends it: the first start's admin key creates a tenant and
// its API key, and every request carries that key. Rate limits are off: they would cap the
// very rates being measured.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { parseConfig } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { startService, type RunningService } from "../src/service.ts";
import { queryRows } from "../src/store/db.ts";
import { cpuDelta, cpuSpan, pidsCpuMs } from "./lib/cpu.ts";
import { createCopyBaseline, type CopyBaseline } from "./lib/copy-baseline.ts";
import {
  checkpoint,
  commitsBetween,
  durabilitySettings,
  measureStorage,
  otherDatabaseCommits,
  queryOf,
  walBytes,
  walLsn,
  type Query,
  type StorageReport,
} from "./lib/db-stats.ts";
import { anchorGasFloor } from "./lib/gas-floor.ts";
import { createBenchDatabase, type BenchDatabase } from "./lib/pg.ts";
import { runLoad, startLoad, summarize, type LatencySummary, type LoadResult, type LoadTarget } from "./lib/load.ts";
import { max, median, sleep } from "./lib/stats.ts";
import { rpc } from "../test/helpers/api.ts";
import { freePort } from "../test/helpers/chain.ts";
import { createTenant } from "../test/helpers/service.ts";

export interface ServiceBenchOptions {
  /** PostgreSQL server URL; a fresh database is created on it. PGlite when absent. */
  databaseUrl?: string | undefined;
  /** Each repetition is followed by a COPY of as many rows (PostgreSQL only). */
  batchIngest: { total: number; batchSize: number; concurrency: number; reps: number };
  /** Each repetition is followed by as many GET /healthz at the same concurrency. */
  singleIngest: { total: number; concurrency: number; reps: number };
  /** GET /healthz (no key) against GET /v1/me (key looked up), interleaved. */
  authCost: { total: number; concurrency: number; reps: number };
  proofFetch: { total: number; concurrency: number; reps: number; backgroundRatePerSec: number };
  timeToAnchor: { samples: number };
  log: (line: string) => void;
}

/** Event-loop delay of the service process (it shares its loop with PGlite and HTTP) during a load. */
export interface LoopDelay {
  maxMs: number;
  p99Ms: number;
}

export interface RateRow {
  reps: number;
  /** Median over repetitions of the per-repetition rate. */
  perSec: number;
  allPerSec: number[];
  /** Medians over repetitions of the per-repetition percentiles (per request). */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serviceLoop: LoopDelay;
  /** CPU of the service process (HTTP, PGlite, tree worker) per unit (see `cpuUnit`), median. */
  serviceCpuMsPerUnit: number;
  /** CPU of the Hardhat node per unit, median. */
  chainCpuMsPerUnit: number;
  /** CPU of the PostgreSQL backends per unit, median (NaN with PGlite, which is in the service). */
  dbCpuMsPerUnit: number;
  cpuUnit: string;
  /** Service CPU time / wall time: cores the service kept busy (of 2). */
  serviceCores: number;
}

export interface ServiceBenchResult {
  database: { kind: "pglite" | "postgres"; serverVersion?: string };
  startupMs: number;
  batchIngest: RateRow & {
    digestsPerRep: number;
    batchSize: number;
    concurrency: number;
    /** From the first request until every digest of the repetition is anchored. */
    endToEndAnchoredPerSec: number;
    drainAfterIngestMs: number;
    batchesSealed: number;
    batchSizeMedian: number;
    batchSizeMax: number;
    /** WAL written from the first request until all is anchored, per digest (median over reps). */
    walBytesPerDigest: number;
    /** The same number of rows by COPY into a copy of the evidence table; null on PGlite. */
    copy: CopyBaselineResult | null;
  };
  singleIngest: RateRow & {
    requestsPerRep: number;
    concurrency: number;
    /** GET /healthz after each repetition, same count and concurrency (medians). */
    healthz: { perSec: number; p50Ms: number; p99Ms: number; allPerSec: number[] };
    /** Single ingest req/s over /healthz req/s (medians). */
    ratio: number;
  };
  /** What authenticating a request costs: the same trivial GET with and without a key. */
  authCost: {
    requestsPerRep: number;
    concurrency: number;
    reps: number;
    anonymousPerSec: number;
    keyedPerSec: number;
    /** keyed / anonymous throughput, medians of the same run. */
    ratio: number;
    anonymousP50Ms: number;
    keyedP50Ms: number;
  };
  proofFetch: {
    requestsPerRep: number;
    concurrency: number;
    idle: RateRow;
    underLoad: RateRow & { anchoredFraction: number };
    backgroundIngest: { targetPerSec: number; achievedPerSec: number; p50Ms: number; p99Ms: number; errors: number };
  };
  timeToAnchor: {
    samples: number;
    medianMs: number;
    allMs: number[];
    medianToBatchedMs: number;
    allToBatchedMs: number[];
    /** From the proof showing the leaf (sealed) to it showing the anchor: the service's own delay. */
    medianSealedToAnchoredMs: number;
  };
  gas: GasResult;
  totals: { evidenceRows: number; batches: number };
  /** Bytes on disk per anchored digest after all steps (everything anchored). */
  storage: StorageReport;
  /** Server settings that decide what a commit costs (PostgreSQL only). */
  settings: Record<string, string>;
}

export interface CopyBaselineResult {
  /** COPY statements of batchSize rows, `concurrency` connections: the HTTP load's shape. */
  perSec: number;
  allPerSec: number[];
  /** One COPY of all rows of a repetition on one connection. */
  oneStatementPerSec: number;
  /** Batch ingest digests/s over COPY rows/s (medians of the same run). */
  ratio: number;
  walBytesPerRow: number;
  /** CPU of the PostgreSQL backends per 1,000 rows (median). */
  dbCpuMsPer1000: number;
  /** Commits in the server's other databases during the WAL windows (their WAL counts too). */
  otherDatabaseCommits: number;
  checkpointed: boolean;
}

/** One anchoring transaction of the batch-ingest step, against the floor of its own calldata. */
export interface GasTx {
  txHash: string;
  /** Roots (batches) it anchored: 1 for anchor(), n for anchorMany. */
  roots: number;
  digests: number;
  gasUsed: number;
  floor: number;
}

export interface GasResult {
  txs: GasTx[];
  anchors: number;
  medianGasPerAnchor: number;
  medianFloor: number;
  /** Median and largest gas / floor over the transactions. */
  medianRatio: number;
  maxRatio: number;
  /** All gas of the step over all its digests, and the median per transaction. */
  gasPerDigest: number;
  medianGasPerDigest: number;
  largestBatch: { size: number; gasUsed: number; gasPerDigest: number } | null;
  smallestBatch: { size: number; gasUsed: number; gasPerDigest: number } | null;
}

export interface Span {
  loop: LoopDelay;
  serviceCpuMs: number;
  chainCpuMs: number;
  /** PostgreSQL backends of the bench database; NaN with PGlite (it runs inside the service). */
  dbCpuMs: number;
  wallMs: number;
}

/**
 * Starts watching: the service's event-loop delay, and CPU time of the service process, the
 * Hardhat node and (with PostgreSQL) the server backends serving the bench database.
 */
export async function watch(dbPids?: () => Promise<number[]>): Promise<{ stop(): Promise<Span> }> {
  const pids = dbPids ? await dbPids() : [];
  const db0 = pidsCpuMs(pids);
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const cpu = cpuSpan();
  return {
    async stop() {
      h.disable();
      const c = cpu.stop();
      const dbCpuMs = dbPids ? cpuDelta(db0, pidsCpuMs(pids)) : NaN;
      return { loop: { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 }, serviceCpuMs: c.serviceMs, chainCpuMs: c.chainMs, dbCpuMs, wallMs: c.wallMs };
    },
  };
}

/**
 * True once every stored digest is in an anchored batch. A leaf is pending while its batch_seq
 * is null (before sealing assigned it: the older schema) or names a batch not recorded yet
 * (since leaves are placed in the open batch at commit); batches are sealed in order, so it
 * is enough to look at the highest batch_seq. Index scans only, on either schema.
 */
async function drained(svc: RunningService): Promise<boolean> {
  const rows = await queryRows<{ pending: boolean; unsealed: boolean; unanchored: boolean }>(
    svc.database.db,
    sql`select exists(select 1 from evidence where batch_seq is null) as pending,
               coalesce((select not exists(select 1 from batches b where b.seq = m.s) from (select max(batch_seq) as s from evidence) m where m.s is not null), false) as unsealed,
               exists(select 1 from batches where anchor_id is null) as unanchored`,
  );
  const r = rows[0];
  return !!r && !r.pending && !r.unsealed && !r.unanchored;
}

/**
 * Waits until everything is anchored. `kick` runs between two looks (a service whose batch
 * interval is long is driven by hand with batcher.tick()).
 */
export async function waitDrained(svc: RunningService, timeoutMs = 300_000, kick?: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  while (!(await drained(svc))) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`service did not anchor everything within ${timeoutMs} ms`);
    if (kick) await kick();
    await sleep(100);
  }
  return performance.now() - t0;
}

export interface RepResult {
  perSec: number;
  lat: LatencySummary;
  errors: number;
  span: Span;
  /** Units of work done in the span (for CPU per unit). */
  units: number;
}

export function rateRow(results: RepResult[], cpuUnit: string): RateRow {
  const spans = results.map((r) => r.span);
  return {
    reps: results.length,
    perSec: median(results.map((r) => r.perSec)),
    allPerSec: results.map((r) => r.perSec),
    p50Ms: median(results.map((r) => r.lat.p50Ms)),
    p99Ms: median(results.map((r) => r.lat.p99Ms)),
    errors: results.reduce((s, r) => s + r.errors, 0),
    serviceLoop: { maxMs: max(spans.map((l) => l.loop.maxMs)), p99Ms: median(spans.map((l) => l.loop.p99Ms)) },
    serviceCpuMsPerUnit: median(results.map((r) => r.span.serviceCpuMs / r.units)),
    chainCpuMsPerUnit: median(results.map((r) => r.span.chainCpuMs / r.units)),
    dbCpuMsPerUnit: median(results.map((r) => r.span.dbCpuMs / r.units)),
    cpuUnit,
    serviceCores: median(spans.map((sp) => sp.serviceCpuMs / sp.wallMs)),
  };
}

export function checkErrors(what: string, r: LoadResult, log: (l: string) => void): void {
  if (r.errors > 0) log(`  WARNING ${what}: ${r.errors} failed requests, e.g. ${r.errorSamples.join(" | ")}`);
}

/** A service started for the bench on a fresh database, with its tenant's key. */
export interface BenchService {
  service: RunningService;
  target: LoadTarget;
  startupMs: number;
  /** PostgreSQL backends of the bench database (for their CPU time); undefined on PGlite. */
  dbPids: (() => Promise<number[]>) | undefined;
  /** Plain SQL through the service's own database handle. */
  q: Query;
  /** The bench database on the server (PostgreSQL only). */
  pg: BenchDatabase | undefined;
  close(): Promise<void>;
}

/**
 * Starts the service in this process on a new data dir and (with `databaseUrl`) a new
 * database, with its own Hardhat node, rate limits off, and `env` over the defaults
 * (BATCH_INTERVAL_MS 1000; BATCH_MAX_LEAVES at its ceiling, 10^6), then creates the tenant the
 * load is sent as.
 */
export async function startBenchService(opts: { databaseUrl?: string | undefined; env?: Record<string, string>; log: (l: string) => void }): Promise<BenchService> {
  const { log } = opts;
  const dataDir = await mkdtemp(join(tmpdir(), "evidence-bench-"));
  let pg: BenchDatabase | undefined;
  let svc: RunningService | undefined;
  const close = async () => {
    await svc?.stop().catch((err: unknown) => log(`  stopping the service failed: ${String(err)}`));
    await pg?.drop().catch((err: unknown) => log(`  dropping the bench database failed: ${String(err)}`));
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (opts.databaseUrl) {
      pg = await createBenchDatabase(opts.databaseUrl);
      log(`  created database ${new URL(pg.url).pathname.slice(1)} (${pg.serverVersion})`);
    }
    const cfg = parseConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: pg?.url,
      LOCAL_CHAIN_PORT: String(await freePort()),
      BATCH_INTERVAL_MS: "1000",
      // At the ceiling, so the big-batch section can seal 10^6 leaves in one batch; under the
      // other loads batches stay far smaller (one per interval).
      BATCH_MAX_LEAVES: "1000000",
      RATE_LIMIT_PER_MINUTE: "0",
      PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
      ...opts.env,
    });
    const t0 = performance.now();
    svc = await startService(cfg, silentLogger);
    const startupMs = performance.now() - t0;
    const service = svc;
    const db = pg;
    log(`  service up at ${service.url} (chain ${service.rpcUrl}) in ${(startupMs / 1000).toFixed(1)} s, database ${service.database.kind}`);
    // A fresh data dir and database: the start created the admin and handed us its key.
    if (!service.bootstrap) throw new Error("the service found an admin already (not a fresh database): no admin key to create the bench tenant with");
    const target: LoadTarget = { url: service.url, key: (await createTenant(service.url, service.bootstrap.key, "bench")).key };
    return {
      service,
      target,
      startupMs,
      dbPids: db ? () => db.backendPids() : undefined,
      q: queryOf(service.database.db),
      pg,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** WAL written and other databases' commits over one step; CHECKPOINT first where allowed. */
async function walWindow<T>(q: Query, step: () => Promise<T>): Promise<{ value: T; walBytes: number; otherCommits: number; checkpointed: boolean }> {
  const checkpointed = await checkpoint(q);
  const other0 = await otherDatabaseCommits(q);
  const lsn0 = await walLsn(q);
  const value = await step();
  const lsn1 = await walLsn(q);
  const other1 = await otherDatabaseCommits(q);
  return { value, walBytes: await walBytes(q, lsn0, lsn1), otherCommits: commitsBetween(other0, other1), checkpointed };
}

/**
 * Gas of the transactions that anchored batches `seqs`, each against the floor computed from
 * its own calldata and the number of roots it anchored (all batches recorded with its hash).
 */
export async function gasAgainstFloor(service: RunningService, seqs: number[]): Promise<GasResult> {
  const rows = seqs.length
    ? await queryRows<{ tx_hash: string; roots: number; digests: number; first: boolean }>(
        service.database.db,
        sql`select a.tx_hash, count(*)::int as roots, sum(b.size)::int as digests,
                   a.tx_hash = (select tx_hash from anchors where status = 'confirmed' order by block_number, id limit 1) as first
            from anchors a join batches b on b.seq = a.batch_seq
            where a.status = 'confirmed'
              and a.tx_hash in (select tx_hash from anchors where status = 'confirmed' and batch_seq in (${sql.join(seqs.map((s) => sql`${s}`), sql`, `)}))
            group by a.tx_hash order by min(a.batch_seq)`,
      )
    : [];
  const txs: GasTx[] = [];
  for (const r of rows) {
    const receipt = await rpc<{ gasUsed: string }>(service.rpcUrl, "eth_getTransactionReceipt", [r.tx_hash]);
    const tx = await rpc<{ input: string }>(service.rpcUrl, "eth_getTransactionByHash", [r.tx_hash]);
    txs.push({
      txHash: r.tx_hash,
      roots: Number(r.roots),
      digests: Number(r.digests),
      gasUsed: Number(BigInt(receipt.gasUsed)),
      floor: anchorGasFloor(tx.input, Number(r.roots), r.first),
    });
  }
  const single = txs.filter((t) => t.roots === 1).sort((a, b) => a.digests - b.digests);
  const perBatch = (t: GasTx | undefined) => (t ? { size: t.digests, gasUsed: t.gasUsed, gasPerDigest: t.gasUsed / t.digests } : null);
  const totalGas = txs.reduce((s, t) => s + t.gasUsed, 0);
  const totalDigests = txs.reduce((s, t) => s + t.digests, 0);
  return {
    txs,
    anchors: txs.length,
    medianGasPerAnchor: median(txs.map((t) => t.gasUsed)),
    medianFloor: median(txs.map((t) => t.floor)),
    medianRatio: median(txs.map((t) => t.gasUsed / t.floor)),
    maxRatio: max(txs.map((t) => t.gasUsed / t.floor)),
    gasPerDigest: totalDigests ? totalGas / totalDigests : NaN,
    medianGasPerDigest: median(txs.map((t) => t.gasUsed / t.digests)),
    largestBatch: perBatch(single.at(-1)),
    smallestBatch: perBatch(single[0]),
  };
}

export async function runServiceBench(opts: ServiceBenchOptions): Promise<ServiceBenchResult> {
  const { log } = opts;
  const bench = await startBenchService({ databaseUrl: opts.databaseUrl, log });
  const { service, target, startupMs, dbPids, q, pg } = bench;
  let copy: CopyBaseline | undefined;
  try {
    const auth = { authorization: `Bearer ${target.key}` };
    const settings = pg ? await durabilitySettings(q) : {};

    const sealed: { seq: number; size: number }[] = [];
    service.batcher.on("sealed", (b) => sealed.push({ seq: b.seq, size: b.size }));

    // Warm-up (not measured): JIT the request paths, open the DB connections, start the tree worker.
    await runLoad({ kind: "batch-ingest", ...target, total: 5000, batchSize: 1000, concurrency: 2 });
    await runLoad({ kind: "single-ingest", ...target, total: 200, concurrency: 4 });
    await waitDrained(service);
    log("  warm-up done");

    // 2. Batch ingest; each repetition then waits until everything it sent is anchored, and
    // is followed by a COPY of as many rows of the same kind into a copy of the table.
    const bi = opts.batchIngest;
    if (pg) copy = await createCopyBaseline(pg.url, bi.concurrency);
    const biResults: RepResult[] = [];
    const endToEnd: number[] = [];
    const drains: number[] = [];
    const walPerDigest: number[] = [];
    const copyRates: number[] = [];
    const copyOneRates: number[] = [];
    const copyWal: number[] = [];
    const copyDbCpu: number[] = [];
    let otherCommits = 0;
    let checkpointed = false;
    const anchoredIds: string[] = [];
    const firstSealed = sealed.length;
    for (let r = 0; r < bi.reps; r++) {
      // Watched from the first request until all is anchored: CPU per 1,000 digests then
      // covers ingest, sealing (tree worker) and anchoring; so does the WAL.
      const ingest = await walWindow(q, async () => {
        const w = await watch(dbPids);
        const res = await runLoad({ kind: "batch-ingest", ...target, total: bi.total, batchSize: bi.batchSize, concurrency: bi.concurrency, keepIds: 20_000 });
        checkErrors("batch ingest", res, log);
        const drainMs = await waitDrained(service);
        return { res, drainMs, span: await w.stop() };
      });
      const { res, drainMs, span } = ingest.value;
      const accepted = res.accepted ?? res.ids.length;
      const perSec = accepted / (res.elapsedMs / 1000);
      biResults.push({ perSec, lat: summarize(res.latencies), errors: res.errors, span, units: accepted / 1000 });
      drains.push(drainMs);
      endToEnd.push(accepted / ((res.elapsedMs + drainMs) / 1000));
      walPerDigest.push(ingest.walBytes / accepted);
      otherCommits += ingest.otherCommits;
      checkpointed ||= ingest.checkpointed;
      if (anchoredIds.length < 20_000) anchoredIds.push(...res.ids.slice(0, 20_000 - anchoredIds.length));
      log(`  batch ingest rep ${r + 1}/${bi.reps}: ${perSec.toFixed(0)} digests/s, all anchored ${(drainMs / 1000).toFixed(1)} s after the last request; service CPU ${(span.serviceCpuMs / (accepted / 1000)).toFixed(0)} ms per 1000 digests; WAL ${(ingest.walBytes / accepted).toFixed(0)} B/digest`);
      if (copy) {
        const c = copy;
        const matched = await walWindow(q, async () => {
          const w = await watch(dbPids);
          const run = await c.run(bi.total, bi.batchSize, bi.concurrency);
          return { run, span: await w.stop() };
        });
        copyRates.push(matched.value.run.rowsPerSec);
        copyWal.push(matched.walBytes / bi.total);
        copyDbCpu.push(matched.value.span.dbCpuMs / (bi.total / 1000));
        otherCommits += matched.otherCommits;
        const one = await c.run(bi.total, bi.total, 1);
        copyOneRates.push(one.rowsPerSec);
        log(`  COPY rep ${r + 1}/${bi.reps}: ${matched.value.run.rowsPerSec.toFixed(0)} rows/s (${bi.batchSize} rows per statement, ${bi.concurrency} connections), ${one.rowsPerSec.toFixed(0)} rows/s (one statement); WAL ${(matched.walBytes / bi.total).toFixed(0)} B/row`);
      }
    }
    await copy?.close();
    copy = undefined;
    const step2Batches = sealed.slice(firstSealed);
    const biRow = rateRow(biResults, "1000 digests (ingest + seal + anchor)");

    // 6. Gas of the anchors of the batches sealed during step 2, against their floor.
    const gas = await gasAgainstFloor(service, step2Batches.map((b) => b.seq));
    log(`  gas: ${gas.anchors} anchoring transactions read; median ${gas.medianGasPerAnchor} gas, ${gas.medianRatio.toFixed(3)}x the floor`);

    // 3. Single ingest, each repetition followed by GET /healthz at the same concurrency.
    const si = opts.singleIngest;
    const siResults: RepResult[] = [];
    const hz: LatencySummary[] = [];
    const hzRates: number[] = [];
    for (let r = 0; r < si.reps; r++) {
      const w = await watch(dbPids);
      const res = await runLoad({ kind: "single-ingest", ...target, total: si.total, concurrency: si.concurrency });
      const span = await w.stop();
      checkErrors("single ingest", res, log);
      const perSec = res.ok / (res.elapsedMs / 1000);
      const lat = summarize(res.latencies);
      siResults.push({ perSec, lat, errors: res.errors, span, units: res.ok });
      const h = await runLoad({ kind: "get", ...target, path: "/healthz", anonymous: true, total: si.total, concurrency: si.concurrency });
      checkErrors("GET /healthz", h, log);
      hzRates.push(h.ok / (h.elapsedMs / 1000));
      hz.push(summarize(h.latencies));
      log(`  single ingest rep ${r + 1}/${si.reps}: ${perSec.toFixed(0)} req/s, p50 ${lat.p50Ms.toFixed(1)} ms, p99 ${lat.p99Ms.toFixed(1)} ms; /healthz ${hzRates.at(-1)!.toFixed(0)} req/s, p99 ${hz.at(-1)!.p99Ms.toFixed(1)} ms`);
    }
    await waitDrained(service);
    const siRow = rateRow(siResults, "request");

    // 3b. The cost of authentication: the same trivial GET without a key (/healthz) and with
    // one (/v1/me: a key lookup joined with its principal), interleaved so that both see the
    // same machine.
    const ac = opts.authCost;
    const anonRates: number[] = [];
    const keyedRates: number[] = [];
    const anonP50: number[] = [];
    const keyedP50: number[] = [];
    for (let r = 0; r < ac.reps; r++) {
      for (const keyed of [false, true]) {
        const res = await runLoad({
          kind: "get",
          ...target,
          path: keyed ? "/v1/me" : "/healthz",
          anonymous: !keyed,
          total: ac.total,
          concurrency: ac.concurrency,
        });
        checkErrors(keyed ? "GET /v1/me" : "GET /healthz", res, log);
        (keyed ? keyedRates : anonRates).push(res.ok / (res.elapsedMs / 1000));
        (keyed ? keyedP50 : anonP50).push(summarize(res.latencies).p50Ms);
      }
      log(`  auth cost rep ${r + 1}/${ac.reps}: /healthz ${anonRates.at(-1)!.toFixed(0)} req/s, /v1/me ${keyedRates.at(-1)!.toFixed(0)} req/s`);
    }

    // 4. Proof fetch over anchored items: once idle, then with single ingest at a fixed rate.
    const pf = opts.proofFetch;
    const proofJob = { kind: "proof-fetch" as const, ...target, ids: anchoredIds, total: pf.total, concurrency: pf.concurrency };
    await runLoad({ ...proofJob, total: Math.min(500, pf.total) }); // warm-up: JIT, pages, block cache
    const wi = await watch(dbPids);
    const idle = await runLoad(proofJob);
    const idleSpan = await wi.stop();
    checkErrors("proof fetch (idle)", idle, log);
    const idleRow = rateRow(
      [{ perSec: idle.ok / (idle.elapsedMs / 1000), lat: summarize(idle.latencies), errors: idle.errors, span: idleSpan, units: idle.ok }],
      "request",
    );
    log(`  proof fetch idle: ${idleRow.perSec.toFixed(0)} req/s, p50 ${idleRow.p50Ms.toFixed(1)} ms, p99 ${idleRow.p99Ms.toFixed(1)} ms`);
    const pfResults: RepResult[] = [];
    const bg: { perSec: number; lat: LatencySummary; errors: number }[] = [];
    let anchoredProofs = 0;
    let proofsOk = 0;
    for (let r = 0; r < pf.reps; r++) {
      const background = startLoad({ kind: "single-ingest-rate", ...target, ratePerSec: pf.backgroundRatePerSec });
      await sleep(1500); // let the background load reach its rate (and a batch or so be sealed)
      const w = await watch(dbPids);
      const res = await runLoad(proofJob);
      const span = await w.stop();
      background.stop();
      const b = await background.result;
      checkErrors("proof fetch", res, log);
      checkErrors("background ingest", b, log);
      const perSec = res.ok / (res.elapsedMs / 1000);
      const lat = summarize(res.latencies);
      // CPU per proof here includes the background ingest and its sealing.
      pfResults.push({ perSec, lat, errors: res.errors, span, units: res.ok });
      anchoredProofs += res.anchoredProofs;
      proofsOk += res.ok;
      bg.push({ perSec: b.ok / (b.elapsedMs / 1000), lat: summarize(b.latencies), errors: b.errors });
      log(`  proof fetch under ingest rep ${r + 1}/${pf.reps}: ${perSec.toFixed(0)} req/s, p50 ${lat.p50Ms.toFixed(1)} ms, p99 ${lat.p99Ms.toFixed(1)} ms; background ingest ${bg.at(-1)!.perSec.toFixed(0)}/s p99 ${bg.at(-1)!.lat.p99Ms.toFixed(1)} ms`);
    }
    await waitDrained(service);

    // 5. Time to anchor: one digest at a time, at a random phase of the batch interval.
    const tta: number[] = [];
    const ttb: number[] = [];
    for (let s = 0; s < opts.timeToAnchor.samples; s++) {
      await sleep(Math.random() * 1000);
      const t = performance.now();
      const res = await fetch(`${service.url}/v1/evidence`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({ digest: "0x" + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex") }),
      });
      const { id } = (await res.json()) as { id: string };
      let batchedAt: number | undefined;
      for (;;) {
        const p = (await (await fetch(`${service.url}/v1/evidence/${id}/proof`, { headers: auth })).json()) as { leaf: unknown; anchor: unknown };
        if (p.leaf && batchedAt === undefined) batchedAt = performance.now() - t;
        if (p.anchor) break;
        if (performance.now() - t > 60_000) throw new Error("a digest was not anchored within 60 s");
        await sleep(20);
      }
      tta.push(performance.now() - t);
      ttb.push(batchedAt ?? NaN);
      log(`  time to anchor sample ${s + 1}/${opts.timeToAnchor.samples}: ${tta.at(-1)!.toFixed(0)} ms (batched after ${ttb.at(-1)!.toFixed(0)} ms)`);
    }

    // 7. Bytes on disk per anchored digest, everything anchored.
    await waitDrained(service);
    const storage = await measureStorage(q);
    const storageTotal = storage.relations.reduce((s, r) => s + r.total, 0);
    log(`  storage: ${(storageTotal / storage.anchoredDigests).toFixed(0)} bytes per anchored digest over ${storage.anchoredDigests} digests`);

    const totals = (
      await queryRows<{ evidence: number; batches: number }>(
        service.database.db,
        sql`select (select count(*) from evidence)::int as evidence, (select count(*) from batches)::int as batches`,
      )
    )[0];

    const copyResult: CopyBaselineResult | null = copyRates.length
      ? {
          perSec: median(copyRates),
          allPerSec: copyRates,
          oneStatementPerSec: median(copyOneRates),
          ratio: biRow.perSec / median(copyRates),
          walBytesPerRow: median(copyWal),
          dbCpuMsPer1000: median(copyDbCpu),
          otherDatabaseCommits: otherCommits,
          checkpointed,
        }
      : null;

    return {
      database: { kind: service.database.kind, ...(pg ? { serverVersion: pg.serverVersion } : {}) },
      startupMs,
      batchIngest: {
        ...biRow,
        digestsPerRep: bi.total,
        batchSize: bi.batchSize,
        concurrency: bi.concurrency,
        endToEndAnchoredPerSec: median(endToEnd),
        drainAfterIngestMs: median(drains),
        batchesSealed: step2Batches.length,
        batchSizeMedian: median(step2Batches.map((b) => b.size)),
        batchSizeMax: max(step2Batches.map((b) => b.size)),
        walBytesPerDigest: median(walPerDigest),
        copy: copyResult,
      },
      singleIngest: {
        ...siRow,
        requestsPerRep: si.total,
        concurrency: si.concurrency,
        healthz: { perSec: median(hzRates), p50Ms: median(hz.map((h) => h.p50Ms)), p99Ms: median(hz.map((h) => h.p99Ms)), allPerSec: hzRates },
        ratio: siRow.perSec / median(hzRates),
      },
      authCost: {
        requestsPerRep: ac.total,
        concurrency: ac.concurrency,
        reps: ac.reps,
        anonymousPerSec: median(anonRates),
        keyedPerSec: median(keyedRates),
        ratio: median(keyedRates) / median(anonRates),
        anonymousP50Ms: median(anonP50),
        keyedP50Ms: median(keyedP50),
      },
      proofFetch: {
        requestsPerRep: pf.total,
        concurrency: pf.concurrency,
        idle: idleRow,
        underLoad: { ...rateRow(pfResults, "request (incl. background ingest)"), anchoredFraction: proofsOk ? anchoredProofs / proofsOk : NaN },
        backgroundIngest: {
          targetPerSec: pf.backgroundRatePerSec,
          achievedPerSec: median(bg.map((b) => b.perSec)),
          p50Ms: median(bg.map((b) => b.lat.p50Ms)),
          p99Ms: median(bg.map((b) => b.lat.p99Ms)),
          errors: bg.reduce((s, b) => s + b.errors, 0),
        },
      },
      timeToAnchor: {
        samples: tta.length,
        medianMs: median(tta),
        allMs: tta,
        medianToBatchedMs: median(ttb),
        allToBatchedMs: ttb,
        medianSealedToAnchoredMs: median(tta.map((t, i) => t - (ttb[i] ?? NaN))),
      },
      gas,
      totals: { evidenceRows: totals?.evidence ?? 0, batches: totals?.batches ?? 0 },
      storage,
      settings,
    };
  } finally {
    await copy?.close().catch(() => {});
    await bench.close();
  }
}
