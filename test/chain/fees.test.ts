// Fee decisions (src/chain/fees.ts): quotes under the operator's ceilings, replacements that
// nodes accept (geth: both fee cap and tip strictly higher and at least priceBump% higher),
// gwei text, and fast-check properties over random markets, limits and previous fees.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bump, feeCap, gweiText, quoteFees, replacementFees, type FeeLimits, type FeeMarket, type FeeQuote, type Fees } from "../../src/chain/fees.ts";
import { parseConfig } from "../../src/config.ts";

// 100 locally; CI raises it (FC_RUNS=10000).
const numRuns = Number(process.env.FC_RUNS ?? 100);

const GWEI = 1_000_000_000n;
const gwei = (n: number) => BigInt(Math.round(n * 1e9)); // exact for the few decimals used here

const LIMITS: FeeLimits = { maxFeePerGas: 200n * GWEI, maxPriorityFee: 5n * GWEI, bumpPercent: 12.5 };
const market = (baseFee: bigint | null, tip: bigint, gasPrice = 0n): FeeMarket => ({ baseFee, tip, gasPrice });
const eip1559 = (maxFeePerGas: bigint, maxPriorityFeePerGas: bigint): Fees => ({ type: 2, maxFeePerGas, maxPriorityFeePerGas });
const legacy = (gasPrice: bigint): Fees => ({ type: 0, gasPrice });

// Amounts from zero and a few wei (rounding) up to 500 gwei (past the ceilings).
const amount = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 500n * GWEI }));
const arbMarket = fc.record({ baseFee: fc.option(amount, { nil: null }), tip: amount, gasPrice: amount });
const arbLimits = fc.record({
  maxFeePerGas: amount,
  maxPriorityFee: amount,
  // FEE_BUMP_PERCENT: 1 to 500, two decimals.
  bumpPercent: fc.integer({ min: 100, max: 50_000 }).map((h) => h / 100),
});
// Previous versions include a tip above the fee cap, which no node accepts: the replacement
// must still come out with tip <= cap.
const arbPrevious: fc.Arbitrary<Fees> = fc.oneof(fc.tuple(amount, amount).map(([cap, tip]) => eip1559(cap, tip)), amount.map(legacy));
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** The fees of an ok quote (fails the test with the reason otherwise). */
function fees(q: FeeQuote): Fees {
  if (!q.ok) throw new Error(`expected fees, got a refusal: ${q.reason}`);
  return q.fees;
}

/** The reason of a refusal (fails the test if the quote is ok). */
function refusal(q: FeeQuote): string {
  if (q.ok) throw new Error(`expected a refusal, got ${JSON.stringify(q.fees, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`);
  return q.reason;
}

describe("gweiText", () => {
  it.each([
    [1000n * GWEI, "1000 gwei"],
    [50_000_000n, "0.05 gwei"],
    [0n, "0 gwei"],
    [1n, "0.000000001 gwei"],
    [1_500_000_000n, "1.5 gwei"],
    [200n * GWEI + 1n, "200.000000001 gwei"],
    [123_456_789_012_345n, "123456.789012345 gwei"],
  ])("%s wei is %s", (wei, text) => {
    expect(gweiText(wei)).toBe(text);
  });

  it("reads back through the config's gwei parser to the same wei", () => {
    // MAX_FEE_PER_GAS_GWEI takes at most 9 whole digits: the round trip covers everything below 1e18 wei.
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }), (wei) => {
        const text = gweiText(wei);
        expect(text).toMatch(/^\d+(\.\d*[1-9])? gwei$/);
        expect(parseConfig({ MAX_FEE_PER_GAS_GWEI: text.replace(/ gwei$/, "") }).MAX_FEE_PER_GAS_GWEI).toBe(wei);
      }),
      { numRuns },
    );
  });
});

describe("feeCap", () => {
  it("is the fee cap of an EIP-1559 fee and the gas price of a legacy one", () => {
    expect(feeCap(eip1559(30n, 2n))).toBe(30n);
    expect(feeCap(legacy(17n))).toBe(17n);
  });
});

describe("bump", () => {
  it.each([
    [100n, 10, 110n],
    [101n, 10, 112n], // 111.1 rounds up
    [1n, 10, 2n], // 1.1 rounds up
    [8n, 12.5, 9n], // exact
    [7n, 12.5, 8n], // 7.875 rounds up
    [16n, 12.5, 18n],
    [1000n * GWEI, 12.5, 1125n * GWEI],
    [3n * GWEI, 0.01, 3n * GWEI + 300_000n],
    [2n * GWEI, 100, 4n * GWEI],
  ] as const)("bump(%s) by %s percent is %s", (value, percent, out) => {
    expect(bump(value, percent)).toBe(out);
  });

  it("raises zero to one wei: geth replaces only with a strictly higher fee cap and tip", () => {
    expect(bump(0n, 12.5)).toBe(1n);
    expect(bump(0n, 10)).toBe(1n);
  });

  it("is the least integer at least percent% above a positive value, and always above it", () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 100, max: 50_000 }), (value, hundredths) => {
        const out = bump(value, hundredths / 100);
        const scaled = 10_000n + BigInt(hundredths);
        expect(out).toBeGreaterThan(value);
        if (value > 0n) {
          // out >= value * (1 + p/100), and out - 1 is not.
          expect(out * 10_000n >= value * scaled).toBe(true);
          expect((out - 1n) * 10_000n < value * scaled).toBe(true);
        }
      }),
      { numRuns },
    );
  });
});

describe("quoteFees", () => {
  it("offers twice the base fee plus the tip (EIP-1559)", () => {
    expect(fees(quoteFees(market(gwei(10), gwei(2)), LIMITS))).toEqual(eip1559(gwei(22), gwei(2)));
    expect(fees(quoteFees(market(gwei(90), gwei(2)), LIMITS))).toEqual(eip1559(gwei(182), gwei(2)));
  });

  it("caps the fee cap at MAX_FEE_PER_GAS when twice the base fee would pass it", () => {
    expect(fees(quoteFees(market(gwei(100), gwei(2)), LIMITS))).toEqual(eip1559(gwei(200), gwei(2)));
    // The boundary: the base fee plus the tip exactly at the ceiling is still worth sending.
    expect(fees(quoteFees(market(gwei(198), gwei(2)), LIMITS))).toEqual(eip1559(gwei(200), gwei(2)));
  });

  it("caps the tip at MAX_PRIORITY_FEE (and the cap follows the capped tip)", () => {
    expect(fees(quoteFees(market(gwei(10), gwei(7)), LIMITS))).toEqual(eip1559(gwei(25), gwei(5)));
    expect(fees(quoteFees(market(gwei(10), gwei(5)), LIMITS))).toEqual(eip1559(gwei(25), gwei(5)));
  });

  it("refuses when the next block's base fee plus the tip is above the ceiling, naming the amounts", () => {
    const reason = refusal(quoteFees(market(gwei(199), gwei(2)), LIMITS));
    expect(reason).toBe("the base fee is 199 gwei (plus a tip of 2 gwei), above MAX_FEE_PER_GAS_GWEI (200 gwei)");
    // The tip in the reason is the capped one: that is what would have been offered.
    expect(refusal(quoteFees(market(gwei(199.5), gwei(9)), LIMITS))).toBe(
      "the base fee is 199.5 gwei (plus a tip of 5 gwei), above MAX_FEE_PER_GAS_GWEI (200 gwei)",
    );
    expect(refusal(quoteFees(market(gwei(201), 0n), LIMITS))).toMatch(/^the base fee is 201 gwei .*MAX_FEE_PER_GAS_GWEI \(200 gwei\)$/);
  });

  it("uses the gas price on a chain without EIP-1559, whatever the tip, and refuses above the ceiling", () => {
    expect(fees(quoteFees(market(null, gwei(50), gwei(30)), LIMITS))).toEqual(legacy(gwei(30)));
    expect(fees(quoteFees(market(null, 0n, gwei(200)), LIMITS))).toEqual(legacy(gwei(200)));
    expect(refusal(quoteFees(market(null, 0n, gwei(200) + 1n), LIMITS))).toBe(
      "the gas price is 200.000000001 gwei, above MAX_FEE_PER_GAS_GWEI (200 gwei)",
    );
  });
});

describe("replacementFees", () => {
  it("raises both fee cap and tip by the bump when the market has not moved", () => {
    // Market quote: 22 gwei / 2 gwei, the same as the stuck version.
    expect(fees(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(10), gwei(2)), LIMITS))).toEqual(eip1559(gwei(24.75), gwei(2.25)));
    // geth's own 10%.
    expect(fees(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(10), gwei(2)), { ...LIMITS, bumpPercent: 10 }))).toEqual(
      eip1559(gwei(24.2), gwei(2.2)),
    );
  });

  it("rounds the bump up, to the wei", () => {
    expect(fees(replacementFees(eip1559(7n, 1n), market(1n, 1n), LIMITS))).toEqual(eip1559(8n, 2n));
  });

  it("takes the market where it is higher, fee cap and tip each on its own", () => {
    // Both higher in the market.
    expect(fees(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(50), gwei(3)), LIMITS))).toEqual(eip1559(gwei(103), gwei(3)));
    // Base fee up, tip not: the cap from the market, the tip from the bump.
    expect(fees(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(50), gwei(2)), LIMITS))).toEqual(eip1559(gwei(102), gwei(2.25)));
    // Tip up, base fee down: the cap from the bump, the tip from the market.
    expect(fees(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(5), gwei(4)), LIMITS))).toEqual(eip1559(gwei(24.75), gwei(4)));
  });

  it("offers a tip above a zero tip (geth wants both strictly higher)", () => {
    const out = fees(replacementFees(eip1559(gwei(22), 0n), market(gwei(10), 0n), LIMITS));
    expect(out).toEqual(eip1559(gwei(24.75), 1n));
    // With MAX_PRIORITY_FEE_GWEI=0 no replacement can be accepted: say so instead of sending one.
    expect(refusal(replacementFees(eip1559(gwei(22), 0n), market(gwei(10), 0n), { ...LIMITS, maxPriorityFee: 0n }))).toMatch(
      /needs a tip of 0\.000000001 gwei, above MAX_PRIORITY_FEE_GWEI \(0 gwei\)/,
    );
  });

  it("never offers a tip above its fee cap, even when the version it replaces did", () => {
    expect(fees(replacementFees(eip1559(gwei(2), gwei(3)), market(1n, 0n), LIMITS))).toEqual(eip1559(gwei(3.375), gwei(3.375)));
  });

  it("keeps a legacy transaction legacy, even on an EIP-1559 chain", () => {
    // Market cap 22 gwei < bump(20 gwei) = 22.5 gwei.
    expect(fees(replacementFees(legacy(gwei(20)), market(gwei(10), gwei(2), gwei(12)), LIMITS))).toEqual(legacy(gwei(22.5)));
    // Market cap 42 gwei is higher.
    expect(fees(replacementFees(legacy(gwei(20)), market(gwei(20), gwei(2), gwei(22)), LIMITS))).toEqual(legacy(gwei(42)));
    // On a legacy chain: the gas price or the bump, whichever is higher.
    expect(fees(replacementFees(legacy(gwei(20)), market(null, 0n, gwei(30)), LIMITS))).toEqual(legacy(gwei(30)));
    expect(fees(replacementFees(legacy(gwei(28)), market(null, 0n, gwei(30)), LIMITS))).toEqual(legacy(gwei(31.5)));
  });

  it("refuses when the bumped fee cap is above MAX_FEE_PER_GAS, with the amounts", () => {
    expect(refusal(replacementFees(eip1559(gwei(190), gwei(2)), market(gwei(10), gwei(2)), LIMITS))).toBe(
      "replacing the stuck transaction needs a fee cap of 213.75 gwei, above MAX_FEE_PER_GAS_GWEI (200 gwei)",
    );
    expect(refusal(replacementFees(legacy(gwei(180)), market(null, 0n, gwei(30)), LIMITS))).toBe(
      "replacing the stuck transaction needs 202.5 gwei, above MAX_FEE_PER_GAS_GWEI (200 gwei)",
    );
    // Just under: bump(177.7 gwei) = 199.9125 gwei.
    expect(fees(replacementFees(legacy(gwei(177.7)), market(null, 0n, gwei(30)), LIMITS))).toEqual(legacy(gwei(199.9125)));
  });

  it("refuses when the bumped tip is above MAX_PRIORITY_FEE, with the amounts", () => {
    expect(refusal(replacementFees(eip1559(gwei(22), gwei(4.5)), market(gwei(10), gwei(2)), LIMITS))).toBe(
      "replacing the stuck transaction needs a tip of 5.0625 gwei, above MAX_PRIORITY_FEE_GWEI (5 gwei)",
    );
    expect(fees(replacementFees(eip1559(gwei(22), gwei(4.4)), market(gwei(10), gwei(2)), LIMITS))).toEqual(eip1559(gwei(24.75), gwei(4.95)));
  });

  it("refuses with the market's reason when the market itself is above the ceiling", () => {
    expect(refusal(replacementFees(eip1559(gwei(22), gwei(2)), market(gwei(199), gwei(2)), LIMITS))).toBe(
      "the base fee is 199 gwei (plus a tip of 2 gwei), above MAX_FEE_PER_GAS_GWEI (200 gwei)",
    );
    expect(refusal(replacementFees(legacy(gwei(20)), market(null, 0n, gwei(201)), LIMITS))).toMatch(/^the gas price is 201 gwei/);
  });
});

describe("fee properties", () => {
  it("an ok quote stays under both ceilings, is includable in the next block, and takes the market's tip at most", () => {
    fc.assert(
      fc.property(arbMarket, arbLimits, (m, limits) => {
        const q = quoteFees(m, limits);
        if (m.baseFee === null) {
          expect(q.ok).toBe(m.gasPrice <= limits.maxFeePerGas);
          if (q.ok) expect(q.fees).toEqual(legacy(m.gasPrice));
          else expect(q.reason).toMatch(/MAX_FEE_PER_GAS_GWEI/);
          return;
        }
        const tip = min(m.tip, limits.maxPriorityFee);
        expect(q.ok).toBe(m.baseFee + tip <= limits.maxFeePerGas);
        if (!q.ok) {
          expect(q.reason).toContain(gweiText(m.baseFee));
          expect(q.reason).toMatch(/MAX_FEE_PER_GAS_GWEI/);
          return;
        }
        if (q.fees.type !== 2) throw new Error("an EIP-1559 market gave a legacy quote");
        const { maxFeePerGas: cap, maxPriorityFeePerGas: t } = q.fees;
        expect(cap <= limits.maxFeePerGas).toBe(true);
        expect(t <= limits.maxPriorityFee).toBe(true);
        expect(t <= cap).toBe(true);
        expect(t).toBe(tip);
        expect(cap >= m.baseFee + t).toBe(true);
        expect(cap).toBe(min(2n * m.baseFee + t, limits.maxFeePerGas));
      }),
      { numRuns },
    );
  });

  it("an ok replacement keeps the type, stays under the ceilings, beats the previous version by the bump and meets the market", () => {
    fc.assert(
      fc.property(arbPrevious, arbMarket, arbLimits, (prev, m, limits) => {
        const q = replacementFees(prev, m, limits);
        const quote = quoteFees(m, limits);
        if (!q.ok) {
          expect(q.reason).toMatch(/MAX_FEE_PER_GAS_GWEI|MAX_PRIORITY_FEE_GWEI/);
          // Not a spurious refusal: the market, or the least acceptable replacement, is above a ceiling.
          if (!quote.ok) return;
          const marketTip = quote.fees.type === 2 ? quote.fees.maxPriorityFeePerGas : quote.fees.gasPrice;
          const needCap = prev.type === 2 ? bump(prev.maxFeePerGas, limits.bumpPercent) : bump(prev.gasPrice, limits.bumpPercent);
          const needTip = prev.type === 2 ? max(marketTip, bump(prev.maxPriorityFeePerGas, limits.bumpPercent)) : 0n;
          expect(needCap > limits.maxFeePerGas || needTip > limits.maxFeePerGas || needTip > limits.maxPriorityFee).toBe(true);
          return;
        }
        expect(quote.ok).toBe(true);
        if (!quote.ok) return;
        expect(q.fees.type).toBe(prev.type);
        const cap = feeCap(q.fees);
        expect(cap <= limits.maxFeePerGas).toBe(true);
        expect(cap >= bump(feeCap(prev), limits.bumpPercent)).toBe(true);
        expect(cap > feeCap(prev)).toBe(true);
        expect(cap >= feeCap(quote.fees)).toBe(true);
        if (q.fees.type === 2 && prev.type === 2) {
          const tip = q.fees.maxPriorityFeePerGas;
          expect(tip <= limits.maxPriorityFee).toBe(true);
          expect(tip <= cap).toBe(true);
          expect(tip >= bump(prev.maxPriorityFeePerGas, limits.bumpPercent)).toBe(true);
          expect(tip > prev.maxPriorityFeePerGas).toBe(true);
          if (quote.fees.type === 2) expect(tip >= quote.fees.maxPriorityFeePerGas).toBe(true);
        }
      }),
      { numRuns },
    );
  });

  it("a replacement satisfies geth's rule at 10%: both strictly higher and each at least old·110/100", () => {
    fc.assert(
      fc.property(arbPrevious, arbMarket, arbLimits, (prev, m, limits) => {
        const q = replacementFees(prev, m, { ...limits, bumpPercent: 10 });
        if (!q.ok) return;
        // A legacy transaction's fee cap and tip are both its gas price.
        const tipOf = (f: Fees) => (f.type === 2 ? f.maxPriorityFeePerGas : f.gasPrice);
        for (const [neu, old] of [
          [feeCap(q.fees), feeCap(prev)],
          [tipOf(q.fees), tipOf(prev)],
        ] as const) {
          expect(neu > old).toBe(true);
          expect(neu >= (old * 110n) / 100n).toBe(true);
        }
      }),
      { numRuns },
    );
  });
});
