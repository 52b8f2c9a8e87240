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

export async function startTestChain(port?: number): Promise<LocalNode> {
  return startLocalNode(port ?? (await freePort()));
}

/** A ChainClient signing with Hardhat's first development account. */
export function testChainClient(url: string, privateKey = HARDHAT_DEV_KEY): Promise<ChainClient> {
  return connectChain({ urls: [url], privateKey });
}

export { HARDHAT_DEV_KEY };
