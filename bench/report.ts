// Turns bench results into the printed tables (Markdown, so they paste into docs/benchmarks.md).
import type { MachineInfo } from "./lib/machine.ts";
import type { RelationSize, StorageReport } from "./lib/db-stats.ts";
import { mib, ms, si } from "./lib/stats.ts";
import { levelsTable, type TreeBenchResult } from "./tree-bench.ts";
import type { ServiceBenchResult } from "./service-bench.ts";
import type { SealBenchResult } from "./seal-bench.ts";
import type { BigBatchResult } from "./big-batch-bench.ts";

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
  if (t.levels) {
    out.push("");
    out.push("The service's builder now: root + levels of complete subtrees (src/core/levels.ts), fresh process per build, beside the hash alone (baseline) and the old builder");
    out.push(levelsTable(t.levels));
  }
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
    ...(b.copy
      ? [
          [
            `  baseline: COPY of as many rows into evidence_copy (${b.batchSize} rows per statement, ${b.concurrency} connections)`,
            `${si(b.copy.perSec)} rows/s (batch ingest ${b.copy.ratio.toFixed(2)}×)`,
            "",
            b.reps,
            "",
            "",
            `PG ${ms(b.copy.dbCpuMsPer1000)} per 1000 rows`,
          ],
          [`  baseline: one COPY of all ${b.digestsPerRep.toLocaleString("en-US")} rows, one connection`, `${si(b.copy.oneStatementPerSec)} rows/s`, "", b.reps, "", "", ""],
        ]
      : [[`  baseline: COPY into a copy of the table`, "n/a on PGlite", "", "", "", "", ""]]),
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
      `  baseline: GET /healthz after each rep (c=${one.concurrency}, ${one.requestsPerRep.toLocaleString("en-US")} requests)`,
      `${si(one.healthz.perSec)} req/s (single ingest ${one.ratio.toFixed(2)}×)`,
      `${ms(one.healthz.p50Ms)} / ${ms(one.healthz.p99Ms)}`,
      one.reps,
      "",
      "",
      "",
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
  const gasRows: (string | number)[][] = g.txs.map((t) => [
    t.roots === 1 ? "anchor()" : `anchorMany(${t.roots})`,
    t.digests.toLocaleString("en-US"),
    t.gasUsed.toLocaleString("en-US"),
    t.floor.toLocaleString("en-US"),
    `${(t.gasUsed / t.floor).toFixed(3)}×`,
    (t.gasUsed / t.digests).toFixed(2),
  ]);
  gasRows.push([
    `**all ${g.anchors}** (medians; per digest: all gas / all digests)`,
    "",
    si(g.medianGasPerAnchor),
    si(g.medianFloor),
    `**${g.medianRatio.toFixed(3)}×** (max ${g.maxRatio.toFixed(3)}×)`,
    g.gasPerDigest.toFixed(2),
  ]);
  const wal = b.copy
    ? `WAL per digest from the first request until all anchored: ${b.walBytesPerDigest.toFixed(0)} bytes; COPY baseline ${b.copy.walBytesPerRow.toFixed(0)} bytes per row (${(b.walBytesPerDigest / b.copy.walBytesPerRow).toFixed(2)}×)` +
      `${b.copy.checkpointed ? "; CHECKPOINT before each window" : ""}; other databases committed ${b.copy.otherDatabaseCommits} transactions during these windows (their WAL counts too)`
    : `WAL per digest from the first request until all anchored: ${Number.isFinite(b.walBytesPerDigest) ? `${b.walBytesPerDigest.toFixed(0)} bytes` : "n/a"}`;
  const settings = Object.entries(s.settings);
  return [
    `Service over HTTP (${s.database.kind}${s.database.serverVersion ? `, ${s.database.serverVersion}` : ""}; startup incl. Hardhat node + deploy ${ms(s.startupMs)}; rates and percentiles are medians over reps)`,
    table(["measurement", "rate", "latency p50 / p99", "reps", "failed requests", "service loop delay p99 / max", "CPU: service (+ PostgreSQL backends) + Hardhat node; service cores busy"], rows),
    "",
    wal,
    ...(settings.length ? ["", `Server settings: ${settings.map(([k, v]) => `${k}=${v}`).join(", ")}`] : []),
    "",
    `Gas of the anchoring transactions of the batch-ingest step (${b.batchesSealed} batches, median ${b.batchSizeMedian} digests, max ${b.batchSizeMax}), each against the floor of its own calldata (bench/lib/gas-floor.ts, docs/anchoring.md "Gas")`,
    table(["transaction", "digests", "gas", "floor", "gas / floor", "gas per digest"], gasRows),
    "",
    storageTable(s.storage, "after all the steps above"),
    "",
    `Rows at the end: ${s.totals.evidenceRows.toLocaleString("en-US")} evidence, ${s.totals.batches} batches`,
  ].join("\n");
}

/** Bytes on disk per anchored digest, per table (heap / maps / TOAST / indexes) and in total. */
export function storageTable(st: StorageReport, when: string): string {
  const d = st.anchoredDigests;
  const per = (x: number) => (d > 0 ? (x / d).toFixed(1) : "n/a");
  // The tables that grow with digests or batches, and any other holding 0.5% or more.
  const all = st.relations.reduce((acc, r) => acc + r.total, 0);
  const named = new Set(["evidence", "batch_levels", "batches", "anchors", "anchor_txs"]);
  const shown = st.relations.filter((r) => named.has(r.name) || r.total >= 0.005 * all);
  const rest = st.relations.filter((r) => !shown.includes(r));
  const sum = (rs: RelationSize[], k: keyof Omit<RelationSize, "name" | "indexSizes" | "indexCount">) => rs.reduce((acc, r) => acc + r[k], 0);
  const row = (name: string, rs: RelationSize[]) => [
    name,
    per(sum(rs, "heap")),
    per(sum(rs, "maps")),
    per(sum(rs, "toast")),
    per(sum(rs, "indexes")),
    per(sum(rs, "total")),
    mib(sum(rs, "total")),
  ];
  const rows: (string | number)[][] = shown.map((r) => row(`${r.name} (${r.indexCount} indexes)`, [r]));
  if (rest.length) rows.push(row(`${rest.length} other tables (each < 0.5%)`, rest));
  rows.push(row("total", st.relations).map((c, i) => (i === 0 || i === 5 ? `**${c}**` : c)));
  if (st.baseline && st.baseline.rows > 0) {
    const b = st.baseline.size;
    const r = st.baseline.rows;
    rows.push([`baseline: evidence_copy (COPY rows, same indexes), per row of ${r.toLocaleString("en-US")}`, (b.heap / r).toFixed(1), (b.maps / r).toFixed(1), (b.toast / r).toFixed(1), (b.indexes / r).toFixed(1), (b.total / r).toFixed(1), mib(b.total)]);
  }
  const idx = shown
    .filter((r) => r.indexSizes.length > 0 && r.indexes >= 0.05 * sum(st.relations, "total"))
    .flatMap((r) => r.indexSizes.map((i) => `${i.name} ${per(i.bytes)}`));
  const c = st.evidenceColumns;
  const cols = c
    ? [
        "",
        `An evidence row averages ${c.row.toFixed(0)} bytes (pg_column_size over ${c.sampled.toLocaleString("en-US")} rows; plus 4 for its line pointer and page overhead): ` +
          c.columns.map((x) => `${x.name} ${x.bytes.toFixed(1)}`).join(", "),
      ]
    : [];
  return [
    `Bytes on disk per anchored digest ${when} (${d.toLocaleString("en-US")} anchored digests, ${st.evidenceRows.toLocaleString("en-US")} evidence rows; sizes read after ${st.prepared})`,
    table(["relation", "heap", "FSM + VM", "TOAST", "indexes", "total", "size"], rows),
    ...(idx.length ? ["", `Largest indexes, bytes per digest: ${idx.join(", ")}`] : []),
    ...cols,
  ].join("\n");
}

/** Proof fetch at a small and a big batch, and what that batch cost to ingest, seal and store. */
export function bigBatchTables(r: BigBatchResult): string {
  const cpu = (p: BigBatchResult["proofs"][number]) =>
    `${ms(p.serviceCpuMsPerUnit)}${Number.isNaN(p.dbCpuMsPerUnit) ? "" : ` + PG ${ms(p.dbCpuMsPerUnit)}`} per request; service ${p.serviceCores.toFixed(2)} cores`;
  return [
    `Proof fetch (GET /v1/evidence/:id/proof, c=${r.proofConcurrency}, ${r.proofRequestsPerRep.toLocaleString("en-US")} requests per rep, idle, ids spread evenly over the batch; medians over reps, the two sizes interleaved) on a service of its own with BATCH_MAX_LEAVES ${r.big.toLocaleString("en-US")}${r.big < 1_000_000 ? " (quick run: 10^5 instead of 10^6)" : ""}`,
    table(
      ["batch leaves", "rate", "latency p50 / p99", "reps", "failed", "ids sampled", "anchored proofs", "CPU: service (+ PostgreSQL backends)"],
      r.proofs.map((p) => [
        p.batchSize.toLocaleString("en-US"),
        `${si(p.perSec)} req/s`,
        `${ms(p.p50Ms)} / ${ms(p.p99Ms)}`,
        p.reps,
        p.errors,
        p.idsSampled.toLocaleString("en-US"),
        `${(p.anchoredFraction * 100).toFixed(0)}%`,
        cpu(p),
      ]),
    ),
    "",
    `The ${r.big.toLocaleString("en-US")}-leaf batch: ingested at ${si(r.ingest.perSec)} digests/s (1,000 per body, 4 connections; p50 / p99 ${ms(r.ingest.p50Ms)} / ${ms(r.ingest.p99Ms)} per request, ${r.ingest.errors} failed), ` +
      `WAL ${Number.isFinite(r.ingest.walBytesPerDigest) ? r.ingest.walBytesPerDigest.toFixed(0) : "n/a"} bytes per digest; sealed ${ms(r.sealMs)} after the last answer (WAL ${Number.isFinite(r.sealWalBytesPerLeaf) ? r.sealWalBytesPerLeaf.toFixed(0) : "n/a"} bytes per leaf for sealing and anchoring), anchored ${ms(r.sealedToAnchoredMs)} later; other databases committed ${r.otherDatabaseCommits} transactions meanwhile (their WAL counts too).`,
    "",
    storageTable(r.storage, `of this database (one ${r.small.toLocaleString("en-US")}-leaf and one ${r.big.toLocaleString("en-US")}-leaf batch)`),
  ].join("\n");
}

export function sealTable(s: SealBenchResult): string {
  const row = (name: string, p: { wallMs: number; maxStallMs: number }) => [name, ms(p.wallMs), ms(p.maxStallMs)];
  const scaled = s.leaves === 100_000 ? "" : ` (scaled linearly from ${s.leaves.toLocaleString("en-US")} leaves)`;
  return [
    `sealBatch of ${s.leaves.toLocaleString("en-US")} pending leaves on ${s.database} (medians of ${s.reps}; ${si(s.leavesPerSec)} leaves/s sealed): ` +
      `**${ms(s.msPer100k)} per 10^5 leaves**${scaled}, ${(s.msPer100k / s.targetMsPer100k).toFixed(2)}× the target of ${ms(s.targetMsPer100k)}`,
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

/** Issue 11's figures, each beside its baseline from the same run and its target. */
export function summaryTable(r: { tree?: TreeBenchResult | undefined; seal?: SealBenchResult | undefined; service?: ServiceBenchResult | undefined; big?: BigBatchResult | undefined }): string {
  const rows: (string | number)[][] = [];
  const met = (ok: boolean) => (ok ? "met" : "**missed**");
  const lat = (p50: number, p99: number) => `p50 ${ms(p50)}, p99 ${ms(p99)}`;
  const s = r.service;
  if (s) {
    const b = s.batchIngest;
    rows.push(
      b.copy
        ? ["batch ingest (1,000 per body, c=4)", `${si(b.perSec)} digests/s`, `COPY ${si(b.copy.perSec)} rows/s`, `${b.copy.ratio.toFixed(2)}×`, "≥ 0.5× (goal 0.7×)", met(b.copy.ratio >= 0.5)]
        : ["batch ingest (1,000 per body, c=4)", `${si(b.perSec)} digests/s`, "COPY: n/a on PGlite", "n/a", "≥ 0.5×", "n/a"],
    );
    const one = s.singleIngest;
    rows.push([
      `single ingest (c=${one.concurrency})`,
      `${si(one.perSec)} req/s, ${lat(one.p50Ms, one.p99Ms)}`,
      `/healthz ${si(one.healthz.perSec)} req/s, ${lat(one.healthz.p50Ms, one.healthz.p99Ms)}`,
      `${one.ratio.toFixed(2)}×`,
      "≥ 3,000 req/s, p99 ≤ 50 ms",
      met(one.perSec >= 3000 && one.p99Ms <= 50),
    ]);
  }
  const hz = s ? `/healthz ${si(s.singleIngest.healthz.perSec)} req/s` : "";
  for (const p of r.big?.proofs ?? []) {
    rows.push([
      `proof fetch at a ${p.batchSize.toLocaleString("en-US")}-leaf batch (c=${r.big!.proofConcurrency}, idle)`,
      `${si(p.perSec)} req/s, ${lat(p.p50Ms, p.p99Ms)}`,
      hz,
      s ? `${(p.perSec / s.singleIngest.healthz.perSec).toFixed(2)}×` : "",
      "≥ 3,000 req/s, p99 ≤ 20 ms",
      met(p.perSec >= 3000 && p.p99Ms <= 20),
    ]);
  }
  if (s) {
    const st = s.storage;
    const total = st.relations.reduce((a, x) => a + x.total, 0) / st.anchoredDigests;
    const base = st.baseline && st.baseline.rows > 0 ? st.baseline.size.total / st.baseline.rows : NaN;
    rows.push([
      `bytes on disk per anchored digest (all tables and indexes; ${st.anchoredDigests.toLocaleString("en-US")} digests)`,
      `${total.toFixed(0)} B`,
      Number.isFinite(base) ? `COPY table ${base.toFixed(0)} B per row` : "",
      Number.isFinite(base) ? `${(total / base).toFixed(2)}×` : "",
      "≤ 600 B (goal 400)",
      met(total <= 600),
    ]);
    if (r.big) {
      const bst = r.big.storage;
      const btotal = bst.relations.reduce((a, x) => a + x.total, 0) / bst.anchoredDigests;
      rows.push([`  ... in a database holding one ${r.big.big.toLocaleString("en-US")}-leaf batch`, `${btotal.toFixed(0)} B`, "", "", "≤ 600 B (goal 400)", met(btotal <= 600)]);
    }
    const b = s.batchIngest;
    rows.push([
      "WAL per digest, batch ingest until all anchored",
      Number.isFinite(b.walBytesPerDigest) ? `${b.walBytesPerDigest.toFixed(0)} B` : "n/a",
      b.copy ? `COPY ${b.copy.walBytesPerRow.toFixed(0)} B per row` : "",
      b.copy ? `${(b.walBytesPerDigest / b.copy.walBytesPerRow).toFixed(2)}×` : "",
      "(measured)",
      "",
    ]);
  }
  if (r.seal) {
    rows.push([
      `seal 10^5 leaves (${r.seal.database})`,
      ms(r.seal.msPer100k),
      "",
      `${(r.seal.msPer100k / r.seal.targetMsPer100k).toFixed(2)}× the target`,
      "≤ 0.5 s",
      met(r.seal.msPer100k <= r.seal.targetMsPer100k),
    ]);
  }
  const lv = r.tree?.levels;
  if (lv) {
    const old = r.tree!.throughput.find((t) => t.impl === "merkletreejs" && t.n === lv.worker.n && t.mode === "root+paths");
    rows.push([
      `tree of ${lv.worker.n.toLocaleString("en-US")} leaves (TreeBuilder.buildLevels, worker round trip)`,
      ms(lv.worker.buildWallMs),
      old ? `old builder (merkletreejs + every path) ${ms(old.medianMs)}` : "",
      old ? `${(lv.worker.buildWallMs / old.medianMs).toFixed(3)}×` : "",
      "≤ 1.5 s",
      met(lv.worker.buildWallMs <= 1500),
    ]);
  }
  if (s && s.gas.anchors > 0) {
    const g = s.gas;
    rows.push([
      `anchoring gas (${g.anchors} transactions of the batch-ingest step)`,
      `${si(g.medianGasPerAnchor)} per transaction, ${g.gasPerDigest.toFixed(2)} per digest`,
      `floor ${si(g.medianFloor)}`,
      `${g.medianRatio.toFixed(3)}× (max ${g.maxRatio.toFixed(3)}×)`,
      "≤ 1.15× the floor",
      met(g.maxRatio <= 1.15),
    ]);
  }
  return table(["figure", "measured", "baseline (same run)", "ratio", "target (issue 11)", ""], rows);
}
