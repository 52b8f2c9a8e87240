// CPU time, which a busy shared machine distorts less than wall time: this process (the
// service: HTTP, PGlite, tree worker) via process.cpuUsage(), the local Hardhat node (a child
// process of ours) and PostgreSQL backends (by pid) via /proc. Linux only for those two;
// elsewhere they read NaN.
import { readFileSync, readdirSync } from "node:fs";

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ on Linux

/** User+system CPU ms of child processes of ours whose command line contains `match`. */
function childCpuMs(match: string): number {
  try {
    let total = 0;
    let found = false;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes(match)) continue;
      found = true;
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
    }
    return found ? total : NaN;
  } catch {
    return NaN;
  }
}

/** User+system CPU ms of each pid that can be read. */
export function pidsCpuMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC);
    } catch {
      // gone, or not on this machine
    }
  }
  return out;
}

/** CPU ms used between two readings by the pids present in both; NaN when none is. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  let any = false;
  for (const [pid, ms] of after) {
    const b = before.get(pid);
    if (b === undefined) continue;
    total += ms - b;
    any = true;
  }
  return any ? total : NaN;
}

export interface CpuSpan {
  /** CPU ms used since start(): this process, and the Hardhat node. */
  stop(): { serviceMs: number; chainMs: number; wallMs: number };
}

export function cpuSpan(): CpuSpan {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  const c0 = childCpuMs("hardhat");
  return {
    stop() {
      const u = process.cpuUsage(u0);
      return { serviceMs: (u.user + u.system) / 1000, chainMs: childCpuMs("hardhat") - c0, wallMs: performance.now() - t0 };
    },
  };
}
