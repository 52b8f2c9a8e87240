// The thin adapter between the service and an EVM chain (ethers v6): read blocks, fees,
// balances and the contract's records, sign anchoring transactions locally, broadcast raw
// transactions. Every call is bounded by a timeout, so a hung node fails fast instead of
// stalling its caller. It holds no state beyond the connection; the database is the memory.
import { ContractFactory, FetchRequest, JsonRpcProvider, Network, Transaction, Wallet, keccak256, toQuantity } from "ethers";
import { jsonRpcReader } from "../verify/rpc.ts";
import { anchorInterface, loadArtifact } from "./contract.ts";
import { chooseEndpoint, describeProbes, probeEndpoints } from "./endpoints.ts";
import type { FeeMarket, Fees } from "./fees.ts";

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

/** An anchoring call ready to sign: where, what, and how much gas it may use. */
export interface AnchorCall {
  to: string;
  data: string;
  gasLimit: bigint;
}

/** A batch root and the size of its tree, as the contract records them. */
export interface RootToAnchor {
  root: string;
  size: number;
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
  /** Gas the transaction used and the fee per gas it paid (wei), when the node says (for metrics). */
  gasUsed?: bigint | null;
  effectiveGasPrice?: bigint | null;
  /** The roots the contract at `contract` recorded in this transaction (its Anchored events). */
  anchored(contract: string): Map<string, { seq: number; size: number }>;
}

/** The root is already on chain: sending again would only revert. */
export class AlreadyAnchoredError extends Error {
  override name = "AlreadyAnchoredError";
}

/** The node refused a transaction because its nonce is already used. */
export class NonceTooLowError extends Error {
  override name = "NonceTooLowError";
}

/** The node refused a transaction (or a replacement) as offering too little. */
export class UnderpricedError extends Error {
  override name = "UnderpricedError";
}

/** The node refused a transaction because the sender cannot pay for it. */
export class InsufficientFundsError extends Error {
  override name = "InsufficientFundsError";
}

export interface ChainClient {
  /** The endpoint in use (one of CHAIN_RPC_URL's). */
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
  /** Number of our sender's transactions mined so far: nonces below it are used up. */
  minedNonce(): Promise<number>;
  /** The sender's balance in wei. */
  balance(): Promise<bigint>;
  /** Base fee of the next block (null on a legacy chain), suggested tip, legacy gas price. */
  feeMarket(): Promise<FeeMarket>;
  /**
   * `anchor(root, size)` for one root, `anchorMany(roots, sizes)` for several, with a gas
   * limit from the node's estimate. Throws AlreadyAnchoredError if it would revert so.
   */
  prepareAnchor(contract: string, roots: readonly RootToAnchor[]): Promise<AnchorCall>;
  /** Signs `call` with `nonce` and `fees`, locally. */
  sign(call: AnchorCall, nonce: number, fees: Fees): Promise<SignedAnchorTx>;
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

/** The call, nonce and fees of a signed transaction, read back to sign a replacement. */
export function decodeSigned(raw: string): { call: AnchorCall; nonce: number; fees: Fees } {
  const tx = Transaction.from(raw);
  const call = { to: (tx.to ?? "").toLowerCase(), data: tx.data, gasLimit: tx.gasLimit };
  const fees: Fees =
    tx.type === 2
      ? { type: 2, maxFeePerGas: tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
      : { type: 0, gasPrice: tx.gasPrice ?? 0n };
  return { call, nonce: tx.nonce, fees };
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

export interface ConnectOptions {
  /** Endpoints in order of preference (CHAIN_RPC_URL); the best live one is used. */
  urls: readonly string[];
  privateKey: string;
  /** Bound on every chain call. */
  timeoutMs?: number;
  /** An endpoint this far behind the best is passed over. */
  maxLagBlocks?: number;
}

export async function connectChain(opts: ConnectOptions): Promise<ChainClient> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const probes = await probeEndpoints(opts.urls, timeoutMs);
  const chosen = chooseEndpoint(probes, { maxLagBlocks: opts.maxLagBlocks ?? 3 });
  if (!chosen) throw new Error(`no chain endpoint answers: ${describeProbes(probes)}`);
  const { url, chainId } = chosen;
  // A fixed network: ethers then never re-probes (and never logs retry noise) when the
  // node goes away. No response cache: a stale nonce would sign two txs with one nonce.
  // Every request gives up after timeoutMs (ethers' default is 300 s).
  const request = new FetchRequest(url);
  request.timeout = timeoutMs;
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 1,
  });
  const wallet = new Wallet(opts.privateKey, provider);
  const iface = anchorInterface();

  const client: ChainClient = {
    url,
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

    minedNonce: () => provider.getTransactionCount(wallet.address, "latest"),

    balance: () => provider.getBalance(wallet.address, "latest"),

    async feeMarket() {
      // The pending block carries the base fee the next block will charge; a node that does
      // not build one (some rollups answer null) gets the latest block's.
      const blockOf = (tag: string) => provider.send("eth_getBlockByNumber", [tag, false]) as Promise<{ baseFeePerGas?: string } | null>;
      const [block, tip, gasPrice] = await Promise.all([
        blockOf("pending").then((b) => b ?? blockOf("latest")),
        provider.send("eth_maxPriorityFeePerGas", []).then(BigInt, () => 1_000_000_000n) as Promise<bigint>,
        provider.send("eth_gasPrice", []).then(BigInt) as Promise<bigint>,
      ]);
      const baseFee = block?.baseFeePerGas === undefined || block.baseFeePerGas === null ? null : BigInt(block.baseFeePerGas);
      return { baseFee, tip, gasPrice };
    },

    async prepareAnchor(contract, roots) {
      const data =
        roots.length === 1
          ? iface.encodeFunctionData("anchor", [roots[0]!.root, roots[0]!.size])
          : iface.encodeFunctionData("anchorMany", [roots.map((r) => r.root), roots.map((r) => r.size)]);
      let gas: bigint;
      try {
        gas = await provider.estimateGas({ from: wallet.address, to: contract, data });
      } catch (err) {
        const revert = revertData(err);
        const parsed = revert ? iface.parseError(revert) : null;
        if (parsed?.name === "EvidenceAnchorAlreadyAnchored") {
          throw new AlreadyAnchoredError(`root ${parsed.args[0]} is already anchored (seq ${parsed.args[1]})`);
        }
        throw err;
      }
      return { to: contract, data, gasLimit: (gas * 12n) / 10n };
    },

    async sign(call, nonce, fees) {
      const common = { chainId, nonce, to: call.to, data: call.data, gasLimit: call.gasLimit };
      const tx =
        fees.type === 2
          ? { ...common, type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
          : { ...common, type: 0, gasPrice: fees.gasPrice };
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
        if (msg.includes("underpriced") || msg.includes("fee too low") || msg.includes("replacement fee")) {
          throw new UnderpricedError(errorMessage(err));
        }
        if (msg.includes("insufficient funds")) throw new InsufficientFundsError(errorMessage(err));
        throw err;
      }
    },

    async getReceipt(hash) {
      const r = (await provider.send("eth_getTransactionReceipt", [hash])) as {
        status: string;
        blockNumber: string;
        blockHash: string;
        gasUsed?: string;
        effectiveGasPrice?: string;
        logs: { address: string; topics: string[]; data: string }[];
      } | null;
      if (!r) return null;
      return {
        status: Number(r.status),
        blockNumber: Number(r.blockNumber),
        blockHash: r.blockHash,
        gasUsed: r.gasUsed ? BigInt(r.gasUsed) : null,
        effectiveGasPrice: r.effectiveGasPrice ? BigInt(r.effectiveGasPrice) : null,
        anchored(contract) {
          const roots = new Map<string, { seq: number; size: number }>();
          for (const log of r.logs ?? []) {
            if (log.address.toLowerCase() !== contract.toLowerCase()) continue;
            const parsed = iface.parseLog(log);
            if (parsed?.name !== "Anchored") continue;
            roots.set(String(parsed.args.root).toLowerCase(), { seq: Number(parsed.args.seq), size: Number(parsed.args.size) });
          }
          return roots;
        },
      };
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
