// Endpoints (src/chain/endpoints.ts): chooseEndpoint and describeProbes as pure functions;
// probeEndpoints and failoverReader against real HTTP servers on 127.0.0.1 (one that answers,
// one that refuses connections, one that never answers, one that answers with a JSON-RPC
// error); connectChain choosing between a forwarding proxy and a real Hardhat node.
import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectChain } from "../../src/chain/client.ts";
import { chooseEndpoint, describeProbes, failoverReader, probeEndpoints, type EndpointProbe } from "../../src/chain/endpoints.ts";
import { RpcError } from "../../src/verify/rpc.ts";
import { freePort, HARDHAT_DEV_KEY, rpc, startTestChain } from "../helpers/chain.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";

const numRuns = Number(process.env.FC_RUNS ?? 100);

// ---------------------------------------------------------------- pure: choosing, describing

const up = (url: string, blockNumber: number, chainId = 31337): EndpointProbe => ({ url, ok: true, chainId, blockNumber });
const down = (url: string, error = "eth_chainId: request failed: fetch failed"): EndpointProbe => ({ url, ok: false, error });

describe("chooseEndpoint", () => {
  it("prefers the first listed endpoint over a higher head within the allowed lag", () => {
    expect(chooseEndpoint([up("a", 100), up("b", 102)], { maxLagBlocks: 3 })?.url).toBe("a");
  });

  it("passes over an endpoint more than maxLagBlocks behind the best head (exactly maxLagBlocks is fine)", () => {
    expect(chooseEndpoint([up("a", 100), up("b", 104)], { maxLagBlocks: 3 })?.url).toBe("b");
    expect(chooseEndpoint([up("a", 101), up("b", 104)], { maxLagBlocks: 3 })?.url).toBe("a");
  });

  it("takes the first listed within the lag, not the one with the highest head", () => {
    expect(chooseEndpoint([up("a", 10), up("c", 19), up("b", 20)], { maxLagBlocks: 3 })).toEqual(up("c", 19));
  });

  it("skips endpoints that did not answer", () => {
    expect(chooseEndpoint([down("a"), up("b", 5)], { maxLagBlocks: 3 })).toEqual(up("b", 5));
  });

  it("keeps only the expected chain when given, and measures lag among those alone", () => {
    const probes = [up("a", 500, 1), up("b", 10, 31337)];
    expect(chooseEndpoint(probes, { maxLagBlocks: 3, chainId: 31337 })?.url).toBe("b");
    expect(chooseEndpoint(probes, { maxLagBlocks: 3, chainId: 1 })?.url).toBe("a");
    expect(chooseEndpoint(probes, { maxLagBlocks: 3 })?.url).toBe("a");
    expect(chooseEndpoint(probes, { maxLagBlocks: 3, chainId: 5 })).toBeNull();
  });

  it("is null when nothing qualifies", () => {
    expect(chooseEndpoint([], { maxLagBlocks: 3 })).toBeNull();
    expect(chooseEndpoint([down("a"), down("b")], { maxLagBlocks: 3 })).toBeNull();
  });

  it("returns the first listed endpoint that answered, serves the chain and is within the lag", () => {
    const probe = fc.oneof(
      fc.record({ ok: fc.constant(true as const), chainId: fc.constantFrom(1, 31337), blockNumber: fc.nat(20) }),
      fc.record({ ok: fc.constant(false as const), error: fc.constant("down") }),
    );
    fc.assert(
      fc.property(
        fc.array(probe, { maxLength: 6 }),
        fc.nat(5),
        fc.option(fc.constantFrom(1, 31337), { nil: undefined }),
        (raw, maxLagBlocks, chainId) => {
          const probes = raw.map((p, i) => ({ ...p, url: `u${i}` }) as EndpointProbe);
          const serves = (p: EndpointProbe) => p.ok && (chainId === undefined || p.chainId === chainId);
          const heads = probes.flatMap((p) => (p.ok && serves(p) ? [p.blockNumber] : []));
          const qualifies = (p: EndpointProbe) => p.ok && serves(p) && Math.max(...heads) - p.blockNumber <= maxLagBlocks;
          const chosen = chooseEndpoint(probes, { maxLagBlocks, chainId });
          // Some endpoint serving the chain always qualifies: the one with the best head.
          expect(chosen === null).toBe(heads.length === 0);
          if (chosen === null) return;
          const index = probes.findIndex((p) => p.url === chosen.url);
          expect(probes[index]).toEqual(chosen);
          expect(qualifies(chosen)).toBe(true);
          expect(probes.slice(0, index).some(qualifies)).toBe(false);
        },
      ),
      { numRuns },
    );
  });
});

describe("describeProbes", () => {
  const probes = [up("http://a", 20), down("http://b"), up("http://c", 7, 1)];

  it("lists every endpoint with its chain and head, or its error, in order", () => {
    expect(describeProbes(probes)).toBe(
      "http://a: chain 31337, block 20; http://b: eth_chainId: request failed: fetch failed; http://c: chain 1, block 7",
    );
  });

  it("marks the endpoints that serve another chain than the expected one", () => {
    expect(describeProbes(probes, 31337)).toBe(
      "http://a: chain 31337, block 20; http://b: eth_chainId: request failed: fetch failed; http://c: chain 1 (want 31337), block 7",
    );
  });

  it("is empty for no endpoints", () => {
    expect(describeProbes([])).toBe("");
  });
});

// ---------------------------------------------------------------- real HTTP servers

/**
 * How a fake node treats a request: answers it, never answers (the connection stays open),
 * answers with a JSON-RPC error object, or answers with HTTP 503 (a gateway whose node is gone).
 */
type Mode = "answer" | "silent" | "error" | "unavailable";

interface FakeNode {
  url: string;
  mode: Mode;
  chainId: number;
  head: number;
  /** Methods of every request received, in order (answered or not). */
  readonly requests: string[];
  /** Resolves with the time the next request arrives. */
  nextRequest(): Promise<number>;
  close(): Promise<void>;
}

const q = (n: number) => "0x" + n.toString(16);
const HASH = "0x" + "ab".repeat(32);
const BLOCK_HASH = "0x" + "cd".repeat(32);
const TO = "0x" + "12".repeat(20);

/** What an answering fake node says, by method. */
function answer(node: FakeNode, method: string, params: unknown[]): unknown {
  switch (method) {
    case "eth_chainId":
      return q(node.chainId);
    case "eth_blockNumber":
      return q(node.head);
    case "eth_getTransactionByHash":
      return params[0] === HASH ? { hash: HASH, to: TO, blockNumber: q(7), blockHash: BLOCK_HASH } : null;
    case "eth_getTransactionReceipt":
      return params[0] === HASH ? { status: "0x1", to: TO, blockNumber: q(7), blockHash: BLOCK_HASH, logs: [] } : null;
    case "eth_getBlockByNumber":
      return params[0] === q(7) ? { number: q(7), hash: BLOCK_HASH, timestamp: q(1_700_000_000) } : null;
    case "eth_call":
      return (params[0] as { to: string }).to === TO ? "0x" + "00".repeat(31) + "2a" : "0x";
    default:
      return undefined;
  }
}

const started: FakeNode[] = [];

async function fakeNode(mode: Mode, opts: { chainId?: number; head?: number } = {}): Promise<FakeNode> {
  const arrivals = new EventEmitter();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      node.requests.push(method);
      arrivals.emit("request", Date.now());
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      switch (node.mode) {
        case "silent":
          return; // the connection stays open until the client gives up or the server closes
        case "unavailable":
          return reply(503, { message: "no healthy upstream" });
        case "error":
          return reply(200, { jsonrpc: "2.0", id, error: { code: -32000, message: "header not found" } });
        case "answer": {
          const result = answer(node, method, params);
          return result === undefined
            ? reply(200, { jsonrpc: "2.0", id, error: { code: -32601, message: `the method ${method} does not exist` } })
            : reply(200, { jsonrpc: "2.0", id, result });
        }
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const node: FakeNode = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode,
    chainId: opts.chainId ?? 31337,
    head: opts.head ?? 20,
    requests: [],
    nextRequest: () => once(arrivals, "request").then(([t]) => t as number),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // silent requests hold their sockets open
      }),
  };
  started.push(node);
  return node;
}

/** A URL on which nothing listens: connections are refused at once. */
async function refusingUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.close()));
});

// Long enough for a loaded machine to answer a loopback request, short enough to keep tests quick.
const TIMEOUT_MS = 1000;

describe("probeEndpoints", () => {
  it("reports each endpoint in listed order: an answer, a refusal, a timeout, an error answer", async () => {
    const good = await fakeNode("answer", { head: 42 });
    const closed = await refusingUrl();
    const silent = await fakeNode("silent");
    const erring = await fakeNode("error");
    const silentHeard = silent.nextRequest();
    const probes = await probeEndpoints([good.url, closed, silent.url, erring.url], TIMEOUT_MS);
    expect(probes.map((p) => p.url)).toEqual([good.url, closed, silent.url, erring.url]);
    expect(probes[0]).toEqual({ url: good.url, ok: true, chainId: 31337, blockNumber: 42 });
    expect(probes[1]).toMatchObject({ ok: false, error: expect.stringMatching(/^eth_(chainId|blockNumber): request failed/) });
    // The silent node got the request: its failure is the timeout, not a refused connection.
    await silentHeard;
    expect(probes[2]).toMatchObject({ ok: false, error: expect.stringMatching(/request failed: .*timeout/i) });
    expect(probes[3]).toMatchObject({ ok: false, error: expect.stringContaining("header not found (code -32000)") });
    expect(chooseEndpoint(probes, { maxLagBlocks: 3 })?.url).toBe(good.url);
  });

  it("probes all endpoints at once, so silent ones cost one timeout, not one each", async () => {
    const first = await fakeNode("silent");
    const second = await fakeNode("silent");
    const arrivals = Promise.all([first.nextRequest(), second.nextRequest()]);
    const probes = await probeEndpoints([first.url, second.url], TIMEOUT_MS);
    const [t1, t2] = await arrivals;
    // One after the other, the second would be asked only when the first had timed out.
    expect(Math.abs(t2 - t1)).toBeLessThan(TIMEOUT_MS / 2);
    expect(probes.every((p) => !p.ok)).toBe(true);
  });
});

describe("failoverReader", () => {
  it("stays with the first listed endpoint while it answers", async () => {
    const a = await fakeNode("answer", { head: 20 });
    const b = await fakeNode("answer", { head: 30 });
    const reader = failoverReader([a.url, b.url], { timeoutMs: TIMEOUT_MS });
    expect(reader.current()).toBe(a.url);
    expect(await reader.blockNumber()).toBe(20);
    expect(await reader.chainId()).toBe(31337);
    expect(reader.current()).toBe(a.url);
    expect(b.requests).toEqual([]);
  });

  it("fails over when the current endpoint is silent, and stays with the one that answered", async () => {
    const a = await fakeNode("silent");
    const b = await fakeNode("answer", { head: 30 });
    const reader = failoverReader([a.url, b.url], { timeoutMs: TIMEOUT_MS });
    expect(await reader.blockNumber()).toBe(30);
    expect(a.requests).toEqual(["eth_blockNumber"]);
    expect(reader.current()).toBe(b.url);
    // The next call goes straight to b: no second wait for a's timeout.
    expect(await reader.chainId()).toBe(31337);
    expect(a.requests).toEqual(["eth_blockNumber"]);
    expect(b.requests).toEqual(["eth_blockNumber", "eth_chainId"]);
  });

  it("fails over when the current endpoint refuses connections", async () => {
    const closed = await refusingUrl();
    const b = await fakeNode("answer", { head: 30 });
    const reader = failoverReader([closed, b.url], { timeoutMs: TIMEOUT_MS });
    expect(await reader.blockNumber()).toBe(30);
    expect(reader.current()).toBe(b.url);
  });

  it("fails over on an HTTP error status (a gateway without its node), which is no JSON-RPC answer", async () => {
    const a = await fakeNode("unavailable");
    const b = await fakeNode("answer", { head: 30 });
    const reader = failoverReader([a.url, b.url], { timeoutMs: TIMEOUT_MS });
    expect(await reader.blockNumber()).toBe(30);
    expect(reader.current()).toBe(b.url);
  });

  it("does not fail over on a JSON-RPC error answer: the node answered, the error is the answer", async () => {
    const a = await fakeNode("error");
    const b = await fakeNode("answer");
    const reader = failoverReader([a.url, b.url], { timeoutMs: TIMEOUT_MS });
    const err = await reader.getBlock(7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(-32000);
    expect((err as Error).message).toBe("eth_getBlockByNumber: header not found (code -32000)");
    expect(a.requests).toEqual(["eth_getBlockByNumber"]);
    expect(b.requests).toEqual([]);
    expect(reader.current()).toBe(a.url);
  });

  it("tries the others in listed order, wrapping around, and moves current() to the one that answers", async () => {
    const a = await fakeNode("answer", { head: 1 });
    const b = await fakeNode("answer", { head: 2 });
    const c = await fakeNode("silent");
    const reader = failoverReader([a.url, b.url, c.url], { timeoutMs: TIMEOUT_MS });
    expect(await reader.blockNumber()).toBe(1);

    a.mode = "silent";
    expect(await reader.blockNumber()).toBe(2);
    expect(reader.current()).toBe(b.url);
    expect(c.requests).toEqual([]);

    // b goes silent and a is back: b (current), then c, then a.
    b.mode = "silent";
    a.mode = "answer";
    expect(await reader.blockNumber()).toBe(1);
    expect(reader.current()).toBe(a.url);
    expect(a.requests).toEqual(["eth_blockNumber", "eth_blockNumber", "eth_blockNumber"]);
    expect(b.requests).toEqual(["eth_blockNumber", "eth_blockNumber"]);
    expect(c.requests).toEqual(["eth_blockNumber"]);
  });

  it("throws the current endpoint's error when none answers, and keeps current() where it was", async () => {
    const a = await fakeNode("silent");
    const closed = await refusingUrl();
    const reader = failoverReader([a.url, closed], { timeoutMs: TIMEOUT_MS });
    const err = await reader.chainId().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as Error).message).toMatch(/^eth_chainId: request failed: .*timeout/i);
    expect(reader.current()).toBe(a.url);
  });

  it("passes every ChainReader call, with its arguments, to the endpoint that answers", async () => {
    const closed = await refusingUrl();
    const b = await fakeNode("answer", { chainId: 5, head: 9 });
    const reader = failoverReader([closed, b.url], { timeoutMs: TIMEOUT_MS });
    expect(await reader.chainId()).toBe(5);
    expect(await reader.blockNumber()).toBe(9);
    expect(await reader.getTransaction(HASH)).toEqual({ hash: HASH, to: TO, blockNumber: 7, blockHash: BLOCK_HASH });
    expect(await reader.getTransaction("0x" + "00".repeat(32))).toBeNull();
    expect(await reader.getTransactionReceipt(HASH)).toEqual({ status: 1, to: TO, blockNumber: 7, blockHash: BLOCK_HASH, logs: [] });
    expect(await reader.getBlock(7)).toEqual({ number: 7, hash: BLOCK_HASH, timestamp: 1_700_000_000 });
    expect(await reader.getBlock(8)).toBeNull();
    expect(await reader.call(TO, "0x12345678")).toBe("0x" + "00".repeat(31) + "2a");
    expect(b.requests).toEqual([
      "eth_chainId",
      "eth_blockNumber",
      "eth_getTransactionByHash",
      "eth_getTransactionByHash",
      "eth_getTransactionReceipt",
      "eth_getBlockByNumber",
      "eth_getBlockByNumber",
      "eth_call",
    ]);
  });
});

// ---------------------------------------------------------------- connectChain with a real node

/** An HTTP proxy that forwards every JSON-RPC request to `target` and counts them. */
async function forwardingProxy(target: string): Promise<{ url: string; forwarded(): number; close(): Promise<void> }> {
  let forwarded = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      forwarded++;
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) })
        .then(async (upstream) => {
          res.writeHead(upstream.status, { "content-type": "application/json" });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("connectChain over several endpoints (Hardhat node)", () => {
  let node: LocalNode;
  beforeAll(async () => {
    node = await startTestChain();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("uses the first listed endpoint (a proxy) while it is up, and the direct URL once it is closed", async () => {
    const proxy = await forwardingProxy(node.url);
    const urls = [proxy.url, node.url];

    const viaProxy = await connectChain({ urls, privateKey: HARDHAT_DEV_KEY, timeoutMs: 5000 });
    try {
      expect(viaProxy.url).toBe(proxy.url);
      expect(viaProxy.chainId).toBe(31337);
      const before = proxy.forwarded();
      expect(await viaProxy.balance()).toBeGreaterThan(0n);
      // The client really talks through the proxy, not only the probe.
      expect(proxy.forwarded()).toBeGreaterThan(before);
    } finally {
      viaProxy.close();
    }

    await proxy.close();
    const direct = await connectChain({ urls, privateKey: HARDHAT_DEV_KEY, timeoutMs: 5000 });
    try {
      expect(direct.url).toBe(node.url);
      expect(direct.chainId).toBe(31337);
      expect(direct.sender).toBe("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
      expect(await direct.latestBlockNumber()).toBe(Number(await rpc<string>(node.url, "eth_blockNumber")));
    } finally {
      direct.close();
    }
  });

  it("passes over a first endpoint lagging more than maxLagBlocks behind the node", async () => {
    await rpc(node.url, "hardhat_mine", ["0x10"]);
    const head = Number(await rpc<string>(node.url, "eth_blockNumber"));
    const lagging = await fakeNode("answer", { head: head - 4 });
    const client = await connectChain({ urls: [lagging.url, node.url], privateKey: HARDHAT_DEV_KEY, maxLagBlocks: 3 });
    try {
      expect(client.url).toBe(node.url);
    } finally {
      client.close();
    }
    lagging.head = head - 3;
    const within = await connectChain({ urls: [lagging.url, node.url], privateKey: HARDHAT_DEV_KEY, maxLagBlocks: 3 });
    try {
      expect(within.url).toBe(lagging.url);
    } finally {
      within.close();
    }
  });

  it("fails with every endpoint's reason when none answers", async () => {
    const closed = await refusingUrl();
    const silent = await fakeNode("silent");
    await expect(connectChain({ urls: [closed, silent.url], privateKey: HARDHAT_DEV_KEY, timeoutMs: TIMEOUT_MS })).rejects.toThrow(
      new RegExp(`^no chain endpoint answers: ${closed}: eth_\\w+: request failed.*; ${silent.url}: eth_\\w+: request failed`),
    );
  });
});
