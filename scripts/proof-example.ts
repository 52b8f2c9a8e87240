// Prints the worked example of docs/proof-format.md: a 3-leaf batch with every intermediate value and one full bundle.
// Run: npx tsx scripts/proof-example.ts   (paste the output into docs/proof-format.md)
import { concatBytes, toHex } from "../src/core/bytes.ts";
import { buildBundle, serializeBundle } from "../src/core/bundle.ts";
import { sha256 } from "../src/core/hash.ts";
import { canonicalJson } from "../src/core/jcs.ts";
import { type EvidenceMeta, leafHash, metaDigest, normaliseMeta } from "../src/core/leaf.ts";
import { buildTree, hashChildren } from "../src/core/merkle.ts";
import { rootFromInclusionProof } from "../src/core/rfc9162.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const out: string[] = [];
const line = (s = ""): void => void out.push(s);

const documents = ["contract-v1.pdf bytes", "signature event #1", "annex-2.png bytes"];
const items: { id: string; salt: Uint8Array; digest: Uint8Array; meta: EvidenceMeta; receivedAt: string }[] = [];
const leaves: Uint8Array[] = [];
for (let i = 0; i < 3; i++) {
  // Real salts come from a CSPRNG; these are fixed so that the example can be reproduced.
  const salt = new Uint8Array(32).fill(0x11 * (i + 1));
  const digest = sha256(utf8(documents[i]!));
  const meta: EvidenceMeta = {
    hashAlg: "sha256",
    submitter: "tenant-a",
    caseId: i < 2 ? "case-42" : "case-43",
    eventType: i === 1 ? "signature" : "upload",
    occurredAt: `2026-11-27T09:0${i}:00Z`,
    // The service links each item to the previous one of the same submitter and case.
    prev: i === 1 ? toHex(leaves[0]!) : undefined,
  };
  const item = { id: `0195f3c2-0000-7000-8000-00000000000${i}`, salt, digest, meta, receivedAt: `2026-11-27T09:1${i}:00.000Z` };
  items.push(item);
  const md = metaDigest(meta);
  const lh = leafHash(item);
  leaves.push(lh);
  const preimage = concatBytes(Uint8Array.of(0), salt, digest, md);
  line(`leaf ${i}`);
  line(`  digest      = SHA-256(UTF-8 "${documents[i]}")`);
  line(`              = ${toHex(digest)}`);
  line(`  salt        = ${toHex(salt)}`);
  line(`  JCS(meta)   = ${canonicalJson(normaliseMeta(meta))}`);
  line(`  metaDigest  = ${toHex(md)}`);
  line(`  leaf input  = ${preimage.length} bytes: 00 || salt || digest || metaDigest`);
  line(`  leafHash    = ${toHex(lh)}`);
  line();
}

const tree = buildTree(leaves);
const n01 = hashChildren(leaves[0]!, leaves[1]!);
line("tree (3 leaves: leaf 2 is promoted, not duplicated)");
line(`  n01  = SHA-256(01 || leafHash0 || leafHash1) = ${toHex(n01)}`);
line(`  root = SHA-256(01 || n01 || leafHash2)       = ${toHex(hashChildren(n01, leaves[2]!))}`);
line(`  buildTree(...).root                          = ${toHex(tree.root)}`);
line();
for (let i = 0; i < 3; i++) line(`path(${i}) = [${tree.path(i).map(toHex).join(", ")}]`);
line();

// RFC 9162 2.1.3.2 for leaf 1, step by step.
line("verifying leaf 1 (RFC 9162 2.1.3.2): fn = 1, sn = size - 1 = 2, r = leafHash1");
let fn = 1;
let sn = 2;
let r = leaves[1]!;
for (const [k, p] of tree.path(1).entries()) {
  if (fn % 2 === 1 || fn === sn) {
    r = hashChildren(p, r);
    line(`  p${k}: fn=${fn} ${fn % 2 === 1 ? "is odd" : `equals sn=${sn}`} -> r = SHA-256(01 || p${k} || r) = ${toHex(r)}`);
    while (fn % 2 === 0 && fn !== 0) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  } else {
    r = hashChildren(r, p);
    line(`  p${k}: fn=${fn} is even, below sn=${sn} -> r = SHA-256(01 || r || p${k}) = ${toHex(r)}`);
  }
  fn = Math.floor(fn / 2);
  sn = Math.floor(sn / 2);
}
line(`  end: sn = ${sn}; r equals batch.root: ${toHex(rootFromInclusionProof(1, 3, leaves[1]!, tree.path(1))) === toHex(tree.root)}`);
line();

const bundle = buildBundle({
  evidence: items[1]!,
  leaf: { index: 1, hash: leaves[1]! },
  batch: { seq: 7, size: 3, root: tree.root, path: tree.path(1) },
  // ILLUSTRATIVE anchor: placeholder values, not a real transaction on any chain.
  anchor: {
    chainId: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    txHash: "0x" + "ab".repeat(32),
    blockNumber: 12,
    blockHash: "0x" + "cd".repeat(32),
    blockTimestamp: 1_795_770_600,
  },
});
line("bundle of leaf 1 (the anchor object is ILLUSTRATIVE: placeholder values, not a real transaction):");
line(serializeBundle(bundle).trimEnd());
console.log(out.join("\n"));
