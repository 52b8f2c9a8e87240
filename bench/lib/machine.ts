// What the numbers were measured on: CPU, cores, memory, Node.js, load, and the database.
import { cpus, loadavg, totalmem, freemem, platform, release } from "node:os";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  v8: string;
  os: string;
  loadAvg1mAtStart: number;
  database: { kind: "pglite" | "postgres"; version: string };
}

/** Installed version of a dependency (read from node_modules: some packages do not export package.json). */
function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url));
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function machineInfo(database: { kind: "pglite" | "postgres"; serverVersion?: string }, loadAvgAtStart: number): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()}`,
    loadAvg1mAtStart: loadAvgAtStart,
    database:
      database.kind === "pglite"
        ? { kind: "pglite", version: `PGlite ${packageVersion("@electric-sql/pglite")} (in-process, on disk)` }
        : { kind: "postgres", version: database.serverVersion ?? "unknown" },
  };
}

export function currentLoadAvg(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
