#!/usr/bin/env node
// The `evidence` command as a program: the CLI (evidence.ts) on this process's arguments and
// I/O. The entry of every way it is run: bin/evidence.mjs, the evidence-anchor-verify
// package's bin, and the single bundled file (packages/verifier/build.ts).
import { runEvidence } from "./evidence.ts";

process.exitCode = await runEvidence(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
});
