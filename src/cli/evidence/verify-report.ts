// `evidence verify-report`: checks an evidence report (evidence-report/v1) with src/verify:
// its signature against the service's published keys, every proof in it (offline or
// against a chain), and the case timeline; prints each event and one verdict.
import { beijingTime, identifyInput, jsonRpcReader, parseKeySet, verifyReport, type PublishedKey } from "../../verify/index.ts";
import {
  CliError,
  EXIT_NO,
  EXIT_OK,
  EXIT_UNVERIFIED,
  EXIT_USAGE,
  envValue,
  exitOfVerdict,
  httpUrl,
  onePositional,
  parseCommand,
  printJson,
  UsageError,
  VERIFY_EXIT_HELP,
  wholeNumber,
  type Ctx,
} from "./common.ts";
import { readProof } from "./files.ts";
import { certificatesOfPem, checkBatchTimestamp, statedBatchTimestamps, type BatchTimestampCheck } from "./report-timestamps.ts";
import type { Certificate } from "pkijs";

export const VERIFY_REPORT_USAGE = "usage: evidence verify-report <report.json|-> [--keys <file|url>] [--rpc <url> | --offline] [--min-confirmations N] [--tsa-ca <pem>] [--json]";

export const VERIFY_REPORT_HELP = `${VERIFY_REPORT_USAGE}

Checks an evidence report: its Ed25519 signature against the service's published keys,
every event's proof (as \`evidence verify\` does), that each event's fields are its proof's,
each receipt's signature, and that no event is missing from the case's hash-linked timeline.

  --keys <file|url>         the key set (JWKS) to check the signature with (default: the
                            report's keys.url, fetched; a saved copy makes it offline)
  --rpc <url>               a JSON-RPC endpoint of the report's chain (default: EVIDENCE_RPC_URL);
                            without one the anchors are NOT checked on the chain (exit 4)
  --offline                 deliberately ask no chain (EVIDENCE_RPC_URL is ignored): a report
                            whose every offline check passes exits 0
  --min-confirmations N     default 1
  --tsa-ca <pem>            the CA certificate(s) to check the batch roots' RFC 3161 time-stamps
                            with (default: the report's service's /.well-known/evidence-ca.pem,
                            fetched; give the external authority's CA when TSA_URL named one)
  --json                    print the whole result as one JSON object

The platform's claimed times (occurredAt) are compared with the order of the events and
with their anchor times; a claimed time later than its anchor, or out of order, is printed
as a warning (they are the platform's statements; the verdict does not depend on them).
Times are shown in UTC and in Beijing time.

When the report carries RFC 3161 time-stamps over its batch roots, each is checked: its
signature and signing-certificate hash, its certificate path to the CA (at the token's time),
and that its imprint is the batch root of the event's proof. A token that fails makes the
report NOT VALID (exit 1); one that could not be checked (the CA could not be fetched) makes
it COULD NOT VERIFY (exit 3).

${VERIFY_EXIT_HELP}`;

/** Reports can hold a thousand bundles; far beyond that it is not a report. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

async function loadKeys(ctx: Ctx, source: string): Promise<PublishedKey[]> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const url = httpUrl(source, "--keys", VERIFY_REPORT_USAGE);
    let res: Response;
    try {
      res = await ctx.fetch(url, { signal: AbortSignal.timeout(15_000) });
    } catch (e) {
      throw new CliError(`could not verify: cannot fetch the key set from ${url.href}: ${(e as Error).message}; save it and give --keys <file>`, EXIT_UNVERIFIED);
    }
    if (!res.ok) throw new CliError(`could not verify: the key set at ${url.href} answered HTTP ${res.status}`, EXIT_UNVERIFIED);
    text = await res.text();
  } else {
    text = await readProof(ctx, source);
  }
  try {
    return parseKeySet(JSON.parse(text));
  } catch (e) {
    throw new CliError(`${source} is not a key set (JWKS): ${(e as Error).message}`, EXIT_USAGE);
  }
}

/** The trusted CAs for batch tokens, or why they could not be had (→ could not verify). */
async function loadTsaCa(ctx: Ctx, file: string | undefined, keysUrl: unknown): Promise<{ source: string; certs: Certificate[] } | { source: string; problem: string }> {
  if (file !== undefined) {
    const text = await readProof(ctx, file);
    try {
      return { source: file, certs: certificatesOfPem(text) };
    } catch (e) {
      throw new UsageError(`--tsa-ca ${file}: ${(e as Error).message}`, VERIFY_REPORT_USAGE);
    }
  }
  let url: URL;
  try {
    url = new URL("/.well-known/evidence-ca.pem", String(keysUrl));
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
  } catch {
    return { source: "(none)", problem: "the report names no service to fetch the CA from: give --tsa-ca <pem>" };
  }
  let res: Response;
  try {
    res = await ctx.fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    return { source: url.href, problem: `cannot fetch the CA from ${url.href}: ${(e as Error).message}; save it and give --tsa-ca <file>` };
  }
  if (!res.ok) return { source: url.href, problem: `the CA at ${url.href} answered HTTP ${res.status}; give --tsa-ca <file>` };
  try {
    return { source: url.href, certs: certificatesOfPem(await res.text()) };
  } catch (e) {
    return { source: url.href, problem: `${url.href} is not a PEM CA certificate: ${(e as Error).message}` };
  }
}

export async function verifyReportCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      keys: { type: "string" },
      rpc: { type: "string" },
      offline: { type: "boolean", default: false },
      "min-confirmations": { type: "string" },
      "tsa-ca": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    VERIFY_REPORT_USAGE,
  );
  if (values.help) {
    ctx.out(VERIFY_REPORT_HELP);
    return EXIT_OK;
  }
  const path = onePositional(positionals, "the report file (or - for stdin)", VERIFY_REPORT_USAGE);
  const minConfirmations = values["min-confirmations"] === undefined ? 1 : wholeNumber(values["min-confirmations"], "--min-confirmations", VERIFY_REPORT_USAGE);
  if (values.offline && values.rpc !== undefined) throw new UsageError("--offline and --rpc contradict each other: give one", VERIFY_REPORT_USAGE);
  const rpcText = values.offline ? undefined : (values.rpc ?? envValue(ctx, "EVIDENCE_RPC_URL"));
  const rpc = rpcText === undefined ? undefined : httpUrl(rpcText, values.rpc === undefined ? "EVIDENCE_RPC_URL" : "--rpc", VERIFY_REPORT_USAGE);

  const text = await readProof(ctx, path, MAX_REPORT_BYTES);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const identity = identifyInput(text);
    if (identity.kind === "document") {
      ctx.err(`evidence: ${path === "-" ? "stdin" : path}: ${identity.what}.\nInstead: give the report's .json file (the PDF is for reading; its JSON twin is what is checked).`);
      return EXIT_USAGE;
    }
    ctx.out(`✗ the report is not JSON: ${(e as Error).message}`);
    return EXIT_NO;
  }
  const identity = identifyInput(doc);
  if (identity.kind !== "report") {
    const advice = identity.kind === "proof" ? "check a proof with: evidence verify <file>" : identity.advice;
    if (values.json) printJson(ctx, { error: "not-a-report", kind: identity.kind, what: identity.kind === "proof" ? "an evidence proof, not a report" : identity.what, advice });
    ctx.err(`evidence: ${path === "-" ? "stdin" : path}: ${identity.kind === "proof" ? "this is an evidence proof, not a report" : identity.what}.\nInstead: ${advice}.`);
    return EXIT_USAGE;
  }
  const keysSource = values.keys ?? (doc as { keys?: { url?: unknown } } | null)?.keys?.url;
  if (typeof keysSource !== "string") throw new UsageError("the report names no key set (keys.url): give --keys <file|url>", VERIFY_REPORT_USAGE);
  const keys = await loadKeys(ctx, keysSource);
  const checked = await verifyReport(doc, {
    keys,
    minConfirmations,
    ...(rpc === undefined ? {} : { chain: jsonRpcReader(rpc.href, { fetch: ctx.fetch, timeoutMs: 15_000 }) }),
  });

  // The second clock: the batch roots' RFC 3161 tokens, checked against the CA the user trusts.
  const stated = statedBatchTimestamps(doc);
  const ca = stated.length === 0 ? null : await loadTsaCa(ctx, values["tsa-ca"], (doc as { keys?: { url?: unknown } }).keys?.url);
  const stamps: BatchTimestampCheck[] = ca === null || !("certs" in ca) ? [] : await Promise.all(stated.map((s) => checkBatchTimestamp(s, ca.certs)));
  const stampsUnchecked = ca !== null && "problem" in ca ? ca.problem : null;
  const result = { ...checked, batchTimestamps: { checked: stamps, unchecked: stampsUnchecked } };
  const badStamps = stamps.filter((s) => !s.ok);
  if (badStamps.length > 0 && result.verdict !== "invalid") {
    result.verdict = "invalid";
    result.headline = `NOT VALID: the RFC 3161 time-stamp of the batch of event ${badStamps.flatMap((s) => s.events).join(", ")} did not verify: ${badStamps[0]!.detail}.`;
  } else if (stampsUnchecked !== null && (result.verdict === "valid" || result.verdict === "consistent")) {
    result.verdict = "inconclusive";
    result.headline = `COULD NOT VERIFY: the RFC 3161 time-stamps of the batch roots could not be checked (${stampsUnchecked}); everything else checked out.`;
  }
  result.valid = result.verdict === "valid";

  if (values.json) {
    printJson(ctx, result);
  } else {
    const { ok, bad, dim, bold, warn } = ctx.style;
    const mark = (good: boolean) => (good ? ok("✓") : bad("✗"));
    const lines = [
      `report        ${path === "-" ? "(stdin)" : path}`,
      `keys          ${keysSource}`,
      ...(ca === null ? [] : [`tsa CA        ${ca.source}`]),
      `chain         ${rpc !== undefined ? `checked via ${rpc.host}` : values.offline ? warn("NOT checked (--offline)") : warn("NOT checked (offline: no --rpc or EVIDENCE_RPC_URL)")}`,
      "",
      `  ${mark(result.signature.ok)} signature  ${result.signature.detail}`,
    ];
    const events = (doc as { events?: { occurredAt?: unknown; verification?: { anchoredAt?: unknown } }[] }).events ?? [];
    for (const e of result.events) {
      const good = (e.verdict === "valid" || e.verdict === "consistent") && e.problems.length === 0 && e.link.ok;
      const stated = events[e.n - 1];
      const anchoredAt = typeof stated?.verification?.anchoredAt === "string" ? stated.verification.anchoredAt : null;
      const what = [
        e.failing.length > 0
          ? `failing: ${e.failing.join(", ")}`
          : e.verdict === "consistent"
            ? dim("proof consistent, anchor not checked")
            : e.verdict === "inconclusive"
              ? warn("could not verify: the chain could not be asked")
              : e.verdict,
        ...(anchoredAt === null ? [] : [`anchored ${anchoredAt} (UTC) = ${beijingTime(anchoredAt) ?? "?"}`]),
        ...e.problems,
        ...(e.link.ok ? [] : [`link: ${e.link.detail}`]),
      ];
      const sign = e.verdict === "inconclusive" && e.problems.length === 0 && e.link.ok ? warn("?") : mark(good);
      lines.push(`  ${sign} event ${String(e.n).padEnd(4)} ${e.evidenceId}  ${what.join("; ")}`);
    }
    lines.push(`  ${mark(result.timeline.ok)} timeline   ${result.timeline.detail}`);
    for (const s of stamps) {
      const when = s.time === null ? "" : `${s.time} (UTC) = ${beijingTime(s.time) ?? "?"}; `;
      lines.push(`  ${mark(s.ok)} time-stamp batch ${s.batchSeq} (event ${s.events.join(", ")})  ${s.ok ? when + s.detail : `${when}${s.detail}`}`);
    }
    if (stampsUnchecked !== null) lines.push(`  ${warn("?")} time-stamps could not be checked: ${stampsUnchecked}`);
    for (const w of result.warnings) lines.push(warn(`  ! warning    ${w}`));
    lines.push("");
    const paint = result.verdict === "valid" ? ok : result.verdict === "invalid" ? bad : warn;
    lines.push(bold(paint(result.headline)));
    ctx.out(lines.join("\n"));
  }
  return exitOfVerdict(result.verdict, values.offline);
}
