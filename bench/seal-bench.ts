// Section 1b: sealing one batch (src/batcher/seal.ts sealBatch: close the open batch and read
// its leaves, build the tree levels in the worker, write the batch and its levels in one
// transaction; no evidence row is rewritten) on a
// fresh database of the run's kind, timing each phase and the longest event-loop stall in
// it. The tree worker only helps if the database phases do not block the loop themselves.
import { generateSigningKey } from "../src/signing/keys.ts";
import { Signer } from "../src/signing/signer.ts";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sealBatch } from "../src/batcher/seal.ts";
import { TreeBuilder } from "../src/batcher/tree.ts";
import { IngestService } from "../src/services/ingest.ts";
import { createDb } from "../src/store/db.ts";
import { createBenchDatabase } from "./lib/pg.ts";
import { median, sleep } from "./lib/stats.ts";

export interface SealBenchOptions {
  leaves: number;
  reps: number;
  databaseUrl?: string | undefined;
  log: (line: string) => void;
}

export interface SealPhase {
  /** Median wall time, ms. */
  wallMs: number;
  /** Median over repetitions of the longest event-loop stall inside the phase, ms. */
  maxStallMs: number;
}

export interface SealBenchResult {
  database: "pglite" | "postgres";
  leaves: number;
  reps: number;
  readPending: SealPhase;
  treeInWorker: SealPhase;
  writeTransaction: SealPhase;
  total: SealPhase;
  leavesPerSec: number;
  /** Total wall time scaled to 10^5 leaves (measured at 10^5 in the full run), and the target. */
  msPer100k: number;
  targetMsPer100k: number;
}

/** Issue 11's target: sealing 10^5 pending leaves on PostgreSQL within half a second. */
export const SEAL_TARGET_MS_PER_100K = 500;

/** Records gaps in a 1 ms interval timer: when, and for how long, the loop was blocked. */
function stallRecorder() {
  const gaps: { start: number; end: number }[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 3) gaps.push({ start: last, end: now });
    last = now;
  }, 1);
  return {
    /** Longest stall overlapping [from, to). */
    maxIn(from: number, to: number): number {
      let m = 0;
      for (const g of gaps) if (g.end > from && g.start < to) m = Math.max(m, Math.min(g.end, to + 5) - Math.max(g.start, from - 5));
      return m;
    },
    stop: () => clearInterval(timer),
  };
}

export async function runSealBench(opts: SealBenchOptions): Promise<SealBenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), "evidence-bench-seal-"));
  const pg = opts.databaseUrl ? await createBenchDatabase(opts.databaseUrl) : undefined;
  const database = await createDb(pg ? { url: pg.url } : { dataDir: join(dataDir, "pglite") });
  const trees = new TreeBuilder();
  const rows: { read: number[]; tree: number[]; write: number[]; total: number[]; sRead: number[]; sTree: number[]; sWrite: number[]; sTotal: number[] } = {
    read: [], tree: [], write: [], total: [], sRead: [], sTree: [], sWrite: [], sTotal: [],
  };
  try {
    const ingest = new IngestService({ db: database.db, signer: new Signer(generateSigningKey()), batchMaxLeaves: opts.leaves });
    await trees.buildLevels(new Uint8Array(32 * trees.workerThreshold)); // worker cold start
    for (let r = 0; r < opts.reps; r++) {
      for (let i = 0; i < opts.leaves; i += 1000) {
        const n = Math.min(1000, opts.leaves - i);
        await ingest.submit("bench", Array.from({ length: n }, () => ({ digest: "0x" + randomBytes(32).toString("hex") })));
      }
      await sleep(50);
      const stalls = stallRecorder();
      await sleep(20);
      let treeStart = NaN;
      let treeEnd = NaN;
      const t0 = performance.now();
      const sealed = await sealBatch(
        database.db,
        async (leaves) => {
          treeStart = performance.now();
          const tree = await trees.buildLevels(leaves);
          treeEnd = performance.now();
          return tree;
        },
        { closeOpen: true },
      );
      const t1 = performance.now();
      await sleep(20);
      stalls.stop();
      if (!sealed || sealed.size !== opts.leaves) throw new Error(`sealed ${sealed?.size ?? 0} leaves, expected ${opts.leaves}`);
      rows.read.push(treeStart - t0);
      rows.tree.push(treeEnd - treeStart);
      rows.write.push(t1 - treeEnd);
      rows.total.push(t1 - t0);
      rows.sRead.push(stalls.maxIn(t0, treeStart));
      rows.sTree.push(stalls.maxIn(treeStart, treeEnd));
      rows.sWrite.push(stalls.maxIn(treeEnd, t1));
      rows.sTotal.push(stalls.maxIn(t0, t1));
      opts.log(`  seal ${opts.leaves} leaves rep ${r + 1}/${opts.reps}: ${(t1 - t0).toFixed(0)} ms, longest loop stall ${rows.sTotal.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await trees.close();
    await database.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const phase = (wall: number[], stall: number[]): SealPhase => ({ wallMs: median(wall), maxStallMs: median(stall) });
  const total = phase(rows.total, rows.sTotal);
  return {
    database: database.kind,
    leaves: opts.leaves,
    reps: opts.reps,
    readPending: phase(rows.read, rows.sRead),
    treeInWorker: phase(rows.tree, rows.sTree),
    writeTransaction: phase(rows.write, rows.sWrite),
    total,
    leavesPerSec: opts.leaves / (total.wallMs / 1000),
    msPer100k: total.wallMs * (100_000 / opts.leaves),
    targetMsPer100k: SEAL_TARGET_MS_PER_100K,
  };
}
