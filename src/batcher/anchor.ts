// Steps two and three of the sequencer: send an anchoring transaction for the sealed batches
// that wait (one transaction for all of them, signed and recorded before it is broadcast),
// follow it until it is mined, re-price it when it is stuck, and confirm it once deep enough.
// Every step reads its state from the database and the chain, so repeating it after a crash
// neither loses a batch nor anchors one twice (the contract also refuses a root twice).
import { toHex } from "../core/bytes.ts";
import type { Db } from "../store/db.ts";
import {
  batchesAwaitingAnchor,
  confirmAnchors,
  confirmedAnchors,
  failAnchor,
  hasInFlightAnchor,
  inFlightAnchors,
  maxInFlightNonce,
  orphanAnchors,
  recordSentAnchor,
  recordSentTransaction,
  recordTxVersion,
  txVersions,
} from "../store/batches.ts";
import type { AnchorRow } from "../store/schema.ts";
import {
  AlreadyAnchoredError,
  InsufficientFundsError,
  NonceTooLowError,
  UnderpricedError,
  decodeSigned,
  type AnchorCall,
  type ChainClient,
  type ReceiptInfo,
  type RootToAnchor,
} from "../chain/client.ts";
import { feeCap, gweiText, quoteFees, replacementFees, type FeeLimits, type FeeMarket, type Fees } from "../chain/fees.ts";
import type { Logger } from "../log.ts";

export interface AnchorPolicy {
  fees: FeeLimits;
  /** A version unmined this many blocks after it was sent is replaced... */
  stuckAfterBlocks: number;
  /** ...or this many milliseconds after (0: blocks only). */
  stuckAfterMs: number;
  /** Most batches one transaction anchors. */
  maxRootsPerTx: number;
  /** Warn below this many anchors' worth of funds. */
  lowBalanceAnchors: number;
}

/** Defaults for tests and tools; the service takes them from its configuration. */
export const DEFAULT_POLICY: AnchorPolicy = {
  fees: { maxFeePerGas: 200_000_000_000n, maxPriorityFee: 5_000_000_000n, bumpPercent: 12.5 },
  stuckAfterBlocks: 3,
  stuckAfterMs: 120_000,
  maxRootsPerTx: 64,
  lowBalanceAnchors: 100,
};

export interface AnchorContext {
  db: Db;
  chain: ChainClient;
  /** Address of the EvidenceAnchor contract, lowercase. */
  contract: string;
  confirmations: number;
  log: Logger;
  policy?: AnchorPolicy;
  /** Told of each transaction sent, replaced or mined and each anchor failed (the batcher re-emits them). */
  events?: AnchorEvents;
}

/** What a chain step did, as it happens: for metrics; nothing here depends on it. */
export interface AnchorEvents {
  sent(tx: { txHash: string; batches: number }): void;
  replaced(tx: { txHash: string; nonce: number }): void;
  mined(tx: { txHash: string; gasUsed: bigint | null; feePerGas: bigint | null }): void;
  failed(anchors: number): void;
}

export interface ConfirmedAnchor {
  anchorId: number;
  batchSeq: number;
  txHash: string;
  blockNumber: number;
}

/** What a step did, and why anchoring is held back, in words for /readyz and the log. */
export interface StepResult {
  waiting: string[];
}

// Gas one single-root anchor uses, rounded up (measured 58,380; the first one 75,480): the
// unit in which the balance warning counts "anchors' worth".
const GAS_PER_ANCHOR = 80_000n;

const policyOf = (ctx: AnchorContext) => ctx.policy ?? DEFAULT_POLICY;

/**
 * Follows every transaction in flight, one nonce at a time (a nonce may have several signed
 * versions): confirms a mined one once deep enough, marks a reverted one failed (its batches
 * are then sent again or adopted), and replaces one that is stuck or that the node forgot
 * with a new version at the current market fee.
 */
export async function progressInFlight(ctx: AnchorContext): Promise<StepResult & { confirmed: ConfirmedAnchor[] }> {
  const { db, chain } = ctx;
  const confirmed: ConfirmedAnchor[] = [];
  const waiting: string[] = [];
  const groups = new Map<string, (AnchorRow & { root: Uint8Array; size: number })[]>();
  for (const a of await inFlightAnchors(db)) {
    const key = `${a.chainId}:${a.sender}:${a.nonce}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    if (first.chainId !== chain.chainId || first.contract !== ctx.contract) {
      for (const a of group) await failOne(ctx, a.id, "sent to another chain or contract than the one now in use");
      continue;
    }
    const versions = await txVersions(db, first.chainId, first.sender, first.nonce);
    const hashes = [...new Set([...versions.map((v) => v.txHash), ...group.map((a) => a.txHash)])];
    const mined = await findReceipt(chain, hashes);
    if (mined) {
      await settleMined(ctx, group, mined, confirmed);
      continue;
    }
    const latestRaw = versions.at(-1)?.rawTx ?? first.rawTx;
    if (first.sender !== chain.sender || latestRaw === null) {
      // Adopted from the chain (sent by someone else's key, or by a run that kept no copy):
      // it was mined once; without a receipt now, the chain lost it.
      for (const a of group) await failOne(ctx, a.id, "the anchoring transaction is no longer on the chain");
      continue;
    }
    if (first.nonce < (await chain.minedNonce())) {
      // The nonce is used up. Look once more: ours may have been mined just now.
      if (await findReceipt(chain, hashes)) continue;
      for (const a of group) await failOne(ctx, a.id, `nonce ${first.nonce} was used by another transaction`);
      ctx.log.warn("anchor transaction superseded: its nonce was used by another transaction", {
        nonce: first.nonce,
        batches: group.map((a) => a.batchSeq),
      });
      continue;
    }
    const known = await anyKnown(chain, hashes);
    const head = await chain.latestBlockNumber();
    // Behind a gap (the chain lost, or a reorg took back, the transactions of the nonces
    // before it) it can never be mined, even while a node holds it queued: its batches get a
    // new nonce. The node's pending count stops at the first missing nonce.
    const expected = await chain.pendingNonce();
    if (first.nonce > expected && !lowerInFlight(groups, first)) {
      for (const a of group) await failOne(ctx, a.id, `transaction lost: nonce ${first.nonce}, the chain expects ${expected}`);
      ctx.log.warn("anchor transaction behind a nonce gap: sending its batches anew", { nonce: first.nonce, expected });
      continue;
    }
    // One read of the market per transaction, shared by the re-send and the re-price below.
    const market = await chain.feeMarket();
    if (!known) {
      // Never broadcast (a crash right after recording) or forgotten by the node (a restart,
      // an eviction). Still priced for the market: send it again as it was; else re-price it.
      const quote = quoteFees(market, policyOf(ctx).fees);
      if (quote.ok && feeCap(decodeSigned(latestRaw).fees) >= feeCap(quote.fees)) {
        await rebroadcast(ctx, group, latestRaw);
        continue;
      }
    } else {
      const latest = versions.at(-1);
      const policy = policyOf(ctx);
      const stuck =
        latest === undefined ||
        head - latest.sentBlock >= policy.stuckAfterBlocks ||
        (policy.stuckAfterMs > 0 && Date.now() - latest.sentAt.getTime() >= policy.stuckAfterMs);
      if (!stuck) continue;
    }
    const refused = await replace(ctx, group, latestRaw, head, known, market);
    if (refused) waiting.push(refused);
  }
  return { confirmed, waiting };
}

/** Whether one of our own transactions with a lower nonce is in flight (then no gap is ours). */
function lowerInFlight(groups: Map<string, AnchorRow[]>, first: AnchorRow): boolean {
  for (const g of groups.values()) {
    const o = g[0]!;
    if (o.sender === first.sender && o.chainId === first.chainId && o.nonce < first.nonce) return true;
  }
  return false;
}

/** Marks one anchor failed (its batch is sent again), and says so to the listener. */
async function failOne(ctx: AnchorContext, id: number, reason: string): Promise<void> {
  await failAnchor(ctx.db, id, reason);
  ctx.events?.failed(1);
}

async function findReceipt(chain: ChainClient, hashes: readonly string[]) {
  for (const hash of hashes) {
    const receipt = await chain.getReceipt(hash);
    if (receipt) return { hash, receipt };
  }
  return null;
}

async function anyKnown(chain: ChainClient, hashes: readonly string[]): Promise<boolean> {
  for (const hash of hashes) if (await chain.knowsTransaction(hash)) return true;
  return false;
}

/** A mined version: failed if it reverted; confirmed, batch by batch, once deep enough. */
async function settleMined(
  ctx: AnchorContext,
  group: (AnchorRow & { root: Uint8Array; size: number })[],
  mined: { hash: string; receipt: ReceiptInfo },
  confirmed: ConfirmedAnchor[],
): Promise<void> {
  const { db, chain, log } = ctx;
  const { receipt } = mined;
  // Paid for once it is settled (confirmed or reverted), not on each step that waits for depth.
  const paid = () => ctx.events?.mined({ txHash: mined.hash, gasUsed: receipt.gasUsed ?? null, feePerGas: receipt.effectiveGasPrice ?? null });
  if (receipt.status !== 1) {
    paid();
    for (const a of group) await failOne(ctx, a.id, "transaction reverted");
    log.warn("anchor transaction reverted", { batches: group.map((a) => a.batchSeq), tx: mined.hash });
    return;
  }
  const latest = await chain.latestBlockNumber();
  if (latest - receipt.blockNumber + 1 < ctx.confirmations) return;
  const block = await chain.getBlock(receipt.blockNumber);
  if (!block || block.hash !== receipt.blockHash) return; // a reorg is under way; look again next tick
  // Trust what the contract itself recorded, not only that the transaction succeeded: each
  // root counts when our contract's Anchored event for it, with the batch's size, is in this
  // receipt. The contract emits it exactly when it stores the record verifiers read with
  // anchorOf, in this block, so the receipt answers for all of a transaction's roots at once
  // (reading anchorOf per root cost a round trip each: ~0.5 s for 128 roots after an outage).
  const recorded = mined.receipt.anchored(ctx.contract);
  const good = group.filter((a) => recorded.get(toHex(a.root))?.size === a.size);
  for (const a of group) {
    if (!good.includes(a)) await failOne(ctx, a.id, "mined, but the contract does not record the root in that block");
  }
  await confirmAnchors(db, good, block, mined.hash);
  paid();
  for (const a of good) confirmed.push({ anchorId: a.id, batchSeq: a.batchSeq, txHash: mined.hash, blockNumber: block.number });
}

/**
 * Signs, records and broadcasts a new version of a stuck (or forgotten) transaction: same
 * nonce and call, fees at the market but at least the bump above the last version. Returns
 * why it could not, or null. A forgotten one that cannot be re-priced is re-sent as it was.
 */
async function replace(
  ctx: AnchorContext,
  group: AnchorRow[],
  latestRaw: string,
  head: number,
  known: boolean,
  market: FeeMarket,
): Promise<string | null> {
  const { db, chain, log } = ctx;
  const previous = decodeSigned(latestRaw);
  const quote = replacementFees(previous.fees, market, policyOf(ctx).fees);
  const nonce = previous.nonce;
  if (!quote.ok) {
    if (!known) await rebroadcast(ctx, group, latestRaw);
    return `the anchor transaction with nonce ${nonce} is not being mined and is not re-priced: ${quote.reason}`;
  }
  const short = await fundsShortfall(chain, previous.call, quote.fees);
  if (short) {
    if (!known) await rebroadcast(ctx, group, latestRaw);
    return short;
  }
  const signed = await chain.sign(previous.call, nonce, quote.fees);
  await recordTxVersion(db, {
    chainId: chain.chainId,
    sender: chain.sender,
    nonce,
    txHash: signed.hash,
    rawTx: signed.raw,
    sentBlock: head,
    sentAt: new Date(),
  });
  try {
    await chain.broadcast(signed.raw);
  } catch (err) {
    // Mined meanwhile: the next tick finds the receipt of whichever version it was.
    if (err instanceof NonceTooLowError) return null;
    if (err instanceof UnderpricedError || err instanceof InsufficientFundsError) {
      return `the node refused the replacement of the anchor transaction with nonce ${nonce}: ${err.message}`;
    }
    throw err;
  }
  ctx.events?.replaced({ txHash: signed.hash, nonce });
  log.info(known ? "replaced a stuck anchor transaction" : "re-sent a dropped anchor transaction at the current fee", {
    nonce,
    batches: group.map((a) => a.batchSeq),
    tx: signed.hash,
    feeCap: gweiText(feeCap(quote.fees)),
    previousFeeCap: gweiText(feeCap(previous.fees)),
  });
  return null;
}

async function rebroadcast(ctx: AnchorContext, group: AnchorRow[], raw: string): Promise<void> {
  try {
    await ctx.chain.broadcast(raw);
    ctx.log.info("re-broadcast anchor transaction", { batches: group.map((a) => a.batchSeq), nonce: decodeSigned(raw).nonce });
  } catch (err) {
    if (err instanceof NonceTooLowError || err instanceof UnderpricedError || err instanceof InsufficientFundsError) return;
    throw err;
  }
}

/** Why the sender cannot pay for `call` at `fees`, or null when it can. */
async function fundsShortfall(chain: ChainClient, call: AnchorCall, fees: Fees): Promise<string | null> {
  const need = call.gasLimit * feeCap(fees);
  const balance = await chain.balance();
  return balance >= need ? null : shortfallText(chain.sender, balance, need);
}

function shortfallText(sender: string, balance: bigint, need: bigint): string {
  return `the anchor account ${sender} holds ${weiText(balance)}, and an anchor may cost up to ${weiText(need)}: nothing is sent until it is funded`;
}

/** A balance in ether for people. */
export function weiText(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} ETH`;
}

/**
 * The low-balance warning: fewer than `lowBalanceAnchors` anchors' worth at current fees.
 * Null when funds are fine or fees cannot be quoted (that is reported by sending).
 */
export async function balanceWarning(ctx: AnchorContext): Promise<string | null> {
  const policy = policyOf(ctx);
  if (policy.lowBalanceAnchors === 0) return null;
  const quote = quoteFees(await ctx.chain.feeMarket(), policy.fees);
  const perAnchor = GAS_PER_ANCHOR * (quote.ok ? feeCap(quote.fees) : policy.fees.maxFeePerGas);
  const balance = await ctx.chain.balance();
  if (balance >= perAnchor * BigInt(policy.lowBalanceAnchors)) return null;
  return `the anchor account ${ctx.chain.sender} holds ${weiText(balance)}, less than ${policy.lowBalanceAnchors} anchors' worth at current fees (about ${weiText(perAnchor)} each): fund it`;
}

/**
 * Sends one transaction for the batches that have neither a confirmed nor an in-flight
 * anchor, oldest first (`anchorMany` when there are several; a backlog larger than one
 * transaction holds goes out in up to MAX_TXS_PER_SEND on consecutive nonces). Nothing is sent
 * while an anchoring transaction is in flight: new batches wait and go together in the next. A root the contract
 * already holds is adopted, not sent again. Nothing is sent above the fee ceiling or
 * without the funds to pay; the reason is returned instead.
 */
export async function sendAnchors(ctx: AnchorContext): Promise<StepResult & { sent: number }> {
  const { db, chain, log } = ctx;
  const policy = policyOf(ctx);
  if (await hasInFlightAnchor(db)) return { sent: 0, waiting: [] };
  // A backlog bigger than one transaction (after an outage) goes out in up to
  // MAX_TXS_PER_SEND transactions at once, on consecutive nonces, rather than one per step.
  const awaiting = await batchesAwaitingAnchor(db, policy.maxRootsPerTx * MAX_TXS_PER_SEND);
  if (awaiting.length === 0) return { sent: 0, waiting: [] };
  if (!(await chain.hasCode(ctx.contract))) {
    // A call to an address without code "succeeds" and proves nothing.
    throw new Error(`no contract code at ${ctx.contract} on chain ${chain.chainId}`);
  }
  const quote = quoteFees(await chain.feeMarket(), policy.fees);
  if (!quote.ok) return { sent: 0, waiting: [`anchoring waits for fees to fall: ${quote.reason}`] };
  // Never reuse a nonce of our own that is still in flight, even if the node lost it.
  const ours = await maxInFlightNonce(db, chain.sender);
  let nonce = Math.max(await chain.pendingNonce(), ours === null ? 0 : ours + 1);
  let sent = 0;
  let budget = await chain.balance();
  for (let i = 0; i < awaiting.length; i += policy.maxRootsPerTx) {
    let chunk = awaiting.slice(i, i + policy.maxRootsPerTx).map((b) => ({ seq: b.seq, root: toHex(b.root), size: b.size }));
    let call: AnchorCall;
    try {
      call = await chain.prepareAnchor(ctx.contract, chunk);
    } catch (err) {
      if (!(err instanceof AlreadyAnchoredError)) throw err;
      // Some root is on chain already: sent by a run that crashed before recording it, or
      // recorded in a database since restored from backup. Only then is each root looked up
      // (a round trip each); those found are adopted and the rest go out.
      chunk = await notYetAnchored(ctx, chunk);
      if (chunk.length === 0) continue;
      try {
        call = await chain.prepareAnchor(ctx.contract, chunk);
      } catch (again) {
        if (again instanceof AlreadyAnchoredError) break; // mined meanwhile: adopted next step
        throw again;
      }
    }
    const need = call.gasLimit * feeCap(quote.fees);
    if (budget < need) return { sent, waiting: sent === 0 ? [shortfallText(chain.sender, budget, need)] : [] };
    budget -= need;
    const signed = await chain.sign(call, nonce, quote.fees);
    await recordSentTransaction(
      db,
      {
        chainId: chain.chainId,
        sender: chain.sender,
        nonce,
        txHash: signed.hash,
        rawTx: signed.raw,
        sentBlock: await chain.latestBlockNumber(),
        sentAt: new Date(),
      },
      { contract: ctx.contract, status: "sent", sentAt: new Date() },
      chunk.map((b) => b.seq),
    );
    try {
      await chain.broadcast(signed.raw);
    } catch (err) {
      // Recorded, not accepted: progressInFlight re-sends, re-prices or (when another
      // transaction took the nonce) fails it on the next step, and its batches go out anew.
      if (err instanceof NonceTooLowError) return { sent, waiting: [] };
      if (err instanceof UnderpricedError || err instanceof InsufficientFundsError) {
        return { sent, waiting: [`the node refused the anchor transaction: ${err.message}`] };
      }
      throw err;
    }
    ctx.events?.sent({ txHash: signed.hash, batches: chunk.length });
    log.debug("anchor sent", { batches: chunk.map((b) => b.seq), tx: signed.hash, nonce, feeCap: gweiText(feeCap(quote.fees)) });
    sent += chunk.length;
    nonce++;
  }
  return { sent, waiting: [] };
}

/**
 * The roots of `chunk` the contract does not hold yet. Those it holds with the batch's size
 * are adopted (recorded as confirmed anchors); one held with another size is left alone.
 */
async function notYetAnchored(ctx: AnchorContext, chunk: (RootToAnchor & { seq: number })[]): Promise<(RootToAnchor & { seq: number })[]> {
  const records = await Promise.all(chunk.map((b) => ctx.chain.anchorOf(ctx.contract, b.root)));
  const rest: (RootToAnchor & { seq: number })[] = [];
  for (const [i, b] of chunk.entries()) {
    const record = records[i]!;
    if (!record.anchored) rest.push(b);
    else if (record.size === b.size) await adopt(ctx, b.seq, b.root, record.blockNumber);
    else {
      // Not ours to adopt (confirming it would fail, and adopting again would loop); a
      // root is committed to its size, so this means someone anchored a forged record.
      ctx.log.error("contract holds this root with another size; not adopting it", {
        batch: b.seq,
        root: b.root,
        size: b.size,
        onChainSize: record.size,
      });
    }
  }
  return rest;
}

/** Most transactions one send step signs, when a backlog fills more than one. */
const MAX_TXS_PER_SEND = 4;

/** Records an anchor found on chain (sent by a run that crashed before recording it). */
async function adopt(ctx: AnchorContext, batchSeq: number, root: string, blockNumber: number): Promise<void> {
  const found = await ctx.chain.findAnchorTransaction(ctx.contract, root, blockNumber);
  if (!found) throw new Error(`contract records root ${root} in block ${blockNumber} but no Anchored log is there`);
  await recordSentAnchor(ctx.db, {
    batchSeq,
    chainId: ctx.chain.chainId,
    contract: ctx.contract,
    sender: found.sender,
    nonce: found.nonce,
    txHash: found.txHash,
    rawTx: null,
    status: "sent",
    sentAt: new Date(),
  });
  ctx.log.info("adopted anchor found on chain", { batch: batchSeq, tx: found.txHash });
}

/**
 * Finds confirmed anchors whose block the chain no longer has (a restarted local chain, a
 * reorg, a chain that shortened) and withdraws them, so their batches are anchored again and
 * no proof is served that would fail verification. Every anchor within `window` blocks of
 * the head is checked on every call: after a reorg, an anchor confirmed on the new branch can
 * stand above anchors lost with the old one. Below the window, the walk goes newest first and
 * stops at the first intact block (deeper than any reorg, what is older is intact too), which
 * still finds everything a chain that restarted empty lost.
 */
export async function reconcileAnchors(ctx: Pick<AnchorContext, "db" | "chain" | "log">, window = RECONCILE_WINDOW): Promise<number> {
  const { db, chain, log } = ctx;
  const lost: number[] = [];
  const hashes = new Map<number, Promise<string | null>>();
  const blockHash = (n: number) => {
    let h = hashes.get(n);
    if (!h) hashes.set(n, (h = chain.getBlock(n).then((b) => b?.hash ?? null)));
    return h;
  };
  const isLost = async (a: AnchorRow) => (await blockHash(a.blockNumber ?? -1)) !== a.blockHash;
  const from = (await chain.latestBlockNumber()) - window;
  const page = 500;
  for (let offset = 0; ; offset += page) {
    const near = await confirmedAnchors(db, chain.chainId, { fromBlock: from, limit: page, offset });
    for (const a of near) if (await isLost(a)) lost.push(a.id);
    if (near.length < page) break;
  }
  walk: for (let offset = 0; ; offset += page) {
    const older = await confirmedAnchors(db, chain.chainId, { belowBlock: from, limit: page, offset });
    for (const a of older) {
      if (!(await isLost(a))) break walk;
      lost.push(a.id);
    }
    if (older.length < page) break;
  }
  if (lost.length > 0) {
    await orphanAnchors(db, lost, "the chain no longer has this block (chain reset or reorg)");
    log.warn("chain lost anchored blocks: re-anchoring their batches", { anchors: lost.length, chainId: chain.chainId });
  }
  return lost.length;
}

/** Blocks below the head whose anchors are all checked on every step: deeper than reorgs go. */
export const RECONCILE_WINDOW = 64;
