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
  const named = report.howToVerify.map((h) => /\bevent (\d+)\b/.exec(h.title)?.[1]).find((n) => n !== undefined);
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
export function defaultHowToVerify(report: EvidenceReportV1, serviceUrl: string): Step[] {
  const e = exampleEvent(report);
  const chainId = report.chain.chainId;
  const steps: Step[] = [];
  if (e !== null) {
    steps.push({
      title: `The document of event ${e.n} is the one the proof is about`,
      commands: [digestCommand(e.hashAlg, `<document of event ${e.n}>`), `# expected: ${bare(e.digest)}`],
    });
    steps.push({
      title: `The proof of event ${e.n}, against a node of chain ${chainId ?? "<chainId>"}`,
      commands: [
        `jq '.events[${e.n - 1}].proof' report.json > proof-${e.n}.json`,
        `npx evidence verify proof-${e.n}.json --file <document of event ${e.n}> --rpc ${rpcPlaceholder(chainId)}`,
        ...(e.proof.anchor === null
          ? []
          : [
              // JSON allows a line break between tokens, so the call stays copyable as printed.
              `curl -s -H 'content-type: application/json' ${rpcPlaceholder(chainId)} \\`,
              `  --data '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt",`,
              `  "params":["${e.proof.anchor.txHash}"]}' | jq .result.status`,
              `# expected: "0x1" (the anchoring transaction succeeded)`,
            ]),
      ],
    });
  }
  steps.push({
    title: "This report's signature and every proof in it",
    commands: [
      `curl -s -H 'authorization: Bearer <key>' \\`,
      `  ${serviceUrl}/v1/reports/${report.id} > report.json`,
      `npx evidence verify-report report.json --rpc ${rpcPlaceholder(chainId)}`,
    ],
  });
  steps.push(signatureByHand(report, serviceUrl));
  return steps;
}

/** The report's Ed25519 signature with curl, jq and openssl alone. */
export function signatureByHand(report: EvidenceReportV1, serviceUrl: string): Step {
  return {
    title: "The report's signature with openssl alone",
    intro:
      "The signature covers the RFC 8785 canonical form of the JSON report without its signature member; the public key is published by the service as a JWKS. For a report like this one (whole numbers only, no control characters in its text), jq's sorted compact output is exactly that canonical form; npx evidence verify-report computes it in every case.",
    commands: [
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
    ],
  };
}

/**
 * The leaf, the Merkle path and the chain for one event, by hand, with each expected output
 * computed from the proof (docs/verifying.md section 3). Null when the event is not anchored.
 */
export function byHand(e: ReportEvent): Step[] | null {
  const p = e.proof;
  if (p.leaf === null || p.batch === null || p.anchor === null) return null;
  const file = `proof-${e.n}.json`;
  const steps: Step[] = [];

  const md = safeMetaDigest(p);
  const leafInput = md === null ? null : toHex(sha256(concatBytes(Uint8Array.of(0), fromHex(p.evidence.salt), fromHex(p.evidence.digest), fromHex(md))));
  steps.push({
    title: `The leaf of event ${e.n} (spec step 2)`,
    intro:
      "metaDigest is SHA-256 of the RFC 8785 (JCS) form of meta; for an object of plain strings that is jq -cjS (sorted keys, no spaces, no trailing newline). The leaf hash is SHA-256 of 0x00, salt, digest and metaDigest. H hashes hex-encoded bytes and prints hex.",
    commands: [
      `H() { xxd -r -p | openssl dgst -sha256 -binary | xxd -p -c 64; }`,
      `jq -cjS .evidence.meta ${file} | sha256sum`,
      `# expected: ${md === null ? "(meta cannot be canonicalised)" : bare(md)}`,
      `printf '00%s%s%s' ${bare(p.evidence.salt)} \\`,
      `    ${bare(p.evidence.digest)} \\`,
      `    ${md === null ? "<metaDigest>" : bare(md)} | H`,
      `# expected: ${bare(p.leaf.hash)} (leaf.hash)`,
      ...(leafInput !== null && leafInput !== p.leaf.hash ? [`# NOTE: these inputs hash to ${bare(leafInput)}, not leaf.hash: the leaf check fails`] : []),
    ],
  });

  const walk = rootWalk(p.leaf.index, p.batch.size, p.leaf.hash, p.batch.path);
  if (walk !== null) {
    const cmds: string[] = [];
    for (const s of walk) {
      cmds.push(`printf '01%s%s' ${bare(s.left)} \\`, `    ${bare(s.right)} | H`, `# expected: ${bare(s.out)}`);
    }
    const last = walk.at(-1)?.out ?? p.leaf.hash;
    if (walk.length === 0) cmds.push(`# a batch of one leaf: its root is the leaf hash ${bare(p.leaf.hash)}`);
    if (last !== p.batch.root) cmds.push(`# NOTE: the path leads to ${bare(last)}, not batch.root ${bare(p.batch.root)}: the root check fails`);
    else cmds.push(`# the last value is batch.root`);
    steps.push({
      title: `The Merkle path of event ${e.n}: leaf ${p.leaf.index} of ${p.batch.size} up to the batch root (spec step 3)`,
      intro: `Each step is SHA-256(0x01 || left || right). Which side each sibling of batch.path is on follows from leaf.index ${p.leaf.index} and batch.size ${p.batch.size} (RFC 9162, section 2.1.3.2).`,
      commands: cmds,
    });
  }

  const a = p.anchor;
  const blockHex = `0x${a.blockNumber.toString(16)}`;
  const tsHex = `0x${a.blockTimestamp.toString(16)}`;
  const when = new Date(a.blockTimestamp * 1000).toISOString().replace(".000Z", "Z");
  steps.push({
    title: `The anchor of event ${e.n} on chain ${a.chainId} (spec steps 4 to 6)`,
    intro: `Ask a node of chain ${a.chainId} that neither the service nor the platform runs: your own, or a public provider. rpc sends one JSON-RPC call.`,
    commands: [
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
      `# expected: status "0x1" (succeeded), to "${a.contract}",`,
      `#           blockNumber "${blockHex}" (block ${a.blockNumber}), a log from the contract whose`,
      `#           topics carry the batch root ${bare(p.batch.root)}`,
      `rpc eth_getBlockByNumber '["${blockHex}", false]' | jq '.result | {number, hash, timestamp}'`,
      `# expected: hash "${a.blockHash}",`,
      `#           timestamp "${tsHex}" (${a.blockTimestamp}, ${when})`,
      `date -u -d @${a.blockTimestamp}`,
      `rpc eth_call '[{"to":"${a.contract}",`,
      `  "data":"${ANCHOR_OF_SELECTOR}${bare(p.batch.root)}"},"latest"]' \\`,
      `  | jq -r .result | cut -c3- | fold -w64`,
      `# expected five words: 1 (anchored), ${p.batch.seq} (seq), ${p.batch.size} (size = batch.size), ${a.blockNumber} (block), ${a.blockTimestamp} (time)`,
      `rpc eth_blockNumber '[]'`,
      `# confirmations: this number - ${a.blockNumber} + 1`,
    ],
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
export function timelineCommands(): string[] {
  return [
    `jq -r '.events[] | "\\(.n)  \\(.leafHash)  prev \\(.prev)"' report.json`,
    `# each line's prev must be the leafHash of the line above; the first line's prev is null`,
  ];
}

/** Where the report's own proof is, and how to tie it to the JSON report. */
export function reportAnchorCommands(anchoring: ReportAnchoring, serviceUrl: string, chainId: number | null): string[] {
  return [
    `curl -s ${serviceUrl}${anchoring.proofPath} -H 'authorization: Bearer <key>' > report-proof.json`,
    `jq -cjS . report.json > report.jcs.json   # the signed report in RFC 8785 form`,
    `sha256sum report.jcs.json`,
    `# expected: ${bare(anchoring.digest)}`,
    `npx evidence verify report-proof.json --file report.jcs.json --rpc ${rpcPlaceholder(chainId)}`,
  ];
}
