// Section 1: Merkle tree building. Leaves/s of the service's builder (merkletreejs behind
// buildTree, plus every path as the batcher computes them) against a plain RFC 6962 builder
// with node:crypto and with @noble/hashes; memory at 10^6 leaves (fresh child process per
// build); and event-loop delay while a 10^5-leaf tree is built in the worker vs inline.
// Then the levels builder (src/core/levels.ts: root + levels of complete nodes, no paths) at
// 10^5 and 10^6 leaves, with each hash, beside the hash alone and the old builder.
// Run alone: npx tsx bench/tree-bench.ts [reps] (the levels part only).
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { TreeBuilder, buildTreeInline } from "../src/batcher/tree.ts";
import { gc } from "./lib/gc.ts";
import { IMPLS, assertSameTree, makeLeaves, toHexString, type ImplId } from "./lib/tree-impls.ts";
import { median, mib, ms, sleep } from "./lib/stats.ts";
import type { LevelsJobId } from "./tree-child.ts";

export interface TreeBenchOptions {
  /** Sizes measured in this process, with their repetition counts. */
  inProcess: { n: number; reps: number; rootOnly: boolean }[];
  /** Sizes measured one build per fresh child process (time + memory). */
  children: { n: number; reps: number; impls: ImplId[] }[];
  eventLoop: { n: number; reps: number };
  /** The levels builder; by default 10^5 and 10^6 leaves, as many repetitions as eventLoop. */
  levels?: LevelsBenchOptions;
  log: (line: string) => void;
}

export interface LevelsBenchOptions {
  /** Sizes built one build per fresh child process, every job at each size. */
  sizes: number[];
  reps: number;
  /** Sizes at which the old builder (merkletreejs + every path) runs beside the new one. */
  oldAt: number[];
  /** Size built through TreeBuilder.buildLevels (the worker), for wall time and event-loop delay. */
  workerAt: number;
}

export type LevelsRowJob = LevelsJobId | "merkletreejs";

export interface LevelsRow {
  job: LevelsRowJob;
  n: number;
  reps: number;
  /** Medians over the repetitions. */
  medianMs: number;
  medianCpuMs: number;
  allMs: number[];
  peakRssDelta: number;
  heapPlusExternalDeltaRetained: number;
  /** medianMs over the baseline's (2n SHA-256 of 64 bytes with node:crypto) at the same n. */
  timeVsBaseline: number;
}

export interface LevelsWorkerRow {
  n: number;
  reps: number;
  /** Medians over repetitions, ms: TreeBuilder.buildLevels round trip (copy, worker, transfer back). */
  buildWallMs: number;
  maxDelayMs: number;
  p99DelayMs: number;
  allMaxMs: number[];
}

export interface LevelsBenchResult {
  rows: LevelsRow[];
  worker: LevelsWorkerRow;
  workerColdStartMs: number;
}

export interface ThroughputRow {
  impl: ImplId;
  label: string;
  n: number;
  mode: "root+paths" | "root only";
  reps: number;
  medianMs: number;
  allMs: number[];
  leavesPerSec: number;
  where: "in-process" | "child process";
}

export interface MemoryRow {
  impl: ImplId;
  n: number;
  reps: number;
  /** Medians over the repetitions, bytes. */
  rssDeltaAfterBuild: number;
  peakRssDelta: number;
  heapPlusExternalDeltaAfterBuild: number;
  heapPlusExternalDeltaRetained: number;
}

export interface EventLoopRow {
  mode: "worker (TreeBuilder)" | "inline (buildTreeInline)";
  n: number;
  reps: number;
  /** Medians over repetitions, ms. */
  maxDelayMs: number;
  p99DelayMs: number;
  meanDelayMs: number;
  buildWallMs: number;
  allMaxMs: number[];
}

export interface TreeBenchResult {
  throughput: ThroughputRow[];
  memory: MemoryRow[];
  eventLoop: EventLoopRow[];
  workerColdStartMs: number;
  levels?: LevelsBenchResult;
}

function timeOnce<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** Throughput in this process: repetitions interleaved across implementations (ABCD ABCD). */
function inProcessThroughput(n: number, reps: number, rootOnly: boolean, log: (l: string) => void): ThroughputRow[] {
  const leaves = makeLeaves(n);
  const times = new Map<string, number[]>();
  for (let r = 0; r < reps; r++) {
    // The first implementation (the service's) is the reference the others must match.
    let reference: { root: Uint8Array; paths: Uint8Array[] } | undefined;
    for (const impl of IMPLS) {
      gc();
      const full = timeOnce(() => impl.rootAndPaths(leaves));
      if (reference) assertSameTree(full.value, reference, `${impl.id} vs merkletreejs at ${n}`);
      else reference = full.value;
      push(times, `${impl.id}|root+paths`, full.ms);
      if (rootOnly) {
        gc();
        const root = timeOnce(() => impl.rootOnly(leaves));
        if (toHexString(root.value) !== toHexString(reference.root)) throw new Error(`${impl.id} root-only differs at ${n}`);
        push(times, `${impl.id}|root only`, root.ms);
      }
    }
    reference = undefined;
    log(`  tree ${n.toExponential(0)} rep ${r + 1}/${reps} done`);
  }
  const rows: ThroughputRow[] = [];
  for (const impl of IMPLS) {
    for (const mode of rootOnly ? (["root+paths", "root only"] as const) : (["root+paths"] as const)) {
      const all = times.get(`${impl.id}|${mode}`) ?? [];
      const med = median(all);
      rows.push({ impl: impl.id, label: impl.label, n, mode, reps, medianMs: med, allMs: all, leavesPerSec: n / (med / 1000), where: "in-process" });
    }
  }
  return rows;
}

function push(m: Map<string, number[]>, k: string, v: number): void {
  const list = m.get(k) ?? [];
  list.push(v);
  m.set(k, list);
}

interface ChildResult {
  impl: ImplId;
  n: number;
  ms: number;
  cpuMs: number;
  root: string;
  memory: {
    rssDeltaAfterBuild: number;
    peakRssDelta: number;
    heapPlusExternalDeltaAfterBuild: number;
    heapPlusExternalDeltaRetained: number;
  };
}

const projectRoot = fileURLToPath(new URL("../", import.meta.url));
const childEntry = fileURLToPath(new URL("./tree-child.ts", import.meta.url));

function runChild(impl: ImplId | LevelsJobId, n: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", childEntry, impl, String(n)], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) return reject(new Error(`tree child ${impl} ${n} exited ${code}: ${err}`));
      resolve(JSON.parse(line) as ChildResult);
    });
  });
}

async function childThroughputAndMemory(
  n: number,
  reps: number,
  impls: ImplId[],
  log: (l: string) => void,
): Promise<{ throughput: ThroughputRow[]; memory: MemoryRow[]; roots: string[] }> {
  const results = new Map<ImplId, ChildResult[]>();
  for (let r = 0; r < reps; r++) {
    for (const id of impls) {
      const res = await runChild(id, n);
      const list = results.get(id) ?? [];
      list.push(res);
      results.set(id, list);
      log(`  tree ${n.toExponential(0)} (child process) ${id} rep ${r + 1}/${reps}: ${(res.ms / 1000).toFixed(1)} s`);
    }
  }
  const throughput: ThroughputRow[] = [];
  const memory: MemoryRow[] = [];
  for (const id of impls) {
    const list = results.get(id) ?? [];
    const all = list.map((r) => r.ms);
    const med = median(all);
    const impl = IMPLS.find((i) => i.id === id)!;
    throughput.push({ impl: id, label: impl.label, n, mode: "root+paths", reps: list.length, medianMs: med, allMs: all, leavesPerSec: n / (med / 1000), where: "child process" });
    const m = (k: keyof ChildResult["memory"]) => median(list.map((r) => r.memory[k]));
    memory.push({
      impl: id,
      n,
      reps: list.length,
      rssDeltaAfterBuild: m("rssDeltaAfterBuild"),
      peakRssDelta: m("peakRssDelta"),
      heapPlusExternalDeltaAfterBuild: m("heapPlusExternalDeltaAfterBuild"),
      heapPlusExternalDeltaRetained: m("heapPlusExternalDeltaRetained"),
    });
  }
  return { throughput, memory, roots: [...results.values()].flat().map((r) => r.root) };
}

/**
 * Event-loop delay while one tree is built. The histogram samples every 1 ms; a synchronous
 * build shows up as one sample as long as the build. The sleeps around the build let the
 * monitor take samples before and after it (and record the blocked one at all).
 */
async function eventLoopDelay(n: number, reps: number, log: (l: string) => void): Promise<{ rows: EventLoopRow[]; coldStartMs: number }> {
  const leaves = makeLeaves(n, 7);
  const builder = new TreeBuilder();
  const samples = { worker: [] as { max: number; p99: number; mean: number; wall: number }[], inline: [] as { max: number; p99: number; mean: number; wall: number }[] };
  try {
    // Cold start (worker thread + tsx loading), measured once and kept out of the numbers.
    const t0 = performance.now();
    await builder.build(makeLeaves(builder.workerThreshold, 3));
    const coldStartMs = performance.now() - t0;
    for (let r = 0; r < reps; r++) {
      for (const mode of ["worker", "inline"] as const) {
        gc();
        await sleep(50);
        const h = monitorEventLoopDelay({ resolution: 1 });
        h.enable();
        await sleep(50);
        const t = performance.now();
        if (mode === "worker") await builder.build(leaves);
        else buildTreeInline(leaves);
        const wall = performance.now() - t;
        await sleep(50);
        h.disable();
        samples[mode].push({ max: h.max / 1e6, p99: h.percentile(99) / 1e6, mean: h.mean / 1e6, wall });
      }
      log(`  event loop ${n.toExponential(0)} rep ${r + 1}/${reps}: worker max ${samples.worker.at(-1)!.max.toFixed(0)} ms, inline max ${samples.inline.at(-1)!.max.toFixed(0)} ms`);
    }
    const row = (mode: "worker" | "inline"): EventLoopRow => {
      const s = samples[mode];
      return {
        mode: mode === "worker" ? "worker (TreeBuilder)" : "inline (buildTreeInline)",
        n,
        reps: s.length,
        maxDelayMs: median(s.map((x) => x.max)),
        p99DelayMs: median(s.map((x) => x.p99)),
        meanDelayMs: median(s.map((x) => x.mean)),
        buildWallMs: median(s.map((x) => x.wall)),
        allMaxMs: s.map((x) => x.max),
      };
    };
    return { rows: [row("worker"), row("inline")], coldStartMs };
  } finally {
    await builder.close();
  }
}

export async function runTreeBench(opts: TreeBenchOptions): Promise<TreeBenchResult> {
  const throughput: ThroughputRow[] = [];
  const memory: MemoryRow[] = [];
  for (const s of opts.inProcess) throughput.push(...inProcessThroughput(s.n, s.reps, s.rootOnly, opts.log));
  const el = await eventLoopDelay(opts.eventLoop.n, opts.eventLoop.reps, opts.log);
  const roots = new Map<number, Set<string>>();
  for (const s of opts.children) {
    const r = await childThroughputAndMemory(s.n, s.reps, s.impls, opts.log);
    throughput.push(...r.throughput);
    memory.push(...r.memory);
    const set = roots.get(s.n) ?? new Set<string>();
    for (const root of r.roots) set.add(root);
    roots.set(s.n, set);
  }
  // Separate processes built the same deterministic leaves: they must agree on the root.
  for (const [n, set] of roots) {
    if (set.size !== 1) throw new Error(`tree builders disagree on the ${n}-leaf root: ${[...set].join(", ")}`);
  }
  const levels = await runLevelsBench(opts.levels ?? { sizes: [100_000, 1_000_000], reps: opts.eventLoop.reps, oldAt: [100_000], workerAt: 1_000_000 }, opts.log);
  opts.log(`levels builder:\n${levelsTable(levels)}`);
  return { throughput, memory, eventLoop: el.rows, workerColdStartMs: el.coldStartMs, levels };
}

const BASELINE: LevelsJobId = "hash alone: 2n x 64 B, node:crypto hash()";
const LEVELS_JOBS: LevelsJobId[] = [
  BASELINE,
  "hash alone: 2n x 64 B, @noble/hashes",
  "levels (hashPair)",
  "levels (node:crypto hash())",
  "levels (@noble/hashes)",
];

/**
 * The levels builder in fresh child processes (time, CPU time, memory of that build alone),
 * jobs interleaved within each repetition (ABCDE ABCDE), every root checked against the
 * others at that size; then the worker round trip with the event-loop delay it causes.
 */
export async function runLevelsBench(opts: LevelsBenchOptions, log: (l: string) => void): Promise<LevelsBenchResult> {
  const rows: LevelsRow[] = [];
  for (const n of opts.sizes) {
    const jobs: LevelsRowJob[] = [...LEVELS_JOBS, ...(opts.oldAt.includes(n) ? (["merkletreejs"] as const) : [])];
    const results = new Map<LevelsRowJob, ChildResult[]>();
    for (let r = 0; r < opts.reps; r++) {
      for (const job of jobs) {
        const res = await runChild(job, n);
        results.set(job, [...(results.get(job) ?? []), res]);
        log(`  levels ${n.toExponential(0)} ${job} rep ${r + 1}/${opts.reps}: ${ms(res.ms)}`);
      }
    }
    const roots = new Set([...results.values()].flat().map((r) => r.root).filter((root) => root !== ""));
    if (roots.size !== 1) throw new Error(`levels builders disagree on the ${n}-leaf root: ${[...roots].join(", ")}`);
    const baseline = median((results.get(BASELINE) ?? []).map((r) => r.ms));
    for (const job of jobs) {
      const list = results.get(job) ?? [];
      const med = median(list.map((r) => r.ms));
      rows.push({
        job,
        n,
        reps: list.length,
        medianMs: med,
        medianCpuMs: median(list.map((r) => r.cpuMs)),
        allMs: list.map((r) => r.ms),
        peakRssDelta: median(list.map((r) => r.memory.peakRssDelta)),
        heapPlusExternalDeltaRetained: median(list.map((r) => r.memory.heapPlusExternalDeltaRetained)),
        timeVsBaseline: med / baseline,
      });
    }
  }

  // Through the worker, as the sealer calls it: the main thread copies the leaves and waits.
  const n = opts.workerAt;
  const flat = new Uint8Array(makeLeaves(n, 7)[0]!.buffer);
  const builder = new TreeBuilder();
  const samples: { wall: number; max: number; p99: number }[] = [];
  try {
    const t0 = performance.now();
    await builder.buildLevels(new Uint8Array(32 * builder.workerThreshold), builder.workerThreshold);
    const coldStartMs = performance.now() - t0;
    for (let r = 0; r < opts.reps; r++) {
      gc();
      await sleep(50);
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      await sleep(50);
      const t = performance.now();
      await builder.buildLevels(flat, n);
      const wall = performance.now() - t;
      await sleep(50);
      h.disable();
      samples.push({ wall, max: h.max / 1e6, p99: h.percentile(99) / 1e6 });
      log(`  levels ${n.toExponential(0)} through the worker rep ${r + 1}/${opts.reps}: ${ms(wall)}, event loop max ${ms(h.max / 1e6)}`);
    }
    return {
      rows,
      worker: {
        n,
        reps: samples.length,
        buildWallMs: median(samples.map((s) => s.wall)),
        maxDelayMs: median(samples.map((s) => s.max)),
        p99DelayMs: median(samples.map((s) => s.p99)),
        allMaxMs: samples.map((s) => s.max),
      },
      workerColdStartMs: coldStartMs,
    };
  } finally {
    await builder.close();
  }
}

/** The levels part as Markdown tables (also printed by runTreeBench through its log). */
export function levelsTable(r: LevelsBenchResult): string {
  const head = ["leaves", "job", "median time", "median CPU time", "time / baseline", "peak RSS delta", "heap+external retained", "reps"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const row of r.rows) {
    const job = row.job === BASELINE ? `**baseline: ${row.job}**` : row.job === "merkletreejs" ? "old: buildTree (merkletreejs) + every path" : row.job;
    lines.push(
      `| ${[row.n.toLocaleString("en-US"), job, ms(row.medianMs), ms(row.medianCpuMs), `${row.timeVsBaseline.toFixed(2)}x`, mib(row.peakRssDelta), mib(row.heapPlusExternalDeltaRetained), `${row.reps} (fresh process each)`].join(" | ")} |`,
    );
  }
  const w = r.worker;
  lines.push(
    "",
    `TreeBuilder.buildLevels through the worker at ${w.n.toLocaleString("en-US")} leaves (cold start ${ms(r.workerColdStartMs)}, excluded): ` +
      `wall ${ms(w.buildWallMs)}, event-loop delay max ${ms(w.maxDelayMs)} / p99 ${ms(w.p99DelayMs)} (medians of ${w.reps}; maxima ${w.allMaxMs.map(ms).join(", ")})`,
  );
  return lines.join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reps = Number(process.argv[2] ?? 3);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  runLevelsBench({ sizes: [100_000, 1_000_000], reps, oldAt: [100_000], workerAt: 1_000_000 }, log).then(
    (r) => {
      console.log(levelsTable(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
