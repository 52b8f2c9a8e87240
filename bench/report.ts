// Turns bench results into the printed tables (Markdown, so they paste into docs/benchmarks.md).
import type { MachineInfo } from "./lib/machine.ts";
import { mib, ms, si } from "./lib/stats.ts";
import type { TreeBenchResult } from "./tree-bench.ts";
import type { ServiceBenchResult } from "./service-bench.ts";
import type { SealBenchResult } from "./seal-bench.ts";

function table(header: string[], rows: (string | number)[][]): string {
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

export function machineTable(m: MachineInfo): string {
  return table(
    ["cpu", "cores", "memory", "node", "os", "database", "load avg (1 min) at start"],
    [[m.cpuModel, m.cores, `${m.memoryGiB} GiB`, m.node, m.os, m.database.version, m.loadAvg1mAtStart]],
  );
}

export function treeTables(t: TreeBenchResult): string {
  const out: string[] = [];
  const sizes = [...new Set(t.throughput.map((r) => r.n))].sort((a, b) => a - b);
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    for (const mode of ["root+paths", "root only"] as const) {
      const group = t.throughput.filter((r) => r.n === n && r.mode === mode);
      const base = group.find((r) => r.impl === "merkletreejs");
      for (const r of group) {
        rows.push([
          n.toLocaleString("en-US"),
          mode,
          r.impl,
          `${si(r.leavesPerSec)}/s`,
          ms(r.medianMs),
          base ? `${(base.medianMs / r.medianMs).toFixed(2)}x` : "n/a",
          `${r.reps}${r.where === "child process" ? " (fresh process each)" : ""}`,
        ]);
      }
    }
  }
  out.push("Tree build: leaves/s (median), and speed relative to the service's merkletreejs builder in the same run");
  out.push(table(["leaves", "what", "builder", "leaves/s", "median time", "vs merkletreejs", "reps"], rows));
  if (t.memory.length) {
    out.push("");
    out.push("Tree build memory (fresh process per build; deltas over the process before the build)");
    out.push(
      table(
        ["leaves", "builder", "RSS delta after build", "peak RSS delta", "heap+external after build", "heap+external retained (tree+paths)"],
        t.memory.map((m) => [
          m.n.toLocaleString("en-US"),
          m.impl,
          mib(m.rssDeltaAfterBuild),
          mib(m.peakRssDelta),
          mib(m.heapPlusExternalDeltaAfterBuild),
          mib(m.heapPlusExternalDeltaRetained),
        ]),
      ),
    );
  }
  out.push("");
  out.push(`Event-loop delay while one tree is built (monitorEventLoopDelay, 1 ms resolution; worker cold start ${ms(t.workerColdStartMs)}, excluded)`);
  out.push(
    table(
      ["leaves", "mode", "max delay", "p99 delay", "mean delay", "build wall time", "reps"],
      t.eventLoop.map((e) => [e.n.toLocaleString("en-US"), e.mode, ms(e.maxDelayMs), ms(e.p99DelayMs), ms(e.meanDelayMs), ms(e.buildWallMs), e.reps]),
    ),
  );
  return out.join("\n");
}

export function serviceTables(s: ServiceBenchResult): string {
  const b = s.batchIngest;
  const one = s.singleIngest;
  const p = s.proofFetch;
  const loop = (l: { maxMs: number; p99Ms: number }) => `${ms(l.p99Ms)} / ${ms(l.maxMs)}`;
  const cpu = (r: { serviceCpuMsPerUnit: number; dbCpuMsPerUnit: number; chainCpuMsPerUnit: number; cpuUnit: string; serviceCores: number }) =>
    `${ms(r.serviceCpuMsPerUnit)}${Number.isNaN(r.dbCpuMsPerUnit) ? "" : ` + PG ${ms(r.dbCpuMsPerUnit)}`} + node ${ms(r.chainCpuMsPerUnit)} per ${r.cpuUnit.split(" ")[0] === "1000" ? "1000 digests" : "request"}; service ${r.serviceCores.toFixed(2)} cores`;
  const rows: (string | number)[][] = [
    [
      `batch ingest (${b.batchSize}/body, c=${b.concurrency}, ${b.digestsPerRep.toLocaleString("en-US")} digests)`,
      `${si(b.perSec)} digests/s`,
      `${ms(b.p50Ms)} / ${ms(b.p99Ms)} per request`,
      b.reps,
      b.errors,
      loop(b.serviceLoop),
      cpu(b),
    ],
    [
      `  ... until all anchored (end to end)`,
      `${si(b.endToEndAnchoredPerSec)} digests/s`,
      `last anchor ${ms(b.drainAfterIngestMs)} after last request`,
      b.reps,
      "",
      "",
      "",
    ],
    [
      `single ingest (c=${one.concurrency}, ${one.requestsPerRep.toLocaleString("en-US")} requests)`,
      `${si(one.perSec)} req/s`,
      `${ms(one.p50Ms)} / ${ms(one.p99Ms)}`,
      one.reps,
      one.errors,
      loop(one.serviceLoop),
      cpu(one),
    ],
    [
      `GET /healthz, no key (c=${s.authCost.concurrency}, ${s.authCost.requestsPerRep.toLocaleString("en-US")} requests)`,
      `${si(s.authCost.anonymousPerSec)} req/s`,
      `${ms(s.authCost.anonymousP50Ms)} p50`,
      s.authCost.reps,
      "",
      "",
      "",
    ],
    [
      `GET /v1/me, key looked up (same run, interleaved)`,
      `${si(s.authCost.keyedPerSec)} req/s (${s.authCost.ratio.toFixed(2)}×)`,
      `${ms(s.authCost.keyedP50Ms)} p50`,
      s.authCost.reps,
      "",
      "",
      "",
    ],
    [
      `proof fetch, idle (c=${p.concurrency}, ${p.requestsPerRep.toLocaleString("en-US")} requests)`,
      `${si(p.idle.perSec)} req/s`,
      `${ms(p.idle.p50Ms)} / ${ms(p.idle.p99Ms)}`,
      p.idle.reps,
      p.idle.errors,
      loop(p.idle.serviceLoop),
      cpu(p.idle),
    ],
    [
      `proof fetch under ingest at ${p.backgroundIngest.targetPerSec}/s (c=${p.concurrency})`,
      `${si(p.underLoad.perSec)} req/s`,
      `${ms(p.underLoad.p50Ms)} / ${ms(p.underLoad.p99Ms)}`,
      p.underLoad.reps,
      p.underLoad.errors,
      loop(p.underLoad.serviceLoop),
      `${p.underLoad.serviceCores.toFixed(2)} cores (incl. background ingest)`,
    ],
    [
      `  ... the background single ingest`,
      `${si(p.backgroundIngest.achievedPerSec)} req/s`,
      `${ms(p.backgroundIngest.p50Ms)} / ${ms(p.backgroundIngest.p99Ms)}`,
      p.underLoad.reps,
      p.backgroundIngest.errors,
      "",
      "",
    ],
    [
      `time to anchor (one digest, BATCH_INTERVAL_MS=1000)`,
      `median ${ms(s.timeToAnchor.medianMs)}`,
      `sealed after ${ms(s.timeToAnchor.medianToBatchedMs)}, sealed→anchored ${ms(s.timeToAnchor.medianSealedToAnchoredMs)} (medians); all: ${s.timeToAnchor.allMs.map((x) => x.toFixed(0)).join(", ")} ms`,
      s.timeToAnchor.samples,
      "",
      "",
      "",
    ],
  ];
  const g = s.gas;
  const gasRows: (string | number)[][] = [
    ["median over anchors", g.anchors, si(g.medianGasPerAnchor), g.medianGasPerDigest.toFixed(2)],
  ];
  if (g.largestBatch) gasRows.push([`largest batch (${g.largestBatch.size} digests)`, 1, si(g.largestBatch.gasUsed), g.largestBatch.gasPerDigest.toFixed(2)]);
  if (g.smallestBatch) gasRows.push([`smallest batch (${g.smallestBatch.size} digests)`, 1, si(g.smallestBatch.gasUsed), g.smallestBatch.gasPerDigest.toFixed(2)]);
  return [
    `Service over HTTP (${s.database.kind}${s.database.serverVersion ? `, ${s.database.serverVersion}` : ""}; startup incl. Hardhat node + deploy ${ms(s.startupMs)}; rates and percentiles are medians over reps)`,
    table(["measurement", "rate", "latency p50 / p99", "reps", "failed requests", "service loop delay p99 / max", "CPU: service (+ PostgreSQL backends) + Hardhat node; service cores busy"], rows),
    "",
    `Gas of the anchoring transactions of the batch-ingest step (${b.batchesSealed} batches, median ${b.batchSizeMedian} digests, max ${b.batchSizeMax})`,
    table(["", "anchors", "gas per anchor", "gas per digest"], gasRows),
    "",
    `Rows at the end: ${s.totals.evidenceRows.toLocaleString("en-US")} evidence, ${s.totals.batches} batches`,
  ].join("\n");
}

export function sealTable(s: SealBenchResult): string {
  const row = (name: string, p: { wallMs: number; maxStallMs: number }) => [name, ms(p.wallMs), ms(p.maxStallMs)];
  return [
    `sealBatch of ${s.leaves.toLocaleString("en-US")} pending leaves on ${s.database} (medians of ${s.reps}; ${si(s.leavesPerSec)} leaves/s sealed)`,
    table(
      ["phase", "wall time", "longest event-loop stall in it"],
      [
        row("close the open batch, read its leaves", s.readPending),
        row("build the tree levels (worker thread)", s.treeInWorker),
        row("write batch + tree levels (one transaction)", s.writeTransaction),
        row("total", s.total),
      ],
    ),
  ].join("\n");
}
