// Main-thread side of the load generator: runs a load job in its own child process
// (bench/load-process.ts) and resolves with its result; open-loop jobs can be stopped.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadJob, LoadResult, LoadTarget } from "../load-process.ts";
import { percentile } from "./stats.ts";

export type { LoadJob, LoadResult, LoadTarget };

export interface RunningLoad {
  /** Asks an open-loop job to stop; its result then resolves. */
  stop(): void;
  result: Promise<LoadResult>;
}

const entry = fileURLToPath(new URL("../load-process.ts", import.meta.url));
const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

export function startLoad(job: LoadJob): RunningLoad {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: projectRoot,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.once("message", (m: { result?: Omit<LoadResult, "latencies"> & { latencies: number[] }; error?: string }) => {
      if (m.result) resolve({ ...m.result, latencies: Float64Array.from(m.result.latencies) });
      else reject(new Error(`load process (${job.kind}): ${m.error}`));
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load process (${job.kind}) exited with ${code}`));
    });
  });
  child.send(job);
  return { stop: () => child.connected && child.send("stop"), result };
}

export function runLoad(job: LoadJob): Promise<LoadResult> {
  return startLoad(job).result;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(latencies: ArrayLike<number>): LatencySummary {
  return {
    count: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: percentile(latencies, 100),
  };
}
