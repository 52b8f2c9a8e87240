// What the report shows, mapped point by point onto what Chinese courts weigh for electronic
// data stored on a blockchain: the Supreme People's Court's Online Litigation Rules
// (《人民法院在线诉讼规则》, 法释〔2021〕12号) Articles 16-19 and the Provisions on Evidence in
// Civil Procedure (《最高人民法院关于民事诉讼证据的若干规定》, 法释〔2019〕19号) Articles 93-94.
// The "point" of each row is our paraphrase of the article, never a quotation: the report
// says so above the table. Which report sections are named follows src/reports/pdf.ts.
import type { ReportLanguage } from "./language.ts";

/** shown: the report establishes it; partly: in part, says which; not: it cannot (a claim of the platform or parties, or a fact outside the report). */
export type LegalStatus = "shown" | "partly" | "not";

export interface LegalRow {
  /** "Online Litigation Rules Art. 16", "《在线诉讼规则》第十六条". */
  provision: string;
  /** A paraphrase of what the article asks the court to weigh. */
  point: string;
  status: LegalStatus;
  /** What the report shows about it, or why it cannot. */
  what: string;
  /** Where in the report. */
  where: string;
}

export interface LegalMapping {
  title: string;
  intro: string;
  sources: string;
  columns: { provision: string; point: string; status: string; where: string };
  statusWords: Record<LegalStatus, string>;
  rows: LegalRow[];
  closing: string;
}

/**
 * The mapping for a report; `verified` is whether the report's verdict is VERIFIED: without it
 * the rows that rest on the chain checks (Art. 16, Art. 93 (4)) are not established.
 */
export function legalMapping(lang: ReportLanguage, verified: boolean): LegalMapping {
  return lang === "zh-CN" ? zh(verified) : en(verified);
}

function zh(verified: boolean): LegalMapping {
  const chainWhat = verified
    ? "能证明：每个事件的摘要值、叶子哈希值、默克尔路径、上链交易和区块均已在链上逐项核验一致，即上链后未被篡改。"
    : "本报告的结论不是“验证通过”（见封面），对未通过或未能核验的事件不能据此认定。";
  return {
    title: "与我国法院审查区块链存证电子数据要点的对照",
    intro:
      "下表逐项说明：本报告能证明什么、只能部分证明什么、不能证明什么（平台或当事人的主张，或报告之外的事实），以及在报告何处体现。“条文要点”一栏是本服务对条文的概括（意译），不是条文原文；引用时请以最高人民法院公布的正式文本为准。本报告不是司法鉴定意见，也不是公证文书。",
    sources:
      "依据：《人民法院在线诉讼规则》（法释〔2021〕12号，2021年8月1日起施行）第十六条至第十九条；《最高人民法院关于民事诉讼证据的若干规定》（法释〔2019〕19号，2020年5月1日起施行）第九十三条、第九十四条。",
    columns: { provision: "条文", point: "条文要点（意译，非原文）", status: "本报告", where: "在报告何处" },
    statusWords: { shown: "能证明", partly: "部分证明", not: "不能证明" },
    rows: [
      {
        provision: "《在线诉讼规则》第十六条",
        point: "通过区块链技术存储并经技术核验一致的电子数据，可以认定上链后未经篡改，有足以推翻的相反证据的除外。",
        status: verified ? "shown" : "partly",
        what: chainWhat,
        where: "封面结论；第3节每个事件的核验表；第4节核验方法；附录B存证证明",
      },
      {
        provision: "第十七条第（一）项",
        point: "存证平台是否符合国家有关部门关于提供区块链存证服务的规定。",
        status: "not",
        what: "不能证明：备案、资质等属于报告之外的事实，须由本服务的运营方另行提供材料。",
        where: "—",
      },
      {
        provision: "第十七条第（二）项",
        point: "当事人与存证平台是否存在利害关系，是否以技术手段不当干预取证、存证过程。",
        status: "partly",
        what: "部分证明：锚定时间由公链区块决定，本服务和平台都无法改写；报告列出提交方、请求人和本案的审计日志。当事人与本服务、与平台之间有无利害关系，报告不能证明。",
        where: "封面（提交方、请求人）；第5节审计日志",
      },
      {
        provision: "第十七条第（三）项",
        point: "存证平台的信息系统是否符合清洁性、安全性、可靠性、可用性的国家标准或行业标准。",
        status: "not",
        what: "不能证明：须由检测、认证等报告之外的材料证明。",
        where: "—",
      },
      {
        provision: "第十七条第（四）项",
        point: "存证技术和过程是否符合相关标准中关于系统环境、技术安全、加密方式、数据传输、信息验证等方面的要求。",
        status: "partly",
        what: "部分证明：报告写明所用的哈希算法、默克尔树、签名算法和全部核验步骤，可与相关标准逐项比对；是否符合某一标准，须另行认定。",
        where: "附录A算法；第4节核验方法",
      },
      {
        provision: "第十八条",
        point: "对上链存储前数据的真实性有异议的，法院可以要求提交方说明数据的来源、生成机制、存储过程，以及公证、第三方见证、关联印证数据等情况。",
        status: "not",
        what: "不能证明：报告的证明自平台提交摘要值时开始。文件由谁形成或签署、平台声称的发生时间是否真实，都是平台的主张；报告只给出本服务接收的时间和上链锚定的时间。",
        where: "第2节“不能证明的”；第1节时间线（声称时间、接收时间、锚定时间）",
      },
      {
        provision: "第十九条",
        point: "当事人可以申请具有专门知识的人就相关技术问题提出意见；法院可以委托鉴定，或调取其他证据核对。",
        status: "shown",
        what: "支持：报告附有每个事件的完整存证证明、核验命令和公钥地址，专家或司法鉴定机构无需依赖本服务即可独立复核。",
        where: "第4节核验方法；附录A签名；附录B存证证明",
      },
      {
        provision: "《民事证据规定》第九十三条第（一）至（三）项",
        point: "电子数据生成、存储、传输所依赖的计算机系统软硬件环境是否完整可靠、是否正常运行、是否具备有效的防止出错的监测和核查手段。",
        status: "partly",
        what: "部分证明：就存证和锚定环节，报告给出逐项核验结果、哈希链接的审计日志以及生成报告的软件版本；平台自身系统的情况，报告不能证明。",
        where: "封面（软件版本）；第3节核验表；第5节审计日志",
      },
      {
        provision: "第九十三条第（四）项",
        point: "电子数据是否被完整地保存、传输、提取，方法是否可靠。",
        status: verified ? "shown" : "partly",
        what: verified
          ? "能证明（自提交时起）：哈希值比对表明记录完整且未被改动；案件时间线的哈希链接表明没有事件缺失、插入或调换。"
          : "部分证明：方法见第4节；本报告的结论不是“验证通过”（见封面）。",
        where: "第1节时间线；第3节每个事件",
      },
      {
        provision: "第九十三条第（五）、（六）项",
        point: "电子数据是否在正常的往来活动中形成和存储；保存、传输、提取电子数据的主体是否适当。",
        status: "not",
        what: "不能证明：事件类型和发生时间按平台提交的内容列出，是平台的主张；报告写明提交方和本服务，主体是否适当由法院判断。",
        where: "第1节时间线（事件类型，按提交）；封面",
      },
      {
        provision: "第九十四条第一款第（二）项",
        point: "由记录和保存电子数据的中立第三方平台提供或者确认的电子数据，法院可以确认其真实性，有足以反驳的相反证据的除外。",
        status: "partly",
        what: "部分证明：本报告由记录摘要值的本服务出具并电子签名；每项证明也可不经本服务、直接在公链上核验。本服务相对于双方当事人是否中立，报告本身不能证明。",
        where: "附录A签名；第4节核验方法",
      },
      {
        provision: "第九十四条其他情形及第二款",
        point: "于己不利的电子数据、正常业务活动中形成、以档案管理方式保管、以约定方式保存的电子数据；经公证的电子数据。",
        status: "not",
        what: "不能证明：这些是当事人的主张或报告之外的事实；本报告不是公证文书。",
        where: "—",
      },
    ],
    closing: "“能证明”仅指本报告所载的技术核验结果；证据的采信和证明力由法院依法认定。",
  };
}

function en(verified: boolean): LegalMapping {
  return {
    title: "How this report maps to what Chinese courts weigh",
    intro:
      "For electronic data stored on a blockchain, point by point: what this report establishes, what it establishes in part, and what it cannot (the platform's or the parties' claims, or facts outside the report), and where in the report each is shown. The \"point\" column is our paraphrase of each article, not its text; cite the official text published by the Supreme People's Court. This report is not a forensic examination opinion (司法鉴定意见) nor a notarial document.",
    sources:
      "Sources: the Online Litigation Rules of the People's Courts (《人民法院在线诉讼规则》, Fa Shi [2021] No. 12, in force 1 August 2021), Articles 16 to 19; the Provisions of the Supreme People's Court on Evidence in Civil Procedure (《最高人民法院关于民事诉讼证据的若干规定》, Fa Shi [2019] No. 19, in force 1 May 2020), Articles 93 and 94.",
    columns: { provision: "Article", point: "Point (paraphrase, not the text)", status: "This report", where: "Where in the report" },
    statusWords: { shown: "Shown", partly: "In part", not: "Not shown" },
    rows: [
      {
        provision: "Online Litigation Rules Art. 16",
        point: "Data stored with blockchain technology that checks out technically may be found unaltered since it was put on chain, unless contrary evidence suffices to overturn that.",
        status: verified ? "shown" : "partly",
        what: verified
          ? "Shown: every event's digest, leaf hash, Merkle path, anchoring transaction and block were checked against the chain and match."
          : "The verdict is not VERIFIED (cover): events that failed or could not be checked do not support it.",
        where: "Cover verdict; Section 3, each event's checks; Section 4; Appendix B",
      },
      {
        provision: "Art. 17 (1)",
        point: "Whether the storage platform meets the state's rules for providing blockchain evidence-storage services.",
        status: "not",
        what: "Not shown: filings and licences are outside the report; the operator of this service must provide them.",
        where: "—",
      },
      {
        provision: "Art. 17 (2)",
        point: "Whether a party has an interest in the platform, or interfered with collection or storage by technical means.",
        status: "partly",
        what: "In part: anchor times come from public blocks neither this service nor the platform can rewrite; the report names the submitter, the requester and the case's audit entries. Whether a party has ties to this service or the platform, it cannot show.",
        where: "Cover (submitter, requester); Section 5",
      },
      {
        provision: "Art. 17 (3)",
        point: "Whether the platform's information system meets national or industry standards of cleanliness, security, reliability and availability.",
        status: "not",
        what: "Not shown: needs test or certification documents outside the report.",
        where: "—",
      },
      {
        provision: "Art. 17 (4)",
        point: "Whether the storage technique and process meet the standards' requirements on system environment, security, encryption, transmission and verification.",
        status: "partly",
        what: "In part: the report names its hash, tree and signature algorithms and every verification step, to compare with a standard; conformity itself must be established separately.",
        where: "Appendix A; Section 4",
      },
      {
        provision: "Art. 18",
        point: "When the data's authenticity before it went on chain is disputed, the court may ask for its source, how it was produced and stored, notarisation, third-party witnessing or corroborating data.",
        status: "not",
        what: "Not shown: the proofs start when the platform submitted the digest. Who made or signed a document, and whether the claimed times are true, are the platform's claims; the report gives the receive and anchor times.",
        where: "Section 2 (what they do not show); Section 1 (claimed, received, anchored)",
      },
      {
        provision: "Art. 19",
        point: "A party may ask an expert to give an opinion on technical questions; the court may commission an examination or gather other evidence to compare.",
        status: "shown",
        what: "Supported: every event's full proof, the commands and the key addresses are in the report, so an expert or examiner can re-check everything without this service.",
        where: "Section 4; Appendices A and B",
      },
      {
        provision: "Evidence Provisions Art. 93 (1)-(3)",
        point: "Whether the hardware and software the data was produced, stored and sent with were complete, reliable, running normally, and had effective means to detect errors.",
        status: "partly",
        what: "In part: for storage and anchoring, the check results, the hash-linked audit log and the software version; the platform's own systems, it cannot show.",
        where: "Cover (software); Section 3; Section 5",
      },
      {
        provision: "Art. 93 (4)",
        point: "Whether the data was kept, sent and extracted completely, by reliable methods.",
        status: verified ? "shown" : "partly",
        what: verified
          ? "Shown, from submission on: the hashes match, so the records are complete and unchanged; the timeline's links show no event missing, inserted or reordered."
          : "In part: the methods are in Section 4; the verdict is not VERIFIED (cover).",
        where: "Section 1; Section 3",
      },
      {
        provision: "Art. 93 (5), (6)",
        point: "Whether the data arose and was stored in normal dealings; whether those who kept, sent and extracted it were appropriate.",
        status: "not",
        what: "Not shown: event types and claimed times are listed as the platform submitted them; the report names the submitter and this service, and the court judges whether they were appropriate.",
        where: "Section 1 (as submitted); cover",
      },
      {
        provision: "Art. 94 para. 1 (2)",
        point: "Data provided or confirmed by a neutral third-party platform that records and keeps it may be found authentic, unless contrary evidence suffices to rebut it.",
        status: "partly",
        what: "In part: the report is issued and signed by this service, which recorded the digests, and each proof can be checked on the public chain without it. Whether this service is neutral towards the parties, the report itself cannot show.",
        where: "Appendix A; Section 4",
      },
      {
        provision: "Art. 94, other items and para. 2",
        point: "Data against the interest of the party holding it, made in normal business, kept as archives or in an agreed way; notarised data.",
        status: "not",
        what: "Not shown: these are the parties' claims or facts outside the report; this report is not a notarial document.",
        where: "—",
      },
    ],
    closing: "\"Shown\" means the technical checks this report records; whether evidence is admitted and how much weight it carries is for the court.",
  };
}
