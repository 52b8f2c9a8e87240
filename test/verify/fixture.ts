// Test fixture: a 5-leaf anchored batch built with the core, and a fake chain (reader and JSON-RPC server) holding its on-chain facts.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { buildBundle, type ProofBundleV1 } from "../../src/core/bundle.ts";
import { keccak256, sha256 } from "../../src/core/hash.ts";
import { type EvidenceMeta, leafHash } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import type { ChainReader, LogInfo } from "../../src/verify/rpc.ts";

export interface ChainFacts {
  chainId: number;
  latest: number;
  txs: Map<string, { to: string | null; blockNumber: number; blockHash: string; status: number; logs: LogInfo[] }>;
  blocks: Map<number, { hash: string; timestamp: number }>;
  /** What each contract's anchorOf(root) returns, by lowercase contract address then root. */
  anchors: Map<string, Map<string, { seq: number; size: number; blockNumber: number; timestamp: number }>>;
}

export const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"; // checksummed on purpose
export const CHAIN_ID = 31337;
const ANCHORED_TOPIC = toHex(keccak256(new TextEncoder().encode("Anchored(bytes32,uint64,uint64,bytes32)")));

const word = (n: number | bigint): string => BigInt(n).toString(16).padStart(64, "0");
const fakeHash = (label: string): string => toHex(sha256(new TextEncoder().encode(label)));

export function metaOf(i: number): EvidenceMeta {
  return { hashAlg: "sha256", submitter: "tenant-a", caseId: "case-42", eventType: i % 2 ? "signature" : "upload", occurredAt: `2026-11-27T10:0${i}:00Z` };
}

/** Five evidence items in batch 7, anchored in block 12 of chain 31337; bundles[i] is leaf i. */
export function anchoredFixture(): { bundles: ProofBundleV1[]; facts: ChainFacts } {
  const items = Array.from({ length: 5 }, (_, i) => ({
    id: `ev-${i}`,
    salt: sha256(Uint8Array.of(0x5a, i)),
    digest: sha256(new TextEncoder().encode(`document ${i}`)),
    meta: metaOf(i),
    receivedAt: `2026-11-27T10:1${i}:00Z`,
  }));
  const leaves = items.map((e) => leafHash(e));
  const tree = buildTree(leaves);
  const root = toHex(tree.root);
  const txHash = fakeHash("tx");
  const blockHash = fakeHash("block 12");
  const anchor = { chainId: CHAIN_ID, contract: CONTRACT, txHash, blockNumber: 12, blockHash, blockTimestamp: 1_795_773_600 };
  const bundles = items.map((e, i) =>
    buildBundle({
      evidence: e,
      leaf: { index: i, hash: leaves[i]! },
      batch: { seq: 7, size: 5, root: tree.root, path: tree.path(i) },
      anchor,
    }),
  );
  const contract = CONTRACT.toLowerCase();
  const facts: ChainFacts = {
    chainId: CHAIN_ID,
    latest: 20,
    txs: new Map([
      [
        txHash,
        {
          to: contract,
          blockNumber: 12,
          blockHash,
          status: 1,
          logs: [
            { address: fakeHash("other contract").slice(0, 42), topics: [fakeHash("other event")], data: "0x" },
            { address: contract, topics: [ANCHORED_TOPIC, root, "0x" + word(7)], data: "0x" + word(5) + fakeHash("head").slice(2) },
          ],
        },
      ],
    ]),
    blocks: new Map(
      Array.from({ length: 21 }, (_, n) => [n, { hash: n === 12 ? blockHash : fakeHash(`block ${n}`), timestamp: 1_795_773_600 + (n - 12) * 12 }]),
    ),
    anchors: new Map([[contract, new Map([[root, { seq: 7, size: 5, blockNumber: 12, timestamp: 1_795_773_600 }]])]]),
  };
  return { bundles, facts };
}

/** Return data of anchorOf(root) on `to`, as the chain would give it ("0x" when no contract). */
function anchorOfResult(facts: ChainFacts, to: string, data: string): string {
  const records = facts.anchors.get(to.toLowerCase());
  if (records === undefined) return "0x";
  const rec = records.get("0x" + data.slice(10).toLowerCase());
  return rec === undefined ? "0x" + word(0).repeat(5) : "0x" + word(1) + word(rec.seq) + word(rec.size) + word(rec.blockNumber) + word(rec.timestamp);
}

/** A ChainReader answering from `facts`; `overrides` replace single methods (e.g. to throw). */
export function fakeReader(facts: ChainFacts, overrides: Partial<ChainReader> = {}): ChainReader {
  return {
    chainId: async () => facts.chainId,
    blockNumber: async () => facts.latest,
    getTransaction: async (hash) => {
      const tx = facts.txs.get(hash.toLowerCase());
      return tx === undefined ? null : { hash, to: tx.to, blockNumber: tx.blockNumber, blockHash: tx.blockHash };
    },
    getTransactionReceipt: async (hash) => {
      const tx = facts.txs.get(hash.toLowerCase());
      return tx === undefined ? null : { status: tx.status, to: tx.to, blockNumber: tx.blockNumber, blockHash: tx.blockHash, logs: tx.logs };
    },
    getBlock: async (n) => {
      const b = facts.blocks.get(n);
      return b === undefined ? null : { number: n, ...b };
    },
    call: async (to, data) => anchorOfResult(facts, to, data),
    ...overrides,
  };
}

const q = (n: number): string => "0x" + n.toString(16);

/** A JSON-RPC 2.0 HTTP server over `facts`, speaking like an Ethereum node (hex quantities). */
export async function startFakeRpc(facts: ChainFacts): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = (method: string, params: unknown[]): unknown => {
    switch (method) {
      case "eth_chainId":
        return q(facts.chainId);
      case "eth_blockNumber":
        return q(facts.latest);
      case "eth_getTransactionByHash": {
        const hash = String(params[0]);
        const tx = facts.txs.get(hash.toLowerCase());
        return tx === undefined ? null : { hash, to: tx.to, blockNumber: q(tx.blockNumber), blockHash: tx.blockHash, input: "0x" };
      }
      case "eth_getTransactionReceipt": {
        const tx = facts.txs.get(String(params[0]).toLowerCase());
        return tx === undefined
          ? null
          : { status: q(tx.status), to: tx.to, blockNumber: q(tx.blockNumber), blockHash: tx.blockHash, logs: tx.logs.map((l, i) => ({ ...l, logIndex: q(i) })) };
      }
      case "eth_getBlockByNumber": {
        const n = Number.parseInt(String(params[0]).slice(2), 16);
        const b = facts.blocks.get(n);
        return b === undefined ? null : { number: q(n), hash: b.hash, timestamp: q(b.timestamp), transactions: [] };
      }
      case "eth_call": {
        const { to, data } = params[0] as { to: string; data: string };
        return anchorOfResult(facts, to, data);
      }
      default:
        throw Object.assign(new Error(`the method ${method} does not exist`), { code: -32601 });
    }
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      let reply: object;
      try {
        reply = { jsonrpc: "2.0", id, result: answer(method, params) };
      } catch (e) {
        reply = { jsonrpc: "2.0", id, error: { code: (e as { code?: number }).code ?? -32000, message: (e as Error).message } };
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** A deep copy of a bundle as plain JSON, to tamper with. */
export function jsonCopy(b: ProofBundleV1): any {
  return JSON.parse(JSON.stringify(b));
}

/** The same hex with its lowest bit flipped. */
export function flipHex(hex: string): string {
  const b = fromHex(hex);
  b[b.length - 1]! ^= 1;
  return toHex(b);
}
