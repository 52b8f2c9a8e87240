// The embedded database (PGlite) may be opened by one process at a time: two writers on
// one data directory corrupt it. The service records its pid in the data directory; the
// admin CLI and a second service check it before opening the database.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const file = (dataDir: string) => join(dataDir, "service.pid");

/** The pid of a live process holding this data directory, if any. */
export function dataDirHolder(dataDir: string): number | undefined {
  if (!existsSync(file(dataDir))) return undefined;
  const pid = Number(readFileSync(file(dataDir), "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // a stale file left by a process that died
  }
}

/** Claims the data directory for this process; returns the release function. */
export function claimDataDir(dataDir: string): () => void {
  const other = dataDirHolder(dataDir);
  if (other !== undefined && other !== process.pid) {
    throw new Error(`another process (pid ${other}) has the embedded database in ${dataDir} open; one process at a time`);
  }
  writeFileSync(file(dataDir), `${process.pid}\n`);
  return () => rmSync(file(dataDir), { force: true });
}
