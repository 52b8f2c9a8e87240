// Which EvidenceAnchor contract the service anchors into: the configured address, or one it
// deployed itself earlier on this chain (recorded in the database), or a fresh deployment.
import { desc, eq } from "drizzle-orm";
import type { Db } from "../store/db.ts";
import { deployments } from "../store/schema.ts";
import type { Logger } from "../log.ts";
import { connectChain, type ChainClient, type ConnectOptions } from "./client.ts";

/**
 * Returns the contract address to use. A configured address must have code; otherwise the
 * newest recorded deployment that still has code is reused, and only then is a new one
 * deployed (a restarted local chain has lost every earlier one).
 */
export async function ensureContract(
  db: Db,
  chain: ChainClient,
  opts: { configuredAddress?: string | undefined },
): Promise<{ address: string; deployed: boolean }> {
  if (opts.configuredAddress) {
    const address = opts.configuredAddress.toLowerCase();
    if (!(await chain.hasCode(address))) {
      throw new Error(`CONTRACT_ADDRESS ${address} has no code on chain ${chain.chainId}`);
    }
    return { address, deployed: false };
  }
  const known = await db
    .select()
    .from(deployments)
    .where(eq(deployments.chainId, chain.chainId))
    .orderBy(desc(deployments.id))
    .limit(1);
  const last = known[0];
  if (last && (await chain.hasCode(last.address))) return { address: last.address, deployed: false };
  const d = await chain.deploy();
  await db.insert(deployments).values({
    chainId: chain.chainId,
    address: d.address,
    txHash: d.txHash,
    blockNumber: d.blockNumber,
    createdAt: new Date(),
  });
  return { address: d.address, deployed: true };
}

/**
 * Connects to the chain and resolves the contract in one step: what the batcher calls to
 * (re)connect. The connection is closed again if the contract cannot be resolved.
 */
export async function connectAnchoring(
  db: Db,
  opts: ConnectOptions & { configuredAddress?: string | undefined; log?: Logger },
): Promise<{ chain: ChainClient; contract: string }> {
  const chain = await connectChain(opts);
  try {
    const { address, deployed } = await ensureContract(db, chain, { configuredAddress: opts.configuredAddress });
    if (deployed) opts.log?.info("EvidenceAnchor deployed", { chainId: chain.chainId, contract: address });
    return { chain, contract: address };
  } catch (err) {
    chain.close();
    throw err;
  }
}
