// The gas floor of an anchoring transaction: what anchoring must spend whatever the contract's
// code (docs/anchoring.md, "Gas"; the same arithmetic as test/contract/evidence-anchor.test.ts,
// whose helper is private to that test). Pure: calldata and root count in, gas out.

/** EIP-2929/2200/3529/2028 prices of what an anchor must store, emit and hash. */
export const GAS = {
  transaction: 21_000,
  /** Zero to non-zero, cold: 20,000 + 2,100 (the root's record). */
  newSlot: 22_100,
  /** Non-zero to non-zero, cold: 2,900 + 2,100 (the head; the counter). */
  coldUpdate: 5_000,
  /** LOG3: 375 + 3 topics x 375 + 64 data bytes x 8. */
  anchoredLog: 375 + 3 * 375 + 64 * 8,
  /** STATICCALL to the SHA-256 precompile (warm, 100) + 60 + 12 per word of 72 bytes. */
  sha256Step: 100 + 60 + 12 * 3,
  /** The contract's very first anchor writes the head from zero: a new slot, not an update. */
  firstHead: 22_100 - 5_000,
} as const;

/** EIP-2028 calldata cost of `data` (0x-hex): 16 gas per non-zero byte, 4 per zero byte. */
export function calldataGas(data: string): number {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  let gas = 0;
  for (let i = 0; i < hex.length; i += 2) gas += hex.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
}

/**
 * The floor of one transaction with calldata `data` that anchors `roots` roots (anchor() is
 * one, anchorMany(n) n): the transaction and its calldata, the head and the counter
 * rewritten once, and per root a new record slot, the Anchored log and one SHA-256 step of
 * the hash chain. `firstAnchor`: the contract's head was still zero before it.
 * Requires roots >= 1.
 */
export function anchorGasFloor(data: string, roots: number, firstAnchor = false): number {
  return (
    GAS.transaction +
    calldataGas(data) +
    2 * GAS.coldUpdate +
    roots * (GAS.newSlot + GAS.anchoredLog + GAS.sha256Step) +
    (firstAnchor ? GAS.firstHead : 0)
  );
}
