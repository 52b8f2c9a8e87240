#!/usr/bin/env node
// The `evidence` command (package.json "bin"): loads the TypeScript CLI through tsx and runs
// it on this process. Everything else lives in src/cli/evidence.ts.
import { register } from "tsx/esm/api";

register();
const { runEvidence } = await import("../src/cli/evidence.ts");
process.exitCode = await runEvidence(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
});
