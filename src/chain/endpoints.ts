// Which of the configured JSON-RPC endpoints (CHAIN_RPC_URL may list several) the service
// talks to: the first listed that answers, serves the expected chain and is not lagging
// behind the best of the others. Probing does I/O; choosing is a pure function.
import { jsonRpcReader, RpcError, type ChainReader } from "../verify/rpc.ts";

export type EndpointProbe =
  | { url: string; ok: true; chainId: number; blockNumber: number }
  | { url: string; ok: false; error: string };

/** Asks every endpoint for its chain id and head at once, each bounded by `timeoutMs`. */
export async function probeEndpoints(urls: readonly string[], timeoutMs: number): Promise<EndpointProbe[]> {
  return Promise.all(
    urls.map(async (url): Promise<EndpointProbe> => {
      const reader = jsonRpcReader(url, { timeoutMs });
      try {
        const [chainId, blockNumber] = await Promise.all([reader.chainId(), reader.blockNumber()]);
        return { url, ok: true, chainId, blockNumber };
      } catch (err) {
        return { url, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/**
 * The endpoint to use: among those that answered (and serve `chainId`, when given), the
 * first listed whose head is at most `maxLagBlocks` behind the highest head seen. Listing
 * order is the operator's preference; lag overrides it because a lagging node would serve
 * stale heads (fewer confirmations, a missed reorg). Null when none qualifies.
 */
export function chooseEndpoint(
  probes: readonly EndpointProbe[],
  opts: { maxLagBlocks: number; chainId?: number | undefined },
): Extract<EndpointProbe, { ok: true }> | null {
  const live = probes.filter(
    (p): p is Extract<EndpointProbe, { ok: true }> => p.ok && (opts.chainId === undefined || p.chainId === opts.chainId),
  );
  if (live.length === 0) return null;
  const best = Math.max(...live.map((p) => p.blockNumber));
  return live.find((p) => best - p.blockNumber <= opts.maxLagBlocks) ?? null;
}

/** Why no endpoint could be chosen, for the error and /readyz. */
export function describeProbes(probes: readonly EndpointProbe[], chainId?: number): string {
  return probes
    .map((p) =>
      p.ok
        ? `${p.url}: chain ${p.chainId}${chainId !== undefined && p.chainId !== chainId ? ` (want ${chainId})` : ""}, block ${p.blockNumber}`
        : `${p.url}: ${p.error}`,
    )
    .join("; ");
}

/**
 * A ChainReader over several endpoints: calls go to the current one; when it fails to answer
 * (not when it answers with an error), the others are tried in listed order and the first
 * that answers becomes current. Reads only, so retrying elsewhere is always safe.
 */
export function failoverReader(urls: readonly string[], opts: { timeoutMs: number }): ChainReader & { current(): string } {
  const readers = urls.map((url) => ({ url, reader: jsonRpcReader(url, { timeoutMs: opts.timeoutMs }) }));
  let current = 0;
  const call = async <T>(f: (r: ChainReader) => Promise<T>): Promise<T> => {
    let firstError: unknown;
    for (let k = 0; k < readers.length; k++) {
      const i = (current + k) % readers.length;
      try {
        const out = await f(readers[i]!.reader);
        current = i;
        return out;
      } catch (err) {
        // An error object from a node that answered is the answer; only silence fails over.
        if (err instanceof RpcError && err.code !== undefined) throw err;
        firstError ??= err;
      }
    }
    throw firstError;
  };
  return {
    current: () => readers[current]!.url,
    chainId: () => call((r) => r.chainId()),
    blockNumber: () => call((r) => r.blockNumber()),
    getTransaction: (h) => call((r) => r.getTransaction(h)),
    getTransactionReceipt: (h) => call((r) => r.getTransactionReceipt(h)),
    getBlock: (n) => call((r) => r.getBlock(n)),
    call: (to, data) => call((r) => r.call(to, data)),
  };
}
