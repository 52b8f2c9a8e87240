// What an anchoring transaction offers to pay: EIP-1559 fees (or a legacy gas price) from
// what the node reports, never above the operator's ceilings, and for a replacement at least
// the node's minimum bump above the version it replaces. Pure: numbers in, a decision out.

/** What the node says the next block costs. */
export interface FeeMarket {
  /** Base fee of the next block in wei; null on a chain without EIP-1559 (legacy only). */
  baseFee: bigint | null;
  /** The node's suggested tip (eth_maxPriorityFeePerGas). */
  tip: bigint;
  /** The node's legacy gas price (eth_gasPrice). */
  gasPrice: bigint;
}

export interface FeeLimits {
  /** Ceiling on the fee cap (EIP-1559) or the gas price (legacy), wei per gas. */
  maxFeePerGas: bigint;
  /** Ceiling on the tip, wei per gas. */
  maxPriorityFee: bigint;
  /** A replacement must offer at least this many percent more, fee cap and tip alike. */
  bumpPercent: number;
}

export type Fees =
  | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: 0; gasPrice: bigint };

export type FeeQuote = { ok: true; fees: Fees } | { ok: false; reason: string };

/** wei as gwei for people: "1000 gwei", "0.05 gwei". */
export function gweiText(wei: bigint): string {
  const whole = wei / 1_000_000_000n;
  const frac = (wei % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} gwei`;
}

/** The fee cap per gas of any fee shape: what the sender may pay at most. */
export function feeCap(fees: Fees): bigint {
  return fees.type === 2 ? fees.maxFeePerGas : fees.gasPrice;
}

/**
 * Fees for a new transaction. The cap leaves room for the base fee to double (as wallets
 * do) but never passes the ceiling; when even the next block's base fee plus the tip is above
 * the ceiling, nothing is worth sending: the answer is "wait", with the reason.
 */
export function quoteFees(market: FeeMarket, limits: FeeLimits): FeeQuote {
  if (market.baseFee === null) {
    if (market.gasPrice > limits.maxFeePerGas) {
      return { ok: false, reason: `the gas price is ${gweiText(market.gasPrice)}, above MAX_FEE_PER_GAS_GWEI (${gweiText(limits.maxFeePerGas)})` };
    }
    return { ok: true, fees: { type: 0, gasPrice: market.gasPrice } };
  }
  const tip = market.tip < limits.maxPriorityFee ? market.tip : limits.maxPriorityFee;
  if (market.baseFee + tip > limits.maxFeePerGas) {
    return {
      ok: false,
      reason: `the base fee is ${gweiText(market.baseFee)} (plus a tip of ${gweiText(tip)}), above MAX_FEE_PER_GAS_GWEI (${gweiText(limits.maxFeePerGas)})`,
    };
  }
  const wanted = market.baseFee * 2n + tip;
  return {
    ok: true,
    fees: { type: 2, maxFeePerGas: wanted < limits.maxFeePerGas ? wanted : limits.maxFeePerGas, maxPriorityFeePerGas: tip },
  };
}

/**
 * `value` raised by `percent`, rounded up: nodes compare with "at least", so round up. Always
 * at least one wei above `value`: geth also wants a replacement's fee cap and tip strictly
 * higher, which a bump of zero (a zero tip) would not be.
 */
export function bump(value: bigint, percent: number): bigint {
  const scaled = BigInt(Math.round(percent * 100)); // hundredths of a percent
  const raised = (value * (10_000n + scaled) + 9_999n) / 10_000n;
  return raised > value ? raised : value + 1n;
}

/**
 * Fees for a replacement of `previous` (same nonce): the market's fees, but at least
 * `bumpPercent` above the previous version in both fee cap and tip, as nodes require to
 * accept a replacement. The type stays that of the previous version.
 */
export function replacementFees(previous: Fees, market: FeeMarket, limits: FeeLimits): FeeQuote {
  const quote = quoteFees(market, limits);
  if (!quote.ok) return quote;
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  if (previous.type === 0) {
    const gasPrice = max(feeCap(quote.fees), bump(previous.gasPrice, limits.bumpPercent));
    if (gasPrice > limits.maxFeePerGas) {
      return { ok: false, reason: `replacing the stuck transaction needs ${gweiText(gasPrice)}, above MAX_FEE_PER_GAS_GWEI (${gweiText(limits.maxFeePerGas)})` };
    }
    return { ok: true, fees: { type: 0, gasPrice } };
  }
  const marketTip = quote.fees.type === 2 ? quote.fees.maxPriorityFeePerGas : quote.fees.gasPrice;
  const tip = max(marketTip, bump(previous.maxPriorityFeePerGas, limits.bumpPercent));
  const cap = max(max(feeCap(quote.fees), bump(previous.maxFeePerGas, limits.bumpPercent)), tip);
  if (cap > limits.maxFeePerGas) {
    return { ok: false, reason: `replacing the stuck transaction needs a fee cap of ${gweiText(cap)}, above MAX_FEE_PER_GAS_GWEI (${gweiText(limits.maxFeePerGas)})` };
  }
  if (tip > limits.maxPriorityFee) {
    return { ok: false, reason: `replacing the stuck transaction needs a tip of ${gweiText(tip)}, above MAX_PRIORITY_FEE_GWEI (${gweiText(limits.maxPriorityFee)})` };
  }
  return { ok: true, fees: { type: 2, maxFeePerGas: cap, maxPriorityFeePerGas: tip } };
}
