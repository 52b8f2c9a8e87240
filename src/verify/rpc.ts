// Read-only chain access for verification: the ChainReader interface and a raw JSON-RPC client over fetch.

export interface TransactionInfo {
  hash: string;
  to: string | null;
  blockNumber: number | null;
  blockHash: string | null;
}

export interface LogInfo {
  address: string;
  topics: string[];
  data: string;
}

/** An eth_getLogs filter: one address, topics (null matches any), an inclusive block range. */
export interface LogFilter {
  address: string;
  topics: (string | null)[];
  fromBlock: number;
  toBlock: number;
}

/** A log as eth_getLogs returns it: where it was emitted, and its place in the chain. */
export interface LogEntry extends LogInfo {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

export interface ReceiptInfo {
  /** 1 = success, 0 = reverted. */
  status: number;
  to: string | null;
  blockNumber: number;
  blockHash: string;
  logs: LogInfo[];
}

export interface BlockInfo {
  number: number;
  hash: string;
  /** Unix seconds. */
  timestamp: number;
}

/** What verification needs from a chain. Hex strings as the node returns them (any case). */
export interface ChainReader {
  chainId(): Promise<number>;
  blockNumber(): Promise<number>;
  getTransaction(hash: string): Promise<TransactionInfo | null>;
  getTransactionReceipt(hash: string): Promise<ReceiptInfo | null>;
  getBlock(number: number): Promise<BlockInfo | null>;
  /** eth_call against the latest block; returns the 0x-hex return data. */
  call(to: string, data: string): Promise<string>;
}

/** A failed JSON-RPC exchange; the message starts with the RPC method. */
export class RpcError extends Error {
  override name = "RpcError";
  readonly method: string;
  /** JSON-RPC error code, when the node answered with an error object. */
  readonly code?: number;

  constructor(method: string, message: string, options?: { code?: number; cause?: unknown }) {
    super(`${method}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.method = method;
    if (options?.code !== undefined) this.code = options.code;
  }
}

/**
 * ChainReader over HTTP JSON-RPC. Deliberately raw (no ethers): verification must stay small
 * enough to run in a browser page. Every answer is checked for shape, since the endpoint is
 * not necessarily ours. Each request is aborted after `timeoutMs` (default 10 s).
 */
export function jsonRpcReader(
  url: string,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): ChainReader & { getLogs(filter: LogFilter): Promise<LogEntry[]> } {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let nextId = 1;

  async function rpc(method: string, params: unknown[]): Promise<unknown> {
    let body: unknown;
    const send = () =>
      doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    try {
      let res: Response;
      try {
        res = await send();
      } catch (e) {
        // A kept-alive socket the node closed while idle fails at once ("other side closed").
        // Every call here is a read, so one retry on a fresh connection is safe.
        if (!(e instanceof TypeError)) throw e;
        res = await send();
      }
      if (!res.ok) throw new RpcError(method, `HTTP ${res.status}`);
      body = await res.json();
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(method, `request failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (typeof body !== "object" || body === null) throw new RpcError(method, "response is not a JSON-RPC object");
    const { error, result } = body as { error?: { code?: unknown; message?: unknown }; result?: unknown };
    if (error !== undefined && error !== null) {
      const code = typeof error.code === "number" ? error.code : undefined;
      const text = typeof error.message === "string" ? error.message : JSON.stringify(error);
      throw new RpcError(method, code === undefined ? text : `${text} (code ${code})`, code === undefined ? undefined : { code });
    }
    if (result === undefined) throw new RpcError(method, "response has neither result nor error");
    return result;
  }

  const fail = (method: string, what: string): never => {
    throw new RpcError(method, `malformed response: ${what}`);
  };
  const quantity = (method: string, v: unknown, what: string): number => {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) return fail(method, `${what} is not a hex quantity`);
    const n = Number.parseInt(v.slice(2), 16);
    return Number.isSafeInteger(n) ? n : fail(method, `${what} exceeds 2^53`);
  };
  const hexString = (method: string, v: unknown, what: string): string =>
    typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v) ? v : fail(method, `${what} is not hex`);
  const nullableHex = (method: string, v: unknown, what: string): string | null =>
    v === null || v === undefined ? null : hexString(method, v, what);
  const record = (method: string, v: unknown): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(method, "expected an object");

  const logOf = (method: string, l: unknown, i: number): LogInfo => {
    const log = record(method, l);
    if (!Array.isArray(log.topics)) return fail(method, `logs[${i}].topics is not an array`);
    return {
      address: hexString(method, log.address, `logs[${i}].address`),
      topics: log.topics.map((t: unknown, j: number) => hexString(method, t, `logs[${i}].topics[${j}]`)),
      data: hexString(method, log.data, `logs[${i}].data`),
    };
  };

  return {
    async chainId() {
      return quantity("eth_chainId", await rpc("eth_chainId", []), "chain id");
    },
    async blockNumber() {
      return quantity("eth_blockNumber", await rpc("eth_blockNumber", []), "block number");
    },
    async getTransaction(hash) {
      const m = "eth_getTransactionByHash";
      const raw = await rpc(m, [hash]);
      if (raw === null) return null;
      const t = record(m, raw);
      return {
        hash: hexString(m, t.hash, "hash"),
        to: nullableHex(m, t.to, "to"),
        blockNumber: t.blockNumber === null || t.blockNumber === undefined ? null : quantity(m, t.blockNumber, "blockNumber"),
        blockHash: nullableHex(m, t.blockHash, "blockHash"),
      };
    },
    async getTransactionReceipt(hash) {
      const m = "eth_getTransactionReceipt";
      const raw = await rpc(m, [hash]);
      if (raw === null) return null;
      const r = record(m, raw);
      if (!Array.isArray(r.logs)) return fail(m, "logs is not an array");
      return {
        status: quantity(m, r.status, "status"),
        to: nullableHex(m, r.to, "to"),
        blockNumber: quantity(m, r.blockNumber, "blockNumber"),
        blockHash: hexString(m, r.blockHash, "blockHash"),
        logs: r.logs.map((l: unknown, i: number) => logOf(m, l, i)),
      };
    },
    /** eth_getLogs (used by fsck, which replays the contract's hash chain from its logs). */
    async getLogs(filter) {
      const m = "eth_getLogs";
      const raw = await rpc(m, [
        { address: filter.address, topics: filter.topics, fromBlock: "0x" + filter.fromBlock.toString(16), toBlock: "0x" + filter.toBlock.toString(16) },
      ]);
      if (!Array.isArray(raw)) return fail(m, "result is not an array");
      return raw.map((l: unknown, i: number) => {
        const log = record(m, l);
        return {
          ...logOf(m, log, i),
          blockNumber: quantity(m, log.blockNumber, `logs[${i}].blockNumber`),
          logIndex: quantity(m, log.logIndex, `logs[${i}].logIndex`),
          transactionHash: hexString(m, log.transactionHash, `logs[${i}].transactionHash`),
        };
      });
    },
    async getBlock(number) {
      const m = "eth_getBlockByNumber";
      const raw = await rpc(m, ["0x" + number.toString(16), false]);
      if (raw === null) return null;
      const b = record(m, raw);
      return {
        number: quantity(m, b.number, "number"),
        hash: hexString(m, b.hash, "hash"),
        timestamp: quantity(m, b.timestamp, "timestamp"),
      };
    },
    async call(to, data) {
      const m = "eth_call";
      return hexString(m, await rpc(m, [{ to, data }, "latest"]), "result");
    },
  };
}
