// Section 8: what the metrics cost. Single-item ingest over HTTP (the route where per-request
// work weighs most) against the real service, with the request observation on and off in
// turn (ServiceMetrics.observeRequests), interleaved on one service so that both see the same
// machine; and a scrape of /metrics itself. The figure is the throughput ratio off/on.
import { runLoad } from "./lib/load.ts";
import { median } from "./lib/stats.ts";
import { startBenchService } from "./service-bench.ts";

export interface MetricsBenchOptions {
  databaseUrl?: string | undefined;
  total: number;
  concurrency: number;
  reps: number;
  log: (line: string) => void;
}

export interface MetricsBenchResult {
  database: "pglite" | "postgres";
  total: number;
  concurrency: number;
  reps: number;
  /** Median requests per second of single-item ingest with the request observation on, and off. */
  onPerSec: number;
  offPerSec: number;
  /** off / on: 1.0 means the metrics cost nothing measurable; 1.05 means 5% slower with them. */
  overheadRatio: number;
  /** Median time of one GET /metrics (scrape-time reads included) and its size. */
  scrapeMs: number;
  scrapeBytes: number;
  /** CPU time of one request observation alone (histogram + counters), in microseconds: steadier than the ratio on a busy machine. */
  observeMicros: number;
}

export async function runMetricsBench(opts: MetricsBenchOptions): Promise<MetricsBenchResult> {
  const { log } = opts;
  const bench = await startBenchService({ databaseUrl: opts.databaseUrl, log });
  try {
    const { service, target } = bench;
    const job = { kind: "single-ingest" as const, ...target, total: opts.total, concurrency: opts.concurrency };
    await runLoad({ ...job, total: Math.min(500, opts.total) }); // warm-up: JIT, pages
    const on: number[] = [];
    const off: number[] = [];
    for (let r = 0; r < opts.reps; r++) {
      // Alternate which goes first, so that a drift of the machine does not favour one.
      for (const observe of r % 2 === 0 ? [true, false] : [false, true]) {
        service.metrics.observeRequests = observe;
        const res = await runLoad(job);
        if (res.errors > 0) throw new Error(`single ingest: ${res.errors} errors`);
        const perSec = res.ok / (res.elapsedMs / 1000);
        (observe ? on : off).push(perSec);
        log(`  rep ${r + 1}/${opts.reps}, metrics ${observe ? "on " : "off"}: ${perSec.toFixed(0)} req/s`);
      }
    }
    service.metrics.observeRequests = true;
    const scrapes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.bootstrap!.key}` } });
      bytes = (await res.text()).length;
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
      scrapes.push(performance.now() - t);
    }
    // The observation alone, as the request hook makes it: a histogram and two counters.
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      service.metrics.request({ method: "POST", route: "/v1/evidence", status: 202, seconds: 0.004, ingestedItems: 1 });
    }
    const observeMicros = ((performance.now() - t0) * 1000) / n;
    const onPerSec = median(on);
    const offPerSec = median(off);
    return {
      database: service.database.kind,
      total: opts.total,
      concurrency: opts.concurrency,
      reps: opts.reps,
      onPerSec,
      offPerSec,
      overheadRatio: offPerSec / onPerSec,
      scrapeMs: median(scrapes),
      scrapeBytes: bytes,
      observeMicros,
    };
  } finally {
    await bench.close();
  }
}
