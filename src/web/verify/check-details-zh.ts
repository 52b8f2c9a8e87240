// The verification library's check details (src/verify/checks.ts, index.ts, identify.ts) in
// Chinese, for the page and the Chinese evidence report. The library speaks English and its
// wording is part of its tests, so the translation is done here, sentence pattern by pattern.
// A detail no pattern knows is returned as the library wrote it (hashes and numbers intact)
// rather than guessed at. Pure: no DOM, imports nothing; the report PDF imports it too.

type Rule = [RegExp, (...m: string[]) => string];

const RULES: Rule[] = [
  [/^RPC error: (.*)$/s, (e) => `区块链节点接口（RPC）出错：${e}`],
  [/^a well-formed (\S+) bundle$/, (f) => `格式正确的 ${f} 证明文件`],
  [/^the document's (\S+) digest is (\S+), the digest in the proof$/, (a, d) => `文件的 ${a} 摘要值为 ${d}，与证明中的摘要值一致`],
  [
    /^the document's (\S+) digest is (\S+), the proof is about (\S+): this is not the document the proof was made for$/,
    (a, d, w) => `文件的 ${a} 摘要值为 ${d}，而证明针对的摘要值为 ${w}：这不是该证明所对应的文件`,
  ],
  [/^cannot recompute the leaf hash: (.*)$/s, (e) => `无法重新计算叶子哈希值：${e}`],
  [/^leaf hash (\S+) matches the evidence digest, salt and meta$/, (h) => `叶子哈希值 ${h} 与存证摘要值、盐值和元数据一致`],
  [/^leaf hash (\S+) does not match the recomputed (\S+)$/, (h, r) => `叶子哈希值 ${h} 与重新计算的结果 ${r} 不一致`],
  [/^leaf (\d+) of (\d+) leads to the batch root (\S+)$/, (i, n, r) => `第 ${i} 个叶子（共 ${n} 个）经默克尔路径得到批次根哈希 ${r}`],
  [
    /^the path of leaf (\d+) of (\d+) leads to (\S+), not the batch root (\S+)$/,
    (i, n, got, r) => `第 ${i} 个叶子（共 ${n} 个）的默克尔路径得到 ${got}，而不是批次根哈希 ${r}`,
  ],
  [/^the RPC endpoint serves chain (\d+)$/, (c) => `所连接的节点属于链 ${c}`],
  [/^the RPC endpoint serves chain (\d+), the bundle names chain (\d+)$/, (g, w) => `所连接的节点属于链 ${g}，而证明写明的是链 ${w}`],
  [/^transaction (\S+) not found on chain (\d+)$/, (t, c) => `在链 ${c} 上找不到交易 ${t}`],
  [/^transaction (\S+) is still pending$/, (t) => `交易 ${t} 尚未被打包进区块`],
  [/^transaction (\S+) has no receipt$/, (t) => `交易 ${t} 没有交易回执`],
  [/^transaction (\S+) failed \(status (\S+)\)$/, (t, s) => `交易 ${t} 执行失败（状态 ${s}）`],
  [/^transaction was sent to (.+), not the anchor contract (\S+)$/, (to, c) => `交易发往 ${to}，而不是锚定合约 ${c}`],
  [/^transaction is in block (\d+), the bundle says (\d+)$/, (b, w) => `交易位于区块高度 ${b}，而证明写明的是 ${w}`],
  [/^transaction (\S+) succeeded in block (\d+), sent to (\S+)$/, (t, b, c) => `交易 ${t} 已在区块高度 ${b} 执行成功，发往合约 ${c}`],
  [/^block (\d+) not found$/, (b) => `找不到区块高度为 ${b} 的区块`],
  [/^block (\d+) has hash (\S+), the bundle says (\S+)$/, (b, h, w) => `区块 ${b} 的区块哈希为 ${h}，而证明写明的是 ${w}`],
  [/^block (\d+) has timestamp (\d+), the bundle says (\d+)$/, (b, t, w) => `区块 ${b} 的时间戳为 ${t}，而证明写明的是 ${w}`],
  [
    /^block (\d+) has hash (\S+) and timestamp (\d+) \((.*)\)$/,
    (b, h, t, iso) => `区块 ${b} 的区块哈希为 ${h}，时间戳为 ${t}（${iso === "out of range" ? "超出范围" : iso}）`,
  ],
  [/^the receipt has no log from the anchor contract (\S+)$/, (c) => `交易回执中没有锚定合约 ${c} 的事件日志`],
  [/^a log from (\S+) carries root (\S+) as topic (\d+)$/, (c, r, n) => `合约 ${c} 的事件日志在第 ${n} 个主题中记载了根哈希 ${r}`],
  [/^a log from (\S+) carries root (\S+) in data word (\d+)$/, (c, r, n) => `合约 ${c} 的事件日志在第 ${n} 个数据字中记载了根哈希 ${r}`],
  [/^(\d+) log\(s\) from (\S+), none carries root (\S+)$/, (n, c, r) => `合约 ${c} 有 ${n} 条事件日志，均未记载根哈希 ${r}`],
  [/^anchorOf returned malformed data: (.*)$/s, (e) => `合约的 anchorOf 返回了格式错误的数据：${e}`],
  [/^the contract has no record of root (\S+)$/, (r) => `锚定合约中没有根哈希 ${r} 的记录`],
  [
    /^the contract records root (\S+) with size (\d+) in block (\d+) \(seq (\d+)\)$/,
    (r, s, b, q) => `锚定合约记录了根哈希 ${r}：批次大小 ${s}，区块高度 ${b}（批次序号 ${q}）`,
  ],
  [/^the latest block (\d+) is before the anchor block (\d+)$/, (l, b) => `最新区块 ${l} 早于锚定区块 ${b}`],
  [/^(\d+) confirmation\(s\), at least (\d+) asked for$/, (c, m) => `已有 ${c} 个区块确认，不少于要求的 ${m} 个`],
  [/^(\d+) confirmation\(s\), fewer than the (\d+) asked for$/, (c, m) => `仅有 ${c} 个区块确认，少于要求的 ${m} 个`],
  [/^skipped: the bundle is not well-formed$/, () => "未执行：证明文件格式不正确"],
  [/^skipped: the evidence is not in a batch yet$/, () => "未执行：该存证尚未编入批次"],
  [/^skipped: the batch is not anchored yet$/, () => "未执行：该批次尚未上链锚定"],
  [/^skipped: no chain reader given \(offline verification\)$/, () => "未执行：未连接区块链（离线核验）"],
  [/^skipped: the chain could not be asked$/, () => "未执行：无法访问区块链"],
  [/^skipped: the chain check failed$/, () => "未执行：链校验未通过"],
];

/** The detail in Chinese, or as given when no pattern knows it. */
export function checkDetailZh(detail: string): string {
  for (const [re, fn] of RULES) {
    const m = re.exec(detail);
    if (m !== null) return fn(...m.slice(1).map((s) => s ?? ""));
  }
  return detail;
}

/** Short Chinese names of the checks, for tables (the page has its own longer titles). */
export const CHECK_NAMES_ZH: Record<string, string> = {
  format: "格式",
  document: "文件",
  leaf: "叶子",
  root: "默克尔根",
  chain: "链",
  transaction: "交易",
  block: "区块",
  log: "事件日志",
  contract: "合约",
  confirmations: "确认数",
};
