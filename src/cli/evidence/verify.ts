// `evidence verify` and `evidence hash`: checking a proof file (and the document it is about)
// with src/verify, offline or against a chain, and saying what the result means. The checks
// and the verdict's wording are the library's; this module only reads files and prints.
import {
  beijingTime,
  checkFormat,
  claimedTimeWarnings,
  identifyInput,
  isoSeconds,
  outcomeOf,
  jsonRpcReader,
  verdictOf,
  verifyBundle,
  type Check,
  type VerificationResult,
  type Verdict,
} from "../../verify/index.ts";
import {
  EXIT_OK,
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
import { assertReadable, hashAlgOption, hashFile, readProof, HASH_ALGS, type HashAlg } from "./files.ts";

export const VERIFY_USAGE = "usage: evidence verify <proof.json|-> [--file <document>] [--rpc <url> | --offline] [--min-confirmations N] [--json]";

export const VERIFY_HELP = `${VERIFY_USAGE}

Checks a proof bundle (evidence-proof/v1) and prints each check and a verdict.

  <proof.json>              the proof file; - reads it from stdin
  --file <document>         also check that the proof is about this document: it is hashed
                            here (never sent anywhere) with the proof's meta.hashAlg
  --rpc <url>               a JSON-RPC endpoint of the proof's chain (default: EVIDENCE_RPC_URL);
                            without one the anchor is NOT checked on the chain (exit 4)
  --offline                 check only what the file can show, deliberately: no chain is asked
                            (EVIDENCE_RPC_URL is ignored) and a consistent proof exits 0
  --min-confirmations N     blocks on top of the anchor block the chain check asks for (default 1)
  --json                    print one JSON object: {valid, verdict, passed, headline, checks,
                            anchoredAt, confirmations, anchor, document?}; verdict is valid,
                            consistent, pending, inconclusive (could not verify) or invalid

A receipt, a report, a case list or the document given in place of the proof is named as
what it is, with what to do instead (exit 2).

${VERIFY_EXIT_HELP}`;

export const HASH_USAGE = "usage: evidence hash <file|-> [--alg sha256|sha3-256|sm3] [--json]";

export const HASH_HELP = `${HASH_USAGE}

Prints the digest of a file (- for stdin) as 0x-hex: what \`evidence submit\` sends in its
place, and what a proof's evidence.digest holds.

  --alg <alg>   ${HASH_ALGS.join(", ")} (default sha256)
  --json        print {digest, alg, file}

Exit status: 0 done; 2 usage or I/O error.`;

const RPC_TIMEOUT_MS = 15_000;

export async function hashCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { alg: { type: "string", default: "sha256" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    HASH_USAGE,
  );
  if (values.help) {
    ctx.out(HASH_HELP);
    return EXIT_OK;
  }
  const file = onePositional(positionals, "the file to hash", HASH_USAGE);
  const alg = hashAlgOption(values.alg, HASH_USAGE);
  const digest = await hashFile(ctx, file, alg);
  if (values.json) printJson(ctx, { digest, alg, file });
  else ctx.out(`${digest}  ${alg}  ${file === "-" ? "(stdin)" : file}`);
  return EXIT_OK;
}

interface DocumentInfo {
  path: string;
  /** Null when the proof is unreadable, so its meta.hashAlg is unknown. */
  alg: HashAlg | null;
  digest: string | null;
}

export async function verifyCommand(args: string[], ctx: Ctx): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      file: { type: "string" },
      rpc: { type: "string" },
      offline: { type: "boolean", default: false },
      "min-confirmations": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    VERIFY_USAGE,
  );
  if (values.help) {
    ctx.out(VERIFY_HELP);
    return EXIT_OK;
  }
  const proofPath = onePositional(positionals, "the proof file (or - for stdin)", VERIFY_USAGE);
  const minConfirmations =
    values["min-confirmations"] === undefined ? 1 : wholeNumber(values["min-confirmations"], "--min-confirmations", VERIFY_USAGE);
  if (values.offline && values.rpc !== undefined) throw new UsageError("--offline and --rpc contradict each other: give one", VERIFY_USAGE);
  const rpcText = values.offline ? undefined : (values.rpc ?? envValue(ctx, "EVIDENCE_RPC_URL"));
  const rpc = rpcText === undefined ? undefined : httpUrl(rpcText, values.rpc === undefined ? "EVIDENCE_RPC_URL" : "--rpc", VERIFY_USAGE);
  if (values.file === "-" && proofPath === "-") throw new UsageError("the proof and the document cannot both come from stdin", VERIFY_USAGE);
  // Checked before anything is read, so a mistyped path fails at once whatever the proof holds.
  if (values.file !== undefined) await assertReadable(ctx, values.file);

  const text = await readProof(ctx, proofPath);
  const identity = identifyInput(text);
  if (!identity.proof) {
    // Not a proof at all: say what it is rather than "NOT VALID: format".
    const display = proofPath === "-" ? "stdin" : proofPath;
    if (values.json) printJson(ctx, { error: "not-a-proof", kind: identity.kind, what: identity.what, advice: identity.advice });
    ctx.err(`evidence: ${display}: ${identity.what}.\nInstead: ${identity.advice}.`);
    return EXIT_USAGE;
  }
  let document: DocumentInfo | undefined;
  if (values.file !== undefined) {
    // The digest must be computed the way the proof's own was; a proof that does not parse
    // names no algorithm, and its format check fails anyway.
    const parsed = checkFormat(text).bundle;
    const alg = parsed === null ? null : parsed.evidence.meta.hashAlg;
    document = { path: values.file, alg, digest: alg === null ? null : await hashFile(ctx, values.file, alg) };
  }

  const result = await verifyBundle(text, {
    ...(rpc === undefined ? {} : { chain: jsonRpcReader(rpc.href, { fetch: ctx.fetch, timeoutMs: RPC_TIMEOUT_MS }) }),
    minConfirmations,
    ...(document?.digest ? { documentDigest: document.digest } : {}),
  });
  const verdict = verdictOf(result);

  if (values.json) {
    printJson(ctx, {
      valid: result.valid,
      verdict: verdict.kind,
      passed: verdict.passed,
      headline: verdict.headline,
      checks: result.checks,
      anchoredAt: result.anchoredAt,
      confirmations: result.confirmations,
      anchor: result.bundle?.anchor ?? null,
      ...(document === undefined ? {} : { document }),
    });
  } else {
    printHuman(ctx, { proofPath, rpc, offline: values.offline, document, result, verdict });
  }
  return exitOfVerdict(verdict.kind, values.offline);
}

const NAME_WIDTH = "confirmations".length + 2;

/** " (2026-11-27 17:30:00 Beijing time (UTC+08:00))" for an RFC 3339 time, or "" when unreadable. */
function bj(rfc3339: string): string {
  const t = beijingTime(rfc3339);
  return t === null ? "" : ` (${t})`;
}

function mark(ctx: Ctx, c: Check): string {
  switch (outcomeOf(c)) {
    case "passed":
      return ctx.style.ok("✓");
    case "skipped":
      return ctx.style.dim("–");
    case "unavailable":
      return ctx.style.warn("?");
    case "failed":
      return ctx.style.bad("✗");
  }
}

function printHuman(
  ctx: Ctx,
  r: { proofPath: string; rpc: URL | undefined; offline: boolean; document: DocumentInfo | undefined; result: VerificationResult; verdict: Verdict },
): void {
  const { result, verdict, document } = r;
  const { bold, dim, ok, bad, warn } = ctx.style;
  const bundle = result.bundle;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(14)}${value}`);

  row("proof", r.proofPath === "-" ? "(stdin)" : r.proofPath);
  if (bundle !== null) {
    const { id, digest, meta } = bundle.evidence;
    row("evidence", id);
    row("digest", `${digest} (${meta.hashAlg})`);
    const about = [`submitter ${meta.submitter}`];
    if (meta.caseId !== undefined) about.push(`case ${meta.caseId}`);
    if (meta.eventType !== undefined) about.push(`event ${meta.eventType}`);
    if (meta.occurredAt !== undefined) about.push(`occurred at ${meta.occurredAt}${bj(meta.occurredAt)} (as claimed)`);
    row("meta", about.join(", "));
  }
  if (document !== undefined) {
    row("document", document.digest === null ? `${document.path} (not hashed: the proof names no hash algorithm)` : `${document.path}: ${document.alg} ${document.digest}`);
  }
  // The host only: RPC URLs often carry an API key in their path.
  row(
    "chain",
    r.rpc !== undefined ? `checked via ${r.rpc.host}` : r.offline ? warn("NOT checked (--offline)") : warn("NOT checked (offline: no --rpc or EVIDENCE_RPC_URL)"),
  );
  lines.push("");
  for (const c of result.checks) lines.push(`  ${mark(ctx, c)} ${c.name.padEnd(NAME_WIDTH)}${c.skipped ? dim(c.detail) : c.detail}`);
  lines.push("");

  const anchor = bundle?.anchor ?? null;
  if (bundle !== null && anchor === null) {
    row("anchor", "none yet: the batch is not anchored");
  } else if (anchor !== null) {
    const claimed = isoSeconds(anchor.blockTimestamp) ?? `timestamp ${anchor.blockTimestamp}`;
    const when =
      result.anchoredAt !== null
        ? `${result.anchoredAt} (UTC, the block's time on the chain)`
        : r.rpc === undefined
          ? `${claimed} (UTC) as the proof claims: NOT checked on the chain`
          : verdict.kind === "inconclusive"
            ? `${claimed} (UTC) as the proof claims: the chain could not be asked`
            : `${claimed} (UTC) as the proof claims: NOT confirmed by the chain`;
    row("anchored at", when);
    const beijing = beijingTime(anchor.blockTimestamp);
    if (beijing !== null) row("", `= ${beijing}`);
    row("block", `${anchor.blockNumber} ${anchor.blockHash}`);
    row("transaction", anchor.txHash);
    row("contract", anchor.contract);
    row("chain id", String(anchor.chainId));
    if (result.confirmations !== null) row("confirmations", String(result.confirmations));
  }
  if (bundle !== null) {
    const warnings = claimedTimeWarnings([{ n: 1, occurredAt: bundle.evidence.meta.occurredAt ?? null, anchorTimestamp: anchor?.blockTimestamp ?? null }]);
    for (const w of warnings) lines.push(warn(`warning: ${w.replace(/^event 1: /, "")}`));
  }
  if (verdict.kind === "consistent") {
    lines.push(
      warn(
        r.offline
          ? "The anchor was NOT checked on the chain (--offline, as asked)."
          : "The anchor was NOT checked on the chain: this was an offline verification. Give --rpc <url> (or set EVIDENCE_RPC_URL) to check it, or --offline to accept that.",
      ),
    );
  }
  const paint = verdict.kind === "valid" ? ok : verdict.kind === "invalid" ? bad : warn;
  lines.push(bold(paint(verdict.headline)));
  if (verdict.kind === "pending" && bundle !== null) {
    lines.push(`Wait for the anchor and fetch the proof again: evidence wait ${bundle.evidence.id} -o <proof.json>`);
  }
  ctx.out(lines.join("\n"));
}
