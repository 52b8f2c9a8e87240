// `evidence verify-report`: checks an evidence report (evidence-report/v1) with src/verify:
// its signature against the service's published keys, every proof in it (offline or
// against a chain), and the case timeline; prints each event and one verdict.
import { jsonRpcReader, parseKeySet, verifyReport, type PublishedKey } from "../../verify/index.ts";
import { CliError, EXIT_NO, EXIT_OK, EXIT_USAGE, envValue, httpUrl, onePositional, parseCommand, printJson, UsageError, wholeNumber, type Ctx } from "./common.ts";
import { readProof } from "./files.ts";

export const VERIFY_REPORT_USAGE = "usage: evidence verify-report <report.json|-> [--keys <file|url>] [--rpc <url>] [--min-confirmations N] [--json]";

export const VERIFY_REPORT_HELP = `${VERIFY_REPORT_USAGE}

Checks an evidence report: its Ed25519 signature against the service's published keys,
every event's proof (as \`evidence verify\` does), that each event's fields are its proof's,
each receipt's signature, and that no event is missing from the case's hash-linked timeline.

  --keys <file|url>         the key set (JWKS) to check the signature with (default: the
                            report's keys.url, fetched; a saved copy makes it offline)
  --rpc <url>               a JSON-RPC endpoint of the report's chain (default: EVIDENCE_RPC_URL);
                            without one the anchors are NOT checked on the chain
  --min-confirmations N     default 1
  --json                    print the whole result as one JSON object

Exit status: 0 valid (offline: everything that could be checked passed); 1 not valid;
2 usage or I/O error.`;

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
      throw new CliError(`cannot fetch the key set from ${url.href}: ${(e as Error).message}; save it and give --keys <file>`, EXIT_NO);
    }
    if (!res.ok) throw new CliError(`the key set at ${url.href} answered HTTP ${res.status}`, EXIT_NO);
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

export async function verifyReportCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      keys: { type: "string" },
      rpc: { type: "string" },
      "min-confirmations": { type: "string" },
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
  const rpcText = values.rpc ?? envValue(ctx, "EVIDENCE_RPC_URL");
  const rpc = rpcText === undefined ? undefined : httpUrl(rpcText, values.rpc === undefined ? "EVIDENCE_RPC_URL" : "--rpc", VERIFY_REPORT_USAGE);

  const text = await readProof(ctx, path, MAX_REPORT_BYTES);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    ctx.out(`✗ the report is not JSON: ${(e as Error).message}`);
    return EXIT_NO;
  }
  const keysSource = values.keys ?? (doc as { keys?: { url?: unknown } } | null)?.keys?.url;
  if (typeof keysSource !== "string") throw new UsageError("the report names no key set (keys.url): give --keys <file|url>", VERIFY_REPORT_USAGE);
  const keys = await loadKeys(ctx, keysSource);
  const result = await verifyReport(doc, {
    keys,
    minConfirmations,
    ...(rpc === undefined ? {} : { chain: jsonRpcReader(rpc.href, { fetch: ctx.fetch, timeoutMs: 15_000 }) }),
  });

  if (values.json) {
    printJson(ctx, result);
  } else {
    const { ok, bad, dim, bold, warn } = ctx.style;
    const mark = (good: boolean) => (good ? ok("✓") : bad("✗"));
    const lines = [
      `report        ${path === "-" ? "(stdin)" : path}`,
      `keys          ${keysSource}`,
      `chain         ${rpc === undefined ? warn("NOT checked (offline: no --rpc or EVIDENCE_RPC_URL)") : `checked via ${rpc.host}`}`,
      "",
      `  ${mark(result.signature.ok)} signature  ${result.signature.detail}`,
    ];
    for (const e of result.events) {
      const good = (e.verdict === "valid" || e.verdict === "consistent") && e.problems.length === 0 && e.link.ok;
      const what = [
        e.failing.length > 0 ? `failing: ${e.failing.join(", ")}` : e.verdict === "consistent" ? dim("proof consistent, anchor not checked") : e.verdict,
        ...e.problems,
        ...(e.link.ok ? [] : [`link: ${e.link.detail}`]),
      ];
      lines.push(`  ${mark(good)} event ${String(e.n).padEnd(4)} ${e.evidenceId}  ${what.join("; ")}`);
    }
    lines.push(`  ${mark(result.timeline.ok)} timeline   ${result.timeline.detail}`, "");
    const paint = result.verdict === "valid" ? ok : result.verdict === "consistent" ? warn : bad;
    lines.push(bold(paint(result.headline)));
    ctx.out(lines.join("\n"));
  }
  return result.verdict === "invalid" ? EXIT_NO : EXIT_OK;
}
