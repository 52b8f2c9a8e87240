// The thin adapter between the service and an EVM chain (ethers v6): read blocks and the
// contract's records, sign anchoring transactions locally, broadcast raw transactions.
// It holds no state of its own beyond the connection; the database is the memory.
import { ContractFactory, JsonRpcProvider, Network, Wallet, keccak256, toQuantity } from "ethers";
import { jsonRpcReader } from "../verify/rpc.ts";
import { anchorInterface, loadArtifact } from "./contract.ts";

export interface AnchorRecord {
  anchored: boolean;
  seq: number;
  size: number;
  blockNumber: number;
  timestamp: number;
}

export interface SignedAnchorTx {
  hash: string;
  raw: string;
  nonce: number;
}

export interface BlockInfo {
  number: number;
  hash: string;
  timestamp: number;
}

export interface ReceiptInfo {
  status: number;
  blockNumber: number;
  blockHash: string;
}

/** The root is already on chain: sending again would only revert. */
export class AlreadyAnchoredError extends Error {
  override name = "AlreadyAnchoredError";
}

/** The node refused a transaction because its nonce is already used. */
export class NonceTooLowError extends Error {
  override name = "NonceTooLowError";
}

export interface ChainClient {
  readonly url: string;
  readonly chainId: number;
  readonly sender: string;
  readonly provider: JsonRpcProvider;
  latestBlockNumber(): Promise<number>;
  getBlock(n: number): Promise<BlockInfo | null>;
  hasCode(address: string): Promise<boolean>;
  anchorOf(contract: string, root: string): Promise<AnchorRecord>;
  /** Next nonce the node would accept from our sender, counting its pending pool. */
  pendingNonce(): Promise<number>;
  /** Builds and signs `anchor(root, size)`; throws AlreadyAnchoredError if it would revert so. */
  signAnchor(contract: string, root: string, size: number, nonce: number): Promise<SignedAnchorTx>;
  /** Sends a signed transaction; a node that already has it is not an error. */
  broadcast(raw: string): Promise<void>;
  getReceipt(hash: string): Promise<ReceiptInfo | null>;
  /** Whether the node knows the transaction at all (pending or mined). */
  knowsTransaction(hash: string): Promise<boolean>;
  /** Finds the transaction that anchored `root`, given the block the contract recorded. */
  findAnchorTransaction(
    contract: string,
    root: string,
    blockNumber: number,
  ): Promise<{ txHash: string; sender: string; nonce: number } | null>;
  deploy(): Promise<{ address: string; txHash: string; blockNumber: number }>;
  close(): void;
}

/** Reads the chain id with one raw JSON-RPC call; throws when the node does not answer. */
export function fetchChainId(url: string, timeoutMs = 5000): Promise<number> {
  return jsonRpcReader(url, { timeoutMs }).chainId();
}

/** Finds revert data in the various places ethers and nodes put it. */
function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string | undefined => {
    if (!e || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x[0-9a-f]{8}/i.test(o.data)) return o.data;
    return walk(o.error) ?? walk(o.info) ?? walk(o.cause) ?? walk(o.data);
  };
  return walk(err);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function connectChain(opts: { url: string; privateKey: string }): Promise<ChainClient> {
  const chainId = await fetchChainId(opts.url);
  // A fixed network: ethers then never re-probes (and never logs retry noise) when the
  // node goes away. No response cache: a stale nonce would sign two txs with one nonce.
  const provider = new JsonRpcProvider(opts.url, Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 1,
  });
  const wallet = new Wallet(opts.privateKey, provider);
  const iface = anchorInterface();

  const client: ChainClient = {
    url: opts.url,
    chainId,
    sender: wallet.address.toLowerCase(),
    provider,

    latestBlockNumber: () => provider.getBlockNumber(),

    async getBlock(n) {
      const b = (await provider.send("eth_getBlockByNumber", [toQuantity(n), false])) as {
        number: string;
        hash: string;
        timestamp: string;
      } | null;
      return b ? { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) } : null;
    },

    async hasCode(address) {
      return (await provider.getCode(address)) !== "0x";
    },

    async anchorOf(contract, root) {
      const data = iface.encodeFunctionData("anchorOf", [root]);
      const out = await provider.call({ to: contract, data });
      const [anchored, seq, size, blockNumber, timestamp] = iface.decodeFunctionResult("anchorOf", out);
      return {
        anchored: Boolean(anchored),
        seq: Number(seq),
        size: Number(size),
        blockNumber: Number(blockNumber),
        timestamp: Number(timestamp),
      };
    },

    pendingNonce: () => provider.getTransactionCount(wallet.address, "pending"),

    async signAnchor(contract, root, size, nonce) {
      const data = iface.encodeFunctionData("anchor", [root, size]);
      let gas: bigint;
      try {
        gas = await provider.estimateGas({ from: wallet.address, to: contract, data });
      } catch (err) {
        const revert = revertData(err);
        const parsed = revert ? iface.parseError(revert) : null;
        if (parsed?.name === "EvidenceAnchorAlreadyAnchored") {
          throw new AlreadyAnchoredError(`root ${root} is already anchored (seq ${parsed.args[1]})`);
        }
        throw err;
      }
      const fee = await provider.getFeeData();
      const common = { chainId, nonce, to: contract, data, gasLimit: (gas * 12n) / 10n };
      const tx =
        fee.maxFeePerGas !== null && fee.maxPriorityFeePerGas !== null
          ? { ...common, type: 2, maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas }
          : { ...common, type: 0, gasPrice: fee.gasPrice ?? 0n };
      const raw = await wallet.signTransaction(tx);
      return { raw, hash: keccak256(raw), nonce };
    },

    async broadcast(raw) {
      try {
        await provider.send("eth_sendRawTransaction", [raw]);
      } catch (err) {
        const msg = errorMessage(err).toLowerCase();
        if (msg.includes("already known") || msg.includes("known transaction")) return;
        if (msg.includes("nonce too low") || msg.includes("nonce has already been used")) {
          throw new NonceTooLowError(errorMessage(err));
        }
        throw err;
      }
    },

    async getReceipt(hash) {
      const r = (await provider.send("eth_getTransactionReceipt", [hash])) as {
        status: string;
        blockNumber: string;
        blockHash: string;
      } | null;
      return r ? { status: Number(r.status), blockNumber: Number(r.blockNumber), blockHash: r.blockHash } : null;
    },

    async knowsTransaction(hash) {
      return (await provider.send("eth_getTransactionByHash", [hash])) !== null;
    },

    async findAnchorTransaction(contract, root, blockNumber) {
      const event = iface.getEvent("Anchored");
      if (!event) throw new Error("contract ABI has no Anchored event");
      const logs = await provider.getLogs({
        address: contract,
        topics: [event.topicHash, root],
        fromBlock: blockNumber,
        toBlock: blockNumber,
      });
      const log = logs[0];
      if (!log) return null;
      const tx = await provider.getTransaction(log.transactionHash);
      if (!tx) return null;
      return { txHash: log.transactionHash, sender: tx.from.toLowerCase(), nonce: tx.nonce };
    },

    async deploy() {
      const artifact = loadArtifact();
      const factory = new ContractFactory(artifact.abi as never, artifact.bytecode, wallet);
      const contract = await factory.deploy(wallet.address, wallet.address);
      const receipt = await contract.deploymentTransaction()?.wait();
      if (!receipt) throw new Error("deployment transaction has no receipt");
      return {
        address: (await contract.getAddress()).toLowerCase(),
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
      };
    },

    close: () => provider.destroy(),
  };
  return client;
}
