// The `evidence` command (package.json "bin", via bin/evidence.mjs): verify proofs, hash
// documents, and submit and fetch evidence as a platform. runEvidence() is the whole CLI as
// a function of its arguments and I/O, returning the exit status, so tests run it in-process.
// It imports only src/verify and src/core (and node: builtins): never the server, the
// database or a chain library, so checking a proof needs nothing of the service.
import { readFileSync } from "node:fs";
import { CliError, contextOf, EXIT_OK, EXIT_USAGE, UsageError, type Ctx, type EvidenceIo } from "./evidence/common.ts";
import { DEFAULT_SERVICE_URL, PROOF_HELP, proofCommand, SUBMIT_HELP, submitCommand, WAIT_HELP, waitCommand } from "./evidence/service.ts";
import { HASH_HELP, hashCommand, VERIFY_HELP, verifyCommand } from "./evidence/verify.ts";
import { VERIFY_REPORT_HELP, verifyReportCommand } from "./evidence/verify-report.ts";

export type { EvidenceIo };

const USAGE = `usage: evidence <command> [options]

Check a proof (no account needed):
  verify <proof.json|-> [--file <document>] [--rpc <url> | --offline] [--min-confirmations N] [--json]
  hash <file|-> [--alg sha256|sha3-256|sm3] [--json]
  verify-report <report.json|-> [--keys <file|url>] [--rpc <url> | --offline] [--json]

As a platform (needs EVIDENCE_KEY):
  submit <file|digest> [--alg …] [--case <caseId>] [--event <eventType>] [--occurred-at <RFC 3339>] [--json]
  proof <id> [-o <file>] [--json]
  wait <id> [--timeout <seconds>] [--interval <ms>] [-o <file>] [--json]

  evidence <command> --help     the details of one command
  evidence --version

Environment: EVIDENCE_URL (the service, default ${DEFAULT_SERVICE_URL}), EVIDENCE_KEY (your
API key, evk_…), EVIDENCE_RPC_URL (a JSON-RPC endpoint of the chain, for verify), NO_COLOR.
Exit status: 0 success; 1 the answer is no (the proof is not valid or not anchored yet, the
service refused or cannot be reached, wait timed out); 2 usage, I/O or configuration error,
or a file that is not what the command checks; for verify and verify-report also 3 could not
verify (the chain node could not be asked) and 4 offline (the anchor NOT checked on a chain;
0 with --offline).`;

interface Command {
  run(args: string[], ctx: Ctx): Promise<number>;
  help: string;
}

const COMMANDS: Record<string, Command> = {
  verify: { run: verifyCommand, help: VERIFY_HELP },
  hash: { run: hashCommand, help: HASH_HELP },
  "verify-report": { run: verifyReportCommand, help: VERIFY_REPORT_HELP },
  submit: { run: submitCommand, help: SUBMIT_HELP },
  proof: { run: proofCommand, help: PROOF_HELP },
  wait: { run: waitCommand, help: WAIT_HELP },
};

/**
 * The version of the package this CLI came in: the nearest package.json above this file (the
 * project from src/ or dist/server/, evidence-anchor-verify when installed). The single-file
 * build has none beside it: packages/verifier/build.ts writes the version in, in place of
 * globalThis.EVIDENCE_CLI_VERSION.
 */
export function version(): string {
  const built = (globalThis as { EVIDENCE_CLI_VERSION?: string }).EVIDENCE_CLI_VERSION;
  if (built !== undefined) return built;
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    try {
      return (JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { version: string }).version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dir.pathname === "/") throw err;
    }
  }
}

export async function runEvidence(argv: string[], io: EvidenceIo): Promise<number> {
  const ctx = contextOf(io);
  const [name, ...args] = argv;
  try {
    if (name === undefined) throw new UsageError("missing a command", USAGE);
    if (name === "--help" || name === "-h") {
      ctx.out(USAGE);
      return EXIT_OK;
    }
    if (name === "help") {
      const topic = args[0] === undefined ? undefined : COMMANDS[args[0]];
      if (args[0] !== undefined && topic === undefined) throw new UsageError(`unknown command "${args[0]}"`, USAGE);
      ctx.out(topic?.help ?? USAGE);
      return EXIT_OK;
    }
    if (name === "--version" || name === "-V") {
      ctx.out(`evidence ${version()}`);
      return EXIT_OK;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
      throw new UsageError(name.startsWith("-") ? `unknown option "${name}" (options go after the command)` : `unknown command "${name}"`, USAGE);
    }
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      const more = e.usage === USAGE ? "" : `\nrun "evidence ${name} --help" for the details`;
      ctx.err(`evidence: ${e.message}\n${e.usage}${more}`);
      return EXIT_USAGE;
    }
    if (e instanceof CliError) {
      ctx.err(`evidence: ${e.message}`);
      return e.exitCode;
    }
    // A bug of ours: the stack helps whoever reports it. 2, not 1: "not valid" must only
    // ever mean that a proof was checked and failed.
    ctx.err(`evidence: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_USAGE;
  }
}
