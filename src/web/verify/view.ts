// What the verification page says about a result, as plain data: the verdict in words, the
// facts and every check. Pure (no DOM, no clock), so unit tests read exactly what a clerk reads.
import { type Check, type ReportVerification, type VerificationResult, type Verdict, type VerdictKind, BEIJING_ZONE, outcomeOf } from "../../verify/index.ts";
import { type CheckState, MESSAGES } from "./messages.ts";

export type { CheckState };

/** The document in hand, as far as the page could hash it. */
export interface DocumentInfo {
  name: string;
  bytes: number;
  /** The algorithm the proof names (meta.hashAlg), when the proof could be read. */
  alg: string | null;
  /** 0x-hex digest computed on this computer, or null when it could not be computed. */
  digest: string | null;
  /** Why there is no digest (e.g. SM3 in a browser), or null. */
  note: string | null;
}

export type ChainSource = { kind: "relay"; url: string } | { kind: "custom"; url: string } | { kind: "offline" };

export interface ViewContext {
  chain: ChainSource;
  document: DocumentInfo | null;
  minConfirmations: number;
  /** IANA zone for "your time"; defaults to the runtime's own. */
  timeZone?: string;
}

export interface Fact {
  label: string;
  value: string;
  /** Hashes, addresses and ids: monospaced, and allowed to break anywhere. */
  mono?: boolean;
  /** A short qualification shown under the value. */
  note?: string;
}

export interface FactGroup {
  title: string;
  facts: Fact[];
}

export interface CheckRow {
  name: string;
  state: CheckState;
  title: string;
  detail: string;
}

export interface ResultView {
  kind: VerdictKind;
  /** The verdict in capitals, so that colour is never the only signal. */
  label: string;
  /** verdictOf's headline, without the verdict words the label already shows. */
  headline: string;
  /** What the verdict means, in plain words, one paragraph each. */
  meaning: string[];
  groups: FactGroup[];
  checks: CheckRow[];
}

export const VERDICT_LABELS: Record<VerdictKind, string> = MESSAGES.verdictLabels;

/** Each check's name in words; the code name is shown beside it (the CLI and API use it). */
export const CHECK_TITLES: Record<string, string> = MESSAGES.checkTitles;

export const STATE_SYMBOLS: Record<CheckState, string> = { ok: "✓", failed: "✗", skipped: "–", unavailable: "?" };
export const STATE_WORDS: Record<CheckState, string> = MESSAGES.stateWords;

/** Chains a clerk might meet, by id; anything else is shown by number only. */
const CHAIN_NAMES: Record<number, string> = {
  1: "Ethereum mainnet",
  10: "OP Mainnet",
  56: "BNB Smart Chain",
  100: "Gnosis",
  137: "Polygon PoS",
  8453: "Base",
  42161: "Arbitrum One",
  11155111: "Sepolia test network",
  17000: "Holesky test network",
  31337: "local development chain",
};

export const CLI_HINT = "npx evidence verify proof.json --file <document>";

export function checkState(c: Check): CheckState {
  const o = outcomeOf(c);
  return o === "passed" ? "ok" : o;
}

export function chainName(id: number): string {
  const name = CHAIN_NAMES[id];
  return name === undefined ? `chain ${id}` : `chain ${id} (${name})`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? "" : "s"}`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const DATE_PARTS: Intl.DateTimeFormatOptions = {
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
};

function partsOf(date: Date, timeZone: string, extra: Intl.DateTimeFormatOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat("en-GB", { ...DATE_PARTS, ...extra, timeZone }).formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** "27 November 2026, 09:31:12" in `timeZone`. */
function dateTime(p: Record<string, string>): string {
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}:${p.second}`;
}

export interface Times {
  /** "27 November 2026, 09:31:12 UTC" */
  utc: string;
  /** "27 November 2026, 10:31:12" in the local zone. */
  local: string;
  /** "Europe/Berlin, UTC+01:00" */
  zone: string;
  /** The local clock time alone, "10:31:12", for a sentence. */
  localClock: string;
  /** True when the local date differs from the UTC date. */
  otherDay: boolean;
}

/** An instant (ISO 8601 or Unix seconds) in UTC and in the reader's time zone. */
export function formatTimes(when: string | number, timeZone?: string): Times {
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  const zone = timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  const u = partsOf(date, "UTC");
  const l = partsOf(date, zone, { timeZoneName: "longOffset" });
  const offset = (l.timeZoneName ?? "GMT").replace(/^GMT$/, "GMT+00:00").replace(/^GMT/, "UTC");
  const local = dateTime(l);
  return {
    utc: `${dateTime(u)} UTC`,
    local,
    zone: zone === "UTC" ? "UTC" : `${zone}, ${offset}`,
    localClock: `${l.hour}:${l.minute}:${l.second}`,
    otherDay: `${u.day} ${u.month} ${u.year}` !== `${l.day} ${l.month} ${l.year}`,
  };
}

/** An RFC 3339 time as "27 November 2026, 09:31:12 UTC"; as given when Date cannot read it. */
function instant(rfc3339: string): string {
  return Number.isNaN(Date.parse(rfc3339)) ? rfc3339 : formatTimes(rfc3339, "UTC").utc;
}

/** "(10:31:12 your time, Europe/Berlin, UTC+01:00)"; with the date when it differs. */
function yourTime(t: Times): string {
  return `${t.otherDay ? t.local : t.localClock} your time, ${t.zone}`;
}

const isRpcFailure = (c: Check) => c.detail.startsWith("RPC error:");

/** One sentence per kind of failure, in pipeline order, without repeats. */
function failureMeaning(failed: Check[], chain: ChainSource): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  const chainChecks = failed.filter((c) => ["chain", "transaction", "block", "log", "contract", "confirmations"].includes(c.name));
  const unreachable = chainChecks.length > 0 && chainChecks.every(isRpcFailure);
  for (const c of failed) {
    switch (c.name) {
      case "format":
        add("The proof could not be read as an evidence proof (format evidence-proof/v1). Check that you chose the proof file (usually a .json file) and not the document, and that it was not edited.");
        break;
      case "document":
        add("The document you chose is not the document this proof was made for: even a one-character change gives a different fingerprint (digest). Check that you chose the right file.");
        break;
      case "leaf":
      case "root":
        add("The proof has been altered since it was issued: its parts no longer fit together.");
        break;
      default:
        if (unreachable) {
          add(
            chain.kind === "relay"
              ? "The blockchain could not be reached through this service, so the anchor could not be checked. Try again later, or use your own node."
              : "The blockchain could not be reached at the address you gave, so the anchor could not be checked. Check the RPC URL (and that the node accepts requests from this page), or try again later.",
          );
        } else if (c.name === "chain") {
          add("The chain source serves a different blockchain than the one the proof names, so the anchor cannot be checked there. Use a node of the chain named in the proof.");
        } else if (c.name === "confirmations" && !isRpcFailure(c)) {
          add("The record is on the blockchain, but fewer blocks have followed it than the minimum you asked for. Wait and verify again, or lower the minimum.");
        } else if (c.name === "transaction") {
          add("The anchoring transaction the proof names is not on the blockchain as the proof describes it.");
        } else if (c.name === "block") {
          add("The block or the time stated in the proof does not match the blockchain.");
        } else {
          add("The blockchain has no record of this batch as the proof describes it.");
        }
    }
  }
  return out;
}

/**
 * The page's account of a verification. `verdict` must be verdictOf(result): the headline and
 * the kind come from the library, so the page, the CLI and the API never word a verdict differently.
 */
export function buildView(result: VerificationResult, verdict: Verdict, ctx: ViewContext): ResultView {
  const { bundle } = result;
  const anchor = bundle?.anchor ?? null;
  const doc = ctx.document;
  const docCheck = result.checks.find((c) => c.name === "document");
  const docMatched = docCheck?.ok === true;
  const meaning: string[] = [];
  const anchoredTimes = result.anchoredAt !== null ? formatTimes(result.anchoredAt, ctx.timeZone) : null;
  const claimedTimes = anchor !== null ? formatTimes(anchor.blockTimestamp, ctx.timeZone) : null;

  switch (verdict.kind) {
    case "valid": {
      const when = anchoredTimes ?? claimedTimes;
      const at = when === null ? `block ${anchor?.blockNumber ?? "?"}` : `${when.utc} (${yourTime(when)})`;
      if (docMatched) {
        meaning.push(`This document existed, unchanged, no later than ${at}.`);
      } else {
        meaning.push(`The record this proof is about existed, unchanged, no later than ${at}.`);
        if (doc === null) meaning.push("No document was checked. Add the document above and verify again to confirm that this proof is about it.");
      }
      meaning.push(
        `The time comes from the blockchain block that holds the record, not from any clock of this service. The record was submitted by “${bundle?.evidence.meta.submitter ?? "?"}”.`,
      );
      break;
    }
    case "consistent":
      meaning.push(
        claimedTimes === null
          ? "Every check that could run passed, but the blockchain was not asked, so this does not show when the record existed."
          : `Every check that could run passed, but the blockchain was not asked, so this does not yet show when the record existed. The proof states that it was anchored at ${claimedTimes.utc}; choose a blockchain source and verify again to confirm it.`,
      );
      if (docMatched) meaning.push("The document you chose is the one this proof was made for.");
      break;
    case "pending":
      meaning.push(
        "The proof is well-formed, but its record has not been written to the blockchain yet, so it does not show a time yet. Ask for the proof again in a few minutes and verify the new file.",
      );
      if (docMatched) meaning.push("The document you chose is the one this proof was made for.");
      break;
    case "inconclusive":
      meaning.push(verdict.unavailable?.name === "document" ? MESSAGES.inconclusiveDocument : MESSAGES.inconclusiveChain(ctx.chain.kind === "relay"));
      if (docMatched) meaning.push("The document you chose is the one this proof was made for.");
      break;
    case "invalid": {
      const failed = result.checks.filter((c) => checkState(c) === "failed");
      meaning.push(...failureMeaning(failed, ctx.chain));
      if (failed.length === 1 && failed[0]!.name === "document" && bundle !== null) {
        // The proof is sound, only about another file: say what it does show.
        const when = anchoredTimes ?? null;
        meaning.push(
          when === null
            ? `The proof itself is intact: it is about a file whose ${bundle.evidence.meta.hashAlg} digest is ${bundle.evidence.digest}.`
            : `The proof itself is intact: it shows that a file whose ${bundle.evidence.meta.hashAlg} digest is ${bundle.evidence.digest} existed no later than ${when.utc}. Your file is not that file.`,
        );
      } else {
        meaning.push("This proof, as checked here, does not show that the document existed at the stated time.");
      }
      break;
    }
  }
  if (doc !== null && doc.digest === null && doc.note !== null) meaning.push(doc.note);

  const groups: FactGroup[] = [];
  if (anchor !== null) {
    const confirmed = anchoredTimes !== null;
    const t = confirmed ? anchoredTimes : claimedTimes;
    const facts: Fact[] = [];
    if (t !== null) {
      facts.push(
        confirmed
          ? { label: "Anchored no later than (UTC)", value: t.utc }
          : { label: "Anchor time stated by the proof (UTC)", value: t.utc, note: "Not confirmed on the blockchain." },
        { label: MESSAGES.beijingLabel, value: formatTimes(anchor.blockTimestamp, BEIJING_ZONE).local },
      );
      if (!t.zone.startsWith(BEIJING_ZONE) && t.zone !== "UTC") facts.push({ label: "The same in your time", value: t.local, note: t.zone });
    }
    facts.push(
      { label: "Blockchain", value: chainName(anchor.chainId) },
      { label: "Block", value: String(anchor.blockNumber) },
      { label: "Transaction", value: anchor.txHash, mono: true },
      { label: "Anchoring contract", value: anchor.contract, mono: true },
      {
        label: "Confirmations",
        value: result.confirmations === null ? "not checked" : String(result.confirmations),
        note: `At least ${ctx.minConfirmations} asked for.`,
      },
    );
    groups.push({ title: "Anchor", facts });
  } else if (bundle !== null) {
    groups.push({ title: "Anchor", facts: [{ label: "Anchored", value: "not yet" }] });
  }

  if (bundle !== null) {
    const { evidence, leaf, batch } = bundle;
    const m = evidence.meta;
    const facts: Fact[] = [
      { label: `Document digest in the proof (${m.hashAlg})`, value: evidence.digest, mono: true },
      { label: "Submitted by", value: m.submitter },
    ];
    if (m.caseId !== undefined) facts.push({ label: "Case", value: m.caseId });
    if (m.eventType !== undefined) facts.push({ label: "Event", value: m.eventType });
    if (m.occurredAt !== undefined) {
      facts.push({ label: "Occurred at", value: instant(m.occurredAt), note: `As stated by the platform that submitted it (${m.occurredAt}).` });
    }
    facts.push({ label: "Received by the service", value: instant(evidence.receivedAt), note: evidence.receivedAt });
    facts.push({ label: "Evidence id", value: evidence.id, mono: true });
    if (leaf !== null && batch !== null) facts.push({ label: "Batch", value: `batch ${batch.seq}, record ${leaf.index + 1} of ${batch.size}` });
    groups.push({ title: "Evidence", facts });
  }

  const docFacts: Fact[] = [];
  if (doc === null) {
    docFacts.push({ label: "Document", value: "none given", note: "The proof was checked on its own." });
  } else {
    docFacts.push({ label: "File", value: doc.name, note: `${formatBytes(doc.bytes)}, read on this computer only.` });
    if (doc.digest !== null) {
      docFacts.push({ label: `Its digest (${doc.alg ?? "?"}), computed here`, value: doc.digest, mono: true });
      if (docCheck !== undefined) {
        docFacts.push({ label: "Matches the proof", value: docCheck.ok ? "yes" : docCheck.skipped === true ? "not checked" : "no" });
      }
    } else {
      docFacts.push({ label: "Its digest", value: "not computed", note: doc.note ?? undefined });
    }
  }
  groups.push({ title: "Your document", facts: docFacts });

  groups.push({
    title: "How it was checked",
    facts: [
      ctx.chain.kind === "relay"
        ? {
            label: "Blockchain source",
            value: "this service’s relay",
            note: `The blockchain data came through this service (${ctx.chain.url}). For full independence, verify with your own node.`,
          }
        : ctx.chain.kind === "custom"
          ? { label: "Blockchain source", value: ctx.chain.url, mono: true, note: "Your own node." }
          : { label: "Blockchain source", value: "none (offline)", note: "The blockchain was not asked." },
      { label: "Minimum confirmations", value: String(ctx.minConfirmations) },
    ],
  });

  return {
    kind: verdict.kind,
    label: VERDICT_LABELS[verdict.kind],
    headline: headlineBody(verdict.headline),
    meaning,
    groups,
    checks: result.checks.map((c) => ({ name: c.name, state: checkState(c), title: CHECK_TITLES[c.name] ?? c.name, detail: c.detail })),
  };
}

/**
 * The library's headline without its leading verdict words ("NOT VALID: the …"): the banner
 * shows those in large type right above it. The sentence itself is the library's, unchanged.
 */
export function headlineBody(headline: string): string {
  const body = headline.replace(/^[A-Z][A-Z ,]*:\s*/, "");
  return body.charAt(0).toUpperCase() + body.slice(1);
}

/** The whole view as plain text, the way a screen shows it: for tests and for copying. */
export function viewToText(v: ResultView): string {
  const lines = [v.label, v.headline, "", ...v.meaning];
  for (const g of v.groups) {
    lines.push("", g.title);
    for (const f of g.facts) lines.push(`  ${f.label}: ${f.value}${f.note ? ` (${f.note})` : ""}`);
  }
  lines.push("", "Checks");
  for (const c of v.checks) lines.push(`  ${STATE_SYMBOLS[c.state]} ${c.name}: ${c.title} (${STATE_WORDS[c.state]}): ${c.detail}`);
  return lines.join("\n");
}

/** A report's anchor times as stated in it, by event number: shown in UTC and Beijing time. */
type StatedEvent = { occurredAt?: unknown; verification?: { anchoredAt?: unknown } } | null | undefined;

/**
 * The page's account of a checked report (src/verify/report.ts: signature against the published
 * keys, every proof, the timeline, the claimed times), in the same shape as a proof's.
 */
export function buildReportView(
  result: ReportVerification,
  doc: { events?: StatedEvent[]; caseId?: unknown; id?: unknown },
  ctx: { chain: ChainSource; keysUrl: string; timeZone?: string },
): ResultView {
  const R = MESSAGES.report;
  const stated = Array.isArray(doc.events) ? doc.events : [];
  const events: Fact[] = result.events.map((e) => {
    const s = stated[e.n - 1];
    const anchoredAt = typeof s?.verification?.anchoredAt === "string" ? s.verification.anchoredAt : null;
    const occurredAt = typeof s?.occurredAt === "string" ? s.occurredAt : null;
    const notes = [
      ...(e.failing.length > 0 ? [`failing: ${e.failing.join(", ")}`] : []),
      ...e.problems,
      ...(e.link.ok ? [] : [e.link.detail]),
      ...(anchoredAt === null ? [] : [R.anchoredAt(formatTimes(anchoredAt, "UTC").utc.replace(/ UTC$/, ""), `${formatTimes(anchoredAt, BEIJING_ZONE).local} Beijing time (UTC+08:00)`)]),
      ...(occurredAt === null ? [] : [R.claimed(occurredAt)]),
    ];
    return { label: R.event(e.n), value: `${R.eventState[e.verdict]} · ${e.evidenceId}`, ...(notes.length > 0 ? { note: notes.join(" · ") } : {}) };
  });
  const groups: FactGroup[] = [
    { title: R.signature, facts: [{ label: R.signature, value: result.signature.detail, note: R.keysFrom(ctx.keysUrl) }] },
    { title: R.title, facts: events },
    { title: R.timeline, facts: [{ label: R.timeline, value: result.timeline.detail }] },
  ];
  if (result.warnings.length > 0) {
    groups.push({ title: R.warnings, facts: result.warnings.map((w, i) => ({ label: `${i + 1}`, value: w, note: R.warningsNote })) });
  }
  const meaning =
    result.verdict === "inconclusive"
      ? [MESSAGES.inconclusiveChain(ctx.chain.kind === "relay")]
      : result.verdict === "consistent"
        ? ["The signature and every proof check out, but the blockchain was not asked, so the anchor times are not confirmed. Choose a blockchain source and verify again."]
        : [];
  return {
    kind: result.verdict,
    label: R.labels[result.verdict],
    headline: headlineBody(result.headline),
    meaning,
    groups,
    checks: [],
  };
}
