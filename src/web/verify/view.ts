// What the verification page says about a result, as plain data: the verdict in words, the
// facts and every check. Pure (no DOM, no clock), so unit tests read exactly what a clerk reads.
import { type Check, type ReportVerification, type VerificationResult, type Verdict, type VerdictKind, BEIJING_ZONE, outcomeOf, proofClaimedTimeFindings } from "../../verify/index.ts";
import { type CheckState, type Lang, type Messages, MESSAGES } from "./messages.ts";
import { MESSAGES_ZH } from "./messages-zh.ts";

export type { CheckState, Lang };

/** The page's sentences in `lang` (English when none is given). */
export function messagesFor(lang: Lang | undefined): Messages {
  return lang === "zh-CN" ? MESSAGES_ZH : MESSAGES;
}

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
  /** The reader's language; English when not given. */
  lang?: Lang;
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
  /** The platform's claimed time that cannot be true as stated: an amber note, never a change of verdict. */
  warnings?: string[];
}

export const VERDICT_LABELS: Record<VerdictKind, string> = MESSAGES.verdictLabels;

/** Each check's name in words; the code name is shown beside it (the CLI and API use it). */
export const CHECK_TITLES: Record<string, string> = MESSAGES.checkTitles;

export const STATE_SYMBOLS: Record<CheckState, string> = { ok: "✓", failed: "✗", skipped: "–", unavailable: "?" };
export const STATE_WORDS: Record<CheckState, string> = MESSAGES.stateWords;

export const CLI_HINT = "npx evidence verify proof.json --file <document>";

export function checkState(c: Check): CheckState {
  const o = outcomeOf(c);
  return o === "passed" ? "ok" : o;
}

/** Chains a clerk might meet are named (messages.ts); anything else is shown by number only. */
export function chainName(id: number, lang?: Lang): string {
  const M = messagesFor(lang);
  return M.chain(id, M.chainNames[id]);
}

export function formatBytes(n: number, lang?: Lang): string {
  if (n < 1000) return messagesFor(lang).bytes(n);
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
  month: "numeric",
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

/** "27 November 2026, 09:31:12" (or "2026年11月27日 09:31:12") in `timeZone`. */
function dateTime(p: Record<string, string>, M: Messages): string {
  return M.dateTime({ year: p.year ?? "", month: Number(p.month), day: String(Number(p.day)), hour: p.hour ?? "", minute: p.minute ?? "", second: p.second ?? "" });
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
export function formatTimes(when: string | number, timeZone?: string, lang?: Lang): Times {
  const M = messagesFor(lang);
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  const zone = timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  const u = partsOf(date, "UTC");
  const l = partsOf(date, zone, { timeZoneName: "longOffset" });
  const offset = (l.timeZoneName ?? "GMT").replace(/^GMT$/, "GMT+00:00").replace(/^GMT/, "UTC");
  const local = dateTime(l, M);
  return {
    utc: M.utc(dateTime(u, M)),
    local,
    zone: zone === "UTC" ? "UTC" : M.zone(zone, offset),
    localClock: `${l.hour}:${l.minute}:${l.second}`,
    otherDay: `${u.day} ${u.month} ${u.year}` !== `${l.day} ${l.month} ${l.year}`,
  };
}

/** An RFC 3339 time as "27 November 2026, 09:31:12 UTC"; as given when Date cannot read it. */
function instant(rfc3339: string, lang?: Lang): string {
  return Number.isNaN(Date.parse(rfc3339)) ? rfc3339 : formatTimes(rfc3339, "UTC", lang).utc;
}

/** "(10:31:12 your time, Europe/Berlin, UTC+01:00)"; with the date when it differs. */
function yourTime(t: Times, M: Messages): string {
  return M.yourTime(t.otherDay ? t.local : t.localClock, t.zone);
}

const isRpcFailure = (c: Check) => c.detail.startsWith("RPC error:");

/** One sentence per kind of failure, in pipeline order, without repeats. */
function failureMeaning(failed: Check[], chain: ChainSource, M: Messages): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  const chainChecks = failed.filter((c) => ["chain", "transaction", "block", "log", "contract", "confirmations"].includes(c.name));
  const unreachable = chainChecks.length > 0 && chainChecks.every(isRpcFailure);
  for (const c of failed) {
    switch (c.name) {
      case "format":
        add(M.meaningFormat);
        break;
      case "document":
        add(M.meaningDocument);
        break;
      case "leaf":
      case "root":
        add(M.meaningAltered);
        break;
      default:
        if (unreachable) {
          add(M.meaningUnreachable(chain.kind === "relay"));
        } else if (c.name === "chain") {
          add(M.meaningWrongChain);
        } else if (c.name === "confirmations" && !isRpcFailure(c)) {
          add(M.meaningConfirmations);
        } else if (c.name === "transaction") {
          add(M.meaningTransaction);
        } else if (c.name === "block") {
          add(M.meaningBlock);
        } else {
          add(M.meaningNoRecord);
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
  const M = messagesFor(ctx.lang);
  const F = M.facts;
  const lang = ctx.lang;
  const anchor = bundle?.anchor ?? null;
  const doc = ctx.document;
  const docCheck = result.checks.find((c) => c.name === "document");
  const docMatched = docCheck?.ok === true;
  const meaning: string[] = [];
  const anchoredTimes = result.anchoredAt !== null ? formatTimes(result.anchoredAt, ctx.timeZone, lang) : null;
  const claimedTimes = anchor !== null ? formatTimes(anchor.blockTimestamp, ctx.timeZone, lang) : null;

  switch (verdict.kind) {
    case "valid": {
      const when = anchoredTimes ?? claimedTimes;
      const at = when === null ? M.atBlock(String(anchor?.blockNumber ?? "?")) : lang === "zh-CN" ? `${when.utc}（${yourTime(when, M)}）` : `${when.utc} (${yourTime(when, M)})`;
      if (docMatched) {
        meaning.push(M.validDocument(at));
      } else {
        meaning.push(M.validRecord(at));
        if (doc === null) meaning.push(M.validNoDocument);
      }
      meaning.push(M.validTimeSource(bundle?.evidence.meta.submitter ?? "?"));
      break;
    }
    case "consistent":
      meaning.push(claimedTimes === null ? M.consistentNoTime : M.consistentClaimed(claimedTimes.utc));
      if (docMatched) meaning.push(M.documentMatches);
      break;
    case "pending":
      meaning.push(M.pendingMeaning);
      if (docMatched) meaning.push(M.documentMatches);
      break;
    case "inconclusive":
      meaning.push(verdict.unavailable?.name === "document" ? M.inconclusiveDocument : M.inconclusiveChain(ctx.chain.kind === "relay"));
      if (docMatched) meaning.push(M.documentMatches);
      break;
    case "invalid": {
      const failed = result.checks.filter((c) => checkState(c) === "failed");
      meaning.push(...failureMeaning(failed, ctx.chain, M));
      if (failed.length === 1 && failed[0]!.name === "document" && bundle !== null) {
        // The proof is sound, only about another file: say what it does show.
        const when = anchoredTimes ?? null;
        meaning.push(
          when === null
            ? M.intactOther(bundle.evidence.meta.hashAlg, bundle.evidence.digest)
            : M.intactOtherWhen(bundle.evidence.meta.hashAlg, bundle.evidence.digest, when.utc),
        );
      } else {
        meaning.push(M.invalidNotShown);
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
          ? { label: F.anchoredUtc, value: t.utc }
          : { label: F.statedUtc, value: t.utc, note: F.notConfirmed },
        { label: M.beijingLabel, value: formatTimes(anchor.blockTimestamp, BEIJING_ZONE, lang).local },
      );
      if (!t.zone.startsWith(BEIJING_ZONE) && t.zone !== "UTC") facts.push({ label: F.yourTimeLabel, value: t.local, note: t.zone });
    }
    facts.push(
      { label: F.blockchain, value: chainName(anchor.chainId, lang) },
      { label: F.block, value: String(anchor.blockNumber) },
      { label: F.transaction, value: anchor.txHash, mono: true },
      { label: F.contract, value: anchor.contract, mono: true },
      {
        label: F.confirmations,
        value: result.confirmations === null ? F.notChecked : String(result.confirmations),
        note: F.atLeast(ctx.minConfirmations),
      },
    );
    groups.push({ title: F.anchorTitle, facts });
  } else if (bundle !== null) {
    groups.push({ title: F.anchorTitle, facts: [{ label: F.anchored, value: F.notYet }] });
  }

  if (bundle !== null) {
    const { evidence, leaf, batch } = bundle;
    const m = evidence.meta;
    const facts: Fact[] = [
      { label: F.digestInProof(m.hashAlg), value: evidence.digest, mono: true },
      { label: F.submittedBy, value: m.submitter },
    ];
    if (m.caseId !== undefined) facts.push({ label: F.caseId, value: m.caseId });
    if (m.eventType !== undefined) facts.push({ label: F.event, value: m.eventType });
    if (m.occurredAt !== undefined) {
      facts.push({ label: F.occurredAt, value: instant(m.occurredAt, lang), note: F.asStated(m.occurredAt) });
    }
    facts.push({ label: F.received, value: instant(evidence.receivedAt, lang), note: evidence.receivedAt });
    facts.push({ label: F.evidenceId, value: evidence.id, mono: true });
    if (leaf !== null && batch !== null) facts.push({ label: F.batch, value: F.batchValue(batch.seq, leaf.index + 1, batch.size) });
    groups.push({ title: F.evidenceTitle, facts });
  }

  const docFacts: Fact[] = [];
  if (doc === null) {
    docFacts.push({ label: F.document, value: F.noneGiven, note: F.checkedAlone });
  } else {
    docFacts.push({ label: F.file, value: doc.name, note: F.fileNote(formatBytes(doc.bytes, lang)) });
    if (doc.digest !== null) {
      docFacts.push({ label: F.digestHere(doc.alg ?? "?"), value: doc.digest, mono: true });
      if (docCheck !== undefined) {
        docFacts.push({ label: F.matches, value: docCheck.ok ? F.yes : docCheck.skipped === true ? F.notChecked : F.no });
      }
    } else {
      docFacts.push({ label: F.digest, value: F.notComputed, note: doc.note ?? undefined });
    }
  }
  groups.push({ title: F.documentTitle, facts: docFacts });

  groups.push({
    title: F.howTitle,
    facts: [
      ctx.chain.kind === "relay"
        ? { label: F.source, value: F.relay, note: F.relayNote(ctx.chain.url) }
        : ctx.chain.kind === "custom"
          ? { label: F.source, value: ctx.chain.url, mono: true, note: F.ownNode }
          : { label: F.source, value: F.offline, note: F.offlineNote },
      { label: F.minConfirmations, value: String(ctx.minConfirmations) },
    ],
  });

  const check = verdict.failed ?? verdict.unavailable;
  return {
    kind: verdict.kind,
    label: M.verdictLabels[verdict.kind],
    headline:
      M.headline === null
        ? headlineBody(verdict.headline)
        : M.headline({
            kind: verdict.kind,
            check: check === null ? null : { name: check.name, detail: check.detail },
            digest: bundle?.evidence.digest ?? null,
            chainId: anchor?.chainId ?? null,
            blockNumber: anchor?.blockNumber ?? null,
            anchoredAt: anchoredTimes?.utc ?? null,
          }),
    meaning,
    groups,
    checks: result.checks.map((c) => ({ name: c.name, state: checkState(c), title: M.checkTitles[c.name] ?? c.name, detail: M.detail(c.detail) })),
    warnings: proofClaimedTimeFindings(bundle, result.anchoredAt).map(M.claimedTime),
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
  ctx: { chain: ChainSource; keysUrl: string; timeZone?: string; lang?: Lang },
): ResultView {
  const M = messagesFor(ctx.lang);
  const R = M.report;
  const stated = Array.isArray(doc.events) ? doc.events : [];
  const events: Fact[] = result.events.map((e) => {
    const s = stated[e.n - 1];
    const anchoredAt = typeof s?.verification?.anchoredAt === "string" ? s.verification.anchoredAt : null;
    const occurredAt = typeof s?.occurredAt === "string" ? s.occurredAt : null;
    const notes = [
      ...(e.failing.length > 0 ? [M.reportFailing(e.failing.join(", "))] : []),
      ...e.problems.map(M.detail),
      ...(e.link.ok ? [] : [M.detail(e.link.detail)]),
      ...(anchoredAt === null ? [] : [R.anchoredAt(formatTimes(anchoredAt, "UTC", ctx.lang).local, M.reportBeijing(formatTimes(anchoredAt, BEIJING_ZONE, ctx.lang).local))]),
      ...(occurredAt === null ? [] : [R.claimed(occurredAt)]),
    ];
    // A proof that checks out but differs from what the report states is not "verified".
    const state = e.problems.length > 0 && e.verdict !== "invalid" ? R.eventMismatch : R.eventState[e.verdict];
    return { label: R.event(e.n), value: `${state} · ${e.evidenceId}`, ...(notes.length > 0 ? { note: notes.join(" · ") } : {}) };
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
      ? [M.inconclusiveChain(ctx.chain.kind === "relay")]
      : result.verdict === "consistent"
        ? [M.reportConsistent]
        : [];
  return {
    kind: result.verdict,
    label: R.labels[result.verdict],
    // The report's headline is the library's sentence; in Chinese the label and the meaning
    // carry the verdict, and the sentence follows as the library wrote it.
    headline: headlineBody(result.headline),
    meaning,
    groups,
    checks: [],
  };
}
