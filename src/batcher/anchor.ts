// Steps two and three of the sequencer: send an anchoring transaction for each sealed batch
// (signed and recorded before it is broadcast) and confirm the ones the chain has mined.
// Every step reads its state from the database and the chain, so repeating it after a
// crash neither loses a batch nor anchors one twice (the contract also refuses a root twice).
import { toHex } from "../core/bytes.ts";
import type { Db } from "../store/db.ts";
import {
  batchesAwaitingAnchor,
  confirmAnchor,
  confirmedAnchors,
  failAnchor,
  inFlightAnchors,
  maxInFlightNonce,
  orphanAnchors,
  recordSentAnchor,
} from "../store/batches.ts";
import { AlreadyAnchoredError, NonceTooLowError, type ChainClient } from "../chain/client.ts";
import type { Logger } from "../log.ts";

export interface AnchorContext {
  db: Db;
  chain: ChainClient;
  /** Address of the EvidenceAnchor contract, lowercase. */
  contract: string;
  confirmations: number;
  log: Logger;
}

export interface ConfirmedAnchor {
  anchorId: number;
  batchSeq: number;
  txHash: string;
  blockNumber: number;
}

/**
 * Follows every transaction in flight: confirms mined ones once deep enough, marks
 * reverted or unminable ones failed (their batch is then sent again or adopted), and
 * re-broadcasts ones the node has forgotten.
 */
export async function progressInFlight(ctx: AnchorContext): Promise<ConfirmedAnchor[]> {
  const { db, chain, log } = ctx;
  const confirmed: ConfirmedAnchor[] = [];
  for (const a of await inFlightAnchors(db)) {
    if (a.chainId !== chain.chainId || a.contract !== ctx.contract) {
      await failAnchor(db, a.id, "sent to another chain or contract than the one now in use");
      continue;
    }
    const receipt = await chain.getReceipt(a.txHash);
    if (receipt) {
      if (receipt.status !== 1) {
        await failAnchor(db, a.id, "transaction reverted");
        log.warn("anchor transaction reverted", { batch: a.batchSeq, tx: a.txHash });
        continue;
      }
      const latest = await chain.latestBlockNumber();
      if (latest - receipt.blockNumber + 1 < ctx.confirmations) continue;
      const block = await chain.getBlock(receipt.blockNumber);
      if (!block || block.hash !== receipt.blockHash) continue; // a reorg is under way; look again next tick
      // Trust the contract's own record, not only the receipt: it is what verifiers check.
      const record = await chain.anchorOf(ctx.contract, toHex(a.root));
      if (!record.anchored || record.blockNumber !== block.number || record.size !== a.size) {
        await failAnchor(db, a.id, "mined, but the contract does not record the root in that block");
        continue;
      }
      await confirmAnchor(db, a, block);
      confirmed.push({ anchorId: a.id, batchSeq: a.batchSeq, txHash: a.txHash, blockNumber: block.number });
      continue;
    }
    if (await chain.knowsTransaction(a.txHash)) continue; // pending in the node's pool
    // The node has never seen it (we crashed before broadcasting) or forgot it (restarted).
    const next = await chain.pendingNonce();
    if (!a.rawTx || a.nonce !== next) {
      await failAnchor(db, a.id, `transaction lost: nonce ${a.nonce}, the chain expects ${next}`);
      continue;
    }
    try {
      await chain.broadcast(a.rawTx);
      log.info("re-broadcast anchor transaction", { batch: a.batchSeq, tx: a.txHash });
    } catch (err) {
      if (!(err instanceof NonceTooLowError)) throw err;
      await failAnchor(db, a.id, "nonce taken by another transaction");
    }
  }
  return confirmed;
}

/**
 * Sends one anchoring transaction per batch that has neither a confirmed nor an in-flight
 * anchor, oldest first. A root the contract already holds is adopted, not sent again.
 */
export async function sendAnchors(ctx: AnchorContext, limit = 16): Promise<number> {
  const { db, chain, log } = ctx;
  const awaiting = await batchesAwaitingAnchor(db, limit);
  if (awaiting.length === 0) return 0;
  if (!(await chain.hasCode(ctx.contract))) {
    // A call to an address without code "succeeds" and proves nothing.
    throw new Error(`no contract code at ${ctx.contract} on chain ${chain.chainId}`);
  }
  let sent = 0;
  for (const b of awaiting) {
    const root = toHex(b.root);
    const record = await chain.anchorOf(ctx.contract, root);
    if (record.anchored) {
      if (record.size !== b.size) {
        // Not ours to adopt (confirming it would fail, and adopting again would loop); a
        // root is committed to its size, so this means someone anchored a forged record.
        log.error("contract holds this root with another size; not adopting it", {
          batch: b.seq,
          root,
          size: b.size,
          onChainSize: record.size,
        });
        continue;
      }
      await adopt(ctx, b.seq, root, record.blockNumber);
      continue;
    }
    // Never reuse a nonce of our own that is still in flight, even if the node lost it.
    const ours = await maxInFlightNonce(db, chain.sender);
    const nonce = Math.max(await chain.pendingNonce(), ours === null ? 0 : ours + 1);
    let signed;
    try {
      signed = await chain.signAnchor(ctx.contract, root, b.size, nonce);
    } catch (err) {
      if (err instanceof AlreadyAnchoredError) continue; // mined meanwhile: adopted next tick
      throw err;
    }
    await recordSentAnchor(db, {
      batchSeq: b.seq,
      chainId: chain.chainId,
      contract: ctx.contract,
      sender: chain.sender,
      nonce: signed.nonce,
      txHash: signed.hash,
      rawTx: signed.raw,
      status: "sent",
      sentAt: new Date(),
    });
    await chain.broadcast(signed.raw);
    sent++;
    log.debug("anchor sent", { batch: b.seq, tx: signed.hash, nonce: signed.nonce });
  }
  return sent;
}

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
 * reorg) and withdraws them, so their batches are anchored again and no proof is served
 * that would fail verification. Walks newest first and stops at the first intact block:
 * blocks form a chain, so everything older is intact too.
 */
export async function reconcileAnchors(ctx: Pick<AnchorContext, "db" | "chain" | "log">): Promise<number> {
  const { db, chain, log } = ctx;
  const lost: number[] = [];
  const page = 100;
  for (let offset = 0; ; offset += page) {
    const anchors = await confirmedAnchors(db, chain.chainId, page + offset);
    const slice = anchors.slice(offset);
    let intact = false;
    for (const a of slice) {
      const block = await chain.getBlock(a.blockNumber ?? -1);
      if (block && block.hash === a.blockHash) {
        intact = true;
        break;
      }
      lost.push(a.id);
    }
    if (intact || slice.length < page) break;
  }
  if (lost.length > 0) {
    await orphanAnchors(db, lost, "the chain no longer has this block (chain reset or reorg)");
    log.warn("chain lost anchored blocks: re-anchoring their batches", { anchors: lost.length, chainId: chain.chainId });
  }
  return lost.length;
}
