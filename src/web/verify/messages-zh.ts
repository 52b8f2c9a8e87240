// The page in Chinese: the same table as MESSAGES (messages.ts), for judges, clerks and notaries.
// Terms as Chinese practice uses them: 存证, 哈希值/摘要值, 默克尔树, 区块高度, 交易哈希, 时间戳.
// The library's own sentences (check details, what a dropped file is) go through
// check-details-zh.ts and identifyZh below, pattern by pattern; what no pattern knows is
// shown as the library wrote it rather than guessed at. Pure data: no DOM.
import { short } from "../../verify/checks.ts";
import { checkDetailZh } from "./check-details-zh.ts";
import type { HeadlineInput, Messages } from "./messages.ts";

/** The checks' short Chinese names, for the headline ("「文件」校验未通过"). */
const CHECK_NAMES: Record<string, string> = {
  format: "格式",
  document: "文件比对",
  leaf: "存证记录",
  root: "默克尔树",
  chain: "区块链",
  transaction: "交易",
  block: "区块",
  log: "事件日志",
  contract: "锚定合约",
  confirmations: "确认数",
};

function headlineZh(h: HeadlineInput): string {
  const detail = h.check === null ? "" : checkDetailZh(h.check.detail);
  switch (h.kind) {
    case "invalid":
      return h.check === null ? "无法读取该证明文件。" : `「${CHECK_NAMES[h.check.name] ?? h.check.name}」校验未通过：${detail}。`;
    case "inconclusive":
      return h.check?.name === "document"
        ? `无法核对文件（${detail}）。目前未发现证明有任何问题，但尚未证明它对应此文件。请用能计算该哈希值的工具核对文件。`
        : `无法访问区块链（${detail}），因此未核验上链锚定。目前未发现证明有任何问题。请稍后重试，或换用链 ${h.chainId ?? "?"} 的其他 RPC 节点。`;
    case "pending":
      return `证明文件格式正确，但摘要值 ${h.digest === null ? "?" : short(h.digest)} 尚未在区块链上锚定。请稍后重新获取证明。`;
    case "consistent":
      return "证明内部一致，但未与区块链核对。请选择区块链来源，以核验上链锚定。";
    case "valid":
      return `摘要值 ${h.digest === null ? "?" : short(h.digest)} 最迟在 ${h.anchoredAt ?? `区块高度 ${h.blockNumber ?? "?"}`}（链 ${h.chainId ?? "?"}，区块高度 ${h.blockNumber ?? "?"}）已经存在，此后该记录未被改动。`;
  }
}

type IdRule = [RegExp, (...m: string[]) => string];

/** What src/verify/identify.ts says a dropped file is, and what to do instead, in Chinese. */
const ID_RULES: IdRule[] = [
  [/^this looks like a document \(not JSON\), not a proof$/, () => "这看起来是一份文件（不是 JSON），不是证明文件"],
  [
    /^give the proof file \(a small \.json file, format evidence-proof\/v1\) as the proof, and the document as the document$/,
    () => "请把证明文件（一个很小的 .json 文件，格式为 evidence-proof/v1）放入“证明”一栏，把文件本身放入“文件”一栏",
  ],
  [/^this is binary data, not a proof$/, () => "这是二进制数据，不是证明文件"],
  [/^give the proof file \(a small \.json file\) as the proof$/, () => "请把证明文件（一个很小的 .json 文件）放入“证明”一栏"],
  [/^this is an evidence report \((\S+), (\d+) events?\), not a single proof$/, (f, n) => `这是一份存证报告（${f}，共 ${n} 个事件），不是单个证明文件`],
  [/^check it as a report: .*$/, () => "请按报告核验：在命令行运行 evidence verify-report <文件>，或将其拖入 /verify 页面（页面会核验其签名和其中每个证明）"],
  [/^this is a receipt for evidence (\S+): .*$/, (id) => `这是存证 ${id} 的受理回执（服务对收到摘要值的签名确认），不是证明文件`],
  [/^this is a receipt: .*$/, () => "这是一份受理回执（服务对收到摘要值的签名确认），不是证明文件"],
  [
    /^fetch the proof once the item is anchored \((evidence wait \S+ -o proof\.json), or (GET \S+)\) and check that file$/,
    (cli, api) => `待该存证上链锚定后获取证明（${cli}，或 ${api}），再核验该证明文件`,
  ],
  [/^this is the list of proofs of case (.+) \((\d+) items?\), not a single proof$/, (c, n) => `这是案件 ${c} 的证明列表（共 ${n} 项），不是单个证明文件`],
  [/^save each item's proof as a file of its own .*$/, () => "请把每一项的证明分别保存为单独的文件再核验，或申请该案件的存证报告并核验报告"],
  [/^this is the timeline of case (.+) \(a list of (\d+) events?\), not a proof$/, (c, n) => `这是案件 ${c} 的时间线（共 ${n} 个事件），不是证明文件`],
  [/^fetch the proof of each event \((GET \S+)\) .*$/, (api) => `请获取每个事件的证明（${api}）再核验，或申请该案件的存证报告`],
  [/^this is the service's public key set \(JWKS\), not a proof$/, () => "这是服务的公钥集（JWKS），不是证明文件"],
  [/^give it to verify-report with --keys; check a proof file here$/, () => "请在 verify-report 命令中以 --keys 参数使用它；本页面用于核验证明文件"],
  [/^this is the status record of evidence (\S+) \((GET \S+)\), not its proof$/, (id, api) => `这是存证 ${id} 的状态记录（${api}），不是它的证明`],
  [
    /^fetch the proof \((evidence proof \S+ -o proof\.json), or (GET \S+)\) and check that file$/,
    (cli, api) => `请获取证明（${cli}，或 ${api}），再核验该证明文件`,
  ],
];

export function identifyZh(s: string): string {
  for (const [re, fn] of ID_RULES) {
    const m = re.exec(s);
    if (m !== null) return fn(...m.slice(1).map((x) => x ?? ""));
  }
  return s;
}

export const MESSAGES_ZH: Messages = {
  verdictLabels: {
    valid: "验证通过",
    invalid: "验证未通过",
    pending: "尚未上链锚定",
    consistent: "内部一致——未核验上链锚定",
    inconclusive: "无法验证",
  },
  validDocumentUnchecked: "验证通过——未核对文件",
  stateWords: { ok: "通过", failed: "未通过", skipped: "未执行", unavailable: "无法执行" },
  checkTitles: {
    format: "证明文件格式正确",
    document: "文件与证明所对应的文件一致",
    leaf: "存证记录完整，未被改动",
    root: "存证记录属于已上链的批次（默克尔树）",
    chain: "区块链与证明所写的一致",
    transaction: "锚定交易在区块链上",
    block: "区块及其时间戳一致",
    log: "该交易记录了此批次",
    contract: "锚定合约确认了此批次",
    confirmations: "其后已有足够的区块确认",
  },
  checksSummary: (ok, failed, skipped, unavailable) =>
    `${ok} 项通过，${failed} 项未通过，${skipped} 项未执行${unavailable > 0 ? `，${unavailable} 项无法执行` : ""}（“–”表示未要求执行该项${unavailable > 0 ? "，“?”表示该项无法执行" : ""}）。`,
  inconclusiveChain: (relay) =>
    relay
      ? "无法通过本服务访问区块链，因此无法核验上链锚定。目前未发现证明有任何问题：这不是否定该证明的结论。请稍后重试，或使用您自己的节点。"
      : "无法通过您填写的地址访问区块链，因此无法核验上链锚定。目前未发现证明有任何问题：这不是否定该证明的结论。请检查 RPC 地址（以及该节点是否接受本页面的请求），或稍后重试。",
  inconclusiveDocument: "无法在此核对您的文件，因此不能表明该证明对应此文件。目前未发现证明有任何问题。",
  validDocumentUncheckedMeaning: "证明本身验证通过，但未核对您的文件。",
  beijingLabel: "北京时间（UTC+08:00）",
  verifyButton: "验证",
  verifyingButton: "正在验证…",
  chooseProof: "请选择证明文件，或粘贴证明文本。",
  minConfirmations: "最少确认数必须是 0 或正整数。",
  rpcUrlMissing: "请填写您节点的 RPC 地址（以 https:// 或 http:// 开头），或选择其他区块链来源。",
  rpcUrlScheme: "RPC 地址必须以 https:// 或 http:// 开头。",
  inputsChanged: "输入已更改。请按“验证”重新核验。",
  emptyResult: "请添加证明并按“验证”。结果将显示在这里。",
  checking: (offline) => (offline ? "正在核验证明…" : "正在核验证明并查询区块链…"),
  couldNotRun: (why) => `无法执行验证：${why}`,
  proofTooLarge: (name, size) => `“${name}”大小为 ${size}，远大于证明文件（证明文件只有几 KB）。您是否把文件本身当作证明选择了？`,
  proofUnreadable: (why) => `无法读取证明文件：${why}。请重新选择。`,
  notAProofTitle: "这不是证明文件",
  notAProof: (what, advice) => `${identifyZh(what)}。请改为：${identifyZh(advice)}。`,
  documentTooLargeForSm3: (size) =>
    `您的文件（${size}）太大，无法在此浏览器中计算 SM3 摘要值，因此未核对。请用命令行验证工具核对：npx evidence verify proof.json --file <document>`,
  documentUnknownAlg: (alg) => `证明写明的哈希算法（${alg}）本页面不支持，因此未核对您的文件。`,
  documentNoAlg: "无法读取证明，因此不知道如何计算您文件的哈希值：未核对您的文件。",
  documentUnreadable: (why) => `无法读取您的文件（${why}），因此未核对。`,
  report: {
    title: "存证报告",
    labels: {
      valid: "报告验证通过",
      consistent: "报告内部一致——未核验上链锚定",
      inconclusive: "无法验证该报告",
      invalid: "报告验证未通过",
    },
    keysFrom: (url) => `已用本服务公布的公钥核验签名（${url}）。`,
    keysUnavailable: (why) => `无法获取本服务公布的公钥（${why}），因此无法核验报告的签名。`,
    signature: "签名",
    event: (n) => `事件 ${n}`,
    timeline: "时间线",
    warnings: "关于平台所称时间的提示",
    warningsNote: "这些时间是平台自己的陈述；锚定时间来自区块链。",
    eventState: { valid: "验证通过", consistent: "内部一致，未核验锚定", pending: "尚未上链锚定", inconclusive: "无法验证", invalid: "验证未通过" },
    eventMismatch: "与报告不符：报告所述内容在其证明中不能得到印证",
    anchoredAt: (utc, beijing) => `锚定于 ${utc}（UTC）· ${beijing}`,
    claimed: (at) => `平台称发生于 ${at}`,
  },
  whatThisMeans: "这意味着什么",
  everyCheck: "逐项校验",
  chainNames: {
    1: "以太坊主网",
    10: "OP 主网",
    56: "BNB 智能链",
    100: "Gnosis",
    137: "Polygon PoS",
    8453: "Base",
    42161: "Arbitrum One",
    11155111: "Sepolia 测试网",
    17000: "Holesky 测试网",
    31337: "本地开发链",
  },
  chain: (id, name) => (name === undefined ? `链 ${id}` : `链 ${id}（${name}）`),
  bytes: (n) => `${n} 字节`,
  dateTime: (p) => `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}:${p.second}`,
  utc: (dateTime) => `${dateTime}（UTC）`,
  zone: (name, offset) => `${name}，${offset}`,
  yourTime: (clock, zone) => `您所在时区为 ${clock}，${zone}`,
  atBlock: (n) => `区块高度 ${n}`,
  meaningFormat: "无法将该文件读作存证证明（格式 evidence-proof/v1）。请确认您选择的是证明文件（通常是 .json 文件）而不是文件本身，并且它未被编辑过。",
  meaningDocument: "您选择的文件不是该证明所对应的文件：哪怕只改动一个字符，摘要值（文件的“指纹”）也会完全不同。请确认选择了正确的文件。",
  meaningAltered: "该证明在出具后被改动过：其各部分已不再吻合。",
  meaningUnreachable: (relay) =>
    relay
      ? "无法通过本服务访问区块链，因此无法核验上链锚定。请稍后重试，或使用您自己的节点。"
      : "无法通过您填写的地址访问区块链，因此无法核验上链锚定。请检查 RPC 地址（以及该节点是否接受本页面的请求），或稍后重试。",
  meaningWrongChain: "所选来源提供的区块链不是证明所写的那条链，因此无法在那里核验锚定。请使用证明所写链的节点。",
  meaningConfirmations: "记录已在区块链上，但其后的区块数少于您要求的最少确认数。请稍候再验证，或降低最少确认数。",
  meaningTransaction: "证明所写的锚定交易不在区块链上，或与证明的描述不符。",
  meaningBlock: "证明所写的区块或时间与区块链不符。",
  meaningNoRecord: "区块链上没有证明所描述的该批次记录。",
  validDocument: (at) => `该文件最迟在 ${at} 已经存在，且此后未被改动。`,
  validRecord: (at) => `该证明所涉的存证记录最迟在 ${at} 已经存在，且此后未被改动。`,
  validNoDocument: "未核对任何文件。请在上方添加文件并重新验证，以确认该证明对应此文件。",
  validTimeSource: (submitter) => `该时间来自记录所在区块的时间戳，而不是本服务的任何时钟。该记录由“${submitter}”提交。`,
  consistentNoTime: "所有能够执行的校验均已通过，但未查询区块链，因此不能表明该记录存在的时间。",
  consistentClaimed: (utc) =>
    `所有能够执行的校验均已通过，但未查询区块链，因此尚不能表明该记录存在的时间。证明称其锚定于 ${utc}；请选择区块链来源并重新验证以确认。`,
  documentMatches: "您选择的文件正是该证明所对应的文件。",
  pendingMeaning: "证明文件格式正确，但其记录尚未写入区块链，因此还不能表明时间。请几分钟后重新获取证明，并核验新的文件。",
  intactOther: (alg, digest) => `证明本身完好：它针对的是 ${alg} 摘要值为 ${digest} 的文件。`,
  intactOtherWhen: (alg, digest, utc) => `证明本身完好：它表明 ${alg} 摘要值为 ${digest} 的文件最迟在 ${utc} 已经存在。您的文件不是那个文件。`,
  invalidNotShown: "按此处的核验，该证明不能表明该文件在所写时间已经存在。",
  facts: {
    anchorTitle: "上链锚定",
    anchoredUtc: "最迟存在时间（UTC）",
    statedUtc: "证明所写的锚定时间（UTC）",
    notConfirmed: "未经区块链确认。",
    yourTimeLabel: "您所在时区的时间",
    blockchain: "区块链",
    block: "区块高度",
    transaction: "交易哈希",
    contract: "锚定合约",
    confirmations: "确认数",
    notChecked: "未核验",
    atLeast: (n) => `要求至少 ${n} 个。`,
    anchored: "上链锚定",
    notYet: "尚未",
    evidenceTitle: "存证",
    digestInProof: (alg) => `证明中的文件摘要值（${alg}）`,
    submittedBy: "提交方",
    caseId: "案件",
    event: "事件",
    occurredAt: "发生时间",
    asStated: (raw) => `由提交该记录的平台陈述（${raw}）。`,
    received: "服务接收时间",
    evidenceId: "存证编号",
    batch: "批次",
    batchValue: (seq, n, size) => `批次 ${seq}，第 ${n} 条（共 ${size} 条）`,
    documentTitle: "您的文件",
    document: "文件",
    noneGiven: "未提供",
    checkedAlone: "仅核验了证明本身。",
    file: "文件",
    fileNote: (size) => `${size}，仅在本机读取。`,
    digestHere: (alg) => `在本机计算的摘要值（${alg}）`,
    matches: "与证明一致",
    yes: "是",
    no: "否",
    digest: "摘要值",
    notComputed: "未计算",
    howTitle: "核验方式",
    source: "区块链数据来源",
    relay: "本服务的中继",
    relayNote: (url) => `区块链数据经由本服务获取（${url}）。如需完全独立，请用您自己的节点核验。`,
    ownNode: "您自己的节点。",
    offline: "无（离线）",
    offlineNote: "未查询区块链。",
    minConfirmations: "最少确认数",
  },
  headline: headlineZh,
  detail: checkDetailZh,
  reportFailing: (names) => `未通过的校验：${names}`,
  reportBeijing: (t) => `北京时间 ${t}（UTC+08:00）`,
  reportConsistent: "签名和每个证明均已核对无误，但未查询区块链，因此锚定时间未经确认。请选择区块链来源并重新验证。",
  claimedTime: (f) =>
    f.kind === "after-anchor"
      ? `平台称其发生于 ${f.claimed}，晚于其锚定时间 ${f.anchored}：记录不可能在其所描述的事件发生之前被锚定，因此所称时间有误（以锚定时间为准）。`
      : f.kind === "out-of-order"
        ? `平台称其发生于 ${f.claimed}，早于排在其前面的事件 ${f.before.n}（${f.before.claimed}）：平台所称时间顺序错乱。`
        : `平台所称时间 ${JSON.stringify(f.claimed)} 无法识别为时间。`,
  page: {
    title: "验证存证证明",
    skip: "跳到表单",
    eyebrow: "存证证明验证",
    h1: "验证存证证明",
    lead: "存证证明是一个很小的文件，它表明某份文件最迟在公共区块链记录的某一时刻已经存在，且此后未被改动。请添加文件及其证明，然后按“验证”。本页面会读取证明、重新计算每一个哈希值，并向区块链查询该记录是否存在。",
    privacy: "您的文件只在本机计算哈希值，绝不会上传。",
    langLabel: "语言",
    formHeading: "核验内容",
    docTitle: "文件",
    optional: "（可选）",
    docZone: "文件",
    dropFile: "将文件拖到这里，或",
    chooseFile: "选择文件",
    remove: "移除",
    removeDocument: "文件",
    removeProof: "证明文件",
    docHelp: "证明所涉的合同、PDF 或其他文件。它在您的浏览器中计算哈希值，绝不会离开本机。",
    proofTitle: "证明",
    proofZone: "证明文件",
    dropProof: "将证明文件（.json）拖到这里，或",
    proofHelp: "您随文件一同收到的证明文件（格式 evidence-proof/v1）。",
    paste: "或粘贴证明文本",
    chainTitle: "区块链核验",
    chainLegend: "在哪里查询区块链",
    relay: "通过本服务（默认）",
    relayHelp: "区块链数据经由本服务的只读中继获取。如需完全独立，请使用您自己的节点。",
    custom: "我自己的节点（RPC 地址）",
    customHelp: "您信任的、证明所写那条链的节点的 JSON-RPC 地址（http 或 https）。该节点必须接受本页面的请求（CORS）。",
    rpcLabel: "我节点的 RPC 地址",
    offline: "不查询区块链（离线）",
    offlineHelp: "只核验证明内部是否一致。这无法确认文件存在的时间。",
    minConf: "最少确认数",
    minConfHelp: "链上须已产生的区块数（包括记录所在的区块）。一般情况下 1 即可。",
    startOver: "重新开始",
    resultHeading: "验证结果",
    footFormat: "证明格式：",
    footPrivacy: "· 除向上方所选来源发出的区块链查询外，本页面不向任何地方发送任何内容。",
    footCli: "命令行验证工具：",
    footApi: "API 说明",
  },
};
