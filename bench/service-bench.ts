// Sections 2-6: the real service started in-process (startService, its own Hardhat node, a
// temp data dir, PGlite or a fresh PostgreSQL database) and driven over real HTTP from load
// child processes: batch ingest, single ingest, proof fetch under ingest load, time to
// anchor, and the gas of the anchoring transactions that the batch ingest produced.
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
import { createBenchDatabase, type BenchDatabase } from "./lib/pg.ts";
import { runLoad, startLoad, summarize, type LatencySummary, type LoadResult, type LoadTarget } from "./lib/load.ts";
import { max, median, sleep } from "./lib/stats.ts";
import { rpc } from "../test/helpers/api.ts";
import { freePort } from "../test/helpers/chain.ts";
import { createTenant } from "../test/helpers/service.ts";

export interface ServiceBenchOptions {
  /** PostgreSQL server URL; a fresh database is created on it. PGlite when absent. */
  databaseUrl?: string | undefined;
  batchIngest: { total: number; batchSize: number; concurrency: number; reps: number };
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
  };
  singleIngest: RateRow & { requestsPerRep: number; concurrency: number };
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
  gas: {
    anchors: number;
    medianGasPerAnchor: number;
    medianGasPerDigest: number;
    largestBatch: { size: number; gasUsed: number; gasPerDigest: number } | null;
    smallestBatch: { size: number; gasUsed: number; gasPerDigest: number } | null;
  };
  totals: { evidenceRows: number; batches: number };
}

interface Span {
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
async function watch(dbPids?: () => Promise<number[]>): Promise<{ stop(): Promise<Span> }> {
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

/** True once nothing is pending and every batch has a confirmed anchor (both index scans). */
async function drained(svc: RunningService): Promise<boolean> {
  const rows = await queryRows<{ pending: boolean; unanchored: boolean }>(
    svc.database.db,
    sql`select exists(select 1 from evidence where batch_seq is null) as pending,
               exists(select 1 from batches where anchor_id is null) as unanchored`,
  );
  const r = rows[0];
  return !!r && !r.pending && !r.unanchored;
}

async function waitDrained(svc: RunningService, timeoutMs = 300_000): Promise<number> {
  const t0 = performance.now();
  while (!(await drained(svc))) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`service did not anchor everything within ${timeoutMs} ms`);
    await sleep(100);
  }
  return performance.now() - t0;
}

interface RepResult {
  perSec: number;
  lat: LatencySummary;
  errors: number;
  span: Span;
  /** Units of work done in the span (for CPU per unit). */
  units: number;
}

function rateRow(results: RepResult[], cpuUnit: string): RateRow {
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

function checkErrors(what: string, r: LoadResult, log: (l: string) => void): void {
  if (r.errors > 0) log(`  WARNING ${what}: ${r.errors} failed requests, e.g. ${r.errorSamples.join(" | ")}`);
}

export async function runServiceBench(opts: ServiceBenchOptions): Promise<ServiceBenchResult> {
  const { log } = opts;
  const dataDir = await mkdtemp(join(tmpdir(), "evidence-bench-"));
  let pg: BenchDatabase | undefined;
  let svc: RunningService | undefined;
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
      RATE_LIMIT_PER_MINUTE: "0",
      PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
    });
    const t0 = performance.now();
    svc = await startService(cfg, silentLogger);
    const startupMs = performance.now() - t0;
    const service = svc;
    const dbPids = pg ? () => pg!.backendPids() : undefined;
    log(`  service up at ${service.url} (chain ${service.rpcUrl}) in ${(startupMs / 1000).toFixed(1)} s, database ${service.database.kind}`);
    // A fresh data dir and database: the start created the admin and handed us its key.
    if (!service.bootstrap) throw new Error("the service found an admin already (not a fresh database): no admin key to create the bench tenant with");
    const target: LoadTarget = { url: service.url, key: (await createTenant(service.url, service.bootstrap.key, "bench")).key };
    const auth = { authorization: `Bearer ${target.key}` };

    const sealed: { seq: number; size: number }[] = [];
    service.batcher.on("sealed", (b) => sealed.push({ seq: b.seq, size: b.size }));

    // Warm-up (not measured): JIT the request paths, open the DB connections, start the tree worker.
    await runLoad({ kind: "batch-ingest", ...target, total: 5000, batchSize: 1000, concurrency: 2 });
    await runLoad({ kind: "single-ingest", ...target, total: 200, concurrency: 4 });
    await waitDrained(service);
    log("  warm-up done");

    // 2. Batch ingest; each repetition then waits until everything it sent is anchored.
    const bi = opts.batchIngest;
    const biResults: RepResult[] = [];
    const endToEnd: number[] = [];
    const drains: number[] = [];
    const anchoredIds: string[] = [];
    const firstSealed = sealed.length;
    for (let r = 0; r < bi.reps; r++) {
      // Watched from the first request until all is anchored: CPU per 1,000 digests then
      // covers ingest, sealing (tree worker) and anchoring.
      const w = await watch(dbPids);
      const res = await runLoad({ kind: "batch-ingest", ...target, total: bi.total, batchSize: bi.batchSize, concurrency: bi.concurrency });
      checkErrors("batch ingest", res, log);
      const drainMs = await waitDrained(service);
      const span = await w.stop();
      const perSec = res.ids.length / (res.elapsedMs / 1000);
      biResults.push({ perSec, lat: summarize(res.latencies), errors: res.errors, span, units: res.ids.length / 1000 });
      drains.push(drainMs);
      endToEnd.push(bi.total / ((res.elapsedMs + drainMs) / 1000));
      if (anchoredIds.length < 20_000) anchoredIds.push(...res.ids.slice(0, 20_000 - anchoredIds.length));
      log(`  batch ingest rep ${r + 1}/${bi.reps}: ${perSec.toFixed(0)} digests/s, all anchored ${(drainMs / 1000).toFixed(1)} s after the last request; service CPU ${(span.serviceCpuMs / (res.ids.length / 1000)).toFixed(0)} ms per 1000 digests`);
    }
    const step2Batches = sealed.slice(firstSealed);

    // 6. Gas of the anchors of the batches sealed during step 2.
    const seqs = step2Batches.map((b) => b.seq);
    const anchorRows = seqs.length
      ? await queryRows<{ seq: number; size: number; tx_hash: string }>(
          service.database.db,
          sql`select b.seq, b.size, a.tx_hash from batches b join anchors a on a.id = b.anchor_id
              where b.seq in (${sql.join(seqs.map((s) => sql`${s}`), sql`, `)}) order by b.seq`,
        )
      : [];
    const gasRows: { size: number; gasUsed: number; gasPerDigest: number }[] = [];
    for (const a of anchorRows) {
      const receipt = await rpc<{ gasUsed: string; status: string }>(service.rpcUrl, "eth_getTransactionReceipt", [a.tx_hash]);
      const gasUsed = Number(BigInt(receipt.gasUsed));
      gasRows.push({ size: Number(a.size), gasUsed, gasPerDigest: gasUsed / Number(a.size) });
    }
    const bySize = [...gasRows].sort((x, y) => x.size - y.size);
    log(`  gas: ${gasRows.length} anchors read`);

    // 3. Single ingest.
    const si = opts.singleIngest;
    const siResults: RepResult[] = [];
    for (let r = 0; r < si.reps; r++) {
      const w = await watch(dbPids);
      const res = await runLoad({ kind: "single-ingest", ...target, total: si.total, concurrency: si.concurrency });
      const span = await w.stop();
      checkErrors("single ingest", res, log);
      const perSec = res.ok / (res.elapsedMs / 1000);
      const lat = summarize(res.latencies);
      siResults.push({ perSec, lat, errors: res.errors, span, units: res.ok });
      log(`  single ingest rep ${r + 1}/${si.reps}: ${perSec.toFixed(0)} req/s, p50 ${lat.p50Ms.toFixed(1)} ms, p99 ${lat.p99Ms.toFixed(1)} ms`);
    }
    await waitDrained(service);

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

    const totals = (
      await queryRows<{ evidence: number; batches: number }>(
        service.database.db,
        sql`select (select count(*) from evidence)::int as evidence, (select count(*) from batches)::int as batches`,
      )
    )[0];

    return {
      database: { kind: service.database.kind, ...(pg ? { serverVersion: pg.serverVersion } : {}) },
      startupMs,
      batchIngest: {
        ...rateRow(biResults, "1000 digests (ingest + seal + anchor)"),
        digestsPerRep: bi.total,
        batchSize: bi.batchSize,
        concurrency: bi.concurrency,
        endToEndAnchoredPerSec: median(endToEnd),
        drainAfterIngestMs: median(drains),
        batchesSealed: step2Batches.length,
        batchSizeMedian: median(step2Batches.map((b) => b.size)),
        batchSizeMax: max(step2Batches.map((b) => b.size)),
      },
      singleIngest: { ...rateRow(siResults, "request"), requestsPerRep: si.total, concurrency: si.concurrency },
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
      gas: {
        anchors: gasRows.length,
        medianGasPerAnchor: median(gasRows.map((g) => g.gasUsed)),
        medianGasPerDigest: median(gasRows.map((g) => g.gasPerDigest)),
        largestBatch: bySize.at(-1) ?? null,
        smallestBatch: bySize[0] ?? null,
      },
      totals: { evidenceRows: totals?.evidence ?? 0, batches: totals?.batches ?? 0 },
    };
  } finally {
    await svc?.stop().catch((err: unknown) => log(`  stopping the service failed: ${String(err)}`));
    await pg?.drop().catch((err: unknown) => log(`  dropping the bench database failed: ${String(err)}`));
    await rm(dataDir, { recursive: true, force: true });
  }
}
