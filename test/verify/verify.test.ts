// The verification pipeline against a fake chain that models the spec's on-chain facts.
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { serializeBundle } from "../../src/core/bundle.ts";
import { keccak256 } from "../../src/core/hash.ts";
import {
  ANCHOR_OF_SELECTOR,
  CHECK_NAMES,
  decodeAnchorOf,
  offlineOk,
  verifyBundle,
  type VerificationResult,
} from "../../src/verify/index.ts";
import { anchoredFixture, fakeReader, flipHex, jsonCopy } from "./fixture.ts";

const { bundles, facts } = anchoredFixture();
const chain = fakeReader(facts);

const failing = (r: VerificationResult): string[] => r.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
const skippedNames = (r: VerificationResult): string[] => r.checks.filter((c) => c.skipped).map((c) => c.name);

describe("verifyBundle", () => {
  it("accepts every bundle of the anchored batch, with every check in order", async () => {
    for (const b of bundles) {
      const r = await verifyBundle(JSON.parse(serializeBundle(b)), { chain });
      expect(r.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
      expect(failing(r)).toEqual([]);
      expect(r).toMatchObject({ valid: true, complete: true, anchoredAt: "2026-11-27T10:00:00Z", confirmations: 9 });
      expect(r.bundle).toEqual(b);
    }
  });

  it("accepts bundle text too", async () => {
    expect((await verifyBundle(serializeBundle(bundles[0]!), { chain })).valid).toBe(true);
  });

  it("writes short human details", async () => {
    const r = await verifyBundle(bundles[1], { chain });
    for (const c of r.checks) expect(c.detail.length, c.name).toBeLessThan(200);
    expect(r.checks.find((c) => c.name === "log")!.detail).toContain("as topic 1");
  });

  const root = bundles[2]!.batch!.root;
  // Each tampering, and exactly the checks it must fail.
  const tamperings: [string, (b: any) => void, string[]][] = [
    ["salt", (b) => (b.evidence.salt = flipHex(b.evidence.salt)), ["leaf"]],
    ["digest", (b) => (b.evidence.digest = flipHex(b.evidence.digest)), ["leaf"]],
    ["a meta field", (b) => (b.evidence.meta.caseId = "case-43"), ["leaf"]],
    ["an added meta field", (b) => (b.evidence.meta.note = "x"), ["leaf"]],
    ["the leaf hash", (b) => (b.leaf.hash = flipHex(b.leaf.hash)), ["leaf", "root"]],
    ["a path element", (b) => (b.batch.path[1] = flipHex(b.batch.path[1])), ["root"]],
    ["the leaf index", (b) => (b.leaf.index = 3), ["root"]],
    ["the leaf index past the size", (b) => (b.leaf.index = 5), ["root"]],
    // Leaf 2 of 5 has the same path shape in a tree of 8: only the contract's record catches it.
    ["the batch size (left leaf)", (b) => (b.batch.size = 8), ["contract"]],
    ["the batch root", (b) => (b.batch.root = flipHex(b.batch.root)), ["root", "log", "contract"]],
    ["the tx hash", (b) => (b.anchor.txHash = flipHex(b.anchor.txHash)), ["transaction", "log"]],
    ["the block hash", (b) => (b.anchor.blockHash = flipHex(b.anchor.blockHash)), ["block"]],
    ["the block timestamp", (b) => (b.anchor.blockTimestamp -= 1), ["block"]],
    ["the block number", (b) => (b.anchor.blockNumber = 13), ["transaction", "block", "contract"]],
    ["the contract", (b) => (b.anchor.contract = "0x" + "11".repeat(20)), ["transaction", "log", "contract"]],
  ];
  for (const [what, tamper, want] of tamperings) {
    it(`fails ${want.join(", ")} when ${what} is changed`, async () => {
      const b = jsonCopy(bundles[2]!);
      tamper(b);
      const r = await verifyBundle(b, { chain });
      expect(failing(r)).toEqual(want);
      expect(r.valid).toBe(false);
      expect(r.complete).toBe(true);
    });
  }

  it("fails root and contract when the size of the last (promoted) leaf's batch is changed", async () => {
    const b = jsonCopy(bundles[4]!);
    b.batch.size = 6;
    const r = await verifyBundle(b, { chain });
    expect(failing(r)).toEqual(["root", "contract"]);
    expect(r.checks.find((c) => c.name === "root")!.detail).toBe("wrong proof size 1, want 2");
  });

  it("fails the chain check on another chain id, and skips the other chain checks", async () => {
    const b = jsonCopy(bundles[0]!);
    b.anchor.chainId = 1;
    const r = await verifyBundle(b, { chain });
    expect(failing(r)).toEqual(["chain"]);
    expect(skippedNames(r)).toEqual(["transaction", "block", "log", "contract", "confirmations"]);
    expect(r.checks.find((c) => c.name === "chain")!.detail).toBe("the RPC endpoint serves chain 31337, the bundle names chain 1");
    expect(r).toMatchObject({ valid: false, complete: false, anchoredAt: null, confirmations: null });
  });

  it("names the leaf mismatch in the detail, both values in full", async () => {
    const b = jsonCopy(bundles[0]!);
    b.evidence.salt = flipHex(b.evidence.salt);
    const r = await verifyBundle(b);
    expect(r.checks[1]!.detail).toMatch(/^leaf hash 0x[0-9a-f]{64} does not match the recomputed 0x[0-9a-f]{64}$/);
  });

  it("a block hash changed in its last digit reads differently from the real one", async () => {
    const b = jsonCopy(bundles[0]!);
    b.anchor.blockHash = flipHex(b.anchor.blockHash);
    const detail = (await verifyBundle(b, { chain })).checks.find((c) => c.name === "block")!.detail;
    expect(detail).toBe(`block 12 has hash ${bundles[0]!.anchor!.blockHash}, the bundle says ${b.anchor.blockHash}`);
  });

  it("reports a malformed bundle as a failed format check and skips the rest", async () => {
    const b = jsonCopy(bundles[0]!);
    b.batch.path[2] = "0xAB";
    const r = await verifyBundle(b, { chain });
    expect(r.checks[0]).toEqual({ name: "format", ok: false, detail: "/batch/path/2: expected 0x followed by 64 lowercase hex digits" });
    expect(skippedNames(r)).toEqual(CHECK_NAMES.slice(1));
    expect(r).toMatchObject({ valid: false, complete: false, bundle: null });
    expect((await verifyBundle("{nope")).checks[0]!.detail).toMatch(/^malformed JSON/);
    expect((await verifyBundle(undefined)).checks[0]!.ok).toBe(false);
  });

  it("offline: runs format, leaf and root only; not valid, not complete, offlineOk", async () => {
    const r = await verifyBundle(bundles[0]);
    expect(r.checks.filter((c) => c.ok).map((c) => c.name)).toEqual(["format", "leaf", "root"]);
    expect(r.checks.find((c) => c.name === "chain")!.detail).toBe("skipped: no chain reader given (offline verification)");
    expect(r).toMatchObject({ valid: false, complete: false, anchoredAt: null, confirmations: null });
    expect(offlineOk(r)).toBe(true);
    const bad = jsonCopy(bundles[0]!);
    bad.evidence.digest = flipHex(bad.evidence.digest);
    expect(offlineOk(await verifyBundle(bad))).toBe(false);
  });

  it("skips chain checks for an unanchored bundle, and leaf and root for a pending one", async () => {
    const b = jsonCopy(bundles[0]!);
    b.anchor = null;
    const r = await verifyBundle(b, { chain });
    expect(skippedNames(r)).toEqual(["chain", "transaction", "block", "log", "contract", "confirmations"]);
    expect(r.checks[3]!.detail).toBe("skipped: the batch is not anchored yet");
    b.leaf = b.batch = null;
    const p = await verifyBundle(b, { chain });
    expect(skippedNames(p)).toEqual(CHECK_NAMES.slice(1));
    expect(offlineOk(p)).toBe(true);
    expect(p.valid).toBe(false);
  });

  it("turns every RPC failure into a failed check, never an exception", async () => {
    const boom = (what: string) => async (): Promise<never> => {
      throw new Error(`${what}: connection refused`);
    };
    const r1 = await verifyBundle(bundles[0], { chain: fakeReader(facts, { getBlock: boom("eth_getBlockByNumber") }) });
    expect(failing(r1)).toEqual(["block"]);
    expect(r1.checks.find((c) => c.name === "block")!.detail).toBe("RPC error: eth_getBlockByNumber: connection refused");
    expect(r1.anchoredAt).toBeNull();

    const r2 = await verifyBundle(bundles[0], { chain: fakeReader(facts, { getTransactionReceipt: boom("receipt") }) });
    expect(failing(r2)).toEqual(["transaction", "log"]);

    const r3 = await verifyBundle(bundles[0], { chain: fakeReader(facts, { call: boom("eth_call"), blockNumber: boom("eth_blockNumber") }) });
    expect(failing(r3)).toEqual(["contract", "confirmations"]);
    expect(r3.confirmations).toBeNull();

    const r4 = await verifyBundle(bundles[0], { chain: fakeReader(facts, { chainId: boom("eth_chainId") }) });
    expect(failing(r4)).toEqual(["chain"]);
    expect(r4.checks[3]!.detail).toBe("RPC error: eth_chainId: connection refused");

    const r5 = await verifyBundle(bundles[0], { chain: fakeReader(facts, { call: async () => "0x1234" }) });
    expect(r5.checks.find((c) => c.name === "contract")!.detail).toMatch(/^anchorOf returned malformed data/);
  });

  it("fails the transaction check for a reverted or pending transaction", async () => {
    const txHash = bundles[0]!.anchor!.txHash;
    const reverted = { ...facts, txs: new Map([[txHash, { ...facts.txs.get(txHash)!, status: 0 }]]) };
    const r = await verifyBundle(bundles[0], { chain: fakeReader(reverted) });
    expect(failing(r)).toEqual(["transaction"]);
    expect(r.checks.find((c) => c.name === "transaction")!.detail).toContain("failed (status 0)");
    const pending = await verifyBundle(bundles[0], {
      chain: fakeReader(facts, { getTransaction: async (hash) => ({ hash, to: null, blockNumber: null, blockHash: null }) }),
    });
    expect(pending.checks.find((c) => c.name === "transaction")!.detail).toContain("still pending");
  });

  it("fails the log check when the contract's log does not carry the root, and finds it in data too", async () => {
    const txHash = bundles[0]!.anchor!.txHash;
    const tx = facts.txs.get(txHash)!;
    const logs = tx.logs.map((l) => ({ ...l, topics: l.topics.filter((t) => t !== root) }));
    const noRoot = await verifyBundle(bundles[0], { chain: fakeReader({ ...facts, txs: new Map([[txHash, { ...tx, logs }]]) }) });
    expect(failing(noRoot)).toEqual(["log"]);
    const inData = logs.map((l, i) => (i === 1 ? { ...l, data: l.data + root.slice(2).toUpperCase() } : l));
    const found = await verifyBundle(bundles[0], { chain: fakeReader({ ...facts, txs: new Map([[txHash, { ...tx, logs: inData }]]) }) });
    expect(found.valid).toBe(true);
    expect(found.checks.find((c) => c.name === "log")!.detail).toContain("in data word 2");
    // Not word-aligned: the root's bytes straddling two words do not count.
    const shifted = logs.map((l, i) => (i === 1 ? { ...l, data: "0x00" + root.slice(2) + "00".repeat(31) } : l));
    const r = await verifyBundle(bundles[0], { chain: fakeReader({ ...facts, txs: new Map([[txHash, { ...tx, logs: shifted }]]) }) });
    expect(failing(r)).toEqual(["log"]);
  });

  it("counts confirmations against the minimum asked for", async () => {
    const r = await verifyBundle(bundles[0], { chain, minConfirmations: 10 });
    expect(failing(r)).toEqual(["confirmations"]);
    expect(r.confirmations).toBe(9);
    expect(r.checks.at(-1)!.detail).toBe("9 confirmation(s), fewer than the 10 asked for");
    expect((await verifyBundle(bundles[0], { chain, minConfirmations: 9 })).valid).toBe(true);
    const behind = await verifyBundle(bundles[0], { chain: fakeReader({ ...facts, latest: 11 }) });
    expect(failing(behind)).toEqual(["confirmations"]);
    await expect(verifyBundle(bundles[0], { minConfirmations: -1 })).rejects.toThrow("minConfirmations");
  });
});

describe("anchorOf ABI", () => {
  it("selector is keccak256('anchorOf(bytes32)')[0:4]", () => {
    expect(ANCHOR_OF_SELECTOR).toBe(toHex(keccak256(new TextEncoder().encode("anchorOf(bytes32)")).subarray(0, 4)));
  });

  it("decodes five words and rejects what is not bool/uint64", () => {
    const w = (n: bigint): string => n.toString(16).padStart(64, "0");
    expect(decodeAnchorOf("0x" + w(1n) + w(7n) + w(5n) + w(12n) + w(99n))).toEqual({ anchored: true, seq: 7n, size: 5n, blockNumber: 12n, timestamp: 99n });
    expect(() => decodeAnchorOf("0x" + w(2n) + w(0n).repeat(4))).toThrow("not a bool");
    expect(() => decodeAnchorOf("0x" + w(1n) + w(1n << 64n) + w(0n).repeat(3))).toThrow("word 1 is not a uint64");
    expect(() => decodeAnchorOf("0x")).toThrow("expected 5 ABI words, got 0 bytes");
  });
});
