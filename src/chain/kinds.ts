// What the service assumes about a chain it has not been told about: how many confirmations
// a proof waits for, after how many blocks an anchor is treated as final, and whether the
// chain can forget its whole history (a development node). Pure: chain id in, numbers out.

export interface ChainKind {
  /** A name for logs and docs. */
  name: string;
  /** Blocks (the anchor's own included) before a proof shows the anchor. */
  confirmations: number;
  /**
   * Depth after which a block is no longer re-checked on every proof read. Below it, every
   * read asks the chain whether the anchor's block is still there.
   */
  finalityBlocks: number;
  /** A development node that restarts empty: no anchor on it is ever final. */
  volatile: boolean;
}

const DEV: ChainKind = { name: "development chain", confirmations: 1, finalityBlocks: Number.POSITIVE_INFINITY, volatile: true };

// Reorg depths seen in practice set these: Ethereum finalises after two epochs (64 blocks)
// and reorgs deeper than a few blocks have not happened since the merge; Polygon PoS had
// reorgs of over 100 blocks before its milestones; BNB Chain has fast finality (2 blocks).
// Rollups order transactions in a sequencer that does not reorg what it has confirmed, but
// a faulty sequencer can, so they get the Ethereum numbers.
const KNOWN: ReadonlyMap<number, ChainKind> = new Map([
  [31337, DEV],
  [1337, DEV],
  [1, { name: "Ethereum", confirmations: 12, finalityBlocks: 64, volatile: false }],
  [11155111, { name: "Sepolia", confirmations: 12, finalityBlocks: 64, volatile: false }],
  [17000, { name: "Holesky", confirmations: 12, finalityBlocks: 64, volatile: false }],
  [137, { name: "Polygon PoS", confirmations: 64, finalityBlocks: 256, volatile: false }],
  [56, { name: "BNB Chain", confirmations: 15, finalityBlocks: 64, volatile: false }],
  [10, { name: "OP Mainnet", confirmations: 12, finalityBlocks: 64, volatile: false }],
  [8453, { name: "Base", confirmations: 12, finalityBlocks: 64, volatile: false }],
  [42161, { name: "Arbitrum One", confirmations: 12, finalityBlocks: 64, volatile: false }],
]);

/** Any other chain (a consortium chain, a new L2): the cautious Ethereum numbers. */
const UNKNOWN: ChainKind = { name: "EVM chain", confirmations: 12, finalityBlocks: 64, volatile: false };

/**
 * The kind of chain `chainId`. `opts.local` marks a node the service started itself, which
 * forgets everything when it stops whatever its id; `opts.confirmations` is the operator's
 * CONFIRMATIONS, which wins over the default (and raises finality if it is deeper).
 */
export function chainKind(
  chainId: number | undefined,
  opts: { local?: boolean; confirmations?: number | undefined } = {},
): ChainKind {
  // No chain id (the chain did not answer yet): the cautious defaults of an unknown chain.
  const base = opts.local ? DEV : ((chainId === undefined ? undefined : KNOWN.get(chainId)) ?? UNKNOWN);
  if (opts.confirmations === undefined) return base;
  return { ...base, confirmations: opts.confirmations, finalityBlocks: Math.max(base.finalityBlocks, opts.confirmations) };
}

/** Chain ids of development chains, which start empty every time they start. */
export const DEV_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);
