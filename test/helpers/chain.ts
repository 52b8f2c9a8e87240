// A real Hardhat node for tests: a child process on a free loopback port, one per test file.
import { createServer } from "node:net";
import { startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";
import { connectChain, type ChainClient } from "../../src/chain/client.ts";
import { HARDHAT_DEV_KEY } from "../../src/config.ts";

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startTestChain(port?: number, opts: { chainId?: number } = {}): Promise<LocalNode> {
  return startLocalNode(port ?? (await freePort()), opts);
}

/** One raw JSON-RPC call to a node (Hardhat's test methods: evm_mine, evm_snapshot, ...). */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** A ChainClient signing with Hardhat's first development account. */
export function testChainClient(url: string, privateKey = HARDHAT_DEV_KEY): Promise<ChainClient> {
  return connectChain({ urls: [url], privateKey });
}

export { HARDHAT_DEV_KEY };
