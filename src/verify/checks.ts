// The named verification checks of evidence-proof/v1 (spec steps 1-6), each one small and independent.
import { fromHex, toHex } from "../core/bytes.ts";
import { CoreError } from "../core/errors.ts";
import { leafHash } from "../core/leaf.ts";
import { rootFromInclusionProof } from "../core/rfc9162.ts";
import { type AnchorInfo, type BatchInfo, type LeafInfo, parseBundle, parseBundleText, type ProofBundleV1 } from "../core/bundle.ts";
import { identifyInput } from "./identify.ts";
import type { ChainReader, ReceiptInfo, TransactionInfo } from "./rpc.ts";

/** Stable check identifiers, in pipeline order (docs/architecture.md). */
export const CHECK_NAMES = ["format", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"] as const;
/**
 * `document` runs only when the verifier was given the document (or its digest): it sits
 * between `format` and `leaf`. The bundle alone never produces it.
 */
export const DOCUMENT_CHECK = "document" as const;
export type CheckName = (typeof CHECK_NAMES)[number] | typeof DOCUMENT_CHECK;

/**
 * `ok: true`: the check ran and passed. `ok: false` alone: it ran and failed. `skipped`: it
 * was not asked for (offline, not anchored yet, or an earlier check made it moot).
 * `unavailable`: it was asked for but could not run (the chain node unreachable, an RPC error
 * or timeout, a document that could not be hashed): nothing is known against the proof.
 */
export interface Check {
  name: CheckName;
  ok: boolean;
  skipped?: true;
  unavailable?: true;
  detail: string;
}

/** The four outcomes of a check, for front ends that show one mark per check. */
export type CheckOutcome = "passed" | "failed" | "skipped" | "unavailable";

export function outcomeOf(c: Check): CheckOutcome {
  if (c.ok) return "passed";
  if (c.skipped === true) return "skipped";
  if (c.unavailable === true) return "unavailable";
  return "failed";
}

/** The check ran and failed: the only outcome that makes a proof "not valid". */
export const hasFailed = (c: Check): boolean => outcomeOf(c) === "failed";

/** keccak256("anchorOf(bytes32)")[0:4]; a unit test recomputes it. */
export const ANCHOR_OF_SELECTOR = "0xcf4ff901";

/** A bundle whose anchor is set (and therefore its leaf and batch too). */
export type AnchoredBundle = ProofBundleV1 & { leaf: LeafInfo; batch: BatchInfo; anchor: AnchorInfo };

/** Chain access shared by the chain checks: the transaction and receipt are fetched once. */
export interface ChainContext {
  bundle: AnchoredBundle;
  reader: ChainReader;
  transaction(): Promise<TransactionInfo | null>;
  receipt(): Promise<ReceiptInfo | null>;
}

export function chainContext(bundle: AnchoredBundle, reader: ChainReader): ChainContext {
  let tx: Promise<TransactionInfo | null> | undefined;
  let receipt: Promise<ReceiptInfo | null> | undefined;
  return {
    bundle,
    reader,
    transaction: () => (tx ??= reader.getTransaction(bundle.anchor.txHash)),
    receipt: () => (receipt ??= reader.getTransactionReceipt(bundle.anchor.txHash)),
  };
}

/**
 * "0x1234abcd…": enough to name a value in a sentence; the bundle has the full one. Where two
 * values are said to differ, details give both in full: a tampered hash may differ only in
 * its last digit, and two shortened values would then read the same.
 */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 10)}…` : hex;
}

const ok = (name: CheckName, detail: string): Check => ({ name, ok: true, detail });
const bad = (name: CheckName, detail: string): Check => ({ name, ok: false, detail });
export const skipped = (name: CheckName, detail: string): Check => ({ name, ok: false, skipped: true, detail });
export const unavailable = (name: CheckName, detail: string): Check => ({ name, ok: false, unavailable: true, detail });

// Any failure of the reader (network, timeout, node error, malformed answer) means the chain
// could not be asked: the check is unavailable, not failed. Only an answer that contradicts
// the proof fails a check; an unreachable node says nothing about the proof.
async function guarded(name: CheckName, run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (e) {
    return unavailable(name, `RPC error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const sameHex = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

/**
 * Step 1. `input` is a parsed JSON value, or bundle text. A file recognised as something else
 * (a receipt, a report, a case list…) fails with what it is and what to do instead.
 */
export function checkFormat(input: unknown): { check: Check; bundle: ProofBundleV1 | null } {
  try {
    const bundle = typeof input === "string" ? parseBundleText(input) : parseBundle(input);
    return { check: ok("format", `a well-formed ${bundle.format} bundle`), bundle };
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    const kind = identifyInput(input);
    return { check: bad("format", kind.proof ? e.message : `${kind.what}: ${kind.advice}`), bundle: null };
  }
}

/**
 * The document in hand is the one the proof is about: its digest, computed with the bundle's
 * `meta.hashAlg`, equals `evidence.digest`. `documentDigest` is 0x-hex, any case.
 */
export function checkDocument(bundle: ProofBundleV1, documentDigest: string): Check {
  const alg = bundle.evidence.meta.hashAlg;
  const want = bundle.evidence.digest;
  return sameHex(documentDigest, want)
    ? ok(DOCUMENT_CHECK, `the document's ${alg} digest is ${short(want)}, the digest in the proof`)
    : bad(DOCUMENT_CHECK, `the document's ${alg} digest is ${documentDigest.toLowerCase()}, the proof is about ${want}: this is not the document the proof was made for`);
}

/** Step 2. Requires bundle.leaf !== null. */
export function checkLeaf(bundle: ProofBundleV1 & { leaf: LeafInfo }): Check {
  const { evidence, leaf } = bundle;
  let recomputed: string;
  try {
    recomputed = toHex(leafHash({ salt: fromHex(evidence.salt), digest: fromHex(evidence.digest), meta: evidence.meta }));
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return bad("leaf", `cannot recompute the leaf hash: ${e.message}`);
  }
  return recomputed === leaf.hash
    ? ok("leaf", `leaf hash ${short(leaf.hash)} matches the evidence digest, salt and meta`)
    : bad("leaf", `leaf hash ${leaf.hash} does not match the recomputed ${recomputed}`);
}

/** Step 3. Requires bundle.leaf and bundle.batch. */
export function checkRoot(bundle: ProofBundleV1 & { leaf: LeafInfo; batch: BatchInfo }): Check {
  const { leaf, batch } = bundle;
  let root: string;
  try {
    root = toHex(rootFromInclusionProof(leaf.index, batch.size, fromHex(leaf.hash), batch.path.map((p) => fromHex(p))));
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return bad("root", e.message);
  }
  return root === batch.root
    ? ok("root", `leaf ${leaf.index} of ${batch.size} leads to the batch root ${short(batch.root)}`)
    : bad("root", `the path of leaf ${leaf.index} of ${batch.size} leads to ${root}, not the batch root ${batch.root}`);
}

/** Step 4: the endpoint serves the bundle's chain. */
export function checkChain(ctx: ChainContext): Promise<Check> {
  return guarded("chain", async () => {
    const want = ctx.bundle.anchor.chainId;
    const got = await ctx.reader.chainId();
    return got === want
      ? ok("chain", `the RPC endpoint serves chain ${want}`)
      : bad("chain", `the RPC endpoint serves chain ${got}, the bundle names chain ${want}`);
  });
}

/** Step 4: the anchoring transaction succeeded, went to the contract, sits in the stated block. */
export function checkTransaction(ctx: ChainContext): Promise<Check> {
  return guarded("transaction", async () => {
    const { txHash, contract, blockNumber, chainId } = ctx.bundle.anchor;
    const [tx, receipt] = await Promise.all([ctx.transaction(), ctx.receipt()]);
    if (tx === null) return bad("transaction", `transaction ${short(txHash)} not found on chain ${chainId}`);
    if (tx.blockNumber === null) return bad("transaction", `transaction ${short(txHash)} is still pending`);
    if (receipt === null) return bad("transaction", `transaction ${short(txHash)} has no receipt`);
    if (receipt.status !== 1) return bad("transaction", `transaction ${short(txHash)} failed (status ${receipt.status})`);
    if (!sameHex(tx.to, contract)) {
      return bad("transaction", `transaction was sent to ${tx.to ?? "no address (contract creation)"}, not the anchor contract ${contract}`);
    }
    if (tx.blockNumber !== blockNumber || receipt.blockNumber !== blockNumber) {
      return bad("transaction", `transaction is in block ${tx.blockNumber}, the bundle says ${blockNumber}`);
    }
    return ok("transaction", `transaction ${short(txHash)} succeeded in block ${blockNumber}, sent to ${contract}`);
  });
}

/** Step 4: the block at the stated height has the stated hash and timestamp. */
export function checkBlock(ctx: ChainContext): Promise<Check> {
  return guarded("block", async () => {
    const { blockNumber, blockHash, blockTimestamp } = ctx.bundle.anchor;
    const block = await ctx.reader.getBlock(blockNumber);
    if (block === null) return bad("block", `block ${blockNumber} not found`);
    if (!sameHex(block.hash, blockHash)) {
      return bad("block", `block ${blockNumber} has hash ${block.hash.toLowerCase()}, the bundle says ${blockHash}`);
    }
    if (block.timestamp !== blockTimestamp) {
      return bad("block", `block ${blockNumber} has timestamp ${block.timestamp}, the bundle says ${blockTimestamp}`);
    }
    return ok("block", `block ${blockNumber} has hash ${short(blockHash)} and timestamp ${blockTimestamp} (${isoSeconds(blockTimestamp) ?? "out of range"})`);
  });
}

/** Step 4: a log emitted by the contract carries the root, as a topic or as a 32-byte data word. */
export function checkLog(ctx: ChainContext): Promise<Check> {
  return guarded("log", async () => {
    const { anchor, batch } = ctx.bundle;
    const receipt = await ctx.receipt();
    if (receipt === null) return bad("log", `transaction ${short(anchor.txHash)} has no receipt`);
    const fromContract = receipt.logs.filter((l) => sameHex(l.address, anchor.contract));
    if (fromContract.length === 0) return bad("log", `the receipt has no log from the anchor contract ${anchor.contract}`);
    const word = batch.root.slice(2);
    for (const log of fromContract) {
      const topic = log.topics.findIndex((t) => sameHex(t, batch.root));
      if (topic >= 0) return ok("log", `a log from ${anchor.contract} carries root ${short(batch.root)} as topic ${topic}`);
      const data = log.data.slice(2).toLowerCase();
      for (let i = 0; i + 64 <= data.length; i += 64) {
        if (data.slice(i, i + 64) === word) {
          return ok("log", `a log from ${anchor.contract} carries root ${short(batch.root)} in data word ${i / 64}`);
        }
      }
    }
    return bad("log", `${fromContract.length} log(s) from ${anchor.contract}, none carries root ${short(batch.root)}`);
  });
}

export interface AnchorRecord {
  anchored: boolean;
  seq: bigint;
  size: bigint;
  blockNumber: bigint;
  timestamp: bigint;
}

/** Call data of anchorOf(root). Requires root = 0x + 64 hex digits. */
export function encodeAnchorOfCall(root: string): string {
  return ANCHOR_OF_SELECTOR + root.slice(2).toLowerCase();
}

/**
 * Decodes the return data of `anchorOf(bytes32) returns (bool, uint64, uint64, uint64, uint64)`:
 * five 32-byte words. Throws Error when the data is not such an encoding.
 */
export function decodeAnchorOf(data: string): AnchorRecord {
  if (!/^0x[0-9a-fA-F]*$/.test(data) || data.length < 2 + 5 * 64) {
    throw new Error(`expected 5 ABI words, got ${Math.max(0, data.length - 2) / 2} bytes`);
  }
  const words = Array.from({ length: 5 }, (_, i) => BigInt("0x" + data.slice(2 + 64 * i, 66 + 64 * i)));
  const [anchored, seq, size, blockNumber, timestamp] = words as [bigint, bigint, bigint, bigint, bigint];
  if (anchored > 1n) throw new Error("word 0 is not a bool");
  for (const [i, w] of words.entries()) if (i > 0 && w >= 1n << 64n) throw new Error(`word ${i} is not a uint64`);
  return { anchored: anchored === 1n, seq, size, blockNumber, timestamp };
}

/** Step 5: the contract's own record of the root gives the same size and block. */
export function checkContract(ctx: ChainContext): Promise<Check> {
  return guarded("contract", async () => {
    const { anchor, batch } = ctx.bundle;
    const data = await ctx.reader.call(anchor.contract, encodeAnchorOfCall(batch.root));
    let rec: AnchorRecord;
    try {
      rec = decodeAnchorOf(data);
    } catch (e) {
      return bad("contract", `anchorOf returned malformed data: ${(e as Error).message}`);
    }
    if (!rec.anchored) return bad("contract", `the contract has no record of root ${short(batch.root)}`);
    if (rec.size !== BigInt(batch.size) || rec.blockNumber !== BigInt(anchor.blockNumber)) {
      return bad(
        "contract",
        `the contract records size ${rec.size} in block ${rec.blockNumber}, the bundle says size ${batch.size} in block ${anchor.blockNumber}`,
      );
    }
    return ok("contract", `the contract records root ${short(batch.root)} with size ${rec.size} in block ${rec.blockNumber} (seq ${rec.seq})`);
  });
}

/** Step 6: latest block - anchor block + 1 >= minimum. */
export async function checkConfirmations(ctx: ChainContext, minimum: number): Promise<{ check: Check; confirmations: number | null }> {
  let confirmations: number | null = null;
  const check = await guarded("confirmations", async () => {
    const { blockNumber } = ctx.bundle.anchor;
    const latest = await ctx.reader.blockNumber();
    if (latest < blockNumber) return bad("confirmations", `the latest block ${latest} is before the anchor block ${blockNumber}`);
    confirmations = latest - blockNumber + 1;
    return confirmations >= minimum
      ? ok("confirmations", `${confirmations} confirmation(s), at least ${minimum} asked for`)
      : bad("confirmations", `${confirmations} confirmation(s), fewer than the ${minimum} asked for`);
  });
  return { check, confirmations };
}

/** ISO 8601 UTC of Unix seconds, or null outside the range of Date. */
export function isoSeconds(seconds: number): string | null {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(".000Z", "Z");
}
