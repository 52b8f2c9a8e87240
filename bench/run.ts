// `npm run bench`: runs every measurement in one process and one sitting, prints the tables,
// and writes bench/results.json. BENCH_QUICK=1 is a ~1 minute smoke run with small counts;
// DATABASE_URL=postgres://... runs the service part on a fresh database on that server;
// BENCH_SECTIONS=tree,seal,service (any subset) picks parts; BENCH_OUT=path writes the JSON elsewhere.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runTreeBench, type TreeBenchOptions, type TreeBenchResult } from "./tree-bench.ts";
import { runSealBench, type SealBenchResult } from "./seal-bench.ts";
import { runServiceBench, type ServiceBenchOptions, type ServiceBenchResult } from "./service-bench.ts";
import { currentLoadAvg, machineInfo } from "./lib/machine.ts";
import { machineTable, sealTable, serviceTables, treeTables } from "./report.ts";

const quick = process.env.BENCH_QUICK === "1" || process.env.BENCH_QUICK === "true";
const sections = new Set((process.env.BENCH_SECTIONS ?? "tree,seal,service").split(",").map((s) => s.trim()));
const databaseUrl = process.env.DATABASE_URL || undefined;
const outPath = process.env.BENCH_OUT ?? fileURLToPath(new URL("./results.json", import.meta.url));
const started = performance.now();
const loadAtStart = currentLoadAvg();
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

const sealOpts = quick ? { leaves: 5_000, reps: 1 } : { leaves: 100_000, reps: 3 };

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

async function main(): Promise<void> {
  log(`bench ${quick ? "(quick)" : "(full)"}: sections ${[...sections].join(", ")}, database ${databaseUrl ? "postgres" : "pglite"}`);
  let tree: TreeBenchResult | undefined;
  let seal: SealBenchResult | undefined;
  let service: ServiceBenchResult | undefined;
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
  const machine = machineInfo(service?.database ?? { kind: databaseUrl ? "postgres" : "pglite" }, loadAtStart);
  const durationSec = Math.round((performance.now() - started) / 1000);
  const results = {
    generatedAt: new Date().toISOString(),
    command: `${quick ? "BENCH_QUICK=1 " : ""}${databaseUrl ? "DATABASE_URL=… " : ""}npm run bench`,
    quick,
    machine,
    loadAvg1mAtEnd: currentLoadAvg(),
    durationSec,
    params: { tree: treeOpts, seal: sealOpts, service: serviceOpts },
    tree,
    seal,
    service,
  };
  writeFileSync(outPath, JSON.stringify(results, null, 2) + "\n");

  const out: string[] = ["", "## Machine", machineTable(machine), ""];
  if (tree) out.push("## Tree build", treeTables(tree), "");
  if (seal) out.push("## Sealing a batch", sealTable(seal), "");
  if (service) out.push("## Service", serviceTables(service), "");
  out.push(`Total bench time ${durationSec} s; load average ${machine.loadAvg1mAtStart} at start, ${results.loadAvg1mAtEnd} at end. Results: ${outPath}`);
  console.log(out.join("\n"));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
