// Every sentence of the signed JSON report that is written for people, in each report
// language: the algorithms in words, what the proofs show and do not, the verdict, the
// timeline and its links. Field names and values that are data (hashes, ids, times) are the
// same in every language. Pure.
import { type ClaimedTimeFinding, claimedTimeSentence } from "../../verify/times.ts";
import type { ReportLanguage } from "./language.ts";

export interface ReportAlgorithmsText {
  digest: string;
  leaf: string;
  tree: string;
  proof: string;
  signature: string;
}

const ALGORITHMS: Record<ReportLanguage, ReportAlgorithmsText> = {
  en: {
    digest: "each event's meta.hashAlg (sha256, sha3-256 or sm3) over the platform's document or event record",
    leaf: "SHA-256(0x00 || salt || digest || SHA-256(RFC 8785 JCS of meta))",
    tree: "RFC 6962 Merkle tree hash (SHA-256, 0x01 for interior nodes); RFC 9162 inclusion proofs",
    proof: "evidence-proof/v1, anchored with the EvidenceAnchor contract (anchorOf(bytes32), Anchored event)",
    signature:
      "Ed25519 (RFC 8032) over the RFC 8785 JCS form of this report without its signature member; keys at keys.url (RFC 7517 JWKS, kid = RFC 7638 thumbprint)",
  },
  "zh-CN": {
    digest: "摘要值：按各事件 meta.hashAlg 所列算法（sha256、sha3-256 或 SM3）对平台的文件或事件记录计算的哈希值",
    leaf: "叶子哈希值：SHA-256(0x00 || 盐值 || 摘要值 || SHA-256(元数据按 RFC 8785 JCS 规范化后的形式))",
    tree: "默克尔树：RFC 6962 默克尔树哈希（SHA-256，内部节点前缀 0x01）；RFC 9162 包含性证明",
    proof: "存证证明格式 evidence-proof/v1，经 EvidenceAnchor 智能合约上链锚定（anchorOf(bytes32) 查询，Anchored 事件）",
    signature:
      "电子签名：Ed25519（RFC 8032），对本报告去掉 signature 字段后按 RFC 8785 JCS 规范化的形式签名；公钥发布于 keys.url（RFC 7517 JWKS，kid 为 RFC 7638 指纹）",
  },
};

export function reportAlgorithms(lang: ReportLanguage): ReportAlgorithmsText {
  return { ...ALGORITHMS[lang] };
}

const STATEMENT: Record<ReportLanguage, readonly string[]> = {
  en: [
    "What the proofs show: each event's digest (with its metadata: case, event type, the time the platform claims) was held by the platform named as submitter no later than the time of the block that anchored it, and the record has not changed since. The block time comes from the blockchain, not from any clock of this service.",
    "For a case, each event also carries the leaf hash of the one before it (meta.prev), so the events form a hash-linked chain: an event removed, inserted or reordered after the fact breaks a link, and this report says where.",
    "What they do not show: who wrote or signed the documents, whether a signature was lawful, who controlled the signing key or account, or that the claimed occurredAt times are true (they are the platform's statements, recorded no later than the anchor time). The digests do not reveal the documents; whoever checks a document must hold it.",
    "The report itself is signed with the service key (Ed25519) and its digest is anchored like any evidence, so a changed copy fails the signature check and the time the report existed is provable.",
  ],
  "zh-CN": [
    "存证证明能够证明的：每个事件的摘要值（连同其元数据：案件、事件类型、平台声称的发生时间）最晚在锚定该事件的区块时间已由列为提交方的平台持有，且此后该记录未被篡改。区块时间来自区块链本身，而非本服务的任何时钟。",
    "对于一个案件，每个事件还记载了前一事件的叶子哈希值（meta.prev），各事件因此构成哈希链：事后删除、插入或调换任何事件都会使链接断开，本报告会指出断开的位置。",
    "存证证明不能证明的：文件由谁撰写或签署、签名是否合法有效、签名密钥或账户由谁控制，以及平台声称的发生时间（occurredAt）是否真实（这些时间是平台的陈述，最晚于锚定时间被记录）。摘要值不会泄露文件内容；核对文件的人须持有文件原件。",
    "本报告本身以本服务的密钥（Ed25519）进行电子签名，其摘要值也像其他存证一样上链锚定：被改动的副本无法通过签名核验，报告存在的时间亦可证明。",
  ],
};

export function reportStatement(lang: ReportLanguage): string[] {
  return [...STATEMENT[lang]];
}

/** The words of the verdict and of the timeline, in one language. */
export interface VerdictTexts {
  /** What the report covers: a case of n events, or n listed items. */
  what(caseId: string | null, events: number): string;
  failed(n: number, what: string, list: string): string;
  brokenTimeline(what: string, detail: string): string;
  couldNotVerify(n: number, what: string, list: string): string;
  notYet(n: number, what: string, list: string): string;
  verified(what: string, last: string | undefined, isCase: boolean): string;
  /** Timeline summaries. */
  notACase: string;
  allLinked(events: number): string;
  brokenLinks(list: string, firstDetail: string): string;
  /** The link of an item of a list report, which is not checked. */
  linkNotChecked: string;
  /** A link detail from src/core/timeline.ts, in this language. */
  linkDetail(detail: string): string;
  /** `detail` followed by warnings about the platform's claimed occurredAt times (after the anchor, out of order): its statements, not a failed check. */
  withClaimedTimes(detail: string, findings: readonly ClaimedTimeFinding[]): string;
  /** The self-proof member's description. */
  selfProofDigest: string;
}

const EN: VerdictTexts = {
  what: (caseId, n) => (caseId === null ? `the ${n} listed items` : `case ${caseId} (${n} events)`),
  failed: (n, what, list) => `NOT VERIFIED: ${n} of the events of ${what} failed verification (event ${list}).`,
  brokenTimeline: (what, detail) => `NOT VERIFIED: the timeline of ${what} is broken: ${detail}.`,
  couldNotVerify: (n, what, list) =>
    `COULD NOT VERIFY: ${n} of the events of ${what} could not be checked against the chain, which could not be asked (event ${list}); nothing found is wrong with them. Generate the report again when the chain is reachable.`,
  notYet: (n, what, list) => `NOT YET VERIFIED: ${n} of the events of ${what} are not anchored on chain or were not checked against it (event ${list}).`,
  verified: (what, last, isCase) =>
    `VERIFIED: every event of ${what} was checked on chain: each existed no later than its anchor time (the last ${last}), none has changed since${isCase ? ", and none is missing from the timeline" : ""}.`,
  notACase: "not a case report: the items are listed in arrival order, not checked as a timeline",
  allLinked: (n) => `all ${n} events link to the one before: none is missing or out of order`,
  brokenLinks: (list, first) => `the link of event ${list} is broken: ${first}`,
  linkNotChecked: "not checked: this report lists items, not a case timeline",
  linkDetail: (d) => d,
  withClaimedTimes: (detail, fs) =>
    `${detail}. Warning about the times the platform claims (its own statements; the anchor times come from the chain): ${fs.map((f) => `event ${f.n}: ${claimedTimeSentence(f)}`).join("; ")}.`,
  selfProofDigest: "SHA-256 of this report's RFC 8785 form, signature included: jq -cjS . report.json | sha256sum",
};

// The core timeline checker (src/core/timeline.ts) words its findings in English; these are
// its sentences in Chinese. An unknown sentence is kept as written.
const LINK_RULES: [RegExp, (...m: string[]) => string][] = [
  [/^the first event of the case: no prev$/, () => "本案第一个事件：无前一事件（prev 为空）"],
  [/^(?:meta\.)?prev is the leaf hash of event (\d+)$/, (n) => `prev 为事件 ${n} 的叶子哈希值`],
  [/^the first event of the case: no previous event$/, () => "本案第一个事件：无前一事件"],
  [/^1 event, the first of the case$/, () => "1 个事件，为本案第一个事件"],
  [/^no events$/, () => "没有事件"],
  [/^all (\d+) events link to the one before: none is missing or out of order$/, (n) => `全部 ${n} 个事件均与前一事件相链接：没有缺失，也没有顺序错乱`],
  [
    /^event 1 has prev (\S+), but no event comes before it: the event with leaf hash (\S+) \(and any before it\) is missing$/,
    (p) => `事件 1 的 prev 为 ${p}，但它之前没有任何事件：叶子哈希值为 ${p} 的事件（及其之前的事件）缺失`,
  ],
  [
    /^event (\d+) has no prev, so it claims to be the first event of the case, but event (\d+) \((\S+)\) comes before it: the timeline was restarted or events are out of order$/,
    (n, b, h) => `事件 ${n} 没有 prev，即声称是本案第一个事件，但事件 ${b}（${h}）在它之前：时间线被重新开始，或事件顺序错乱`,
  ],
  [
    /^event (\d+): prev (\S+) is not the previous event's leaf hash (\S+): (.*)$/s,
    (n, p, b, where) => `事件 ${n}：prev ${p} 不是前一事件的叶子哈希值 ${b}：${linkWhere(where)}`,
  ],
  [/^the link of event ([\d, ]+) is broken: (.*)$/s, (list, first) => `事件 ${list.replace(/, /g, "、")} 的链接断开：${linkDetailZh(first)}`],
];

function linkWhere(s: string): string {
  if (s === "no event shown has that leaf hash: an event is missing") return "报告中没有任何事件具有该叶子哈希值：有事件缺失";
  if (s === "it names this event itself") return "它指向的是本事件自身";
  const m = /^it is the leaf hash of event (\d+): events are out of order, or the timeline forks$/.exec(s);
  if (m !== null) return `它是事件 ${m[1]} 的叶子哈希值：事件顺序错乱，或时间线出现分叉`;
  return s;
}

function linkDetailZh(d: string): string {
  for (const [re, fn] of LINK_RULES) {
    const m = re.exec(d);
    if (m !== null) return fn(...m.slice(1).map((s) => s ?? ""));
  }
  return d;
}

function claimedTimeZh(f: ClaimedTimeFinding): string {
  switch (f.kind) {
    case "unreadable":
      return `事件 ${f.n}：平台所称时间 ${JSON.stringify(f.claimed)} 无法识别为时间`;
    case "after-anchor":
      return `事件 ${f.n}：平台称其发生于 ${f.claimed}，晚于其锚定时间 ${f.anchored}：记录不可能在其所描述的事件发生之前被锚定，因此所称时间有误（以锚定时间为准）`;
    case "out-of-order":
      return `事件 ${f.n}：平台称其发生于 ${f.claimed}，早于时间线中排在其前面的事件 ${f.before.n}（${f.before.claimed}）：平台所称时间顺序错乱`;
  }
}

const ZH: VerdictTexts = {
  what: (caseId, n) => (caseId === null ? `所列的 ${n} 项存证` : `案件 ${caseId}（共 ${n} 个事件）`),
  failed: (n, what, list) => `验证未通过：${what}中有 ${n} 个事件未通过验证（事件 ${list}）。`,
  brokenTimeline: (what, detail) => `验证未通过：${what}的时间线断开：${detail}。`,
  couldNotVerify: (n, what, list) =>
    `无法验证：${what}中有 ${n} 个事件因无法访问区块链而未能在链上核验（事件 ${list}）；目前未发现这些事件有任何问题。请在区块链可以访问时重新生成报告。`,
  notYet: (n, what, list) => `尚未完成验证：${what}中有 ${n} 个事件尚未上链锚定，或未在链上核验（事件 ${list}）。`,
  verified: (what, last, isCase) =>
    `验证通过：${what}的每个事件均已在链上核验：每个事件最晚在其锚定时间已经存在（最后一个为 ${last}），此后均未被篡改${isCase ? "，且时间线中没有缺失的事件" : ""}。`,
  notACase: "非案件报告：各项存证按接收顺序列出，不作为时间线核验",
  allLinked: (n) => `全部 ${n} 个事件均与前一事件相链接：没有缺失，也没有顺序错乱`,
  brokenLinks: (list, first) => `事件 ${list.replace(/, /g, "、")} 的链接断开：${linkDetailZh(first)}`,
  linkNotChecked: "未核验：本报告列出的是若干存证，而非一个案件的时间线",
  linkDetail: linkDetailZh,
  withClaimedTimes: (detail, fs) => `${detail}。关于平台所称时间的提示（这些时间是平台自己的陈述；锚定时间来自区块链）：${fs.map(claimedTimeZh).join("；")}。`,
  selfProofDigest: "本报告（含签名）按 RFC 8785 规范化后的 SHA-256 哈希值：jq -cjS . report.json | sha256sum",
};

export function verdictTexts(lang: ReportLanguage): VerdictTexts {
  return lang === "zh-CN" ? ZH : EN;
}

/** A sentence from the report's own JSON (timeline detail, link detail) in Chinese, for old English reports rendered in Chinese. */
export const timelineDetailZh = linkDetailZh;

/** Sentences about a batch root's RFC 3161 time-stamp (an event's verification.batchTimestamp), in one language. */
export interface BatchTimestampTexts {
  /** The token checked out: its time and authority, beside the anchor's time (two clocks, not compared strictly). */
  checked(time: string, authority: string, anchoredAt: string | null): string;
  /** The token did not check out (`reason` is the checker's English sentence). */
  failed(reason: string): string;
  /** The report's verdict when some event's batch token failed. */
  verdictFailed(what: string, list: string): string;
}

const STAMP_EN: BatchTimestampTexts = {
  checked: (time, authority, anchoredAt) =>
    `RFC 3161 time-stamp of the batch root: ${time} UTC by ${authority}; its signature, signing-certificate hash (ESSCertID) and imprint (the batch root) check out` +
    (anchoredAt === null ? "" : `; the anchor's block time is ${anchoredAt} UTC (two independent clocks, shown side by side, not compared strictly)`),
  failed: (reason) => `RFC 3161 time-stamp of the batch root does NOT check out: ${reason}`,
  verdictFailed: (what, list) => `NOT VERIFIED: the RFC 3161 time-stamp of the batch of event ${list} of ${what} does not check out.`,
};

const STAMP_ZH: BatchTimestampTexts = {
  checked: (time, authority, anchoredAt) =>
    `批次根的 RFC 3161 时间戳：${time} UTC，由 ${authority} 签发；其签名、签名证书哈希（ESSCertID）与消息印记（即批次根）均核验通过` +
    (anchoredAt === null ? "" : `；链上锚定区块时间为 ${anchoredAt} UTC（两个相互独立的时钟，并列列出，不作严格比较）`),
  failed: (reason) => `批次根的 RFC 3161 时间戳核验未通过：${reason}`,
  verdictFailed: (what, list) => `验证未通过：${what}中事件 ${list} 所在批次的 RFC 3161 时间戳核验未通过。`,
};

export function batchTimestampTexts(lang: ReportLanguage): BatchTimestampTexts {
  return lang === "zh-CN" ? STAMP_ZH : STAMP_EN;
}
