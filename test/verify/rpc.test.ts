// jsonRpcReader over real HTTP (a fake JSON-RPC node) and over fetch stubs for the failure modes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonRpcReader, RpcError, verifyBundle } from "../../src/verify/index.ts";
import { anchoredFixture, startFakeRpc } from "./fixture.ts";

const { bundles, facts } = anchoredFixture();
let server: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  server = await startFakeRpc(facts);
});
afterAll(async () => {
  await server.close();
});

/** A fetch stub answering every request with `body` (status 200 unless given). */
const stub = (body: unknown, status = 200): typeof fetch =>
  (async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status })) as typeof fetch;

describe("jsonRpcReader", () => {
  it("reads the chain over HTTP and verifies a bundle end to end", async () => {
    const reader = jsonRpcReader(server.url);
    expect(await reader.chainId()).toBe(31337);
    expect(await reader.blockNumber()).toBe(20);
    expect(await reader.getBlock(12)).toEqual({ number: 12, hash: bundles[0]!.anchor!.blockHash, timestamp: 1_795_773_600 });
    expect(await reader.getBlock(99)).toBeNull();
    expect(await reader.getTransaction("0x" + "00".repeat(32))).toBeNull();
    const receipt = await reader.getTransactionReceipt(bundles[0]!.anchor!.txHash);
    expect(receipt).toMatchObject({ status: 1, blockNumber: 12 });
    expect(receipt!.logs[1]!.topics[1]).toBe(bundles[0]!.batch!.root);
    const r = await verifyBundle(bundles[0], { chain: reader });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it("reports node errors with the method and code", async () => {
    const reader = jsonRpcReader("http://x", { fetch: stub({ jsonrpc: "2.0", id: 1, error: { code: -32000, message: "header not found" } }) });
    await expect(reader.getBlock(1)).rejects.toThrow("eth_getBlockByNumber: header not found (code -32000)");
    await expect(reader.getBlock(1)).rejects.toBeInstanceOf(RpcError);
  });

  it("reports HTTP errors, non-JSON bodies and network failures", async () => {
    await expect(jsonRpcReader("http://x", { fetch: stub("busy", 503) }).chainId()).rejects.toThrow("eth_chainId: HTTP 503");
    await expect(jsonRpcReader("http://x", { fetch: stub("<html>") }).chainId()).rejects.toThrow(/^eth_chainId: request failed/);
    await expect(jsonRpcReader("http://127.0.0.1:1").chainId()).rejects.toThrow(/^eth_chainId: request failed/);
    await expect(jsonRpcReader("http://x", { fetch: stub({ jsonrpc: "2.0", id: 1 }) }).chainId()).rejects.toThrow("neither result nor error");
  });

  it("rejects malformed answers instead of guessing", async () => {
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: 31337 }) }).chainId()).rejects.toThrow(
      "eth_chainId: malformed response: chain id is not a hex quantity",
    );
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: "0x" + "f".repeat(16) }) }).blockNumber()).rejects.toThrow("exceeds 2^53");
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: { status: "0x1", logs: "none" } }) }).getTransactionReceipt("0x")).rejects.toThrow(
      "logs is not an array",
    );
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: 5 }) }).call("0x", "0x")).rejects.toThrow("result is not hex");
  });

  it("reads logs with eth_getLogs: the filter as sent, each log with its place in the chain", async () => {
    let sent: unknown;
    const log = { address: "0xc0", topics: ["0x01", "0x02"], data: "0x", blockNumber: "0x10", logIndex: "0x2", transactionHash: "0xab" };
    const fetchStub = (async (_url: string, init: RequestInit) => {
      sent = JSON.parse(String(init.body));
      return new Response(JSON.stringify({ jsonrpc: "2.0", id: 1, result: [log] }));
    }) as typeof fetch;
    const logs = await jsonRpcReader("http://x", { fetch: fetchStub }).getLogs({ address: "0xc0", topics: ["0x01", null], fromBlock: 16, toBlock: 10_015 });
    expect(sent).toMatchObject({ method: "eth_getLogs", params: [{ address: "0xc0", topics: ["0x01", null], fromBlock: "0x10", toBlock: "0x271f" }] });
    expect(logs).toEqual([{ address: "0xc0", topics: ["0x01", "0x02"], data: "0x", blockNumber: 16, logIndex: 2, transactionHash: "0xab" }]);
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: [{ ...log, logIndex: 2 }] }) }).getLogs({ address: "0xc0", topics: [], fromBlock: 0, toBlock: 1 })).rejects.toThrow(
      "eth_getLogs: malformed response: logs[0].logIndex is not a hex quantity",
    );
    await expect(jsonRpcReader("http://x", { fetch: stub({ id: 1, result: {} }) }).getLogs({ address: "0xc0", topics: [], fromBlock: 0, toBlock: 1 })).rejects.toThrow(
      "result is not an array",
    );
  });

  it("times out", async () => {
    const hang = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)))) as typeof fetch;
    await expect(jsonRpcReader("http://x", { fetch: hang, timeoutMs: 20 }).chainId()).rejects.toThrow(/^eth_chainId: request failed/);
  });

  it("makes a verification over an unreachable node fail, not throw", async () => {
    const r = await verifyBundle(bundles[0], { chain: jsonRpcReader("http://127.0.0.1:1", { timeoutMs: 2000 }) });
    expect(r.checks[3]).toMatchObject({ name: "chain", ok: false });
    expect(r.checks[3]!.detail).toMatch(/^RPC error: eth_chainId: request failed/);
    expect(r.valid).toBe(false);
  });
});
