// `npm run bench`: runs every measurement in one process and one sitting, prints the tables,
// and writes bench/results.json. BENCH_QUICK=1 is a ~2 minute smoke run with small counts;
// DATABASE_URL=postgres://... runs the service parts on fresh databases on that server;
// BENCH_SECTIONS=tree,seal,service,bigbatch,metrics,webhooks (any subset) picks parts; BENCH_OUT=path writes
// the JSON elsewhere. The first table printed puts each of issue 11's figures beside its
// baseline from the same run and its target.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runTreeBench, type TreeBenchOptions, type TreeBenchResult } from "./tree-bench.ts";
import { runSealBench, type SealBenchResult } from "./seal-bench.ts";
import { runServiceBench, type ServiceBenchOptions, type ServiceBenchResult } from "./service-bench.ts";
import { runBigBatchBench, type BigBatchOptions, type BigBatchResult } from "./big-batch-bench.ts";
import { runMetricsBench, type MetricsBenchResult } from "./metrics-bench.ts";
import { runWebhookEventsBench, type WebhookEventsBenchResult } from "./webhook-events-bench.ts";
import { currentLoadAvg, machineInfo } from "./lib/machine.ts";
import { bigBatchTables, machineTable, sealTable, serviceTables, summaryTable, treeTables } from "./report.ts";

const quick = process.env.BENCH_QUICK === "1" || process.env.BENCH_QUICK === "true";
const sections = new Set((process.env.BENCH_SECTIONS ?? "tree,seal,service,bigbatch,metrics,webhooks").split(",").map((s) => s.trim()));
const databaseUrl = process.env.DATABASE_URL || undefined;
const outPath = process.env.BENCH_OUT ?? fileURLToPath(new URL("./results.json", import.meta.url));
const started = performance.now();
const loadAtStart = currentLoadAvg();
// The 1-minute load average every 5 s: the machine is shared, so the report says how busy it was.
const loadSamples: number[] = [];
setInterval(() => loadSamples.push(currentLoadAvg()), 5000).unref();
const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const PLAIN = ["plain-createHash", "plain-cryptoHash", "plain-noble"] as const;

const treeOpts: Omit<TreeBenchOptions, "log"> = quick
  ? {
      inProcess: [
        { n: 10_000, reps: 2, rootOnly: true },
        { n: 100_000, reps: 1, rootOnly: false },
      ],
      // Quick mode measures memory at 10^5; the full run does it at 10^6.
      children: [{ n: 100_000, reps: 1, impls: ["merkletreejs", ...PLAIN] }],
      eventLoop: { n: 100_000, reps: 1 },
      // The levels builder in child processes at 10^5 only; through the worker still at 10^6.
      levels: { sizes: [100_000], reps: 1, oldAt: [100_000], workerAt: 1_000_000 },
    }
  : {
      inProcess: [
        { n: 10_000, reps: 5, rootOnly: true },
        { n: 100_000, reps: 3, rootOnly: true },
      ],
      // 10^6 in fresh processes: time and memory of that build alone. The service's builder
      // takes about a minute there, so it gets fewer repetitions than the plain ones.
      children: [
        { n: 1_000_000, reps: 1, impls: ["merkletreejs"] },
        { n: 1_000_000, reps: 3, impls: [...PLAIN] },
      ],
      eventLoop: { n: 100_000, reps: 3 },
    };

// 10^5 leaves in both runs: the target is per 10^5, and fixed costs would distort a scaled-up smaller batch.
const sealOpts = quick ? { leaves: 100_000, reps: 1 } : { leaves: 100_000, reps: 3 };

const serviceOpts: Omit<ServiceBenchOptions, "log" | "databaseUrl"> = quick
  ? {
      batchIngest: { total: 5_000, batchSize: 1000, concurrency: 4, reps: 1 },
      singleIngest: { total: 500, concurrency: 16, reps: 1 },
      authCost: { total: 500, concurrency: 16, reps: 1 },
      proofFetch: { total: 500, concurrency: 16, reps: 1, backgroundRatePerSec: 50 },
      timeToAnchor: { samples: 2 },
    }
  : {
      batchIngest: { total: 50_000, batchSize: 1000, concurrency: 4, reps: 3 },
      singleIngest: { total: 5_000, concurrency: 16, reps: 3 },
      authCost: { total: 5_000, concurrency: 16, reps: 3 },
      proofFetch: { total: 5_000, concurrency: 16, reps: 3, backgroundRatePerSec: 50 },
      timeToAnchor: { samples: 5 },
    };

// Proof fetch at a 10^3- and a 10^6-leaf batch (10^5 in the quick run).
const bigBatchOpts: Omit<BigBatchOptions, "log" | "databaseUrl"> = quick
  ? { small: 1_000, big: 100_000, ingest: { batchSize: 1000, concurrency: 4 }, proof: { total: 500, concurrency: 16, reps: 1, sampleIds: 1_000 } }
  : { small: 1_000, big: 1_000_000, ingest: { batchSize: 1000, concurrency: 4 }, proof: { total: 3_000, concurrency: 16, reps: 3, sampleIds: 20_000 } };

// Single-item ingest with the metrics' request observation on and off, interleaved.
const metricsOpts = quick ? { total: 1_000, concurrency: 16, reps: 2 } : { total: 5_000, concurrency: 16, reps: 4 };
// The webhook events of one batch, written in the transaction that confirms its anchor.
const webhookOpts = quick ? { items: 10_000, reps: 3 } : { items: 100_000, reps: 5 };

async function main(): Promise<void> {
  log(`bench ${quick ? "(quick)" : "(full)"}: sections ${[...sections].join(", ")}, database ${databaseUrl ? "postgres" : "pglite"}`);
  let tree: TreeBenchResult | undefined;
  let seal: SealBenchResult | undefined;
  let service: ServiceBenchResult | undefined;
  let big: BigBatchResult | undefined;
  let metrics: MetricsBenchResult | undefined;
  let webhooks: WebhookEventsBenchResult | undefined;
  if (sections.has("tree")) {
    log("section 1: tree build");
    tree = await runTreeBench({ ...treeOpts, log });
  }
  if (sections.has("seal")) {
    log("section 1b: sealing one batch");
    seal = await runSealBench({ ...sealOpts, databaseUrl, log });
  }
  if (sections.has("service")) {
    log("sections 2-6: service over HTTP");
    service = await runServiceBench({ ...serviceOpts, databaseUrl, log });
  }
  if (sections.has("bigbatch")) {
    log(`section 7: proof fetch at ${bigBatchOpts.small}- and ${bigBatchOpts.big}-leaf batches`);
    big = await runBigBatchBench({ ...bigBatchOpts, databaseUrl, log });
  }
  if (sections.has("metrics")) {
    log("section 8: what the metrics cost (single ingest, request observation on and off)");
    metrics = await runMetricsBench({ ...metricsOpts, databaseUrl, log });
  }
  if (sections.has("webhooks")) {
    log(`section 9: webhook events of a ${webhookOpts.items}-item batch, in the confirming transaction`);
    webhooks = await runWebhookEventsBench({ ...webhookOpts, databaseUrl, log });
  }
  const machine = machineInfo(service?.database ?? big?.databaseInfo ?? { kind: databaseUrl ? "postgres" : "pglite" }, loadAtStart);
  const durationSec = Math.round((performance.now() - started) / 1000);
  const results = {
    generatedAt: new Date().toISOString(),
    command: `${quick ? "BENCH_QUICK=1 " : ""}${databaseUrl ? "DATABASE_URL=… " : ""}npm run bench`,
    quick,
    machine,
    loadAvg1mAtEnd: currentLoadAvg(),
    loadAvg1mDuringRun: { mean: loadSamples.reduce((a, b) => a + b, 0) / Math.max(1, loadSamples.length), max: Math.max(0, ...loadSamples), samples: loadSamples.length },
    durationSec,
    params: { tree: treeOpts, seal: sealOpts, service: serviceOpts, bigBatch: bigBatchOpts, metrics: metricsOpts, webhooks: webhookOpts },
    tree,
    seal,
    service,
    bigBatch: big,
    metrics,
    webhooks,
  };
  writeFileSync(outPath, JSON.stringify(results, null, 2) + "\n");

  const out: string[] = ["", "## Machine", machineTable(machine), ""];
  out.push(`## Issue 11: each figure beside its baseline (${quick ? "quick run: small counts" : "full run"})`, summaryTable({ tree, seal, service, big }), "");
  if (tree) out.push("## Tree build", treeTables(tree), "");
  if (seal) out.push("## Sealing a batch", sealTable(seal), "");
  if (service) out.push("## Service", serviceTables(service), "");
  if (big) out.push("## Proof fetch at a big batch", bigBatchTables(big), "");
  if (metrics) {
    out.push(
      "## What the metrics cost",
      "| single ingest | req/s (median) |",
      "| --- | --- |",
      `| request observation on | ${metrics.onPerSec.toFixed(0)} |`,
      `| request observation off | ${metrics.offPerSec.toFixed(0)} |`,
      `| ratio off / on | ${metrics.overheadRatio.toFixed(3)} |`,
      `| one observation alone | ${metrics.observeMicros.toFixed(2)} µs |`,
      "",
      `GET /metrics: ${metrics.scrapeMs.toFixed(1)} ms (median of 5), ${metrics.scrapeBytes} bytes; ${metrics.reps} reps of ${metrics.total} requests at concurrency ${metrics.concurrency}, ${metrics.database}.`,
      "",
    );
  }
  if (webhooks) {
    out.push(
      "## What webhook events add to confirming an anchor",
      `| one batch of ${webhooks.items} items, two tenants | ms (median of ${webhooks.reps}) |`,
      "| --- | --- |",
      `| baseline: the batch's rows read once, by tenant | ${webhooks.scanMs.toFixed(1)} |`,
      `| events written, no endpoint registered | ${webhooks.noEndpointMs.toFixed(1)} |`,
      `| events written, an endpoint per tenant (${webhooks.deliveriesPerConfirm} deliveries) | ${webhooks.withEndpointsMs.toFixed(1)} |`,
      `| ratio to the baseline | ${webhooks.ratio.toFixed(2)} |`,
      "",
    );
  }
  const l = results.loadAvg1mDuringRun;
  out.push(
    `Total bench time ${durationSec} s; load average (1 min) ${machine.loadAvg1mAtStart} at start, ${results.loadAvg1mAtEnd} at end, ` +
      `mean ${l.mean.toFixed(2)} and max ${l.max.toFixed(2)} over the run (sampled every 5 s). Results: ${outPath}`,
  );
  console.log(out.join("\n"));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
