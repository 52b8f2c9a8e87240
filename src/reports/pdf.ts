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
import { CHECK_NAMES_ZH, checkDetailZh } from "../web/verify/check-details-zh.ts";
import { languageOf, type ReportLanguage } from "./i18n/language.ts";
import { legalMapping } from "./i18n/legal.ts";
import { reportStatement } from "./i18n/texts.ts";
import { BEIJING_ZONE, wallClock } from "../verify/times.ts";

// The language of the report being drawn. Set once per render, after the only await before
// drawing: from there to finish() every line runs synchronously, so two renders in one
// thread never interleave and this cannot change under a render.
let LANG: ReportLanguage = "en";
/** The English or the Chinese wording, by the report's language. */
const t = (en: string, zh: string): string => (LANG === "zh-CN" ? zh : en);
const isZh = (): boolean => LANG === "zh-CN";

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
  LANG = languageOf(report);
  const serviceUrl = opts.serviceUrl.replace(/\/+$/, "");
  const caseName = report.caseId ?? t(`${report.events.length} listed evidence items`, `所列 ${report.events.length} 项存证`);
  const verdict = verdictStyle(report);
  const doc = newDocument({
    title: report.caseId === null ? t(`Evidence report ${report.id}`, `存证报告 ${report.id}`) : t(`Evidence report: case ${report.caseId}`, `存证报告：案件 ${report.caseId}`),
    author: `${report.software.name} ${report.software.version}`,
    subject: t(
      `Evidence report ${report.id} for ${report.tenant.name} (${report.tenant.id}), ${caseName}: ${report.verdict.sentence}`,
      `存证报告 ${report.id}，${report.tenant.name}（${report.tenant.id}），${caseName}：${report.verdict.sentence}`,
    ),
    creator: `${report.software.name} ${report.software.version}${report.software.commit === null ? "" : ` (${report.software.commit})`}`,
    keywords: [report.format, report.id, report.tenant.id, report.caseId ?? ""].filter((s) => s !== "").join(", "),
    date: dateOr(report.generatedAt, new Date(0)),
    lang: LANG,
  });
  const w = new Writer(doc, fonts);

  const contentsAt = cover(w, report, opts, verdict, serviceUrl);
  timeline(w, report);
  statement(w, report);
  events(w, report);
  howToVerify(w, report, opts, serviceUrl);
  audit(w, report);
  legal(w, report);
  appendixSignature(w, report, opts);
  appendixBundles(w, report);

  drawContents(w, contentsAt);
  w.furniture({
    header: t(
      `Evidence report · ${report.caseId === null ? caseName : `case ${report.caseId}`} · ${report.tenant.name}`,
      `存证报告 · ${report.caseId === null ? caseName : `案件 ${report.caseId}`} · ${report.tenant.name}`,
    ),
    headerRight: { text: verdict.word, color: verdict.color },
    footer: t(`Evidence report ${report.id} · generated ${utc(report.generatedAt)} UTC`, `存证报告 ${report.id} · 生成于 ${utc(report.generatedAt)} UTC`),
    pageLabel: (n, total) => t(`Page ${n} of ${total}`, `第 ${n} 页，共 ${total} 页`),
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
  if (report.verdict.ok) return { word: t("VERIFIED", "验证通过"), color: COLOR.green, bg: COLOR.greenBg, badge: "ok" };
  // The sentence starts with the verdict's words, in the report's language (src/reports/i18n/texts.ts).
  if (/^\s*(NOT YET\b|尚未完成验证)/i.test(report.verdict.sentence)) return { word: t("NOT YET VERIFIED", "尚未完成验证"), color: COLOR.amber, bg: COLOR.amberBg, badge: "warn" };
  if (/^\s*(COULD NOT\b|无法验证)/i.test(report.verdict.sentence)) return { word: t("COULD NOT VERIFY", "无法验证"), color: COLOR.amber, bg: COLOR.amberBg, badge: "warn" };
  return { word: t("NOT VERIFIED", "验证未通过"), color: COLOR.red, bg: COLOR.redBg, badge: "fail" };
}

type EventVerdict = ReportEvent["verification"]["verdict"];
const EVENT_VERDICT_STYLE: Record<EventVerdict, { en: string; zh: string; color: string; mark: "ok" | "fail" | "skip" }> = {
  valid: { en: "VALID", zh: "有效", color: COLOR.green, mark: "ok" },
  consistent: { en: "CONSISTENT, ANCHOR NOT CHECKED", zh: "数据一致，未在链上核验锚定", color: COLOR.amber, mark: "skip" },
  pending: { en: "NOT YET ANCHORED", zh: "尚未上链锚定", color: COLOR.amber, mark: "skip" },
  inconclusive: { en: "COULD NOT VERIFY", zh: "无法验证", color: COLOR.amber, mark: "skip" },
  invalid: { en: "NOT VALID", zh: "无效", color: COLOR.red, mark: "fail" },
};
/** An event's verdict: its word in the report's language, colour and mark. */
function eventVerdict(v: EventVerdict): { word: string; color: string; mark: "ok" | "fail" | "skip" } {
  const s = EVENT_VERDICT_STYLE[v];
  return { word: t(s.en, s.zh), color: s.color, mark: s.mark };
}

const EVENT_VERDICT_MEANING: Record<EventVerdict, [string, string]> = {
  valid: ["every check passed and the anchor was checked on the chain", "全部核验项通过，且已在链上核验锚定"],
  consistent: ["every check that could run passed, but the anchor was not checked on the chain", "能执行的核验项全部通过，但未在链上核验锚定"],
  pending: ["the proof is well-formed but the digest was not anchored yet", "证明格式正确，但摘要值尚未上链锚定"],
  inconclusive: ["a check could not run (the chain could not be asked); nothing found is wrong with the proof", "有核验项无法执行（无法访问区块链）；目前未发现证明有任何问题"],
  invalid: ["a check failed (marked × below)", "有核验项未通过（下表中以 × 标出）"],
};
const meaning = (v: EventVerdict): string => t(...EVENT_VERDICT_MEANING[v]);

/** A check's name and detail in the report's language (the library words them in English). */
const checkName = (name: string): string => (isZh() ? (CHECK_NAMES_ZH[name] ?? name) : name);
const checkDetail = (detail: string): string => (isZh() ? checkDetailZh(detail) : detail);

// Names for the chains a court is likely to meet; any other id is shown as a number.
const CHAINS: Record<number, [string, string]> = {
  1: ["Ethereum mainnet", "以太坊主网"],
  10: ["OP Mainnet", "OP 主网"],
  137: ["Polygon PoS", "Polygon PoS"],
  8453: ["Base", "Base"],
  42161: ["Arbitrum One", "Arbitrum One"],
  17000: ["Ethereum Holesky testnet", "以太坊 Holesky 测试网"],
  560048: ["Ethereum Hoodi testnet", "以太坊 Hoodi 测试网"],
  11155111: ["Ethereum Sepolia testnet", "以太坊 Sepolia 测试网"],
  1337: ["a local development chain, not for court", "本地开发链，不可用于诉讼"],
  31337: ["a local development chain (Hardhat), not for court", "本地开发链（Hardhat），不可用于诉讼"],
};

function chainName(id: number | null): string {
  if (id === null) return t("no chain (nothing anchored yet)", "无（尚无上链锚定）");
  const name = CHAINS[id];
  return name === undefined ? t(`chain ${id}`, `链 ${id}`) : t(`chain ${id} (${name[0]})`, `链 ${id}（${name[1]}）`);
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

/** The same instant in Beijing time, as the verifier writes it ("2026-12-04 05:16:05"). */
function beijing(iso: string): string {
  return wallClock(iso, BEIJING_ZONE) ?? iso;
}


/** occurredAt as the platform wrote it, with the UTC equivalent when it had another offset. */
function claimed(iso: string | null): string {
  if (iso === null) return t("— (the platform claimed no time)", "—（平台未声称时间）");
  const inUtc = utc(iso);
  return /[zZ]$/.test(iso)
    ? t(`${inUtc} UTC, as claimed by the platform`, `${inUtc} UTC，平台声称的时间`)
    : t(`${iso} as claimed by the platform (= ${inUtc} UTC)`, `${iso}，平台声称的时间（= ${inUtc} UTC）`);
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
  const text = isZh()
    ? d > 0
      ? `${d} 天 ${h} 小时`
      : h > 0
        ? `${h} 小时 ${two(m)} 分`
        : m > 0
          ? `${m} 分 ${two(s)} 秒`
          : `${s} 秒`
    : d > 0
      ? `${d} d ${h} h`
      : h > 0
        ? `${h} h ${two(m)} min`
        : m > 0
          ? `${m} min ${two(s)} s`
          : `${s} s`;
  return neg ? `−${text}` : text;
}

const num = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`): string => `${num(n)} ${n === 1 ? one : many}`;
/** "3 events" or "3 个事件": a count with its English noun, or its Chinese measure word and noun. */
const count = (n: number, one: string, zh: string, many = `${one}s`): string => (isZh() ? `${num(n)} ${zh}` : plural(n, one, many));

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
  capY += w.textBox(t("Scan to check a proof on the verification page:", "扫码打开核验页面，核验存证证明："), capX, capY, capW, { size: 6.5, color: COLOR.muted, align: "right" });
  capY += w.textBox(opts.verifyUrl, capX, capY, capW, { size: 6.5, color: COLOR.text, align: "right" });

  w.textBox(t(`EVIDENCE REPORT · ${report.format}`, `存证报告 · ${report.format}`), w.left, y, titleW, { size: 7.5, color: COLOR.muted, face: "bold" });
  y += 14;
  y += w.textBox(t("Evidence report", "存证报告"), w.left, y, titleW, { face: "bold", size: 26 }) + 2;
  const caseLine =
    report.caseId === null
      ? t(`${plural(report.events.length, "listed evidence item")} (not a case)`, `所列 ${num(report.events.length)} 项存证（非案件）`)
      : t(`Case ${report.caseId}`, `案件 ${report.caseId}`);
  y += w.textBox(caseLine, w.left, y, titleW, { face: "bold", size: 15 }) + 2;
  y += w.textBox(t(`${report.tenant.name} · tenant ${report.tenant.id}`, `${report.tenant.name} · 平台编号 ${report.tenant.id}`), w.left, y, titleW, { size: 10, color: COLOR.muted });
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
  rows.push({
    label: t("Case", "案件"),
    value: report.caseId ?? t(`none: the report covers ${plural(report.events.length, "listed evidence item")}`, `无：本报告涵盖所列 ${num(report.events.length)} 项存证`),
  });
  rows.push({ label: t("Tenant (the platform)", "平台（租户）"), value: t(`${report.tenant.name}, tenant id ${report.tenant.id}`, `${report.tenant.name}，平台编号 ${report.tenant.id}`) });
  const subs = submitters(report);
  rows.push({ label: t("Submitted by (pseudonymous id)", "提交方（化名编号）"), value: subs.length === 0 ? "—" : tally(subs) });
  const types = report.events.map((e) => e.eventType ?? t("(no event type)", "（无事件类型）"));
  rows.push({ label: t("Event types, as submitted", "事件类型（按提交）"), value: types.length === 0 ? "—" : tally(types) });
  rows.push({ label: t("Events", "事件"), value: eventsSummary(report) });
  rows.push({ label: t("Chain", "区块链"), value: `${chainName(report.chain.chainId)}${report.chain.contract === null ? "" : t(", anchoring contract:", "，锚定合约：")}` });
  if (report.chain.contract !== null) rows.push({ label: "", value: report.chain.contract, mono: true });
  const tl = report.timeline;
  rows.push({
    label: t("Timeline", "时间线"),
    value: report.caseId === null ? tl.detail : `${tl.ok ? t("✓ intact", "✓ 完整") : t("× BROKEN", "× 断开")}${t(": ", "：")}${tl.detail}`,
    color: report.caseId === null ? COLOR.text : tl.ok ? COLOR.green : COLOR.red,
  });
  rows.push({ label: t("Generated", "生成时间"), value: `${utc(report.generatedAt)} UTC` });
  rows.push({ label: t("Report id", "报告编号"), value: report.id, mono: true });
  rows.push({
    label: t("Requested by", "申请人"),
    value: t(
      `${report.requester.requestedBy} (principal ${report.requester.principalId}, role ${report.requester.role})`,
      `${report.requester.requestedBy}（账户 ${report.requester.principalId}，角色 ${report.requester.role}）`,
    ),
  });
  rows.push({ label: t("Purpose", "用途"), value: report.purpose });
  rows.push({
    label: t("Software", "软件"),
    value: t(
      `${report.software.name} ${report.software.version}, commit ${report.software.commit ?? "unknown"}`,
      `${report.software.name} ${report.software.version}，提交 ${report.software.commit ?? "未知"}`,
    ),
  });
  rows.push({
    label: t("Signed with", "电子签名"),
    value: t(`the service's Ed25519 key ${report.signature.kid}, published at ${report.keys.url}`, `本服务的 Ed25519 密钥 ${report.signature.kid}，公钥发布于 ${report.keys.url}`),
  });
  if (opts.anchoring !== null) {
    rows.push({
      label: t("This report's own proof", "本报告自身的存证"),
      value: t(
        `This report's own digest, below, was submitted as evidence ${opts.anchoring.evidenceId}; its proof: ${serviceUrl}${opts.anchoring.proofPath}`,
        `本报告的摘要值（见下）已作为存证 ${opts.anchoring.evidenceId} 提交并上链锚定；其存证证明：${serviceUrl}${opts.anchoring.proofPath}`,
      ),
    });
    rows.push({ label: "", value: opts.anchoring.digest, mono: true });
  } else {
    rows.push({
      label: t("This report's own proof", "本报告自身的存证"),
      value: t("not given with this rendering: ask the service for the proof of this report's digest", "本次生成未附：请向本服务索取本报告摘要值的存证证明"),
    });
  }
  w.kv(rows, { labelWidth: 122, size: 8.5 });
  // Room for the contents (six sections, two appendices and a note), filled in at the end. Very long
  // submitted text can push them onto a page of their own; they are never cut.
  w.space(12);
  w.ensure(16 + 8 * 12.5 + 40);
  return { page: w.page - 1, y: w.y };
}

function eventsSummary(report: EvidenceReportV1): string {
  const ev = report.events;
  if (ev.length === 0) return t("none", "无");
  const batches = new Set(ev.filter((e) => e.proof.batch !== null).map((e) => e.proof.batch!.seq));
  const received = ev.map((e) => e.receivedAt).sort();
  const anchored = ev.map((e) => e.verification.anchoredAt).filter((t): t is string => t !== null).sort();
  if (isZh()) {
    const parts = [`${num(ev.length)} 个事件，分属 ${num(batches.size)} 个批次`, `接收时间 ${utc(received[0]!)} 至 ${utc(received.at(-1)!)} UTC`];
    parts.push(
      anchored.length === 0
        ? "尚无事件上链锚定"
        : `${anchored.length === ev.length ? "全部" : `其中 ${anchored.length} 个`}已上链锚定，锚定时间${anchored.length === 1 ? `为 ${utc(anchored[0]!)}` : `为 ${utc(anchored[0]!)} 至 ${utc(anchored.at(-1)!)}`} UTC`,
    );
    return parts.join("；");
  }
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
  w.textBox(t("Contents", "目录"), w.left, y, w.width, { face: "bold", size: 10 });
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
      t(
        "Some characters of the submitted text have no glyph in this document's font; they are written as [U+XXXX] (their Unicode code point). The signed JSON report holds the exact text.",
        "提交内容中的个别字符在本文件的字体中没有字形，以 [U+XXXX]（其 Unicode 码位）表示。经电子签名的 JSON 报告保存了原文。",
      ),
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
  w.heading(isCase ? t("1  Timeline of the case", "1  案件时间线") : t("1  The listed evidence items", "1  所列存证"), { newPage: true });
  w.para(
    isCase
      ? t(
          `The ${plural(report.events.length, "event")} of case ${report.caseId}, in the order the service received them. Times are UTC.`,
          `案件 ${report.caseId} 的 ${num(report.events.length)} 个事件，按本服务接收的顺序排列。时间均为 UTC（北京时间减 8 小时）。`,
        )
      : t(
          `The ${plural(report.events.length, "item")} the report was asked for, in the order the service received them. They do not form a case, so no timeline links are checked. Times are UTC.`,
          `申请报告的 ${num(report.events.length)} 项存证，按本服务接收的顺序排列。它们不构成一个案件，因此不核验时间线链接。时间均为 UTC（北京时间减 8 小时）。`,
        ),
  );
  const cols: Column[] = [
    { header: "#", width: 20, align: "right" },
    { header: t("Event type (as submitted)", "事件类型（按提交）"), width: 108 },
    { header: t("Claimed time", "声称时间"), width: 64 },
    { header: t("Received", "接收时间"), width: 64 },
    { header: t("Anchored", "锚定时间"), width: 64 },
    { header: t("Delay", "间隔"), width: 52, align: "right" },
    { header: t("Block", "区块高度"), width: 52, align: "right" },
    { header: t("Link", "链接"), width: 71 },
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
        e.verification.anchoredAt === null ? { text: eventVerdict(e.verification.verdict).word.toLowerCase(), color: COLOR.amber } : { text: when(e.verification.anchoredAt) },
        { text: duration(e.anchoringDelaySeconds) },
        { text: e.verification.blockNumber === null ? "—" : String(e.verification.blockNumber) },
        !isCase
          ? { text: "—", color: COLOR.muted }
          : e.link.ok
            ? { text: e.prev === null ? t("✓ first event", "✓ 首个事件") : t("✓ linked", "✓ 已链接"), color: COLOR.green }
            : { text: t("× BROKEN", "× 断开"), color: COLOR.red, face: "bold" },
      ],
      ...(linkBad || evBad ? { fill: COLOR.redBg } : {}),
    };
  });
  w.table(cols, rows, {
    size: 7.5,
    continued: t(`Timeline of ${report.caseId === null ? "the listed items" : `case ${report.caseId}`} (continued)`, `${report.caseId === null ? "所列存证" : `案件 ${report.caseId} 的时间线`}（续）`),
  });
  w.space(8);
  const tl = report.timeline;
  if (isCase) {
    w.para(`${tl.ok ? t("✓ The timeline is intact", "✓ 时间线完整") : t("× The timeline is BROKEN", "× 时间线断开")}${t(": ", "：")}${tl.detail}${t(".", "。")}`, { face: "bold", size: 9, color: tl.ok ? COLOR.green : COLOR.red });
    // Each broken link in its own words, unless the summary above already gives them.
    for (const e of report.events.filter((x) => !x.link.ok && !tl.detail.includes(x.link.detail))) {
      w.para(t(`Event ${e.n}: ${e.link.detail}`, `事件 ${e.n}：${e.link.detail}`), { size: 8.5, color: COLOR.red, indent: 10 });
    }
  }
  const bad = report.events.filter((e) => e.verification.verdict !== "valid");
  if (bad.length > 0) {
    w.para(
      t(
        `Not valid on chain when the report was generated: ${bad.map((e) => `event ${e.n} (${eventVerdict(e.verification.verdict).word})`).join(", ")}.`,
        `生成报告时未能在链上核验为有效的事件：${bad.map((e) => `事件 ${e.n}（${eventVerdict(e.verification.verdict).word}）`).join("、")}。`,
      ),
      {
      face: "bold",
      size: 9,
      color: COLOR.red,
    });
  }
  w.space(4);
  w.heading(t("How to read the table", "表格说明"), { level: 3, contents: false, keep: 40 });
  const legend = isZh()
    ? [
        "声称时间：meta.occurredAt，即平台所称事件发生的时间。这是平台的陈述，未经任何人核实；以 UTC 显示。",
        "接收时间：本服务接收该摘要值的时间，以本服务的时钟为准。",
        "锚定时间：记录该事件所在批次的区块的时间戳，来自区块链本身，而非本服务或平台的任何时钟。",
        "间隔：从接收到锚定的时长。事件按批次上链锚定，因此多个事件可能位于同一区块。",
        ...(isCase ? ["链接：每个事件都记载了前一事件的叶子哈希值（meta.prev）。事后删除、插入或调换任何事件都会使链接断开，本报告会指出断开的位置。"] : []),
      ]
    : [
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
  w.heading(t("2  What the proofs show, and what they do not", "2  存证证明能证明什么、不能证明什么"), { keep: 120 });
  const paragraphs = report.statement.flatMap((p) => p.split(/\n+/)).filter((p) => p.trim() !== "");
  const fallback = reportStatement(LANG).slice(0, 3);
  for (const p of paragraphs.length > 0 ? paragraphs : fallback) {
    // "What they do not show: …" reads better with its first words in bold.
    const m = /^([^:]{3,48}:)(\s.*)$/s.exec(p) ?? /^([^：]{2,24}：)(.*)$/s.exec(p);
    if (m !== null) w.leadPara(m[1]!, m[2]!, { size: 9, after: 6 });
    else w.para(p, { size: 9, after: 6 });
  }
}

function events(w: Writer, report: EvidenceReportV1): void {
  w.heading(t("3  Every event in detail", "3  各事件详情"), { newPage: true });
  const when = report.generatedAt;
  w.para(
    t(
      `Each event as the service recorded it, and the result of checking its proof against ${chainName(report.chain.chainId)} when this report was generated (${utc(when)} UTC). VALID: every check passed and the anchor was checked on the chain. Hashes are written in full; each event's proof file is in Appendix B.`,
      `本服务记录的每个事件，以及生成本报告时（${utc(when)} UTC）向${chainName(report.chain.chainId)}核验其存证证明的结果。“有效”表示全部核验项通过，且已在链上核验锚定。哈希值均完整列出；每个事件的存证证明文件见附录 B。`,
    ),
    { size: 8.5 },
  );
  const total = report.events.length;
  for (const e of report.events) eventBlock(w, report, e, total);
}

function eventBlock(w: Writer, report: EvidenceReportV1, e: ReportEvent, total: number): void {
  const v = e.verification;
  const status = eventVerdict(v.verdict);
  const linkBad = report.caseId !== null && !e.link.ok;
  const p = e.proof;
  const meta = p.evidence.meta;

  const rows: KvRow[] = [
    { label: t("Evidence id", "存证编号"), value: e.evidenceId, mono: true },
    {
      label: t("Event type, submitter", "事件类型、提交方"),
      value: t(
        `${e.eventType ?? "— (no event type)"} · submitted by ${meta.submitter}${meta.caseId === undefined ? "" : ` · case ${meta.caseId}`}`,
        `${e.eventType ?? "—（无事件类型）"} · 提交方 ${meta.submitter}${meta.caseId === undefined ? "" : ` · 案件 ${meta.caseId}`}`,
      ),
    },
    { label: t(`Digest (${e.hashAlg})`, `摘要值（${e.hashAlg}）`), value: e.digest, mono: true },
    { label: t("Claimed time", "声称时间"), value: claimed(e.occurredAt) },
    {
      label: t("Received", "接收时间"),
      value: t(
        `${utc(e.receivedAt, { ms: true })} UTC (Beijing time ${beijing(e.receivedAt)}), by the service's clock`,
        `${utc(e.receivedAt, { ms: true })} UTC（北京时间 ${beijing(e.receivedAt)}），以本服务的时钟为准`,
      ),
    },
    {
      label: t("Anchored", "锚定时间"),
      value:
        v.anchoredAt === null
          ? t(`not anchored (${status.word.toLowerCase()})`, `未锚定（${status.word}）`)
          : t(
              `${utc(v.anchoredAt)} UTC (Beijing time ${beijing(v.anchoredAt)}), the time of block ${v.blockNumber ?? "?"} on the chain; ${duration(e.anchoringDelaySeconds)} after receipt`,
              `${utc(v.anchoredAt)} UTC（北京时间 ${beijing(v.anchoredAt)}），即链上区块 ${v.blockNumber ?? "?"} 的时间戳；接收后 ${duration(e.anchoringDelaySeconds)}`,
            ),
    },
    { label: t("Transaction", "交易哈希"), value: v.transaction ?? "—", mono: v.transaction !== null },
    {
      label: t("Block", "区块高度"),
      value:
        v.blockNumber === null
          ? "—"
          : t(
              `${v.blockNumber} of ${chainName(p.anchor?.chainId ?? report.chain.chainId)}${v.confirmations === null ? "" : `, ${plural(v.confirmations, "confirmation")} at generation`}`,
              `${chainName(p.anchor?.chainId ?? report.chain.chainId)}的区块 ${v.blockNumber}${v.confirmations === null ? "" : `，生成报告时已有 ${num(v.confirmations)} 个区块确认`}`,
            ),
    },
    { label: t("Block hash", "区块哈希"), value: v.blockHash ?? "—", mono: v.blockHash !== null },
    {
      label: t("Batch", "批次"),
      value:
        p.batch === null || p.leaf === null
          ? t("— (not in a batch yet)", "—（尚未编入批次）")
          : t(
              `seq ${p.batch.seq}: leaf ${p.leaf.index} of ${p.batch.size}, inclusion path of ${plural(p.batch.path.length, "hash", "hashes")}`,
              `批次序号 ${p.batch.seq}：共 ${p.batch.size} 个叶子中的第 ${p.leaf.index} 个，默克尔路径含 ${num(p.batch.path.length)} 个哈希值`,
            ),
    },
  ];
  if (p.batch !== null) rows.push({ label: t("Batch root", "批次根哈希"), value: p.batch.root, mono: true });
  // The second clock: the batch root's RFC 3161 token (TSA_URL), as checked at generation.
  const stamp = v.batchTimestamp;
  if (stamp !== undefined && stamp !== null) {
    rows.push({
      label: t("RFC 3161 time-stamp", "RFC 3161 时间戳"),
      value: stamp.ok
        ? t(`RFC 3161 time-stamp of the batch root: ${utc(stamp.time, { ms: true })} UTC by ${stamp.authority} ✓`, `批次根的 RFC 3161 时间戳：${utc(stamp.time, { ms: true })} UTC，由 ${stamp.authority} 签发 ✓`)
        : `× ${stamp.detail}`,
      color: stamp.ok ? COLOR.green : COLOR.red,
      face: stamp.ok ? "sans" : "bold",
    });
  }
  rows.push({ label: t("Leaf hash", "叶子哈希值"), value: e.leafHash, mono: true });
  if (report.caseId !== null) {
    rows.push({ label: t("Previous (meta.prev)", "前一事件（meta.prev）"), value: e.prev ?? t("— none: the first event of the case", "—无：本案第一个事件"), mono: e.prev !== null });
    rows.push({
      label: e.n > 1 ? t(`Link to event ${e.n - 1}`, `与事件 ${e.n - 1} 的链接`) : t("Link", "链接"),
      value: `${e.link.ok ? "✓" : t("× BROKEN:", "× 断开：")} ${e.link.detail}`,
      color: e.link.ok ? COLOR.green : COLOR.red,
      face: e.link.ok ? "sans" : "bold",
    });
  }
  rows.push({
    label: t("Receipt", "回执"),
    value:
      e.receipt === null
        ? t("none stored", "未保存")
        : t(
            `signed by the service on receipt (${utc(e.receipt.receivedAt, { ms: true })} UTC) with ${e.receipt.signature.kid === report.keys.kid ? "the key that signed this report" : `key ${e.receipt.signature.kid}`}`,
            `本服务接收时（${utc(e.receipt.receivedAt, { ms: true })} UTC）以${e.receipt.signature.kid === report.keys.kid ? "签署本报告的同一密钥" : `密钥 ${e.receipt.signature.kid} `}签名`,
          ),
  });
  const extra = Object.entries(meta).filter(([k, val]) => !STANDARD_META.has(k) && val !== undefined);
  if (extra.length > 0) rows.push({ label: t("Other metadata", "其他元数据"), value: extra.map(([k, val]) => `${k}: ${val}`).join(" · ") });
  if (v.verdict !== "valid") rows.push({ label: t("Result", "结果"), value: `${status.word}${t(": ", "：")}${meaning(v.verdict)}`, color: status.color, face: "bold" });

  const checkCols: Column[] = [
    { header: "", width: 16, align: "center" },
    { header: t("Check", "核验项"), width: 76 },
    { header: t("Result when the report was generated", "生成报告时的核验结果"), width: w.width - 92 },
  ];
  const checkRows: Row[] = v.checks.map((c) => ({
    cells: [
      Writer.mark(c.ok ? "ok" : c.skipped === true ? "skip" : "fail"),
      { text: checkName(c.name) },
      { text: checkDetail(c.detail), ...(c.ok || c.skipped === true ? {} : { color: COLOR.red }) },
    ],
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
  const linkText = report.caseId === null ? "" : linkBad ? t("  × LINK BROKEN", "  × 链接断开") : t("  ✓ linked", "  ✓ 已链接");
  const statusW = w.use("bold", 8).widthOfString(statusText);
  const linkW = linkText === "" ? 0 : w.doc.widthOfString(linkText);
  const rightW = statusW + linkW;
  const rx = w.left + w.width - rightW - 6;
  w.use("bold", 8, status.color).text(statusText, rx, y + 4, { lineBreak: false });
  if (linkText !== "") w.use("bold", 8, linkBad ? COLOR.red : COLOR.green).text(linkText, rx + statusW, y + 4, { lineBreak: false });
  // One line: a long event type is cut here and given whole in the first rows below.
  const type = e.eventType ?? t("(no event type)", "（无事件类型）");
  const title = w.fit(t(`Event ${e.n} of ${total} · ${type}`, `事件 ${e.n}（共 ${total} 个）· ${type}`), w.width - rightW - 26, "bold", 9.5);
  w.use("bold", 9.5).text(title, w.left + 9, y + 2.5, { lineBreak: false });
  w.bookmark(t(`Event ${e.n}: ${type}`, `事件 ${e.n}：${type}`), 2);
  w.y = y + headH;

  w.kv(rows, { labelWidth: 108, size: 7.6 });
  w.space(4);
  if (checkRows.length > 0) w.table(checkCols, checkRows, { size: 7.3, pad: 1.6, zebra: false, continued: t(`Event ${e.n}: checks (continued)`, `事件 ${e.n}：核验项（续）`) });
  w.space(6);
}

function howToVerify(w: Writer, report: EvidenceReportV1, opts: RenderOptions, serviceUrl: string): void {
  w.heading(t("4  How to verify this report yourself", "4  如何自行核验本报告"), { newPage: true });
  // Every example in this section speaks of the same event.
  const ex = exampleEvent(report);
  const exN = ex?.n ?? 1;
  w.para(
    t(
      "Nothing in this report needs to be taken on trust: each claim can be checked with free tools against the public blockchain, without this service and without the platform. Each event's proof can be checked three ways, which run the same checks and give the same verdict:",
      "本报告的任何内容都无需凭信任接受：每一项结论都可以用免费工具对照公链自行核验，无需本服务，也无需平台参与。每个事件的存证证明可用以下三种方式核验，三者执行相同的核验项，得出相同的结论：",
    ),
  );
  w.bullet(
    t(
      `the web page at ${opts.verifyUrl} (the QR code on the cover): drop the document and its proof, read the verdict. The document is hashed in the browser and never uploaded;`,
      `核验网页 ${opts.verifyUrl}（封面二维码）：放入文件及其存证证明，查看结论。文件的哈希值在浏览器中计算，文件不会被上传；`,
    ),
  );
  w.bullet(t("the evidence command (npx evidence verify), on your own machine, against a chain node of your choosing;", "evidence 命令行工具（npx evidence verify）：在您自己的计算机上运行，连接您选择的区块链节点；"));
  w.bullet(t("by hand, with sha256sum, openssl, jq and curl: no code of this service at all.", "手工核验：使用 sha256sum、openssl、jq 和 curl，完全不使用本服务的任何代码。"));
  w.space(3);
  w.para(t("What you need:", "所需材料："), { face: "bold", size: 9, after: 2 });
  w.bullet(
    t(
      `the signed JSON report, of which this PDF is a rendering: ${serviceUrl}/v1/reports/${report.id} (saved below as report.json);`,
      `经电子签名的 JSON 报告（本 PDF 即由其生成）：${serviceUrl}/v1/reports/${report.id}（下文保存为 report.json）；`,
    ),
  );
  w.bullet(
    t(
      `the proof of an event: Appendix B, or from the JSON report (jq '.events[${exN - 1}].proof' report.json > proof-${exN}.json for event ${exN});`,
      `事件的存证证明：见附录 B，或从 JSON 报告中取出（事件 ${exN}：jq '.events[${exN - 1}].proof' report.json > proof-${exN}.json）；`,
    ),
  );
  w.bullet(t("the document of an event, from the parties: the service holds only its digest;", "事件所涉文件，由当事人提供：本服务只保存其摘要值；"));
  w.bullet(
    t(
      `the address (RPC URL) of a node of ${chainName(report.chain.chainId)} that neither the service nor the platform runs: your own, or a public provider.`,
      `${chainName(report.chain.chainId)}节点的地址（RPC URL），该节点既非本服务也非平台运营：可以是您自己的节点，或公共服务商的节点。`,
    ),
  );

  let n = 0;
  const step = (s: Step): void => {
    n += 1;
    w.heading(`4.${n}  ${s.title}`, { level: 2, keep: 70 });
    if (s.intro !== undefined) w.para(s.intro, { size: 8.5 });
    w.code(s.commands);
  };

  n += 1;
  w.heading(t(`4.${n}  On the web page`, `4.${n}  在核验网页上`), { level: 2, keep: 70 });
  w.para(
    t(
      `Open ${opts.verifyUrl}. Drop the document (optional) and the proof file (proof-${exN}.json: the JSON of Appendix B.${exN}, or from the JSON report), choose the chain (the service's relay, or your own RPC URL), and press Verify. The page gives the verdict in one sentence, the anchor time in UTC, the block, transaction and contract, and every check with ✓ or × and its reason. VALID means every check passed and the anchor was checked on the chain.`,
      `打开 ${opts.verifyUrl}。放入文件（可选）和存证证明文件（proof-${exN}.json：附录 B.${exN} 中的 JSON，或从 JSON 报告中取出），选择区块链来源（本服务的中继，或您自己的 RPC URL），然后点击“核验”。页面会用一句话给出结论，并列出锚定时间（UTC 和北京时间）、区块、交易和合约，以及每个核验项的 ✓ 或 × 和原因。“有效”表示全部核验项通过，且已在链上核验锚定。`,
    ),
    { size: 8.5 },
  );

  const steps: Step[] = report.howToVerify.length > 0 ? report.howToVerify.map((h) => ({ title: h.title, commands: h.commands })) : defaultHowToVerify(report, serviceUrl, LANG);
  for (const s of steps) step(s);
  // The signed report's own instructions may leave out the openssl route; the issue asks for it.
  if (!steps.some((s) => s.commands.some((c) => c.includes("pkeyutl")))) step(signatureByHand(report, serviceUrl, LANG));

  const hand = ex === null ? null : byHand(ex, LANG);
  if (ex !== null && hand !== null) {
    w.space(4);
    w.para(
      t(
        `By hand, with this case's values. The steps below re-check event ${ex.n} (${ex.eventType ?? "no event type"}) from its proof file proof-${ex.n}.json with standard tools; every expected value is printed. Any other event is checked the same way with its own values (Section 3 and Appendix B). The same steps are explained in the service's docs/verifying.md.`,
        `手工核验（使用本案的实际数值）。以下步骤用标准工具，从存证证明文件 proof-${ex.n}.json 重新核验事件 ${ex.n}（${ex.eventType ?? "无事件类型"}），每一步的预期结果均已列出。其他事件以各自的数值（第 3 节和附录 B）按同样步骤核验。本服务的 docs/zh-CN/verifying.md 也说明了这些步骤。`,
      ),
      { size: 8.5 },
    );
    for (const s of hand) step(s);
  }

  if (report.caseId !== null) {
    step({
      title: t("The timeline: no event missing, inserted or reordered", "时间线：没有事件缺失、插入或被调换"),
      intro: t(
        "Each event's meta.prev is the leaf hash of the event before it; the leaf hash is covered by the proof, so the links cannot be changed without breaking a proof.",
        "每个事件的 meta.prev 是前一事件的叶子哈希值；叶子哈希值受存证证明保护，因此改动链接必然使证明失效。",
      ),
      commands: timelineCommands(LANG),
    });
  }
  if (opts.anchoring !== null) {
    step({
      title: t("When this report existed: its own proof", "本报告存在的时间：本报告自身的存证证明"),
      intro: t(
        `The digest of the signed report (SHA-256 of its RFC 8785 form) was submitted as evidence ${opts.anchoring.evidenceId} and anchored like any event.`,
        `经电子签名的报告的摘要值（其 RFC 8785 规范化形式的 SHA-256 哈希值）已作为存证 ${opts.anchoring.evidenceId} 提交，并与其他事件一样上链锚定。`,
      ),
      commands: reportAnchorCommands(opts.anchoring, serviceUrl, report.chain.chainId, LANG),
    });
  }
  w.para(
    t(
      "Long lines in the grey boxes are wrapped: a line marked with a small hook in the margin continues the line above it.",
      "灰色框中的长行已折行：页边带小钩标记的行是上一行的延续。",
    ),
    { size: 7.5, color: COLOR.muted },
  );
}

function audit(w: Writer, report: EvidenceReportV1): void {
  w.heading(t("5  Audit log entries about this case", "5  与本案有关的审计日志"), { keep: 80 });
  if (report.audit.length === 0) {
    w.para(
      report.caseId === null
        ? t("The report covers a list of items, not a case: no audit entries are included.", "本报告涵盖的是若干存证，而非一个案件：不包含审计日志。")
        : t("No audit-log entries concern this case.", "没有与本案有关的审计日志。"),
    );
    return;
  }
  w.para(
    t(
      "Entries of the service's audit log that concern this case: disclosures to verifiers, reads, earlier reports. The log is one hash chain for the whole service (each entry's hash covers the one before it), so an entry cannot be removed or changed without breaking the chain; gaps in the numbers are entries about other matters.",
      "本服务审计日志中与本案有关的条目：向核验方的披露、读取、此前生成的报告。整个服务的审计日志是一条哈希链（每条的哈希值覆盖前一条），因此删除或改动任何条目都会使链断开；序号中的空缺是与其他事项有关的条目。",
    ),
    { size: 8.5 },
  );
  const cols: Column[] = [
    { header: "#", width: 40, align: "right" },
    { header: t("Time (UTC)", "时间（UTC）"), width: 82 },
    { header: t("Actor", "操作者"), width: 110 },
    { header: t("Action", "操作"), width: 96 },
    { header: t("Target", "对象"), width: w.width - 328 },
  ];
  const rows: Row[] = report.audit.map((a) => ({
    cells: [{ text: String(a.seq) }, { text: utc(a.at, { ms: true }) }, { text: a.actor }, { text: a.action }, { text: a.target ?? "—" }],
    sub: t(`entry hash ${a.hash}`, `条目哈希值 ${a.hash}`),
  }));
  w.table(cols, rows, { size: 7.5, continued: t("Audit log entries (continued)", "审计日志（续）") });
}

/** Section 6: what the report shows against what Chinese courts weigh (src/reports/i18n/legal.ts). */
function legal(w: Writer, report: EvidenceReportV1): void {
  const m = legalMapping(LANG, report.verdict.ok);
  w.heading(`6  ${m.title}`, { newPage: true });
  w.para(m.intro, { size: 8.5 });
  w.para(m.sources, { size: 8, color: COLOR.muted });
  const statusColor = { shown: COLOR.green, partly: COLOR.amber, not: COLOR.red } as const;
  const cols: Column[] = [
    { header: m.columns.provision, width: 78 },
    { header: m.columns.point, width: 150 },
    { header: m.columns.status, width: 172 },
    { header: m.columns.where, width: w.width - 400 },
  ];
  const rows: Row[] = m.rows.map((r) => ({
    cells: [
      { text: r.provision, face: "bold" },
      { text: r.point, color: COLOR.muted },
      { text: `${m.statusWords[r.status]}${t(". ", "。")}${r.what.replace(/^[^:：]{1,16}[:：]\s*/, "")}`, color: statusColor[r.status] },
      { text: r.where },
    ],
  }));
  w.table(cols, rows, { size: 7.3, continued: t(`${m.title} (continued)`, `${m.title}（续）`) });
  w.space(6);
  w.para(m.closing, { size: 8, color: COLOR.muted });
}

function appendixSignature(w: Writer, report: EvidenceReportV1, opts: RenderOptions): void {
  w.heading(t("Appendix A  The report's signature and algorithms", "附录 A  本报告的电子签名与算法"), { newPage: true });
  w.para(
    t(
      "The JSON report is signed by the service; this PDF is a rendering of it for people and carries no signature of its own. A changed JSON report fails the signature check (Section 4).",
      "JSON 报告由本服务进行电子签名；本 PDF 是其供人阅读的版本。被改动的 JSON 报告无法通过签名核验（见第 4 节）。",
    ),
    { size: 8.5 },
  );
  const rows: KvRow[] = [
    { label: t("Format", "格式"), value: report.format },
    { label: t("Language", "语言"), value: t(LANG === "zh-CN" ? "Chinese (zh-CN)" : "English (en)", LANG === "zh-CN" ? "中文（zh-CN）" : "英文（en）") },
    { label: t("Signature algorithm", "签名算法"), value: report.signature.alg },
    { label: t("Key id (kid)", "密钥编号（kid）"), value: report.signature.kid, mono: true },
    { label: t("Signature (base64url)", "签名值（base64url）"), value: report.signature.value, mono: true },
    { label: t("Published keys", "公钥发布地址"), value: report.keys.url },
  ];
  if (opts.anchoring !== null) rows.push({ label: t("Report digest (JCS)", "报告摘要值（JCS）"), value: opts.anchoring.digest, mono: true });
  if (report.evidenceIds !== null) rows.push({ label: t("Evidence ids asked for", "申请的存证编号"), value: report.evidenceIds.join(", ") });
  rows.push(
    { label: t("Digest", "摘要值"), value: report.algorithms.digest },
    { label: t("Leaf", "叶子"), value: report.algorithms.leaf },
    { label: t("Tree", "默克尔树"), value: report.algorithms.tree },
    { label: t("Proof", "存证证明"), value: report.algorithms.proof },
    { label: t("Signature", "电子签名"), value: report.algorithms.signature },
  );
  w.kv(rows, { labelWidth: 118, size: 8 });
}

function appendixBundles(w: Writer, report: EvidenceReportV1): void {
  w.heading(t("Appendix B  The proof of every event", "附录 B  每个事件的存证证明"), { keep: 120 });
  w.para(
    t(
      "Each event's proof bundle (evidence-proof/v1), exactly as in the JSON report. Saved as a file (for example proof-7.json), it can be checked on the web page or with npx evidence verify. Copying from a PDF can alter spacing; the JSON report is the exact source: jq '.events[6].proof' report.json > proof-7.json.",
      "每个事件的存证证明（evidence-proof/v1），与 JSON 报告中的完全一致。保存为文件（例如 proof-7.json）后，可在核验网页上或用 npx evidence verify 核验。从 PDF 复制可能改变空格；准确的来源是 JSON 报告：jq '.events[6].proof' report.json > proof-7.json。",
    ),
    { size: 8.5 },
  );
  for (const e of report.events) {
    const type = e.eventType ?? t("(no event type)", "（无事件类型）");
    w.heading(t(`B.${e.n}  Event ${e.n}: ${type} — proof-${e.n}.json`, `B.${e.n}  事件 ${e.n}：${type} — proof-${e.n}.json`), { level: 3, contents: false, keep: 60 });
    w.bookmark(t(`B.${e.n}  Event ${e.n}`, `B.${e.n}  事件 ${e.n}`), 2);
    w.code(JSON.stringify(e.proof, null, 2).split("\n"), { size: 6.8 });
  }
}
