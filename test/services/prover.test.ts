// Proof reads as served over HTTP (Prover.proofResponse) against a real Hardhat node: what a
// kept bundle saves (the chain is still asked on every read, so a lost block shows at once),
// and that a development chain is asked for the anchor's block alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { chainKind } from "../../src/chain/kinds.ts";
import { Prover, type ChainView } from "../../src/services/prover.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { jsonRpcReader } from "../../src/verify/index.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, rpc, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness & { node: LocalNode };

beforeAll(async () => {
  h = await apiHarnessOnChain();
});

afterAll(async () => {
  await h?.close();
});

/** A view of the test node that counts what it is asked. */
function countingView(url: string): { view: ChainView; calls: { getBlock: number; blockNumber: number } } {
  const reader = jsonRpcReader(url);
  const calls = { getBlock: 0, blockNumber: 0 };
  return {
    calls,
    view: {
      getBlock: (n) => (calls.getBlock++, reader.getBlock(n)),
      blockNumber: () => (calls.blockNumber++, reader.blockNumber()),
    },
  };
}

describe(`proof reads on ${describeDbKind()} with a Hardhat node`, () => {
  async function submitAnchored(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest() }));
      ids.push(((await res.json()) as { id: string }).id);
    }
    await h.batcher.tick();
    await h.batcher.tick();
    return ids;
  }

  it("asks a development chain for the anchor's block only, on every read, and serves the same bytes while it stands", async () => {
    const [id] = await submitAnchored(3);
    const { view, calls } = countingView(h.node.url);
    const prover = new Prover({ db: h.database.db, chain: () => view, kind: (c) => chainKind(c, { local: true }) });
    const first = await prover.proofResponse(ADMIN_SCOPE, id!);
    expect(first).toMatchObject({ anchored: true, final: false });
    const again = await prover.proofResponse(ADMIN_SCOPE, id!);
    expect(again).toEqual(first);
    // The bytes are those of the bundle built afresh (proof()), whatever was kept.
    expect(again.json).toBe(JSON.stringify(await new Prover({ db: h.database.db, chain: () => view, kind: (c) => chainKind(c, { local: true }) }).proof(ADMIN_SCOPE, id!)));
    expect(calls.blockNumber).toBe(0);
    expect(calls.getBlock).toBe(3);
  });

  it("withholds a kept bundle's anchor on the very next read once the chain has lost its block", async () => {
    const snapshot = await rpc<string>(h.node.url, "evm_snapshot");
    const [id] = await submitAnchored(2);
    const { view } = countingView(h.node.url);
    const prover = new Prover({ db: h.database.db, chain: () => view, kind: (c) => chainKind(c, { local: true }) });
    const anchored = await prover.proofResponse(ADMIN_SCOPE, id!);
    expect(anchored.anchored).toBe(true);
    const { anchor } = JSON.parse(anchored.json) as ProofBundleV1;

    // The anchor's block goes; another block takes its number (a reorg, as far as a read can tell).
    await rpc(h.node.url, "evm_revert", [snapshot]);
    await rpc(h.node.url, "evm_mine");
    await rpc(h.node.url, "evm_mine");
    const lost = await prover.proofResponse(ADMIN_SCOPE, id!);
    expect(lost).toMatchObject({ anchored: false, final: false });
    expect(lost.etag).not.toBe(anchored.etag);
    expect((JSON.parse(lost.json) as ProofBundleV1).anchor).toBeNull();
    expect((await rpc<{ hash: string } | null>(h.node.url, "eth_getBlockByNumber", [`0x${anchor!.blockNumber.toString(16)}`, false]))?.hash).not.toBe(anchor!.blockHash);
  });
});
