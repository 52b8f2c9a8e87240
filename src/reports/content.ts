// The wording of an evidence report that does not depend on the service's state: what the
// proofs show and do not, and the commands to check a report yourself. Pure; the report
// service and the PDF test fixture both use it, so the fixture renders what reports say.
import type { EvidenceReportV1, ReportEvent } from "./format.ts";

/** What the proofs show and what they do not, in plain words: every report says this. */
export const REPORT_STATEMENT = [
  "What the proofs show: each event's digest (with its metadata: case, event type, the time the platform claims) was held by the platform named as submitter no later than the time of the block that anchored it, and the record has not changed since. The block time comes from the blockchain, not from any clock of this service.",
  "For a case, each event also carries the leaf hash of the one before it (meta.prev), so the events form a hash-linked chain: an event removed, inserted or reordered after the fact breaks a link, and this report says where.",
  "What they do not show: who wrote or signed the documents, whether a signature was lawful, who controlled the signing key or account, or that the claimed occurredAt times are true (they are the platform's statements, recorded no later than the anchor time). The digests do not reveal the documents; whoever checks a document must hold it.",
  "The report itself is signed with the service key (Ed25519) and its digest is anchored like any evidence, so a changed copy fails the signature check and the time the report existed is provable.",
] as const;

/**
 * The report's "how to verify" commands, with this case's values: the first anchored event
 * stands for all of them; `origin` is where users reach the service.
 */
export function howToVerify(events: ReportEvent[], at: { origin: string; reportId: string; kid: string }): EvidenceReportV1["howToVerify"] {
  const { origin, kid } = at;
  const id = at.reportId;
  const e = events.find((x) => x.proof.anchor !== null) ?? events[0]!;
  const tx = e.proof.anchor?.txHash ?? "<anchor.txHash>";
  return [
    {
      title: `The document of event ${e.n} is the one the proof is about`,
      commands: [`sha256sum <document of event ${e.n}>`, `# expected: ${e.digest.slice(2)}`],
    },
    {
      title: `The proof of event ${e.n}, offline and against a node of chain ${e.proof.anchor?.chainId ?? "<chainId>"}`,
      commands: [
        `# save events[${e.n - 1}].proof of report.json as proof-${e.n}.json, then:`,
        `npx evidence verify proof-${e.n}.json --file <document of event ${e.n}> --rpc <RPC URL of chain ${e.proof.anchor?.chainId ?? "<chainId>"}>`,
        `curl -s -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["${tx}"]}' <RPC URL>`,
      ],
    },
    {
      title: "This report's signature and every proof in it",
      commands: [
        `curl -s ${origin}/v1/reports/${id} -H 'authorization: Bearer <key>' > report.json`,
        `npx evidence verify-report report.json --rpc <RPC URL>`,
      ],
    },
    {
      title: "The signature with openssl alone",
      commands: [
        `curl -s ${origin}/.well-known/evidence-keys.json | jq -r '.keys[] | select(.kid == "${kid}") | .x' > key.x   # the published key`,
        `printf '%s=' "$(cat key.x)" | tr '_-' '/+' | base64 -d > key.raw   # base64url to the 32 raw bytes`,
        `(printf '302a300506032b6570032100' | xxd -r -p; cat key.raw) | openssl pkey -pubin -inform DER -out key.pem   # as PEM`,
        `jq -cjS 'del(.signature)' report.json > report.canonical.json   # RFC 8785 form without the signature (for this report jq -cjS gives exactly that)`,
        `printf '%s==' "$(jq -r .signature.value report.json)" | tr '_-' '/+' | base64 -d > report.sig`,
        `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in report.canonical.json -sigfile report.sig   # Signature Verified Successfully`,
      ],
    },
  ];
}
