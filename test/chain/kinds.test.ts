// chainKind (src/chain/kinds.ts): development chains are volatile and never final, public
// chains wait for confirmations and finality, unknown ids get the cautious Ethereum numbers,
// and CONFIRMATIONS overrides the default (raising finality when it is deeper).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainKind, DEV_CHAIN_IDS } from "../../src/chain/kinds.ts";

const numRuns = Number(process.env.FC_RUNS ?? 100);

describe("chainKind", () => {
  it.each([31337, 1337])("treats chain %i as a volatile development chain: 1 confirmation, never final", (id) => {
    expect(chainKind(id)).toEqual({ name: "development chain", confirmations: 1, finalityBlocks: Number.POSITIVE_INFINITY, volatile: true });
    expect(DEV_CHAIN_IDS.has(id)).toBe(true);
  });

  it("treats a node the service started itself as a development chain, whatever its id", () => {
    for (const id of [1, 137, 424242]) {
      expect(chainKind(id, { local: true })).toMatchObject({ confirmations: 1, finalityBlocks: Number.POSITIVE_INFINITY, volatile: true });
    }
    expect(chainKind(1, { local: false })).toMatchObject({ name: "Ethereum", volatile: false });
  });

  it("waits 12 confirmations on Ethereum and treats 64 blocks as final", () => {
    expect(chainKind(1)).toEqual({ name: "Ethereum", confirmations: 12, finalityBlocks: 64, volatile: false });
    expect(DEV_CHAIN_IDS.has(1)).toBe(false);
  });

  it("gives chains it does not know the cautious Ethereum numbers", () => {
    for (const id of [2, 424242, 999_999_999]) {
      expect(chainKind(id)).toEqual({ name: "EVM chain", confirmations: 12, finalityBlocks: 64, volatile: false });
    }
  });

  it("lets CONFIRMATIONS override the default, keeping finality when it is shallower", () => {
    expect(chainKind(1, { confirmations: 3 })).toEqual({ name: "Ethereum", confirmations: 3, finalityBlocks: 64, volatile: false });
    expect(chainKind(424242, { confirmations: 64 })).toMatchObject({ confirmations: 64, finalityBlocks: 64 });
    expect(chainKind(1, { confirmations: undefined })).toEqual(chainKind(1));
  });

  it("raises finality to CONFIRMATIONS when it is deeper: a shown anchor is never past finality unconfirmed", () => {
    expect(chainKind(1, { confirmations: 100 })).toEqual({ name: "Ethereum", confirmations: 100, finalityBlocks: 100, volatile: false });
    expect(chainKind(424242, { confirmations: 65 })).toMatchObject({ confirmations: 65, finalityBlocks: 65 });
  });

  it("keeps a development chain volatile and never final under CONFIRMATIONS", () => {
    expect(chainKind(31337, { confirmations: 5 })).toEqual({
      name: "development chain",
      confirmations: 5,
      finalityBlocks: Number.POSITIVE_INFINITY,
      volatile: true,
    });
    expect(chainKind(1, { local: true, confirmations: 5 })).toMatchObject({ confirmations: 5, volatile: true, finalityBlocks: Number.POSITIVE_INFINITY });
  });

  it("never has finality shallower than its confirmations, for any chain id and CONFIRMATIONS", () => {
    // Known ids, development ids and random ones; CONFIRMATIONS as config allows (1 to 1000) or unset.
    const id = fc.oneof(fc.constantFrom(1, 10, 56, 137, 1337, 8453, 17000, 31337, 42161, 11155111), fc.nat());
    fc.assert(
      fc.property(id, fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), fc.boolean(), (chainId, confirmations, local) => {
        const kind = chainKind(chainId, { local, confirmations });
        expect(kind.confirmations).toBeGreaterThanOrEqual(1);
        expect(kind.finalityBlocks).toBeGreaterThanOrEqual(kind.confirmations);
        if (confirmations !== undefined) expect(kind.confirmations).toBe(confirmations);
        expect(kind.volatile).toBe(local || DEV_CHAIN_IDS.has(chainId));
        if (kind.volatile) expect(kind.finalityBlocks).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns },
    );
  });
});
