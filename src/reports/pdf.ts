// The PDF rendering of an evidence report (evidence-report/v1), for people: a judge must be
// able to follow it without the JSON. The cover gives the verdict in one sentence, the case,
// the parties as submitted and where the report itself is proven; then the timeline, what the
// proofs show and do not, every event with its full hashes, how to check it all yourself with
// this case's values, the audit entries, and every proof bundle. The PDF adds no fact of its
// own: everything comes from the signed JSON report (src/reports/format.ts) and the options.
// Page machinery is in pdf-layout.ts; the verification commands in pdf-commands.ts.
import type { EvidenceReportV1, ReportAnchoring, ReportEvent } from "./format.ts";
import { byHand, defaultHowToVerify, exampleEvent, reportAnchorCommands, signatureByHand, type Step, timelineCommands } from "./pdf-commands.ts";
import { COLOR, type Column, fontData, finish, type KvRow, MARGIN, newDocument, PAGE, type Row, Writer } from "./pdf-layout.ts";

export interface RenderOptions {
  /** Where the report's own digest is anchored, or null when it is not (yet). */
  anchoring: ReportAnchoring | null;
  /** The verification page (/verify) the cover's QR code opens. */
  verifyUrl: string;
  /** The service's public origin, for the commands (no trailing slash). */
  serviceUrl: string;
}

export async function renderReportPdf(report: EvidenceReportV1, opts: RenderOptions): Promise<Uint8Array> {
  const fonts = await fontData();
  const serviceUrl = opts.serviceUrl.replace(/\/+$/, "");
  const caseName = report.caseId ?? `${report.events.length} listed evidence items`;
  const verdict = verdictStyle(report);
  const doc = newDocument({
    title: report.caseId === null ? `Evidence report ${report.id}` : `Evidence report: case ${report.caseId}`,
    author: `${report.software.name} ${report.software.version}`,
    subject: `Evidence report ${report.id} for ${report.tenant.name} (${report.tenant.id}), ${caseName}: ${report.verdict.sentence}`,
    creator: `${report.software.name} ${report.software.version}${report.software.commit === null ? "" : ` (${report.software.commit})`}`,
    keywords: [report.format, report.id, report.tenant.id, report.caseId ?? ""].filter((s) => s !== "").join(", "),
    date: dateOr(report.generatedAt, new Date(0)),
  });
  const w = new Writer(doc, fonts);

  const contentsAt = cover(w, report, opts, verdict, serviceUrl);
  timeline(w, report);
  statement(w, report);
  events(w, report);
  howToVerify(w, report, opts, serviceUrl);
  audit(w, report);
  appendixSignature(w, report, opts);
  appendixBundles(w, report);

  drawContents(w, contentsAt);
  w.furniture({
    header: `Evidence report · ${report.caseId === null ? caseName : `case ${report.caseId}`} · ${report.tenant.name}`,
    headerRight: { text: verdict.word, color: verdict.color },
    footer: `Evidence report ${report.id} · generated ${utc(report.generatedAt)} UTC`,
  });
  return finish(doc);
}

// ---------------------------------------------------------------------------------------
// Words and numbers

interface VerdictStyle {
  word: string;
  color: string;
  bg: string;
  badge: "ok" | "fail" | "warn";
}

/** The verdict's colour and word: green VERIFIED, red NOT VERIFIED, amber NOT YET VERIFIED. */
function verdictStyle(report: EvidenceReportV1): VerdictStyle {
  if (report.verdict.ok) return { word: "VERIFIED", color: COLOR.green, bg: COLOR.greenBg, badge: "ok" };
  if (/^\s*NOT YET\b/i.test(report.verdict.sentence)) return { word: "NOT YET VERIFIED", color: COLOR.amber, bg: COLOR.amberBg, badge: "warn" };
  if (/^\s*COULD NOT\b/i.test(report.verdict.sentence)) return { word: "COULD NOT VERIFY", color: COLOR.amber, bg: COLOR.amberBg, badge: "warn" };
  return { word: "NOT VERIFIED", color: COLOR.red, bg: COLOR.redBg, badge: "fail" };
}

const EVENT_VERDICT: Record<ReportEvent["verification"]["verdict"], { word: string; color: string; mark: "ok" | "fail" | "skip" }> = {
  valid: { word: "VALID", color: COLOR.green, mark: "ok" },
  consistent: { word: "CONSISTENT, ANCHOR NOT CHECKED", color: COLOR.amber, mark: "skip" },
  pending: { word: "NOT YET ANCHORED", color: COLOR.amber, mark: "skip" },
  inconclusive: { word: "COULD NOT VERIFY", color: COLOR.amber, mark: "skip" },
  invalid: { word: "NOT VALID", color: COLOR.red, mark: "fail" },
};

const EVENT_VERDICT_MEANING: Record<ReportEvent["verification"]["verdict"], string> = {
  valid: "every check passed and the anchor was checked on the chain",
  consistent: "every check that could run passed, but the anchor was not checked on the chain",
  pending: "the proof is well-formed but the digest was not anchored yet",
  inconclusive: "a check could not run (the chain could not be asked); nothing found is wrong with the proof",
  invalid: "a check failed (marked × below)",
};

// Names for the chains a court is likely to meet; any other id is shown as a number.
const CHAINS: Record<number, string> = {
  1: "Ethereum mainnet",
  10: "OP Mainnet",
  137: "Polygon PoS",
  8453: "Base",
  42161: "Arbitrum One",
  17000: "Ethereum Holesky testnet",
  560048: "Ethereum Hoodi testnet",
  11155111: "Ethereum Sepolia testnet",
  1337: "a local development chain, not for court",
  31337: "a local development chain (Hardhat), not for court",
};

function chainName(id: number | null): string {
  if (id === null) return "no chain (nothing anchored yet)";
  const name = CHAINS[id];
  return name === undefined ? `chain ${id}` : `chain ${id} (${name})`;
}

function dateOr(iso: string, fallback: Date): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/** "2026-03-02 01:14:05" (UTC), or the string as given when it is not a time. */
function utc(iso: string | null, o: { ms?: boolean } = {}): string {
  if (iso === null) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, o.ms === true && !s.endsWith(".000Z") ? 23 : 19)}`;
}

/** occurredAt as the platform wrote it, with the UTC equivalent when it had another offset. */
function claimed(iso: string | null): string {
  if (iso === null) return "— (the platform claimed no time)";
  const inUtc = utc(iso);
  return /[zZ]$/.test(iso) ? `${inUtc} UTC, as claimed by the platform` : `${iso} as claimed by the platform (= ${inUtc} UTC)`;
}

/** "38 s", "6 min 07 s", "2 h 05 min", "3 d 4 h". */
function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  const text = d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${two(m)} min` : m > 0 ? `${m} min ${two(s)} s` : `${s} s`;
  return neg ? `−${text}` : text;
}

const num = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`): string => `${num(n)} ${n === 1 ? one : many}`;

/** The distinct values in first-seen order, with how often each occurs. */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => (n === 1 ? v : `${v} (×${n})`)).join(", ");
}

function submitters(report: EvidenceReportV1): string[] {
  return report.events.map((e) => e.proof.evidence.meta.submitter);
}

const STANDARD_META = new Set(["hashAlg", "submitter", "caseId", "eventType", "occurredAt", "prev"]);

// ---------------------------------------------------------------------------------------
// Cover

function cover(w: Writer, report: EvidenceReportV1, opts: RenderOptions, verdict: VerdictStyle, serviceUrl: string): { page: number; y: number } {
  const d = w.doc;
  const qrSize = 84;
  const qrX = w.left + w.width - qrSize;
  const titleW = w.width - qrSize - 24;
  let y = 46;

  w.qr(opts.verifyUrl, qrX, y, qrSize);
  const capW = qrSize + 30;
  const capX = w.left + w.width - capW;
  let capY = y + qrSize + 4;
  capY += w.textBox("Scan to check a proof on the verification page:", capX, capY, capW, { size: 6.5, color: COLOR.muted, align: "right" });
  capY += w.textBox(opts.verifyUrl, capX, capY, capW, { size: 6.5, color: COLOR.text, align: "right" });

  w.textBox(`EVIDENCE REPORT · ${report.format}`, w.left, y, titleW, { size: 7.5, color: COLOR.muted, face: "bold" });
  y += 14;
  y += w.textBox("Evidence report", w.left, y, titleW, { face: "bold", size: 26 }) + 2;
  const caseLine = report.caseId === null ? `${plural(report.events.length, "listed evidence item")} (not a case)` : `Case ${report.caseId}`;
  y += w.textBox(caseLine, w.left, y, titleW, { face: "bold", size: 15 }) + 2;
  y += w.textBox(`${report.tenant.name} · tenant ${report.tenant.id}`, w.left, y, titleW, { size: 10, color: COLOR.muted });
  y = Math.max(y + 14, capY + 12);

  // The verdict: coloured, worded and marked, so it reads the same in black and white.
  const boxX = w.left;
  const textX = boxX + 50;
  const textW = w.width - 62;
  const sentenceH = w.textHeight(report.verdict.sentence, textW, { size: 10 });
  const boxH = Math.max(58, 34 + sentenceH + 10);
  d.rect(boxX, y, w.width, boxH).fill(verdict.bg);
  d.rect(boxX, y, 5, boxH).fill(verdict.color);
  w.badge(verdict.badge, boxX + 27, y + 25, 13, verdict.color);
  w.textBox(verdict.word, textX, y + 9, textW, { face: "bold", size: 16, color: verdict.color });
  w.textBox(report.verdict.sentence, textX, y + 34, textW, { size: 10 });
  y += boxH + 14;
  w.y = y;

  const rows: KvRow[] = [];
  rows.push({ label: "Case", value: report.caseId ?? `none: the report covers ${plural(report.events.length, "listed evidence item")}` });
  rows.push({ label: "Tenant (the platform)", value: `${report.tenant.name}, tenant id ${report.tenant.id}` });
  const subs = submitters(report);
  rows.push({ label: "Submitted by (pseudonymous id)", value: subs.length === 0 ? "—" : tally(subs) });
  const types = report.events.map((e) => e.eventType ?? "(no event type)");
  rows.push({ label: "Event types, as submitted", value: types.length === 0 ? "—" : tally(types) });
  rows.push({ label: "Events", value: eventsSummary(report) });
  rows.push({ label: "Chain", value: `${chainName(report.chain.chainId)}${report.chain.contract === null ? "" : ", anchoring contract:"}` });
  if (report.chain.contract !== null) rows.push({ label: "", value: report.chain.contract, mono: true });
  const tl = report.timeline;
  rows.push({
    label: "Timeline",
    value: report.caseId === null ? tl.detail : `${tl.ok ? "✓ intact" : "× BROKEN"}: ${tl.detail}`,
    color: report.caseId === null ? COLOR.text : tl.ok ? COLOR.green : COLOR.red,
  });
  rows.push({ label: "Generated", value: `${utc(report.generatedAt)} UTC` });
  rows.push({ label: "Report id", value: report.id, mono: true });
  rows.push({ label: "Requested by", value: `${report.requester.requestedBy} (principal ${report.requester.principalId}, role ${report.requester.role})` });
  rows.push({ label: "Purpose", value: report.purpose });
  rows.push({ label: "Software", value: `${report.software.name} ${report.software.version}, commit ${report.software.commit ?? "unknown"}` });
  rows.push({ label: "Signed with", value: `the service's Ed25519 key ${report.signature.kid}, published at ${report.keys.url}` });
  if (opts.anchoring !== null) {
    rows.push({
      label: "This report's own proof",
      value: `This report's own digest, below, was submitted as evidence ${opts.anchoring.evidenceId}; its proof: ${serviceUrl}${opts.anchoring.proofPath}`,
    });
    rows.push({ label: "", value: opts.anchoring.digest, mono: true });
  } else {
    rows.push({ label: "This report's own proof", value: "not given with this rendering: ask the service for the proof of this report's digest" });
  }
  w.kv(rows, { labelWidth: 122, size: 8.5 });
  // Room for the contents (seven sections and a note), filled in at the end. Very long
  // submitted text can push them onto a page of their own; they are never cut.
  w.space(12);
  w.ensure(16 + 7 * 12.5 + 40);
  return { page: w.page - 1, y: w.y };
}

function eventsSummary(report: EvidenceReportV1): string {
  const ev = report.events;
  if (ev.length === 0) return "none";
  const batches = new Set(ev.filter((e) => e.proof.batch !== null).map((e) => e.proof.batch!.seq));
  const received = ev.map((e) => e.receivedAt).sort();
  const anchored = ev.map((e) => e.verification.anchoredAt).filter((t): t is string => t !== null).sort();
  const parts = [`${plural(ev.length, "event")} in ${plural(batches.size, "batch", "batches")}`, `received ${utc(received[0]!)} to ${utc(received.at(-1)!)} UTC`];
  parts.push(
    anchored.length === 0
      ? "none anchored yet"
      : `${anchored.length === ev.length ? "all" : `${anchored.length} of them`} anchored ${anchored.length === 1 ? `at ${utc(anchored[0]!)}` : `between ${utc(anchored[0]!)} and ${utc(anchored.at(-1)!)}`} UTC`,
  );
  return parts.join(", ");
}

/** The contents on the cover, with page numbers and links; drawn last, when pages are known. */
function drawContents(w: Writer, at: { page: number; y: number }): void {
  w.doc.switchToPage(at.page);
  const entries = w.contents.filter((c) => c.level === 1);
  let y = at.y;
  w.textBox("Contents", w.left, y, w.width, { face: "bold", size: 10 });
  y += 16;
  for (const c of entries) {
    const page = String(c.page);
    const pw = w.use("sans", 8.5).widthOfString(page);
    w.textBox(c.title, w.left + 10, y, w.width - 60, { size: 8.5 });
    w.textBox(page, w.left + w.width - pw, y, pw + 1, { size: 8.5 });
    const tw = w.use("sans", 8.5).widthOfString(w.safe(c.title));
    // dotted leader from the title to its page number
    w.doc
      .moveTo(w.left + 14 + tw, y + 9.5)
      .lineTo(w.left + w.width - pw - 4, y + 9.5)
      .dash(0.6, { space: 2.2 })
      .lineWidth(0.6)
      .strokeColor(COLOR.faint)
      .stroke()
      .undash();
    w.doc.goTo(w.left, y, w.width, 12, c.dest);
    y += 12.5;
  }
  if (w.substituted) {
    y += 8;
    w.textBox(
      "Some characters of the submitted text have no glyph in this document's font; they are written as [U+XXXX] (their Unicode code point). The signed JSON report holds the exact text.",
      w.left,
      y,
      w.width,
      { size: 7.5, color: COLOR.amber },
    );
  }
}

// ---------------------------------------------------------------------------------------
// Sections

function timeline(w: Writer, report: EvidenceReportV1): void {
  const isCase = report.caseId !== null;
  w.heading(isCase ? "1  Timeline of the case" : "1  The listed evidence items", { newPage: true });
  w.para(
    isCase
      ? `The ${plural(report.events.length, "event")} of case ${report.caseId}, in the order the service received them. Times are UTC.`
      : `The ${plural(report.events.length, "item")} the report was asked for, in the order the service received them. They do not form a case, so no timeline links are checked. Times are UTC.`,
  );
  const cols: Column[] = [
    { header: "#", width: 20, align: "right" },
    { header: "Event type (as submitted)", width: 108 },
    { header: "Claimed time", width: 64 },
    { header: "Received", width: 64 },
    { header: "Anchored", width: 64 },
    { header: "Delay", width: 52, align: "right" },
    { header: "Block", width: 52, align: "right" },
    { header: "Link", width: 71 },
  ];
  const rows: Row[] = report.events.map((e) => {
    const linkBad = isCase && !e.link.ok;
    const evBad = e.verification.verdict === "invalid";
    const when = (iso: string | null): string => (iso === null ? "—" : utc(iso).replace(" ", "\n"));
    return {
      cells: [
        { text: String(e.n) },
        { text: e.eventType ?? "—", ...(evBad ? { color: COLOR.red } : {}) },
        { text: e.occurredAt === null ? "—" : when(e.occurredAt), color: COLOR.muted },
        { text: when(e.receivedAt) },
        e.verification.anchoredAt === null ? { text: EVENT_VERDICT[e.verification.verdict].word.toLowerCase(), color: COLOR.amber } : { text: when(e.verification.anchoredAt) },
        { text: duration(e.anchoringDelaySeconds) },
        { text: e.verification.blockNumber === null ? "—" : String(e.verification.blockNumber) },
        !isCase
          ? { text: "—", color: COLOR.muted }
          : e.link.ok
            ? { text: e.prev === null ? "✓ first event" : "✓ linked", color: COLOR.green }
            : { text: "× BROKEN", color: COLOR.red, face: "bold" },
      ],
      ...(linkBad || evBad ? { fill: COLOR.redBg } : {}),
    };
  });
  w.table(cols, rows, { size: 7.5, continued: `Timeline of ${report.caseId === null ? "the listed items" : `case ${report.caseId}`} (continued)` });
  w.space(8);
  const tl = report.timeline;
  if (isCase) {
    w.para(`${tl.ok ? "✓ The timeline is intact" : "× The timeline is BROKEN"}: ${tl.detail}.`, { face: "bold", size: 9, color: tl.ok ? COLOR.green : COLOR.red });
    // Each broken link in its own words, unless the summary above already gives them.
    for (const e of report.events.filter((x) => !x.link.ok && !tl.detail.includes(x.link.detail))) {
      w.para(`Event ${e.n}: ${e.link.detail}`, { size: 8.5, color: COLOR.red, indent: 10 });
    }
  }
  const bad = report.events.filter((e) => e.verification.verdict !== "valid");
  if (bad.length > 0) {
    w.para(`Not valid on chain when the report was generated: ${bad.map((e) => `event ${e.n} (${EVENT_VERDICT[e.verification.verdict].word})`).join(", ")}.`, {
      face: "bold",
      size: 9,
      color: COLOR.red,
    });
  }
  w.space(4);
  w.heading("How to read the table", { level: 3, contents: false, keep: 40 });
  const legend = [
    "Claimed time: meta.occurredAt, the time the platform says the event happened. It is the platform's statement, not checked by anyone; shown in UTC.",
    "Received: when the service accepted the digest, by the service's clock.",
    "Anchored: the time of the block that recorded the event's batch, from the blockchain itself, not from any clock of the service or the platform.",
    "Delay: from received to anchored. Events are anchored in batches, so several events share a block.",
    ...(isCase
      ? ["Link: each event carries the leaf hash of the event before it (meta.prev). An event removed, inserted or reordered after the fact breaks a link, and the report says where."]
      : []),
  ];
  for (const l of legend) w.bullet(l, { size: 8 });
}

function statement(w: Writer, report: EvidenceReportV1): void {
  w.heading("2  What the proofs show, and what they do not", { keep: 120 });
  const paragraphs = report.statement.flatMap((p) => p.split(/\n+/)).filter((p) => p.trim() !== "");
  const fallback = [
    "What the proofs show: each event's digest (with its metadata: case, event type, the time the platform claims) was held by the platform named as submitter no later than the time of the block that anchored it, and the record has not changed since.",
    "What they do not show: who wrote or signed the documents, whether a signature was lawful, who controlled the signing key or account, or that the claimed occurredAt times are true.",
  ];
  for (const p of paragraphs.length > 0 ? paragraphs : fallback) {
    // "What they do not show: …" reads better with its first words in bold.
    const m = /^([^:]{3,48}:)(\s.*)$/s.exec(p);
    if (m !== null) w.leadPara(m[1]!, m[2]!, { size: 9, after: 6 });
    else w.para(p, { size: 9, after: 6 });
  }
}

function events(w: Writer, report: EvidenceReportV1): void {
  w.heading("3  Every event in detail", { newPage: true });
  const when = report.generatedAt;
  w.para(
    `Each event as the service recorded it, and the result of checking its proof against ${chainName(report.chain.chainId)} when this report was generated (${utc(when)} UTC). VALID: every check passed and the anchor was checked on the chain. Hashes are written in full; each event's proof file is in Appendix B.`,
    { size: 8.5 },
  );
  const total = report.events.length;
  for (const e of report.events) eventBlock(w, report, e, total);
}

function eventBlock(w: Writer, report: EvidenceReportV1, e: ReportEvent, total: number): void {
  const v = e.verification;
  const status = EVENT_VERDICT[v.verdict];
  const linkBad = report.caseId !== null && !e.link.ok;
  const p = e.proof;
  const meta = p.evidence.meta;

  const rows: KvRow[] = [
    { label: "Evidence id", value: e.evidenceId, mono: true },
    { label: "Event type, submitter", value: `${e.eventType ?? "— (no event type)"} · submitted by ${meta.submitter}${meta.caseId === undefined ? "" : ` · case ${meta.caseId}`}` },
    { label: `Digest (${e.hashAlg})`, value: e.digest, mono: true },
    { label: "Claimed time", value: claimed(e.occurredAt) },
    { label: "Received", value: `${utc(e.receivedAt, { ms: true })} UTC, by the service's clock` },
    {
      label: "Anchored",
      value:
        v.anchoredAt === null
          ? `not anchored (${status.word.toLowerCase()})`
          : `${utc(v.anchoredAt)} UTC, the time of block ${v.blockNumber ?? "?"} on the chain; ${duration(e.anchoringDelaySeconds)} after receipt`,
    },
    { label: "Transaction", value: v.transaction ?? "—", mono: v.transaction !== null },
    {
      label: "Block",
      value:
        v.blockNumber === null
          ? "—"
          : `${v.blockNumber} of ${chainName(p.anchor?.chainId ?? report.chain.chainId)}${v.confirmations === null ? "" : `, ${plural(v.confirmations, "confirmation")} at generation`}`,
    },
    { label: "Block hash", value: v.blockHash ?? "—", mono: v.blockHash !== null },
    { label: "Batch", value: p.batch === null || p.leaf === null ? "— (not in a batch yet)" : `seq ${p.batch.seq}: leaf ${p.leaf.index} of ${p.batch.size}, inclusion path of ${plural(p.batch.path.length, "hash", "hashes")}` },
  ];
  if (p.batch !== null) rows.push({ label: "Batch root", value: p.batch.root, mono: true });
  rows.push({ label: "Leaf hash", value: e.leafHash, mono: true });
  if (report.caseId !== null) {
    rows.push({ label: "Previous (meta.prev)", value: e.prev ?? "— none: the first event of the case", mono: e.prev !== null });
    rows.push({ label: e.n > 1 ? `Link to event ${e.n - 1}` : "Link", value: `${e.link.ok ? "✓" : "× BROKEN:"} ${e.link.detail}`, color: e.link.ok ? COLOR.green : COLOR.red, face: e.link.ok ? "sans" : "bold" });
  }
  rows.push({
    label: "Receipt",
    value:
      e.receipt === null
        ? "none stored"
        : `signed by the service on receipt (${utc(e.receipt.receivedAt, { ms: true })} UTC) with ${e.receipt.signature.kid === report.keys.kid ? "the key that signed this report" : `key ${e.receipt.signature.kid}`}`,
  });
  const extra = Object.entries(meta).filter(([k, val]) => !STANDARD_META.has(k) && val !== undefined);
  if (extra.length > 0) rows.push({ label: "Other metadata", value: extra.map(([k, val]) => `${k}: ${val}`).join(" · ") });
  if (v.verdict !== "valid") rows.push({ label: "Result", value: `${status.word}: ${EVENT_VERDICT_MEANING[v.verdict]}`, color: status.color, face: "bold" });

  const checkCols: Column[] = [
    { header: "", width: 16, align: "center" },
    { header: "Check", width: 76 },
    { header: "Result when the report was generated", width: w.width - 92 },
  ];
  const checkRows: Row[] = v.checks.map((c) => ({
    cells: [Writer.mark(c.ok ? "ok" : c.skipped === true ? "skip" : "fail"), { text: c.name }, { text: c.detail, ...(c.ok || c.skipped === true ? {} : { color: COLOR.red }) }],
    ...(c.ok || c.skipped === true ? {} : { fill: COLOR.redBg }),
  }));

  // Keep an event on one page when it fits on one.
  const headH = 22;
  const need = headH + w.kvHeight(rows, { labelWidth: 108, size: 7.6 }) + 4 + w.tableHeight(checkCols, checkRows, { size: 7.3, pad: 1.6 }) + 10;
  w.ensure(Math.min(need, PAGE.height - MARGIN.top - MARGIN.bottom));
  w.space(6);

  const bad = v.verdict !== "valid" || linkBad;
  const y = w.y;
  w.doc.rect(w.left, y, w.width, 18).fill(bad ? COLOR.redBg : COLOR.headBg);
  w.doc.rect(w.left, y, 3, 18).fill(bad ? COLOR.red : status.color);
  // Right of the bar: the proof's verdict in its colour, then the link in its own.
  const statusText = `${status.mark === "ok" ? "✓" : status.mark === "fail" ? "×" : "–"} ${status.word}`;
  const linkText = report.caseId === null ? "" : linkBad ? "  × LINK BROKEN" : "  ✓ linked";
  const statusW = w.use("bold", 8).widthOfString(statusText);
  const linkW = linkText === "" ? 0 : w.doc.widthOfString(linkText);
  const rightW = statusW + linkW;
  const rx = w.left + w.width - rightW - 6;
  w.use("bold", 8, status.color).text(statusText, rx, y + 4, { lineBreak: false });
  if (linkText !== "") w.use("bold", 8, linkBad ? COLOR.red : COLOR.green).text(linkText, rx + statusW, y + 4, { lineBreak: false });
  // One line: a long event type is cut here and given whole in the first rows below.
  const title = w.fit(`Event ${e.n} of ${total} · ${e.eventType ?? "(no event type)"}`, w.width - rightW - 26, "bold", 9.5);
  w.use("bold", 9.5).text(title, w.left + 9, y + 2.5, { lineBreak: false });
  w.bookmark(`Event ${e.n}: ${e.eventType ?? "(no event type)"}`, 2);
  w.y = y + headH;

  w.kv(rows, { labelWidth: 108, size: 7.6 });
  w.space(4);
  if (checkRows.length > 0) w.table(checkCols, checkRows, { size: 7.3, pad: 1.6, zebra: false, continued: `Event ${e.n}: checks (continued)` });
  w.space(6);
}

function howToVerify(w: Writer, report: EvidenceReportV1, opts: RenderOptions, serviceUrl: string): void {
  w.heading("4  How to verify this report yourself", { newPage: true });
  // Every example in this section speaks of the same event.
  const ex = exampleEvent(report);
  const exN = ex?.n ?? 1;
  w.para(
    "Nothing in this report needs to be taken on trust: each claim can be checked with free tools against the public blockchain, without this service and without the platform. Each event's proof can be checked three ways, which run the same checks and give the same verdict:",
  );
  w.bullet(`the web page at ${opts.verifyUrl} (the QR code on the cover): drop the document and its proof, read the verdict. The document is hashed in the browser and never uploaded;`);
  w.bullet("the evidence command (npx evidence verify), on your own machine, against a chain node of your choosing;");
  w.bullet("by hand, with sha256sum, openssl, jq and curl: no code of this service at all.");
  w.space(3);
  w.para("What you need:", { face: "bold", size: 9, after: 2 });
  w.bullet(`the signed JSON report, of which this PDF is a rendering: ${serviceUrl}/v1/reports/${report.id} (saved below as report.json);`);
  w.bullet(`the proof of an event: Appendix B, or from the JSON report (jq '.events[${exN - 1}].proof' report.json > proof-${exN}.json for event ${exN});`);
  w.bullet("the document of an event, from the parties: the service holds only its digest;");
  w.bullet(
    `the address (RPC URL) of a node of ${chainName(report.chain.chainId)} that neither the service nor the platform runs: your own, or a public provider.`,
  );

  let n = 0;
  const step = (s: Step): void => {
    n += 1;
    w.heading(`4.${n}  ${s.title}`, { level: 2, keep: 70 });
    if (s.intro !== undefined) w.para(s.intro, { size: 8.5 });
    w.code(s.commands);
  };

  n += 1;
  w.heading(`4.${n}  On the web page`, { level: 2, keep: 70 });
  w.para(
    `Open ${opts.verifyUrl}. Drop the document (optional) and the proof file (proof-${exN}.json: the JSON of Appendix B.${exN}, or from the JSON report), choose the chain (the service's relay, or your own RPC URL), and press Verify. The page gives the verdict in one sentence, the anchor time in UTC, the block, transaction and contract, and every check with ✓ or × and its reason. VALID means every check passed and the anchor was checked on the chain.`,
    { size: 8.5 },
  );

  const steps: Step[] = report.howToVerify.length > 0 ? report.howToVerify.map((h) => ({ title: h.title, commands: h.commands })) : defaultHowToVerify(report, serviceUrl);
  for (const s of steps) step(s);
  // The signed report's own instructions may leave out the openssl route; the issue asks for it.
  if (!steps.some((s) => s.commands.some((c) => c.includes("pkeyutl")))) step(signatureByHand(report, serviceUrl));

  const hand = ex === null ? null : byHand(ex);
  if (ex !== null && hand !== null) {
    w.space(4);
    w.para(
      `By hand, with this case's values. The steps below re-check event ${ex.n} (${ex.eventType ?? "no event type"}) from its proof file proof-${ex.n}.json with standard tools; every expected value is printed. Any other event is checked the same way with its own values (Section 3 and Appendix B). The same steps are explained in the service's docs/verifying.md.`,
      { size: 8.5 },
    );
    for (const s of hand) step(s);
  }

  if (report.caseId !== null) {
    step({
      title: "The timeline: no event missing, inserted or reordered",
      intro: "Each event's meta.prev is the leaf hash of the event before it; the leaf hash is covered by the proof, so the links cannot be changed without breaking a proof.",
      commands: timelineCommands(),
    });
  }
  if (opts.anchoring !== null) {
    step({
      title: "When this report existed: its own proof",
      intro: `The digest of the signed report (SHA-256 of its RFC 8785 form) was submitted as evidence ${opts.anchoring.evidenceId} and anchored like any event.`,
      commands: reportAnchorCommands(opts.anchoring, serviceUrl, report.chain.chainId),
    });
  }
  w.para("Long lines in the grey boxes are wrapped: a line marked with a small hook in the margin continues the line above it.", { size: 7.5, color: COLOR.muted });
}

function audit(w: Writer, report: EvidenceReportV1): void {
  w.heading("5  Audit log entries about this case", { keep: 80 });
  if (report.audit.length === 0) {
    w.para(report.caseId === null ? "The report covers a list of items, not a case: no audit entries are included." : "No audit-log entries concern this case.");
    return;
  }
  w.para(
    "Entries of the service's audit log that concern this case: disclosures to verifiers, reads, earlier reports. The log is one hash chain for the whole service (each entry's hash covers the one before it), so an entry cannot be removed or changed without breaking the chain; gaps in the numbers are entries about other matters.",
    { size: 8.5 },
  );
  const cols: Column[] = [
    { header: "#", width: 40, align: "right" },
    { header: "Time (UTC)", width: 82 },
    { header: "Actor", width: 110 },
    { header: "Action", width: 96 },
    { header: "Target", width: w.width - 328 },
  ];
  const rows: Row[] = report.audit.map((a) => ({
    cells: [{ text: String(a.seq) }, { text: utc(a.at, { ms: true }) }, { text: a.actor }, { text: a.action }, { text: a.target ?? "—" }],
    sub: `entry hash ${a.hash}`,
  }));
  w.table(cols, rows, { size: 7.5, continued: "Audit log entries (continued)" });
}

function appendixSignature(w: Writer, report: EvidenceReportV1, opts: RenderOptions): void {
  w.heading("Appendix A  The report's signature and algorithms", { newPage: true });
  w.para(
    "The JSON report is signed by the service; this PDF is a rendering of it for people and carries no signature of its own. A changed JSON report fails the signature check (Section 4).",
    { size: 8.5 },
  );
  const rows: KvRow[] = [
    { label: "Format", value: report.format },
    { label: "Signature algorithm", value: report.signature.alg },
    { label: "Key id (kid)", value: report.signature.kid, mono: true },
    { label: "Signature (base64url)", value: report.signature.value, mono: true },
    { label: "Published keys", value: report.keys.url },
  ];
  if (opts.anchoring !== null) rows.push({ label: "Report digest (JCS)", value: opts.anchoring.digest, mono: true });
  if (report.evidenceIds !== null) rows.push({ label: "Evidence ids asked for", value: report.evidenceIds.join(", ") });
  rows.push(
    { label: "Digest", value: report.algorithms.digest },
    { label: "Leaf", value: report.algorithms.leaf },
    { label: "Tree", value: report.algorithms.tree },
    { label: "Proof", value: report.algorithms.proof },
    { label: "Signature", value: report.algorithms.signature },
  );
  w.kv(rows, { labelWidth: 118, size: 8 });
}

function appendixBundles(w: Writer, report: EvidenceReportV1): void {
  w.heading("Appendix B  The proof of every event", { keep: 120 });
  w.para(
    "Each event's proof bundle (evidence-proof/v1), exactly as in the JSON report. Saved as a file (for example proof-7.json), it can be checked on the web page or with npx evidence verify. Copying from a PDF can alter spacing; the JSON report is the exact source: jq '.events[6].proof' report.json > proof-7.json.",
    { size: 8.5 },
  );
  for (const e of report.events) {
    w.heading(`B.${e.n}  Event ${e.n}: ${e.eventType ?? "(no event type)"} — proof-${e.n}.json`, { level: 3, contents: false, keep: 60 });
    w.bookmark(`B.${e.n}  Event ${e.n}`, 2);
    w.code(JSON.stringify(e.proof, null, 2).split("\n"), { size: 6.8 });
  }
}
