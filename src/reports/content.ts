// The wording of an evidence report that does not depend on the service's state: what the
// proofs show and do not, and the commands to check a report yourself. Pure; the report
// service and the PDF test fixture both use it, so the fixture renders what reports say.
import type { EvidenceReportV1, ReportEvent } from "./format.ts";
import type { ReportLanguage } from "./i18n/language.ts";
import { reportStatement } from "./i18n/texts.ts";

/** What the proofs show and what they do not, in plain English words (reportStatement(lang) for others). */
export const REPORT_STATEMENT: readonly string[] = reportStatement("en");

/**
 * The report's "how to verify" commands, with this case's values: the first anchored event
 * stands for all of them; `origin` is where users reach the service.
 */
export function howToVerify(
  events: ReportEvent[],
  at: { origin: string; reportId: string; kid: string },
  lang: ReportLanguage = "en",
): EvidenceReportV1["howToVerify"] {
  const zh = lang === "zh-CN";
  const { origin, kid } = at;
  const id = at.reportId;
  const e = events.find((x) => x.proof.anchor !== null) ?? events[0]!;
  const tx = e.proof.anchor?.txHash ?? "<anchor.txHash>";
  return [
    {
      title: zh ? `事件 ${e.n} 的文件正是该证明所针对的文件` : `The document of event ${e.n} is the one the proof is about`,
      commands: zh ? [`sha256sum <事件 ${e.n} 的文件>`, `# 预期：${e.digest.slice(2)}`] : [`sha256sum <document of event ${e.n}>`, `# expected: ${e.digest.slice(2)}`],
    },
    {
      title: zh
        ? `事件 ${e.n} 的存证证明：离线核验，并向链 ${e.proof.anchor?.chainId ?? "<chainId>"} 的节点核验`
        : `The proof of event ${e.n}, offline and against a node of chain ${e.proof.anchor?.chainId ?? "<chainId>"}`,
      commands: [
        zh ? `# 将 report.json 中的 events[${e.n - 1}].proof 保存为 proof-${e.n}.json，然后：` : `# save events[${e.n - 1}].proof of report.json as proof-${e.n}.json, then:`,
        zh
          ? `npx evidence verify proof-${e.n}.json --file <事件 ${e.n} 的文件> --rpc <链 ${e.proof.anchor?.chainId ?? "<chainId>"} 节点的 RPC URL>`
          : `npx evidence verify proof-${e.n}.json --file <document of event ${e.n}> --rpc <RPC URL of chain ${e.proof.anchor?.chainId ?? "<chainId>"}>`,
        `curl -s -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["${tx}"]}' <RPC URL>`,
      ],
    },
    {
      title: zh ? "本报告的电子签名及其中每一份存证证明" : "This report's signature and every proof in it",
      commands: [
        `curl -s ${origin}/v1/reports/${id} -H 'authorization: Bearer <key>' > report.json`,
        `npx evidence verify-report report.json --rpc <RPC URL>`,
      ],
    },
    {
      title: zh ? "仅用 openssl 核验电子签名" : "The signature with openssl alone",
      commands: [
        `curl -s ${origin}/.well-known/evidence-keys.json | jq -r '.keys[] | select(.kid == "${kid}") | .x' > key.x   # ${zh ? "已发布的公钥" : "the published key"}`,
        `printf '%s=' "$(cat key.x)" | tr '_-' '/+' | base64 -d > key.raw   # ${zh ? "base64url 转为 32 字节原始公钥" : "base64url to the 32 raw bytes"}`,
        `(printf '302a300506032b6570032100' | xxd -r -p; cat key.raw) | openssl pkey -pubin -inform DER -out key.pem   # ${zh ? "转为 PEM" : "as PEM"}`,
        `jq -cjS 'del(.signature)' report.json > report.canonical.json   # ${zh ? "去掉签名后的 RFC 8785 规范化形式（对本报告，jq -cjS 的输出恰好如此）" : "RFC 8785 form without the signature (for this report jq -cjS gives exactly that)"}`,
        `printf '%s==' "$(jq -r .signature.value report.json)" | tr '_-' '/+' | base64 -d > report.sig`,
        `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in report.canonical.json -sigfile report.sig   # ${zh ? "预期输出：" : ""}Signature Verified Successfully`,
      ],
    },
  ];
}

export { reportStatement };
