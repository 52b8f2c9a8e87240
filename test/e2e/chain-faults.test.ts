// What a real chain does to the anchoring service, done to the real service by a real
// Hardhat node: fee spikes (a stuck transaction re-priced and mined during the spike; nothing
// sent above the ceiling), reorgs on a chain the service treats as public (no proof served
// whose block is gone or that lacks its confirmations), a hung node (sealing and answers go
// on), and an empty anchor account. Each check reads the chain itself, so it holds on PGlite
// and PostgreSQL alike: every transaction of the anchor account succeeded, each digest once.
// The long versions of these loops are `npm run chaos` (docs/reliability.md).
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { anchorInterface } from "../../src/chain/contract.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { rpc, startTestChain } from "../helpers/chain.ts";
import { anchoringEnv, apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ApiCall, type ServiceProcess } from "../helpers/service.ts";

const GWEI = 1_000_000_000n;
const SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"; // the Hardhat dev key's account
const hexQ = (n: bigint | number) => "0x" + BigInt(n).toString(16);
const digest = () => toHex(new Uint8Array(randomBytes(32)));

interface Rig {
  node: LocalNode;
  tenant: ApiCall;
  service: ServiceProcess;
  database: TestDatabase | undefined;
  submit(d?: string): Promise<string>;
  proof(id: string): Promise<ProofBundleV1>;
  readyz(): Promise<{ status: number; body: { status?: string; reasons?: string[] } }>;
}

const rigs: Rig[] = [];
afterEach(async (ctx) => {
  for (const r of rigs.splice(0)) {
    // What the service said is the first thing to read when a fault test fails.
    if (ctx.task.result?.state === "fail") console.log(r.service.output().split("\n").slice(-60).join("\n"));
    r.node.process.kill("SIGCONT"); // a test that failed mid-hang must not leave a stopped node
    await r.service.stop("SIGKILL");
    await r.node.stop();
    await r.database?.close();
  }
});

/** A node (automining until the service has deployed its contract) and the service on it. */
async function rig(env: Record<string, string>, chainId?: number): Promise<Rig> {
  const node = await startTestChain(undefined, chainId === undefined ? {} : { chainId });
  const database = process.env.DATABASE_URL ? await freshDatabase() : undefined;
  const dir = tempDir();
  const service: ServiceProcess = await spawnService(anchoringEnv({ dataDir: dir, nodeUrl: node.url, databaseUrl: database?.url }, env));
  const cleanup = { node, service, database } as Rig;
  rigs.push(cleanup);
  const tenantKey = (await createTenant(service.url, readAdminKey(dir), "platform-faults")).key;
  const tenant = apiClient(service.url, tenantKey);
  const r: Rig = {
    node,
    tenant,
    service,
    database,
    async submit(d = digest()) {
      const res = await tenant("POST", "/v1/evidence", { digest: d });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return (res.body as { id: string }).id;
    },
    async proof(id) {
      const res = await tenant<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`);
      expect(res.status).toBe(200);
      return res.body;
    },
    async readyz() {
      const res = await apiClient(service.url)<{ status?: string; reasons?: string[] }>("GET", "/readyz");
      return { status: res.status, body: res.body };
    },
  };
  return r;
}

const anchored = (r: Rig, id: string, timeoutMs = 30_000) =>
  waitFor(`evidence ${id} anchored`, async () => {
    const p = await r.proof(id);
    return p.anchor ? p : null;
  }, timeoutMs);

/** Our account's transaction count: mined ("latest") or including the node's pool ("pending"). */
const nonce = async (r: Rig, tag: "latest" | "pending") => Number(await rpc<string>(r.node.url, "eth_getTransactionCount", [SENDER, tag]));

/**
 * Every transaction the anchor account got mined, block by block: none may have reverted (a
 * duplicate anchor reverts in the contract), and the contract holds one root per batch.
 */
async function chainAudit(r: Rig): Promise<{ txs: number; reverted: number; roots: number }> {
  const head = Number(await rpc<string>(r.node.url, "eth_blockNumber"));
  let txs = 0;
  let reverted = 0;
  let contract: string | undefined;
  for (let n = 0; n <= head; n++) {
    const block = await rpc<{ transactions: { hash: string; from: string; to: string | null }[] }>(r.node.url, "eth_getBlockByNumber", [hexQ(n), true]);
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== SENDER) continue;
      const receipt = await rpc<{ status: string; contractAddress: string | null }>(r.node.url, "eth_getTransactionReceipt", [tx.hash]);
      if (receipt.contractAddress) contract = receipt.contractAddress;
      else txs++;
      if (receipt.status !== "0x1") reverted++;
    }
  }
  const iface = anchorInterface();
  const out = await jsonRpcReader(r.node.url).call(contract!, iface.encodeFunctionData("count"));
  return { txs, reverted, roots: Number(iface.decodeFunctionResult("count", out)[0]) };
}

/** Resolves once the node has mined `count` more blocks (interval mining). */
async function blocksPass(r: Rig, count: number): Promise<void> {
  const start = Number(await rpc<string>(r.node.url, "eth_blockNumber"));
  await waitFor(`${count} blocks`, async () => Number(await rpc<string>(r.node.url, "eth_blockNumber")) >= start + count, 30_000, 50);
}

async function expectValid(r: Rig, bundle: ProofBundleV1, minConfirmations: number): Promise<void> {
  const result = await verifyBundle(bundle, { chain: jsonRpcReader(r.node.url), minConfirmations });
  expect(result.checks.filter((c) => !c.ok), JSON.stringify(bundle.anchor)).toEqual([]);
}

describe("chain faults", () => {
  it("a fee spike: the stuck anchor is re-priced and mined during it; above the ceiling nothing is sent until fees fall", async () => {
    const r = await rig({ MAX_FEE_PER_GAS_GWEI: "150", STUCK_AFTER_BLOCKS: "2", CONFIRMATIONS: "1" }, 4242);
    await anchored(r, await r.submit()); // the start fee (about 1 gwei) works

    // Mining stops; an anchor goes out at the start fee.
    await rpc(r.node.url, "evm_setAutomine", [false]);
    await rpc(r.node.url, "evm_setIntervalMining", [0]);
    const first = await r.submit();
    await waitFor("the anchor to be sent", async () => (await nonce(r, "pending")) > (await nonce(r, "latest")));
    const startNonce = await nonce(r, "latest");

    // The base fee jumps 100x and is held there while blocks come every 400 ms.
    let spike = 100n * GWEI;
    const hold = async () => rpc(r.node.url, "hardhat_setNextBlockBaseFeePerGas", [hexQ(spike)]);
    await hold();
    const holder = setInterval(() => void hold().catch(() => {}), 100);
    try {
      await rpc(r.node.url, "evm_setIntervalMining", [400]);
      const during = [first, await r.submit(), await r.submit()];
      const proofs = await Promise.all(during.map((id) => anchored(r, id)));
      // Mined in blocks of the spike, by a replacement that pays for it.
      for (const p of proofs) {
        const block = await rpc<{ baseFeePerGas: string }>(r.node.url, "eth_getBlockByNumber", [hexQ(p.anchor!.blockNumber), false]);
        expect(BigInt(block.baseFeePerGas)).toBeGreaterThanOrEqual(87n * GWEI);
        await expectValid(r, p, 1);
      }
      const tx = await rpc<{ nonce: string; maxFeePerGas: string }>(r.node.url, "eth_getTransactionByHash", [proofs[0]!.anchor!.txHash]);
      expect(Number(tx.nonce)).toBe(startNonce);
      expect(BigInt(tx.maxFeePerGas)).toBeGreaterThanOrEqual(100n * GWEI);
      expect(BigInt(tx.maxFeePerGas)).toBeLessThanOrEqual(150n * GWEI);
      expect(r.service.output()).toMatch(/replaced a stuck anchor transaction/);

      // Now 1000x: above MAX_FEE_PER_GAS_GWEI = 150, so nothing is sent, and /readyz says why.
      spike = 1000n * GWEI;
      await blocksPass(r, 2);
      const sentBefore = await nonce(r, "pending");
      const waiting = await r.submit();
      const degraded = await waitFor("readyz to report the fee ceiling", async () => {
        const ready = await r.readyz();
        return ready.body.status === "degraded" && ready.body.reasons?.some((x) => /MAX_FEE_PER_GAS_GWEI/.test(x)) ? ready : null;
      });
      expect(degraded.status).toBe(200);
      await blocksPass(r, 4);
      expect(await nonce(r, "pending")).toBe(sentBefore);
      expect((await r.proof(waiting)).anchor).toBeNull();

      // The spike ends: anchoring resumes by itself.
      clearInterval(holder);
      spike = GWEI;
      await hold();
      await expectValid(r, await anchored(r, waiting), 1);
      await waitFor("readyz to be ready again", async () => (await r.readyz()).body.status === "ready");
    } finally {
      clearInterval(holder);
    }
    const audit = await chainAudit(r);
    expect(audit.reverted).toBe(0);
    // One transaction per anchoring round, each root once: no anchor was sent twice.
    expect(audit.roots).toBeGreaterThanOrEqual(3);
    expect(audit.txs).toBeLessThanOrEqual(audit.roots);
  });

  it("a reorg on a public chain: no proof is served whose block is gone or that lacks its confirmations, and the batch is re-anchored", async () => {
    const r = await rig({ CONFIRMATIONS: "2" }, 4242);
    await rpc(r.node.url, "evm_setAutomine", [false]);
    const id = await r.submit();
    const batch = await waitFor("the digest to be sealed", async () => {
      const res = await r.tenant<{ batch: { seq: number } | null }>("GET", `/v1/evidence/${id}`);
      return res.body.batch;
    });
    const { root } = (await r.tenant<{ root: string }>("GET", `/v1/batches/${batch.seq}`)).body;
    // Blocks one at a time, each after a snapshot, until one holds the anchor of our root
    // (earlier blocks confirm what the start-up anchored: one anchor transaction is in flight
    // at a time). The snapshot before that block is the chain without our anchor.
    let beforeAnchor = "";
    await waitFor("the anchor of our batch to be mined", async () => {
      const snapshot = await rpc<string>(r.node.url, "evm_snapshot");
      await rpc(r.node.url, "evm_mine");
      const block = await rpc<{ transactions: { input: string }[] }>(r.node.url, "eth_getBlockByNumber", ["latest", true]);
      if (!block.transactions.some((tx) => tx.input.includes(root.slice(2)))) return null;
      beforeAnchor = snapshot;
      return true;
    });
    // One block deep: not shown yet (CONFIRMATIONS=2).
    expect((await r.proof(id)).anchor).toBeNull();
    const oneDeep = await rpc<string>(r.node.url, "evm_snapshot");
    await rpc(r.node.url, "evm_mine");
    const first = await anchored(r, id);
    await expectValid(r, first, 2);

    // The chain shortens back to the anchor's block: the block is there, but only one deep.
    await rpc(r.node.url, "evm_revert", [oneDeep]);
    expect((await r.proof(id)).anchor).toBeNull();

    // Further back, and new blocks at the same heights without the anchor.
    await rpc(r.node.url, "evm_revert", [beforeAnchor]);
    await rpc(r.node.url, "hardhat_dropTransaction", [first.anchor!.txHash]).catch(() => {});
    for (let i = 0; i < 3; i++) await rpc(r.node.url, "evm_mine");
    expect((await rpc<{ hash: string }>(r.node.url, "eth_getBlockByNumber", [hexQ(first.anchor!.blockNumber), false])).hash).not.toBe(
      first.anchor!.blockHash,
    );

    // Until it is anchored again, every proof served either has no anchor or one that verifies.
    let served = 0;
    const again = await waitFor(
      "the batch to be re-anchored",
      async () => {
        await rpc(r.node.url, "evm_mine");
        const p = await r.proof(id);
        if (!p.anchor) return null;
        served++;
        await expectValid(r, p, 2);
        return p.anchor.blockHash !== first.anchor!.blockHash ? p : null;
      },
      30_000,
      150,
    );
    expect(served).toBeGreaterThanOrEqual(1);
    expect(again.anchor!.blockHash).not.toBe(first.anchor!.blockHash);
    expect(r.service.output()).toMatch(/re-anchoring their batches/);
    expect((await chainAudit(r)).reverted).toBe(0);
  });

  it("a hung node: every submission is answered, sealing goes on, proof reads do not hang, and the backlog is anchored once it wakes", async () => {
    const r = await rig({ CHAIN_TIMEOUT_MS: "1000" });
    const early = await r.submit();
    await anchored(r, early);

    const ids: string[] = [];
    const statuses: number[] = [];
    let slowest = 0;
    let load = true;
    // About 50 digests a second, each answered before the next goes out.
    const loader = (async () => {
      while (load) {
        const t0 = Date.now();
        const res = await r.tenant("POST", "/v1/evidence", { digest: digest() });
        slowest = Math.max(slowest, Date.now() - t0);
        statuses.push(res.status);
        if (res.status === 202) ids.push((res.body as { id: string }).id);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - (Date.now() - t0))));
      }
    })();
    await waitFor("load to start", async () => ids.length >= 10);

    r.node.process.kill("SIGSTOP");
    try {
      const duringHang = await r.submit();
      // Sealing needs only the database: the digest is batched while the node is stopped.
      await waitFor("a batch sealed during the hang", async () => {
        const res = await r.tenant<{ status: string }>("GET", `/v1/evidence/${duringHang}`);
        return res.body.status === "batched" ? true : null;
      }, 10_000);
      // A proof read answers within the prover's wait (1.5 s), not the node's silence.
      const t0 = Date.now();
      await r.proof(early);
      expect(Date.now() - t0).toBeLessThan(3000);
      const ready = await r.readyz();
      expect(ready.status).toBe(503);
    } finally {
      r.node.process.kill("SIGCONT");
    }
    const woke = Date.now();
    load = false;
    await loader;
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(slowest).toBeLessThan(2000);
    await waitFor("the backlog anchored", async () => {
      for (const id of ids.slice(-5)) if (!(await r.proof(id)).anchor) return null;
      return true;
    }, 20_000);
    const recoveryMs = Date.now() - woke;
    for (const id of ids) expect((await r.proof(id)).anchor, id).not.toBeNull();
    const audit = await chainAudit(r);
    expect(audit.reverted).toBe(0);
    console.log(`hung node: ${ids.length} digests, slowest answer ${slowest} ms, backlog anchored ${recoveryMs} ms after SIGCONT`);
  });

  it("an empty anchor account: nothing is sent, /readyz says so, and anchoring resumes once funded", async () => {
    const r = await rig({});
    await anchored(r, await r.submit());
    await rpc(r.node.url, "hardhat_setBalance", [SENDER, "0x0"]);
    const sent = await nonce(r, "pending");
    const id = await r.submit();
    const ready = await waitFor("readyz to report the balance", async () => {
      const res = await r.readyz();
      return res.body.status === "degraded" && res.body.reasons?.some((x) => /holds 0 ETH/.test(x)) ? res : null;
    });
    expect(ready.status).toBe(200);
    expect(await nonce(r, "pending")).toBe(sent); // no failing transaction was sent
    expect((await r.proof(id)).anchor).toBeNull();

    // A little money: anchors go out, with a warning that it is running low.
    await rpc(r.node.url, "hardhat_setBalance", [SENDER, hexQ(10n ** 16n)]); // 0.01 ETH
    await anchored(r, id);
    await waitFor("readyz to warn of the low balance", async () => {
      const res = await r.readyz();
      return res.body.reasons?.some((x) => /anchors' worth/.test(x)) ? res : null;
    });
    await rpc(r.node.url, "hardhat_setBalance", [SENDER, hexQ(10n ** 22n)]);
    await waitFor("readyz to be ready again", async () => (await r.readyz()).body.status === "ready");
    expect((await chainAudit(r)).reverted).toBe(0);
  });
});

