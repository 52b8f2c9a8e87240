// The sequencer's steps against a real database and a real Hardhat node. Each crash window is
// reproduced by leaving exactly the state a crash at that point leaves (a row recorded but
// never broadcast, a transaction mined but never recorded, a chain restarted), then running
// the real steps and checking that nothing is lost and nothing is anchored twice.
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { queryRows } from "../../src/store/db.ts";
import { verifyInclusion } from "../../src/core/rfc9162.ts";
import { DEFAULT_POLICY, progressInFlight, reconcileAnchors, sendAnchors, type AnchorContext } from "../../src/batcher/anchor.ts";
import { quoteFees } from "../../src/chain/fees.ts";
import { sealBatch } from "../../src/batcher/seal.ts";
import { TreeBuilder, buildTreeInline } from "../../src/batcher/tree.ts";
import type { ChainClient } from "../../src/chain/client.ts";
import { ensureContract } from "../../src/chain/deployment.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { silentLogger } from "../../src/log.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { Prover } from "../../src/services/prover.ts";
import { anchors, batches, evidence } from "../../src/store/schema.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestChain, testChainClient } from "../helpers/chain.ts";
import { waitFor } from "../helpers/service.ts";

let node: LocalNode;
let port: number;
let chain: ChainClient;
let database: TestDatabase;
let ctx: AnchorContext;
let ingest: IngestService;
const trees = new TreeBuilder();

const build = (leaves: Uint8Array) => trees.buildLevels(leaves);
const digest = () => toHex(new Uint8Array(randomBytes(32)));

async function submit(n: number) {
  return ingest.submit("tenant-a", Array.from({ length: n }, () => ({ digest: digest() })));
}

async function contractCount(contract: string): Promise<number> {
  const iface = (await import("../../src/chain/contract.ts")).anchorInterface();
  const out = await chain.provider.call({ to: contract, data: iface.encodeFunctionData("count") });
  return Number(iface.decodeFunctionResult("count", out)[0]);
}

/** Signs an anchor of one root at the market's fees, as sendAnchors would (without sending it). */
async function signAnchor(root: string, size: number, nonce: number) {
  const quote = quoteFees(await chain.feeMarket(), DEFAULT_POLICY.fees);
  if (!quote.ok) throw new Error(quote.reason);
  return chain.sign(await chain.prepareAnchor(ctx.contract, [{ root, size }]), nonce, quote.fees);
}

/** The anchors row sendAnchors records before broadcasting `signed` (batch 0): a crash's leftover. */
async function recordInFlight(signed: { nonce: number; hash: string; raw: string }) {
  await database.db.insert(anchors).values({
    batchSeq: 0,
    chainId: chain.chainId,
    contract: ctx.contract,
    sender: chain.sender,
    nonce: signed.nonce,
    txHash: signed.hash,
    rawTx: signed.raw,
    status: "sent",
    sentAt: new Date(),
  });
}

async function anchorRows() {
  return database.db.select().from(anchors).orderBy(anchors.id);
}

/** Connects and resolves the contract: a fresh database has none recorded, so each test deploys its own. */
async function connect(): Promise<void> {
  chain = await testChainClient(node.url);
  const { address } = await ensureContract(database.db, chain, {});
  ctx = { db: database.db, chain, contract: address, confirmations: 1, log: silentLogger };
}

async function freshChain(): Promise<void> {
  node = await startTestChain(port);
  await connect();
}

beforeAll(async () => {
  node = await startTestChain();
  port = Number(new URL(node.url).port);
});

beforeEach(async () => {
  await database?.close();
  chain?.close();
  database = await freshDatabase();
  ingest = new IngestService({ db: database.db , signer: new Signer(generateSigningKey()) });
  await connect();
});

afterAll(async () => {
  chain?.close();
  await node?.stop();
  await database?.close();
  await trees.close();
});

describe("sealing", () => {
  it("seals every pending leaf once, in commit order, without rewriting its row, and serves paths to the root", async () => {
    const receipts = await submit(7);
    const before = await queryRows<{ id: string; xmin: string }>(database.db, sql`select id, xmin::text from evidence order by seq`);
    const sealed = await sealBatch(database.db, build, { closeOpen: true });
    expect(sealed).toMatchObject({ seq: 0, size: 7 });
    expect(await sealBatch(database.db, build, { closeOpen: true })).toBeNull();

    const rows = await database.db.select().from(evidence).orderBy(evidence.seq);
    expect(rows.map((r) => r.id)).toEqual(receipts.map((r) => r.id));
    // Sealing wrote the batch and its tree, not the leaves: each row is the version ingest committed.
    expect(await queryRows<{ id: string; xmin: string }>(database.db, sql`select id, xmin::text from evidence order by seq`)).toEqual(before);
    const prover = new Prover({ db: database.db });
    for (const [i, r] of rows.entries()) {
      expect(r.batchSeq).toBe(0);
      expect(r.leafIndex).toBe(i);
      const bundle = await prover.proof(ADMIN_SCOPE, r.id);
      expect(verifyInclusion(i, 7, r.leafHash, bundle.batch!.path.map((h) => fromHex(h, 32)), sealed!.root)).toBe(true);
    }
    // The stored tree: level k holds floor(7 / 2^k) complete-subtree hashes, level 0 the leaves.
    const levels = await queryRows<{ level: number; n: number }>(
      database.db,
      sql`select level, length(hashes) / 32 as n from batch_levels where batch_seq = 0 order by level`,
    );
    expect(levels).toEqual([{ level: 0, n: 7 }, { level: 1, n: 3 }, { level: 2, n: 1 }]);
  });

  it("starts the next batch at BATCH_MAX_LEAVES, and seals full batches before the open one", async () => {
    const small = new IngestService({ db: database.db, signer: new Signer(generateSigningKey()), batchMaxLeaves: 2 });
    for (let i = 0; i < 5; i++) await small.submit("tenant-a", [{ digest: digest() }]);
    // Two full batches are closed already: they are sealed without closing the open one.
    expect(await sealBatch(database.db, build, { closeOpen: false })).toMatchObject({ seq: 0, size: 2 });
    expect(await sealBatch(database.db, build, { closeOpen: false })).toMatchObject({ seq: 1, size: 2 });
    expect(await sealBatch(database.db, build, { closeOpen: false })).toBeNull();
    expect(await sealBatch(database.db, build, { closeOpen: true })).toMatchObject({ seq: 2, size: 1 });
    expect(await sealBatch(database.db, build, { closeOpen: true })).toBeNull();
    // A request bigger than what is left in the open batch goes whole into the next.
    await small.submit("tenant-a", [{ digest: digest() }]);
    await small.submit("tenant-a", [{ digest: digest() }, { digest: digest() }]);
    expect(await sealBatch(database.db, build, { closeOpen: false })).toMatchObject({ seq: 3, size: 1 });
    expect(await sealBatch(database.db, build, { closeOpen: true })).toMatchObject({ seq: 4, size: 2 });
  });

  it("gives places in commit order: a transaction that rolls back gives its places back", async () => {
    await submit(2);
    await expect(
      database.db.transaction(async (tx) => {
        await ingest.submit("tenant-a", [{ digest: digest() }, { digest: digest() }], { db: tx });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await submit(1);
    const rows = await queryRows<{ leaf_index: number }>(database.db, sql`select leaf_index from evidence order by leaf_index`);
    expect(rows.map((r) => r.leaf_index)).toEqual([0, 1, 2]);
    expect(await sealBatch(database.db, build, { closeOpen: true })).toMatchObject({ seq: 0, size: 3 });
  });

  it("builds the same tree in the worker thread as inline", async () => {
    const leaves = Array.from({ length: 300 }, () => new Uint8Array(randomBytes(32)));
    const worker = new TreeBuilder({ workerThreshold: 1 });
    try {
      const a = await worker.build(leaves);
      const b = buildTreeInline(leaves);
      expect(toHex(a.root)).toBe(toHex(b.root));
      expect(a.paths.map(toHex)).toEqual(b.paths.map(toHex));
    } finally {
      await worker.close();
    }
  });
});

describe("anchoring", () => {
  it("sends, confirms against the contract's record, and repeating changes nothing", async () => {
    await submit(3);
    const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
    expect((await sendAnchors(ctx)).sent).toBe(1);
    expect((await sendAnchors(ctx)).sent).toBe(0); // in flight: not sent again
    const { confirmed } = await progressInFlight(ctx);
    expect(confirmed).toHaveLength(1);
    expect((await progressInFlight(ctx)).confirmed).toHaveLength(0);
    expect((await sendAnchors(ctx)).sent).toBe(0);

    const [row] = await anchorRows();
    expect(row).toMatchObject({ status: "confirmed", batchSeq: 0, chainId: 31337 });
    const record = await chain.anchorOf(ctx.contract, toHex(sealed.root));
    expect(record).toMatchObject({ anchored: true, seq: 0, size: 3, blockNumber: row!.blockNumber });
    expect(await contractCount(ctx.contract)).toBe(1);
  });

  it("after a crash between recording and broadcasting, broadcasts the recorded transaction", async () => {
    await submit(2);
    const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
    // The first half of sendAnchors, as a crash right before broadcast leaves it.
    const signed = await signAnchor(toHex(sealed.root), sealed.size, await chain.pendingNonce());
    await recordInFlight(signed);
    expect(await chain.knowsTransaction(signed.hash)).toBe(false);

    await progressInFlight(ctx); // re-broadcasts
    await progressInFlight(ctx); // confirms
    const rows = await anchorRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "confirmed", txHash: signed.hash });
    expect(await contractCount(ctx.contract)).toBe(1);
  });

  it("after a crash between broadcasting and recording, adopts the mined transaction", async () => {
    await submit(4);
    const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
    // Broadcast without any database record: the crash window before recordSentAnchor commits.
    const signed = await signAnchor(toHex(sealed.root), sealed.size, await chain.pendingNonce());
    await chain.broadcast(signed.raw);

    expect((await sendAnchors(ctx)).sent).toBe(0); // nothing new sent: the root is already on chain
    await progressInFlight(ctx);
    const rows = await anchorRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "confirmed", txHash: signed.hash, rawTx: null });
    expect(await contractCount(ctx.contract)).toBe(1);
  });

  it("does not adopt a root the contract holds with another size", async () => {
    await submit(3);
    const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
    const forged = await signAnchor(toHex(sealed.root), sealed.size + 1, await chain.pendingNonce());
    await chain.broadcast(forged.raw);
    expect((await sendAnchors(ctx)).sent).toBe(0);
    expect((await sendAnchors(ctx)).sent).toBe(0);
    expect(await anchorRows()).toEqual([]); // nothing recorded, nothing sent, no loop of rows
  });

  it("fails a recorded transaction that can never be mined and anchors the batch anew", async () => {
    await submit(1);
    const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
    // A nonce far ahead: what a chain that lost our earlier transactions leaves us holding.
    const gap = (await chain.pendingNonce()) + 5;
    const signed = await signAnchor(toHex(sealed.root), sealed.size, gap);
    await recordInFlight(signed);
    await progressInFlight(ctx);
    expect((await anchorRows())[0]?.status).toBe("failed");
    expect((await sendAnchors(ctx)).sent).toBe(1);
    await progressInFlight(ctx);
    const rows = await anchorRows();
    expect(rows.map((r) => r.status)).toEqual(["failed", "confirmed"]);
  });

  it("withdraws anchors a restarted chain lost, serves no proof for them, and re-anchors", async () => {
    const [receipt] = await submit(3);
    await sealBatch(database.db, build, { closeOpen: true });
    await sendAnchors(ctx);
    await progressInFlight(ctx);
    const prover = new Prover({ db: database.db, chain: () => ({ getBlock: (n) => chain.getBlock(n), blockNumber: () => chain.latestBlockNumber() }) });
    const before = await prover.proof(ADMIN_SCOPE, receipt!.id);
    expect(before.anchor).not.toBeNull();

    // The local chain restarts empty on the same port.
    chain.close();
    await node.stop();
    await freshChain();
    expect((await prover.proof(ADMIN_SCOPE, receipt!.id)).anchor).toBeNull(); // the block is gone: no dead proof

    expect(await reconcileAnchors(ctx)).toBe(1);
    expect(await reconcileAnchors(ctx)).toBe(0);
    expect((await sendAnchors(ctx)).sent).toBe(1);
    await progressInFlight(ctx);

    const after = await prover.proof(ADMIN_SCOPE, receipt!.id);
    expect(after.anchor).not.toBeNull();
    // Same key, nonce and fees can replay the very same transaction hash; the block differs.
    expect(after.anchor!.blockHash).not.toBe(before.anchor!.blockHash);
    const result = await verifyBundle(after, { chain: jsonRpcReader(node.url) });
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.valid).toBe(true);
    const statuses = (await anchorRows()).map((r) => r.status);
    expect(statuses).toEqual(["orphaned", "confirmed"]);
  });

  it("withholds a dev chain's anchors while it cannot be asked, but not a public chain's", async () => {
    const [receipt] = await submit(2);
    await sealBatch(database.db, build, { closeOpen: true });
    await sendAnchors(ctx);
    await progressInFlight(ctx);
    const unreachable = { chain: () => undefined };
    // The anchor is on chain 31337, a development chain: with no way to check it, no anchor.
    expect((await new Prover({ db: database.db, ...unreachable }).proof(ADMIN_SCOPE, receipt!.id)).anchor).toBeNull();
    // Had it been made on a public chain (id 1), an outage must not take proofs away.
    await database.db.update(anchors).set({ chainId: 1 });
    const publicProof = await new Prover({ db: database.db, ...unreachable }).proof(ADMIN_SCOPE, receipt!.id);
    expect(publicProof.anchor?.chainId).toBe(1);
    // And a reader for another chain is never asked about this one's blocks.
    const asked: number[] = [];
    const prover = new Prover({
      db: database.db,
      chain: (chainId) => {
        asked.push(chainId);
        return chainId === 31337 ? { getBlock: (n) => chain.getBlock(n), blockNumber: () => chain.latestBlockNumber() } : undefined;
      },
    });
    expect((await prover.proof(ADMIN_SCOPE, receipt!.id)).anchor?.chainId).toBe(1);
    expect(asked).toEqual([1]);
  });

  it("while the chain keeps a read waiting, reads answer at once without asking it, and whole again as soon as it answers", async () => {
    const [receipt] = await submit(1);
    await sealBatch(database.db, build, { closeOpen: true });
    await sendAnchors(ctx);
    await progressInFlight(ctx);
    // The node's answers held back, as a hung node holds them, then let through at once.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const view = {
      getBlock: (n: number) => (calls++, gate.then(() => chain.getBlock(n))),
      blockNumber: () => (calls++, gate.then(() => chain.latestBlockNumber())),
    };
    const prover = new Prover({ db: database.db, chain: () => view, chainWaitMs: 50 });
    expect((await prover.proof(ADMIN_SCOPE, receipt!.id)).anchor).toBeNull();
    const askedFirst = calls;
    // Quiet: the next reads neither wait nor send the node more requests.
    for (let i = 0; i < 5; i++) expect((await prover.proof(ADMIN_SCOPE, receipt!.id)).anchor).toBeNull();
    expect(calls).toBe(askedFirst);
    release();
    // The lookup still out ends the quiet when it is answered: no fixed pause follows.
    const back = await waitFor("the anchor shown again", async () => (await prover.proof(ADMIN_SCOPE, receipt!.id)).anchor, 2000);
    expect(back.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("anchors with a legacy (type 0) transaction on a chain whose blocks carry no base fee", async () => {
    // A chain from before EIP-1559, as its endpoint presents it: blocks without baseFeePerGas.
    // The node itself accepts type 0 transactions, so the proxy only has to hide the fee.
    const proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", async () => {
        const upstream = await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body });
        const answer = (await upstream.json()) as { result?: unknown };
        const call = JSON.parse(body) as { method: string };
        if (call.method === "eth_getBlockByNumber" && answer.result && typeof answer.result === "object") {
          delete (answer.result as Record<string, unknown>).baseFeePerGas;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const legacyChain = await testChainClient(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    try {
      expect((await legacyChain.feeMarket()).baseFee).toBeNull();
      const [receipt] = await submit(2);
      await sealBatch(database.db, build, { closeOpen: true });
      const legacyCtx = { ...ctx, chain: legacyChain };
      expect((await sendAnchors(legacyCtx)).sent).toBe(1);
      const { confirmed } = await progressInFlight(legacyCtx);
      expect(confirmed).toHaveLength(1);
      const tx = (await chain.provider.send("eth_getTransactionByHash", [confirmed[0]!.txHash])) as { type: string; gasPrice: string };
      expect(tx.type).toBe("0x0");
      const prover = new Prover({ db: database.db, chain: () => ({ getBlock: (n) => chain.getBlock(n), blockNumber: () => chain.latestBlockNumber() }) });
      const result = await verifyBundle(await prover.proof(ADMIN_SCOPE, receipt!.id), { chain: jsonRpcReader(node.url) });
      expect(result.valid).toBe(true);
    } finally {
      legacyChain.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("after a reorg, withdraws an anchor lost with the old branch even when a newer one stands on the new branch above it", async () => {
    // Found by `npm run chaos -- reorg` (docs/reliability.md): the reconciler used to stop at
    // the first intact anchor, which here is B, confirmed on the new branch above A's height.
    const deep = { ...ctx, confirmations: 2 };
    await chain.provider.send("evm_setAutomine", [false]);
    try {
      const snapshot = await chain.provider.send("evm_snapshot", []);
      await submit(1);
      await sealBatch(database.db, build, { closeOpen: true });
      await sendAnchors(deep);
      for (let i = 0; i < 2; i++) await chain.provider.send("evm_mine", []);
      expect((await progressInFlight(deep)).confirmed.map((c) => c.batchSeq)).toEqual([0]);

      await chain.provider.send("evm_revert", [snapshot]);
      await chain.provider.send("hardhat_dropTransaction", [(await anchorRows())[0]!.txHash]).catch(() => {});
      await chain.provider.send("evm_mine", []);
      await submit(1);
      await sealBatch(database.db, build, { closeOpen: true });
      // A's row is still "confirmed": sending waits for nothing in flight, so B goes out now.
      await sendAnchors(deep);
      for (let i = 0; i < 3; i++) await chain.provider.send("evm_mine", []);
      expect((await progressInFlight(deep)).confirmed.map((c) => c.batchSeq)).toEqual([1]);
      const [a, b] = await anchorRows();
      expect(b!.blockNumber).toBeGreaterThanOrEqual(a!.blockNumber!);

      expect(await reconcileAnchors(deep)).toBe(1);
      expect((await anchorRows()).map((r) => [r.batchSeq, r.status])).toEqual([
        [0, "orphaned"],
        [1, "confirmed"],
      ]);
      expect((await sendAnchors(deep)).sent).toBe(1);
      for (let i = 0; i < 2; i++) await chain.provider.send("evm_mine", []);
      expect((await progressInFlight(deep)).confirmed.map((c) => c.batchSeq)).toEqual([0]);
    } finally {
      await chain.provider.send("evm_setAutomine", [true]);
    }
  });

  it("fails a transaction the node holds behind a nonce gap, and anchors its batch with the next nonce", async () => {
    // Found by `npm run chaos -- reorg`: a transaction signed just before a revert sat in the
    // node's pool with a nonce the chain no longer reaches; it was replaced forever.
    await chain.provider.send("evm_setAutomine", [false]);
    try {
      await submit(1);
      const sealed = (await sealBatch(database.db, build, { closeOpen: true }))!;
      const gap = (await chain.pendingNonce()) + 3;
      const signed = await signAnchor(toHex(sealed.root), sealed.size, gap);
      await recordInFlight(signed);
      await chain.broadcast(signed.raw);
      expect(await chain.knowsTransaction(signed.hash)).toBe(true);

      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 3; i++) await chain.provider.send("evm_mine", []);
        await progressInFlight(ctx);
        await sendAnchors(ctx);
      }
      await chain.provider.send("evm_mine", []);
      await progressInFlight(ctx);
      expect((await anchorRows()).map((r) => r.status)).toEqual(["failed", "confirmed"]);
      expect((await anchorRows())[1]!.nonce).toBeLessThan(gap);
    } finally {
      // The node would mine the queued transaction once the nonces reach it: not in later tests.
      await chain.provider.send("hardhat_dropTransaction", [(await anchorRows())[0]!.txHash]).catch(() => {});
      await chain.provider.send("evm_setAutomine", [true]);
    }
  });

  it("sends a backlog larger than one transaction holds in several, on consecutive nonces, at once", async () => {
    for (let i = 0; i < 5; i++) {
      await submit(1);
      await sealBatch(database.db, build, { closeOpen: true });
    }
    const small = { ...ctx, policy: { ...DEFAULT_POLICY, maxRootsPerTx: 2 } };
    const first = await chain.pendingNonce();
    expect((await sendAnchors(small)).sent).toBe(5);
    expect((await progressInFlight(small)).confirmed).toHaveLength(5);
    const rows = await anchorRows();
    expect(rows.map((r) => r.nonce)).toEqual([first, first, first + 1, first + 1, first + 2]);
    expect(new Set(rows.map((r) => r.txHash)).size).toBe(3);
    expect(rows.every((r) => r.status === "confirmed")).toBe(true);
  });

  it("keeps batch order and one live anchor per batch across many batches", async () => {
    for (let i = 0; i < 4; i++) {
      await submit(2);
      await sealBatch(database.db, build, { closeOpen: true });
    }
    expect((await sendAnchors(ctx)).sent).toBe(4);
    await progressInFlight(ctx);
    const rows = await database.db
      .select({ seq: batches.seq, anchorId: batches.anchorId })
      .from(batches)
      .orderBy(batches.seq);
    expect(rows.every((r) => r.anchorId !== null)).toBe(true);
    for (const b of rows) {
      const root = (await database.db.select().from(batches).where(eq(batches.seq, b.seq)))[0]!.root;
      expect((await chain.anchorOf(ctx.contract, toHex(root))).seq).toBe(b.seq);
    }
    const [live] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from anchors where status = 'confirmed'`,
    );
    expect(live?.n).toBe(4);
    expect(await contractCount(ctx.contract)).toBe(4);
  });
});
