// `evidence submit`, `proof` and `wait`: the platform's side of the service's HTTP API
// (EVIDENCE_URL, EVIDENCE_KEY as a bearer token), through the typed client (src/client). Documents are hashed here: only their
// digest is sent. The API key is never printed, not even in an error.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { RFC3339_RE } from "../../core/leaf.ts";
import { createEvidenceClient, EvidenceApiError, type EvidenceClient } from "../../client/index.ts";
import { isoSeconds } from "../../verify/index.ts";
import {
  CliError,
  EXIT_NO,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  envValue,
  httpUrl,
  onePositional,
  parseCommand,
  printJson,
  wholeNumber,
  type Ctx,
} from "./common.ts";
import { hashAlgOption, hashFile, writeText, HASH_ALGS } from "./files.ts";

/** The service's own default (PORT 8787 in src/config.ts), on this machine. */
export const DEFAULT_SERVICE_URL = "http://127.0.0.1:8787";
const REQUEST_TIMEOUT_MS = 30_000;

const ENV_NOTE = `Environment: EVIDENCE_URL (default ${DEFAULT_SERVICE_URL}), EVIDENCE_KEY (your API key, evk_…).`;

export const SUBMIT_USAGE =
  "usage: evidence submit <file|digest> [--alg sha256|sha3-256|sm3] [--case <caseId>] [--event <eventType>] [--occurred-at <RFC 3339>] [--json]";
export const SUBMIT_HELP = `${SUBMIT_USAGE}

Records a document's digest with the service. A file is hashed here: the file itself never
leaves this machine. A digest (64 hex digits, with or without 0x, as sha256sum prints it) is
sent as it is.

  --alg <alg>               ${HASH_ALGS.join(", ")} (default sha256): how the digest is made
  --case <caseId>           the case (a contract, a file number) this evidence belongs to
  --event <eventType>       what happened (uploaded, signed, …)
  --occurred-at <time>      when it happened, as you claim it (RFC 3339, e.g. 2026-11-27T09:30:00Z)
  --idempotency-key <key>   sent as Idempotency-Key (default: a random UUID); reuse it to retry
                            a submission safely: the service stores it at most once
  --json                    print the service's answer as JSON, with digest, hashAlg and file

${ENV_NOTE}
Exit status: 0 accepted; 1 refused by the service, or the service cannot be reached; 2 usage,
I/O or configuration error.`;

export const PROOF_USAGE = "usage: evidence proof <id> [-o <file>] [--json]";
export const PROOF_HELP = `${PROOF_USAGE}

Fetches the proof of an evidence item (pretty JSON) and says whether it is anchored yet. A
proof that is not anchored yet has "anchor": null: wait for it with \`evidence wait <id>\`.

  -o, --output <file>   write the proof there (default: stdout; the status goes to stderr)
  --json                print {id, anchored, anchoredAt, file, proof}

${ENV_NOTE}
Exit status: 0 fetched (anchored or not); 1 refused by the service, or the service cannot be
reached; 2 usage, I/O or configuration error.`;

export const WAIT_USAGE = "usage: evidence wait <id> [--timeout <seconds>] [--interval <ms>] [-o <file>] [--json]";
export const WAIT_HELP = `${WAIT_USAGE}

Fetches the proof of an evidence item again and again until it is anchored, then writes it
like \`evidence proof\` does.

  --timeout <seconds>   give up after this long (default 300)
  --interval <ms>       between two fetches (default 1000)
  -o, --output <file>   write the proof there (default: stdout; messages go to stderr)
  --json                print {id, anchored, anchoredAt, file, proof}

${ENV_NOTE}
Exit status: 0 anchored; 1 not anchored in time, refused by the service, or the service cannot
be reached; 2 usage, I/O or configuration error.`;

interface Service {
  /** Without a trailing slash. */
  base: string;
  client: EvidenceClient;
}

function serviceOf(ctx: Ctx, usage: string): Service {
  const raw = envValue(ctx, "EVIDENCE_URL") ?? DEFAULT_SERVICE_URL;
  const base = httpUrl(raw, "EVIDENCE_URL", usage).href.replace(/\/+$/, "");
  const key = envValue(ctx, "EVIDENCE_KEY")?.trim();
  if (key === undefined || key === "") {
    throw new CliError("EVIDENCE_KEY is not set: ask your administrator for an API key (evk_…) and export EVIDENCE_KEY=<the key>", EXIT_USAGE);
  }
  // fetch would reject such a header value with a message that quotes it: the key.
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new CliError("EVIDENCE_KEY contains spaces or characters that cannot be sent: copy the key again", EXIT_USAGE);
  }
  return { base, client: createEvidenceClient({ baseUrl: base, apiKey: key, fetch: exchange(ctx, base) }) };
}

interface Reply {
  status: number;
  body: unknown;
}

/** A failure of the exchange itself, not an answer: retried by `wait`. */
class Unreachable extends CliError {}

/** A non-2xx answer. */
class Refused extends CliError {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message, EXIT_NO);
    this.status = status;
  }
}

/**
 * The client's fetch: one exchange with the service, bounded in time. A connection that failed
 * midway (reset, closed) is tried once more: every request here is safe to repeat (a GET, or a
 * POST with an Idempotency-Key). Refused connections, unknown hosts and timeouts are not: trying
 * again would not help.
 */
function exchange(ctx: Ctx, base: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const send = (r: Request) => ctx.fetch(r, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    try {
      const spare = request.clone();
      try {
        return await send(request);
      } catch (e) {
        if (notWorthRetrying(e)) throw e;
        return await send(spare);
      }
    } catch (e) {
      throw unreachable(base, e);
    }
  };
}

/** A client call, its refusals as messages (`hint` added to a 404's). */
async function ask<T>(call: () => Promise<T>, hint?: (status: number) => string | undefined): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof EvidenceApiError) throw refused({ status: e.status, body: e.body }, hint?.(e.status));
    // A 2xx whose body is not JSON: a proxy's page, say, not the service.
    if (e instanceof SyntaxError) throw new CliError(`the service answered with something that is not JSON (${e.message})`, EXIT_NO);
    throw e;
  }
}

function causeCode(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

function notWorthRetrying(e: unknown): boolean {
  const code = causeCode(e);
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || (e as Error).name === "TimeoutError";
}

function unreachable(base: string, e: unknown): Unreachable {
  if ((e as Error).name === "TimeoutError") {
    return new Unreachable(`the service at ${base} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, EXIT_NO);
  }
  const cause = (e as { cause?: { message?: unknown } }).cause;
  const why = causeCode(e) ?? (typeof cause?.message === "string" ? cause.message : (e as Error).message);
  return new Unreachable(`cannot reach the service at ${base}: is it running? (${why}; set EVIDENCE_URL to point elsewhere)`, EXIT_NO);
}

/** An RFC 9457 problem (or any other non-2xx answer) as a message: title, detail, each field. */
function refused(reply: Reply, hint?: string): Refused {
  const lines = [`the service answered ${reply.status}`];
  const b = reply.body;
  if (typeof b === "object" && b !== null) {
    const p = b as { title?: unknown; detail?: unknown; errors?: unknown };
    if (typeof p.title === "string") lines[0] += `: ${p.title}`;
    if (typeof p.detail === "string" && p.detail !== p.title) lines.push(`  ${p.detail}`);
    if (Array.isArray(p.errors)) {
      for (const e of p.errors as { field?: unknown; reason?: unknown }[]) lines.push(`  ${String(e.field ?? "")}: ${String(e.reason ?? "")}`);
    }
  } else if (typeof b === "string" && b.trim() !== "") {
    lines.push(`  ${b.trim().slice(0, 300)}`);
  }
  if (reply.status === 401) lines.push("check EVIDENCE_KEY: the key may be mistyped, revoked or expired");
  else if (hint !== undefined) lines.push(hint);
  return new Refused(lines.join("\n"), reply.status);
}

const DIGEST_RE = /^0x[0-9a-fA-F]{64}$/;
/** 64 hex digits with no 0x, as `sha256sum` prints them: a digest unless a file has that name. */
const BARE_DIGEST_RE = /^[0-9a-fA-F]{64}$/;

export async function submitCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      alg: { type: "string", default: "sha256" },
      case: { type: "string" },
      event: { type: "string" },
      "occurred-at": { type: "string" },
      "idempotency-key": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    SUBMIT_USAGE,
  );
  if (values.help) {
    ctx.out(SUBMIT_HELP);
    return EXIT_OK;
  }
  const target = onePositional(positionals, "the file (or 0x digest) to submit", SUBMIT_USAGE);
  const hashAlg = hashAlgOption(values.alg, SUBMIT_USAGE);
  const occurredAt = values["occurred-at"];
  if (occurredAt !== undefined && !RFC3339_RE.test(occurredAt)) {
    throw new UsageError(`--occurred-at: "${occurredAt}" is not an RFC 3339 date-time, e.g. 2026-11-27T09:30:00Z`, SUBMIT_USAGE);
  }
  const idempotencyKey = values["idempotency-key"] ?? randomUUID();
  // Configuration first: hashing a large file only to learn the key is missing wastes minutes.
  const svc = serviceOf(ctx, SUBMIT_USAGE);
  const isDigest = DIGEST_RE.test(target) || (BARE_DIGEST_RE.test(target) && !existsSync(target));
  const digest = isDigest ? `0x${target.slice(-64).toLowerCase()}` : await hashFile(ctx, target, hashAlg);

  const meta = {
    hashAlg,
    ...(values.case === undefined ? {} : { caseId: values.case }),
    ...(values.event === undefined ? {} : { eventType: values.event }),
    ...(occurredAt === undefined ? {} : { occurredAt }),
  };
  const receipt: { id: string; status?: string; receivedAt?: string } = await ask(() => svc.client.submit(digest, { ...meta, idempotencyKey }));
  if (values.json) {
    printJson(ctx, { ...receipt, digest, hashAlg, file: isDigest ? null : target });
    return EXIT_OK;
  }
  const rows: [string, string][] = [
    ["submitted", isDigest ? `digest ${digest} (${hashAlg})` : `${target}: ${hashAlg} ${digest} (only the digest was sent)`],
    ["id", receipt.id],
    ["status", receipt.status ?? "unknown"],
  ];
  if (receipt.receivedAt !== undefined) rows.push(["received at", receipt.receivedAt]);
  ctx.out(rows.map(([k, v]) => `${k.padEnd(12)}${v}`).join("\n") + `\nFetch its proof once anchored: evidence wait ${receipt.id} -o proof.json`);
  return EXIT_OK;
}

interface FetchedProof {
  /** Whatever JSON the service returned: written out whole, unknown fields included. */
  proof: Record<string, unknown>;
  anchor: { blockNumber: number; chainId: number; blockTimestamp: number } | null;
}

async function fetchProof(ctx: Ctx, svc: Service, id: string): Promise<FetchedProof> {
  const proof: unknown = await ask(
    () => svc.client.proof(id),
    (status) => (status === 404 ? `no evidence ${id} that this key may read: check the id (evidence submit printed it)` : undefined),
  );
  if (typeof proof !== "object" || proof === null || !("anchor" in proof)) {
    throw new CliError(`the service answered with something that is not a proof bundle: ${JSON.stringify(proof).slice(0, 200)}`, EXIT_NO);
  }
  const anchor = (proof as { anchor: FetchedProof["anchor"] }).anchor;
  return { proof: proof as Record<string, unknown>, anchor: anchor ?? null };
}

/** Writes the proof to `-o` or stdout, and the status to where it does not mix with the proof. */
async function deliver(ctx: Ctx, id: string, got: FetchedProof, output: string | undefined, json: boolean): Promise<void> {
  const text = JSON.stringify(got.proof, null, 2) + "\n";
  if (output !== undefined) await writeText(ctx, output, text);
  const anchoredAt = got.anchor === null ? null : isoSeconds(got.anchor.blockTimestamp);
  if (json) {
    printJson(ctx, { id, anchored: got.anchor !== null, anchoredAt, file: output ?? null, proof: got.proof });
    return;
  }
  const status =
    got.anchor === null
      ? `NOT anchored yet: wait for it with: evidence wait ${id}${output === undefined ? "" : ` -o ${output}`}`
      : `anchored at ${anchoredAt ?? "?"} (UTC, as the service says) in block ${got.anchor.blockNumber} of chain ${got.anchor.chainId}; check it with: evidence verify ${output ?? "<proof.json>"} --rpc <url>`;
  if (output === undefined) {
    ctx.io.stdout(text);
    ctx.err(`proof of ${id}: ${status}`);
  } else {
    ctx.out(`wrote the proof of ${id} to ${output}: ${status}`);
  }
}

const outputOption = { type: "string", short: "o" } as const;

export async function proofCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { output: outputOption, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    PROOF_USAGE,
  );
  if (values.help) {
    ctx.out(PROOF_HELP);
    return EXIT_OK;
  }
  const id = onePositional(positionals, "the evidence id", PROOF_USAGE);
  const svc = serviceOf(ctx, PROOF_USAGE);
  await deliver(ctx, id, await fetchProof(ctx, svc, id), values.output, values.json);
  return EXIT_OK;
}

export async function waitCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      timeout: { type: "string", default: "300" },
      interval: { type: "string", default: "1000" },
      output: outputOption,
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    WAIT_USAGE,
  );
  if (values.help) {
    ctx.out(WAIT_HELP);
    return EXIT_OK;
  }
  const id = onePositional(positionals, "the evidence id", WAIT_USAGE);
  const timeoutS = wholeNumber(values.timeout, "--timeout", WAIT_USAGE);
  const intervalMs = wholeNumber(values.interval, "--interval", WAIT_USAGE, 10);
  const svc = serviceOf(ctx, WAIT_USAGE);
  const deadline = Date.now() + timeoutS * 1000;

  let lastProblem: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const got = await fetchProof(ctx, svc, id);
      if (got.anchor !== null) {
        await deliver(ctx, id, got, values.output, values.json);
        return EXIT_OK;
      }
      if (attempt === 0) ctx.err(`waiting for ${id} to be anchored (up to ${timeoutS} s)…`);
      lastProblem = undefined;
    } catch (e) {
      // The first answer tells a wrong URL, key or id apart from a passing outage; after
      // that only a definite "no" (a 4xx other than 429) ends the wait early.
      if (attempt === 0 || !(e instanceof CliError) || !transient(e)) throw e;
      lastProblem = e.message;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new CliError(
        `the proof of ${id} was not anchored within ${timeoutS} s${lastProblem === undefined ? "" : ` (last error: ${lastProblem})`}; the service anchors in batches: try again later with: evidence wait ${id}`,
        EXIT_NO,
      );
    }
    await sleep(Math.min(intervalMs, left));
  }
}

function transient(e: CliError): boolean {
  return e instanceof Unreachable || (e instanceof Refused && (e.status >= 500 || e.status === 429));
}
