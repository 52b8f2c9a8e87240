// The commands of the PDF's "How to verify this report yourself" section, filled in with one
// case's values: the document digest, the leaf and Merkle-path steps with `openssl`, the
// JSON-RPC calls with the real transaction and block, the report's signature and timeline.
// The same steps and wording as docs/verifying.md, so a reader can follow either. Pure: the
// expected outputs are computed here from the proof, never fetched.
import type { ProofBundleV1 } from "../core/bundle.ts";
import { concatBytes, fromHex, toHex } from "../core/bytes.ts";
import { sha256 } from "../core/hash.ts";
import { metaDigest } from "../core/leaf.ts";
import { ANCHOR_OF_SELECTOR } from "../verify/checks.ts";
import type { EvidenceReportV1, ReportAnchoring, ReportEvent } from "./format.ts";
import type { ReportLanguage } from "./i18n/language.ts";

/** The wording in the report's language; commands and values are the same in both. */
const tr =
  (lang: ReportLanguage) =>
  (en: string, zh: string): string =>
    lang === "zh-CN" ? zh : en;
/** Comment lines of the command boxes: "# expected" in English, "# 预期" in Chinese. */
function localise(lines: string[], lang: ReportLanguage): string[] {
  if (lang !== "zh-CN") return lines;
  return lines.map((l) =>
    l
      .replace(/^# expected result: /, "# 预期结果：")
      .replace(/^# expected five words: /, "# 预期五个字：")
      .replace(/^# expected: /, "# 预期：")
      .replace(/^# the last value is batch.root$/, "# 最后一个值即 batch.root（批次根哈希）")
      .replace(/^# confirmations: this number - (\d+) \+ 1$/, "# 确认数：此数 - $1 + 1")
      .replace(/^# base64url to the 32 raw key bytes, then to PEM \(SubjectPublicKeyInfo\)$/, "# 将 base64url 转为 32 字节原始公钥，再转为 PEM（SubjectPublicKeyInfo）")
      .replace(/^# each line's prev must be the leafHash of the line above; the first line's prev is null$/, "# 每行的 prev 必须等于上一行的 leafHash；第一行的 prev 为 null")
      .replace(/^# a batch of one leaf: its root is the leaf hash /, "# 只有一个叶子的批次：其根哈希即叶子哈希值 ")
      .replace(/^# NOTE: /, "# 注意：")
      // Placeholders the reader fills in, anywhere in a line.
      .replace(/<RPC URL of a node of chain ([^>]+)>/g, "<链 $1 节点的 RPC URL>")
      .replace(/<document of event (\d+)>/g, "<事件 $1 的文件>"),
  );
}

export interface Step {
  title: string;
  /** Plain words before the commands. */
  intro?: string;
  commands: string[];
}

const bare = (hex: string): string => hex.replace(/^0x/, "");
const rpcPlaceholder = (chainId: number | null): string => `<RPC URL of a node of chain ${chainId ?? "<chainId>"}>`;

/** The command that prints a document's digest with the proof's algorithm. */
function digestCommand(alg: string, file: string): string {
  if (alg === "sha3-256") return `openssl dgst -sha3-256 ${file}`;
  if (alg === "sm3") return `openssl dgst -sm3 ${file}`;
  return `sha256sum ${file}`;
}

/**
 * The event whose values the worked example uses: the one the signed report's own
 * instructions name (so every step speaks of the same event), else the first signing event,
 * else the first anchored one.
 */
export function exampleEvent(report: EvidenceReportV1): ReportEvent | null {
  const anchored = report.events.filter((e) => e.proof.anchor !== null && e.proof.leaf !== null && e.proof.batch !== null);
  const named = report.howToVerify.map((h) => /\bevent (\d+)\b|事件 ?(\d+)/.exec(h.title)?.slice(1).find((n) => n !== undefined)).find((n) => n !== undefined);
  return (
    anchored.find((e) => named !== undefined && e.n === Number(named)) ??
    anchored.find((e) => /sign/i.test(e.eventType ?? "")) ??
    anchored[0] ??
    report.events[0] ??
    null
  );
}

/**
 * What to run when the signed report carries no instructions of its own (report.howToVerify
 * empty): the document, the proof with `evidence verify`, the receipt call, the signature.
 */
export function defaultHowToVerify(report: EvidenceReportV1, serviceUrl: string, lang: ReportLanguage = "en"): Step[] {
  const t = tr(lang);
  const e = exampleEvent(report);
  const chainId = report.chain.chainId;
  const steps: Step[] = [];
  if (e !== null) {
    steps.push({
      title: t(`The document of event ${e.n} is the one the proof is about`, `事件 ${e.n} 的文件正是该证明所针对的文件`),
      commands: localise([digestCommand(e.hashAlg, `<document of event ${e.n}>`), `# expected: ${bare(e.digest)}`], lang),
    });
    steps.push({
      title: t(`The proof of event ${e.n}, against a node of chain ${chainId ?? "<chainId>"}`, `事件 ${e.n} 的存证证明：向链 ${chainId ?? "<chainId>"} 的节点核验`),
      commands: localise([
        `jq '.events[${e.n - 1}].proof' report.json > proof-${e.n}.json`,
        `npx evidence verify proof-${e.n}.json --file <document of event ${e.n}> --rpc ${rpcPlaceholder(chainId)}`,
        ...(e.proof.anchor === null
          ? []
          : [
              // JSON allows a line break between tokens, so the call stays copyable as printed.
              `curl -s -H 'content-type: application/json' ${rpcPlaceholder(chainId)} \\`,
              `  --data '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt",`,
              `  "params":["${e.proof.anchor.txHash}"]}' | jq .result.status`,
              t(`# expected: "0x1" (the anchoring transaction succeeded)`, `# 预期："0x1"（锚定交易执行成功）`),
            ]),
      ], lang),
    });
  }
  steps.push({
    title: t("This report's signature and every proof in it", "本报告的电子签名及其中每一份存证证明"),
    commands: [
      `curl -s -H 'authorization: Bearer <key>' \\`,
      `  ${serviceUrl}/v1/reports/${report.id} > report.json`,
      `npx evidence verify-report report.json --rpc ${rpcPlaceholder(chainId)}`,
    ],
  });
  steps.push(signatureByHand(report, serviceUrl, lang));
  return steps;
}

/** The report's Ed25519 signature with curl, jq and openssl alone. */
export function signatureByHand(report: EvidenceReportV1, serviceUrl: string, lang: ReportLanguage = "en"): Step {
  const t = tr(lang);
  return {
    title: t("The report's signature with openssl alone", "仅用 openssl 核验本报告的电子签名"),
    intro: t(
      "The signature covers the RFC 8785 canonical form of the JSON report without its signature member; the public key is published by the service as a JWKS. For a report like this one (whole numbers only, no control characters in its text), jq's sorted compact output is exactly that canonical form; npx evidence verify-report computes it in every case.",
      "签名覆盖 JSON 报告去掉 signature 字段后的 RFC 8785 规范化形式；公钥由本服务以 JWKS 形式公布。对于本报告这样的报告（只含整数，文本中没有控制字符），jq 排序后的紧凑输出恰好就是该规范化形式；npx evidence verify-report 在任何情况下都会正确计算。",
    ),
    commands: localise([
      `curl -s ${serviceUrl}/.well-known/evidence-keys.json \\`,
      `  | jq -r '.keys[] | select(.kid == "${report.signature.kid}") | .x' > key.x`,
      `# base64url to the 32 raw key bytes, then to PEM (SubjectPublicKeyInfo)`,
      `printf '%s=' "$(cat key.x)" | tr '_-' '/+' | base64 -d > key.raw`,
      `(printf '302a300506032b6570032100' | xxd -r -p; cat key.raw) \\`,
      `  | openssl pkey -pubin -inform DER -out key.pem`,
      `jq -cjS 'del(.signature)' report.json > report.canonical.json`,
      `printf '%s==' "$(jq -r .signature.value report.json)" | tr '_-' '/+' | base64 -d > report.sig`,
      `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in report.canonical.json -sigfile report.sig`,
      `# expected: Signature Verified Successfully`,
    ], lang),
  };
}

/**
 * The leaf, the Merkle path and the chain for one event, by hand, with each expected output
 * computed from the proof (docs/verifying.md section 3). Null when the event is not anchored.
 */
export function byHand(e: ReportEvent, lang: ReportLanguage = "en"): Step[] | null {
  const t = tr(lang);
  const p = e.proof;
  if (p.leaf === null || p.batch === null || p.anchor === null) return null;
  const file = `proof-${e.n}.json`;
  const steps: Step[] = [];

  const md = safeMetaDigest(p);
  const leafInput = md === null ? null : toHex(sha256(concatBytes(Uint8Array.of(0), fromHex(p.evidence.salt), fromHex(p.evidence.digest), fromHex(md))));
  steps.push({
    title: t(`The leaf of event ${e.n} (spec step 2)`, `事件 ${e.n} 的叶子哈希值（规范第 2 步）`),
    intro: t(
      "metaDigest is SHA-256 of the RFC 8785 (JCS) form of meta; for an object of plain strings that is jq -cjS (sorted keys, no spaces, no trailing newline). The leaf hash is SHA-256 of 0x00, salt, digest and metaDigest. H hashes hex-encoded bytes and prints hex.",
      "metaDigest 是元数据（meta）按 RFC 8785（JCS）规范化后的 SHA-256 哈希值；对于只含字符串的对象，即 jq -cjS 的输出（键排序、无空格、无结尾换行）。叶子哈希值是 0x00、盐值、摘要值和 metaDigest 拼接后的 SHA-256 哈希值。H 对十六进制表示的字节计算哈希并以十六进制输出。",
    ),
    commands: localise([
      `H() { xxd -r -p | openssl dgst -sha256 -binary | xxd -p -c 64; }`,
      `jq -cjS .evidence.meta ${file} | sha256sum`,
      `# expected: ${md === null ? "(meta cannot be canonicalised)" : bare(md)}`,
      `printf '00%s%s%s' ${bare(p.evidence.salt)} \\`,
      `    ${bare(p.evidence.digest)} \\`,
      `    ${md === null ? "<metaDigest>" : bare(md)} | H`,
      `# expected: ${bare(p.leaf.hash)} (leaf.hash)`,
      ...(leafInput !== null && leafInput !== p.leaf.hash
        ? [t(`# NOTE: these inputs hash to ${bare(leafInput)}, not leaf.hash: the leaf check fails`, `# 注意：这些输入的哈希值为 ${bare(leafInput)}，不等于 leaf.hash：叶子核验不通过`)]
        : []),
    ], lang),
  });

  const walk = rootWalk(p.leaf.index, p.batch.size, p.leaf.hash, p.batch.path);
  if (walk !== null) {
    const cmds: string[] = [];
    for (const s of walk) {
      cmds.push(`printf '01%s%s' ${bare(s.left)} \\`, `    ${bare(s.right)} | H`, `# expected: ${bare(s.out)}`);
    }
    const last = walk.at(-1)?.out ?? p.leaf.hash;
    if (walk.length === 0) cmds.push(`# a batch of one leaf: its root is the leaf hash ${bare(p.leaf.hash)}`);
    if (last !== p.batch.root)
      cmds.push(t(`# NOTE: the path leads to ${bare(last)}, not batch.root ${bare(p.batch.root)}: the root check fails`, `# 注意：路径得到 ${bare(last)}，不等于 batch.root ${bare(p.batch.root)}：根哈希核验不通过`));
    else cmds.push(`# the last value is batch.root`);
    steps.push({
      title: t(
        `The Merkle path of event ${e.n}: leaf ${p.leaf.index} of ${p.batch.size} up to the batch root (spec step 3)`,
        `事件 ${e.n} 的默克尔路径：从第 ${p.leaf.index} 个叶子（共 ${p.batch.size} 个）到批次根哈希（规范第 3 步）`,
      ),
      intro: t(
        `Each step is SHA-256(0x01 || left || right). Which side each sibling of batch.path is on follows from leaf.index ${p.leaf.index} and batch.size ${p.batch.size} (RFC 9162, section 2.1.3.2).`,
        `每一步计算 SHA-256(0x01 || 左 || 右)。batch.path 中每个兄弟节点位于哪一侧，由 leaf.index ${p.leaf.index} 和 batch.size ${p.batch.size} 决定（RFC 9162 第 2.1.3.2 节）。`,
      ),
      commands: localise(cmds, lang),
    });
  }

  const a = p.anchor;
  const blockHex = `0x${a.blockNumber.toString(16)}`;
  const tsHex = `0x${a.blockTimestamp.toString(16)}`;
  const when = new Date(a.blockTimestamp * 1000).toISOString().replace(".000Z", "Z");
  steps.push({
    title: t(`The anchor of event ${e.n} on chain ${a.chainId} (spec steps 4 to 6)`, `事件 ${e.n} 在链 ${a.chainId} 上的锚定（规范第 4 至 6 步）`),
    intro: t(
      `Ask a node of chain ${a.chainId} that neither the service nor the platform runs: your own, or a public provider. rpc sends one JSON-RPC call.`,
      `向链 ${a.chainId} 上一个既非本服务也非平台运营的节点查询：可以是您自己的节点，或公共服务商的节点。rpc 发送一次 JSON-RPC 调用。`,
    ),
    commands: localise([
      `RPC=${rpcPlaceholder(a.chainId)}`,
      `rpc() {`,
      `  curl -s -H 'content-type: application/json' "$RPC" \\`,
      `    --data "{\\"jsonrpc\\":\\"2.0\\",\\"id\\":1,\\"method\\":\\"$1\\",\\"params\\":$2}"`,
      `}`,
      `rpc eth_chainId '[]'`,
      `# expected result: "0x${a.chainId.toString(16)}" (chain ${a.chainId})`,
      `rpc eth_getTransactionReceipt \\`,
      `  '["${a.txHash}"]' \\`,
      `  | jq '.result | {status, to, blockNumber, logs}'`,
      ...(lang === "zh-CN"
        ? [
            `# 预期：status "0x1"（执行成功），to "${a.contract}"，`,
            `#       blockNumber "${blockHex}"（区块高度 ${a.blockNumber}），合约的一条事件日志`,
            `#       在其主题中记载批次根哈希 ${bare(p.batch.root)}`,
          ]
        : [
            `# expected: status "0x1" (succeeded), to "${a.contract}",`,
            `#           blockNumber "${blockHex}" (block ${a.blockNumber}), a log from the contract whose`,
            `#           topics carry the batch root ${bare(p.batch.root)}`,
          ]),
      `rpc eth_getBlockByNumber '["${blockHex}", false]' | jq '.result | {number, hash, timestamp}'`,
      `# expected: hash "${a.blockHash}",`,
      t(`#           timestamp "${tsHex}" (${a.blockTimestamp}, ${when})`, `#       时间戳 "${tsHex}"（${a.blockTimestamp}，${when}）`),
      `date -u -d @${a.blockTimestamp}`,
      `rpc eth_call '[{"to":"${a.contract}",`,
      `  "data":"${ANCHOR_OF_SELECTOR}${bare(p.batch.root)}"},"latest"]' \\`,
      `  | jq -r .result | cut -c3- | fold -w64`,
      t(
        `# expected five words: 1 (anchored), ${p.batch.seq} (seq), ${p.batch.size} (size = batch.size), ${a.blockNumber} (block), ${a.blockTimestamp} (time)`,
        `# 预期五个字：1（已锚定），${p.batch.seq}（批次序号），${p.batch.size}（批次大小 = batch.size），${a.blockNumber}（区块高度），${a.blockTimestamp}（时间戳）`,
      ),
      `rpc eth_blockNumber '[]'`,
      `# confirmations: this number - ${a.blockNumber} + 1`,
    ], lang),
  });
  return steps;
}

function safeMetaDigest(p: ProofBundleV1): string | null {
  try {
    return toHex(metaDigest(p.evidence.meta));
  } catch {
    return null;
  }
}

/** The RFC 9162 2.1.3.2 walk, step by step, with each node's inputs in order; null when malformed. */
export function rootWalk(index: number, size: number, leaf: string, path: string[]): { left: string; right: string; out: string }[] | null {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return null;
  const steps: { left: string; right: string; out: string }[] = [];
  const node = (l: string, r: string): string => toHex(sha256(concatBytes(Uint8Array.of(1), fromHex(l), fromHex(r))));
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  try {
    for (const p of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        const out = node(p, r);
        steps.push({ left: p, right: r, out });
        r = out;
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        const out = node(r, p);
        steps.push({ left: r, right: p, out });
        r = out;
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  } catch {
    return null;
  }
  return steps;
}

/** Each event's meta.prev against the leaf hash of the one before it, with jq. */
export function timelineCommands(lang: ReportLanguage = "en"): string[] {
  return localise([
    `jq -r '.events[] | "\\(.n)  \\(.leafHash)  prev \\(.prev)"' report.json`,
    `# each line's prev must be the leafHash of the line above; the first line's prev is null`,
  ], lang);
}

/** Where the report's own proof is, and how to tie it to the JSON report. */
export function reportAnchorCommands(anchoring: ReportAnchoring, serviceUrl: string, chainId: number | null, lang: ReportLanguage = "en"): string[] {
  return localise([
    `curl -s ${serviceUrl}${anchoring.proofPath} -H 'authorization: Bearer <key>' > report-proof.json`,
    `jq -cjS . report.json > report.jcs.json   # the signed report in RFC 8785 form`,
    `sha256sum report.jcs.json`,
    `# expected: ${bare(anchoring.digest)}`,
    `npx evidence verify report-proof.json --file report.jcs.json --rpc ${rpcPlaceholder(chainId)}`,
  ], lang);
}
