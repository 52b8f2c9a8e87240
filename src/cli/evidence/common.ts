// Shared plumbing of the `evidence` CLI: its I/O seam (so the whole CLI runs in-process in
// tests), its errors and what exit status each means, strict option parsing, and styling.
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Everything the CLI touches of the outside world besides files and the network. */
export interface EvidenceIo {
  env: Record<string, string | undefined>;
  /** Receives text exactly as it is to be written: newlines included. */
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Relative paths are resolved against this (default: the process's). */
  cwd?: string;
  fetch?: typeof fetch;
  /** Read when a path is `-` (default: process.stdin). */
  stdin?: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  /** Whether stdout is a terminal: colour only then, and only without NO_COLOR. */
  isTTY?: boolean;
}

/**
 * 0: success. 1: the command ran and the answer is no (the proof is not valid or not
 * anchored yet, the service refused or could not be reached, wait timed out).
 * 2: the command could not run as given (usage, a local file, missing configuration, a file
 * that is not a proof). For verify and verify-report two more, so that `evidence verify p.json
 * && accept` accepts only a proof checked on the chain:
 * 3: could not verify (the chain node unreachable, an RPC error or timeout, the key set or the
 * document unavailable): nothing is known against the proof; try again.
 * 4: offline: every check that could run passed, but the chain was not asked (0 with --offline).
 */
export const EXIT_OK = 0;
export const EXIT_NO = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNVERIFIED = 3;
export const EXIT_OFFLINE = 4;

/** The exit status of a verdict; `offlineAsked`: the caller gave --offline. */
export function exitOfVerdict(kind: "valid" | "consistent" | "pending" | "inconclusive" | "invalid", offlineAsked: boolean): number {
  switch (kind) {
    case "valid":
      return EXIT_OK;
    case "consistent":
      return offlineAsked ? EXIT_OK : EXIT_OFFLINE;
    case "inconclusive":
      return EXIT_UNVERIFIED;
    case "pending":
    case "invalid":
      return EXIT_NO;
  }
}

/** The exit codes of verify and verify-report, as their help and docs/verifying.md state them. */
export const VERIFY_EXIT_HELP = `Exit status:
  0  valid: every check passed, the anchor checked on the chain (with --offline: every
     check that could run passed)
  1  not valid: a check ran and failed; or not anchored yet (fetch the proof again later)
  2  usage or I/O error, or the file is not what the command checks (it says what it is)
  3  could not verify: the chain node could not be asked (unreachable, RPC error, timeout),
     or the document or key set could not be read; nothing is known against the proof
  4  offline: every check that could run passed, but no chain was given, so the anchor was
     NOT checked (give --rpc, or --offline to accept that explicitly)`;

/** A failure the user can act on: printed as its message alone, never with a stack. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A command invoked wrongly: printed with the command's usage line. */
export class UsageError extends CliError {
  override name = "UsageError";
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message, EXIT_USAGE);
    this.usage = usage;
  }
}

export interface Style {
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export interface Ctx {
  io: EvidenceIo;
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  style: Style;
  /** Absolute path of `p` (relative to the caller's working directory). */
  path(p: string): string;
  out(line: string): void;
  err(line: string): void;
}

const sgr = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

export function contextOf(io: EvidenceIo): Ctx {
  const cwd = io.cwd ?? process.cwd();
  // https://no-color.org: set and not empty disables colour.
  const colour = io.isTTY === true && !io.env.NO_COLOR;
  const style: Style = colour
    ? { ok: sgr("32"), bad: sgr("31"), warn: sgr("33"), dim: sgr("2"), bold: sgr("1") }
    : { ok: plain, bad: plain, warn: plain, dim: plain, bold: plain };
  return {
    io,
    env: io.env,
    fetch: io.fetch ?? globalThis.fetch,
    style,
    path: (p) => resolve(cwd, p),
    out: (line) => io.stdout(line + "\n"),
    err: (line) => io.stderr(line + "\n"),
  };
}

/** An environment variable, with "" meaning unset (as a blank line in an .env file would). */
export function envValue(ctx: Ctx, name: string): string | undefined {
  const v = ctx.env[name];
  return v === undefined || v === "" ? undefined : v;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs, strict, positionals allowed; its complaints become usage errors. */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) throw new UsageError((e as Error).message, usage);
    throw e;
  }
}

/** The one positional a command takes (its name for the message), and nothing more. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`, usage);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, usage);
  return positionals[0]!;
}

/** A whole number >= min given to `option`. */
export function wholeNumber(value: string, option: string, usage: string, min = 0): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${option}: "${value}" is not a whole number of at least ${min}`, usage);
  return n;
}

/** An http(s) URL, or a usage error naming where it came from. */
export function httpUrl(value: string, source: string, usage: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source}: "${value}" is not a URL`, usage);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${source}: "${value}" is not an http or https URL`, usage);
  return url;
}

/** "{...}\n": the one JSON object a --json command prints. */
export function printJson(ctx: Ctx, value: unknown): void {
  ctx.io.stdout(JSON.stringify(value, null, 2) + "\n");
}
