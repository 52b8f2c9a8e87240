// Where the service's files are at run time, the same from the sources (tsx src/main.ts) and
// from the build (node dist/server/main.js, tsconfig.build.json): the project root, and the
// entry of a worker thread. Modules resolve data files and workers through this, not through
// "../../" from their own URL, which differs by one folder between the two layouts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** True when this code runs from the TypeScript sources (through tsx or a test runner). */
export const FROM_SOURCES = import.meta.url.endsWith(".ts");

/**
 * The folder holding package.json, artifacts/ (hardhat build) and dist/web/ (the page):
 * this file is src/runtime.ts or dist/server/runtime.js.
 */
export const PROJECT_ROOT = fileURLToPath(new URL(FROM_SOURCES ? "../" : "../../", import.meta.url));

/** The project's package.json: name and version, for the API document and reports. */
export const PACKAGE = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { name: string; version: string };

/**
 * The script and options for `new Worker` of a sibling module named `name` (no extension)
 * of the module at `base` (its import.meta.url). From the sources the worker loads TypeScript
 * through tsx, as the main thread does; the build runs the emitted .js with plain Node.
 */
export function workerEntry(name: string, base: string): { url: URL; execArgv: string[] } {
  return FROM_SOURCES
    ? { url: new URL(`./${name}.ts`, base), execArgv: ["--import", "tsx"] }
    : { url: new URL(`./${name}.js`, base), execArgv: [] };
}
