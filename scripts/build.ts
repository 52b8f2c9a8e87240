// The production build (`npm run build`, after `hardhat build`): the service compiled to plain
// JavaScript in dist/server/ (tsconfig.build.json), with the migrations beside the store; the
// verification page in dist/web/ (build-web.ts); the evidence-anchor-verify package and its
// single-file CLI (packages/verifier/build.ts). `node dist/server/main.js` then runs with no
// TypeScript loader; it reads artifacts/ and dist/web/ from the project root (src/runtime.ts).
import { execFileSync } from "node:child_process";
import { cpSync, realpathSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildVerifier } from "../packages/verifier/build.ts";
import { buildWeb } from "./build-web.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const SERVER_OUT = join(ROOT, "dist/server");

/**
 * Builds dist/server/ from scratch, so that no module deleted from src/ lingers in it: into a
 * folder of its own, then renamed into place, so that bin/evidence.mjs (which runs the build
 * when it is current) never sees half of one.
 */
export function buildServer(): void {
  const tmp = `${SERVER_OUT}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", tmp], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    // drizzle's migrator reads the SQL files and meta/_journal.json next to src/store/db.ts.
    cpSync(join(ROOT, "src/store/migrations"), join(tmp, "store/migrations"), { recursive: true });
    rmSync(SERVER_OUT, { recursive: true, force: true });
    renameSync(tmp, SERVER_OUT);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const t0 = performance.now();
  await buildWeb();
  buildServer();
  const verifier = await buildVerifier();
  process.stdout.write(
    `built dist/web/, dist/server/ (node dist/server/main.js), packages/verifier/dist/ (${verifier.files} modules, evidence-verify.mjs ${(verifier.bundleBytes / 1024).toFixed(0)} KiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
