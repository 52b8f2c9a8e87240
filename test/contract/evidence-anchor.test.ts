// Tests of contracts/EvidenceAnchor.sol on Hardhat's in-process network: roles, records, the
// hash chain, every custom error, gas bounds, and RFC 6962 / RFC 9162 inclusion proofs.
import { describe, expect, it } from "vitest";
import type { Contract, EventLog, Log } from "ethers";
import { inclusionProof, merkleRoot } from "../../src/core/merkle.ts";
import {
  deployAnchor,
  expectCustomError,
  fromHex,
  hex,
  leafHash,
  mined,
  nextHead,
  nodeHash,
  refPath,
  refRoot,
  sha256,
  uint64be,
} from "./fixture.ts";

const ZERO32 = "0x" + "00".repeat(32);
const ZERO_ADDRESS = "0x" + "00".repeat(20);
const TIMEOUT = { timeout: 120_000 };

/** A distinct, non-zero 32-byte root for tests that do not care about its tree. */
function fakeRoot(n: number): string {
  return hex(sha256(new TextEncoder().encode(`root ${n}`)));
}

/** The contract's whole history: its Anchored events from block 0, in log order. */
async function history(contract: Contract) {
  return anchoredEvents(contract, await contract.queryFilter(contract.filters.Anchored!(), 0));
}

function anchoredEvents(contract: Contract, logs: readonly (Log | EventLog)[]) {
  return logs
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === "Anchored")
    .map((parsed) => ({
      root: parsed!.args[0] as string,
      seq: parsed!.args[1] as bigint,
      size: parsed!.args[2] as bigint,
      head: parsed!.args[3] as string,
    }));
}

/** Every event of `contract` in `logs`, as [name, args]. */
function events(contract: Contract, logs: readonly (Log | EventLog)[]): [string, unknown[]][] {
  return logs
    .filter((log) => log.address === contract.target)
    .map((log) => contract.interface.parseLog(log)!)
    .map((parsed) => [parsed.name, [...parsed.args]]);
}

// RFC 6962 reference tree (Certificate Transparency test vectors), from proof-format-v1.
const RFC6962_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const RFC6962_ROOTS = [
  "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "0xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "0xaeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "0x4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "0x76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "0xddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "0x5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const RFC6962_PATH_0_OF_8 = [
  "0x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
  "0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
  "0x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
];
const rfcLeaves = RFC6962_INPUTS.map((input) => leafHash(fromHex(input)));

/** Leaf hashes for synthetic trees: SHA-256(0x00 || "leaf i"). */
function syntheticLeaves(size: number, salt = 0): Uint8Array[] {
  return Array.from({ length: size }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${salt}/${i}`)));
}

/** Deterministic "random" sizes in 9..70 (xorshift32, fixed seed) plus the power-of-two edges. */
function largerSizes(): number[] {
  let x = 0x9e3779b9;
  const sizes = new Set<number>([16, 17, 32, 33, 63, 64, 65]);
  while (sizes.size < 12) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    sizes.add(9 + (x % 62));
  }
  return [...sizes].sort((a, b) => a - b);
}

/** Flips the lowest bit of the last byte of `value`. */
function flipBit(value: string): string {
  const bytes = fromHex(value);
  bytes[bytes.length - 1]! ^= 0x01;
  return hex(bytes);
}

/**
 * Gas that anchoring must spend whatever the code (EIP-2929/2200/3529 prices; docs/anchoring.md,
 * "Gas"): a transaction, its calldata, per root a new storage slot for the record, a LOG3 with
 * 64 bytes of data and a SHA-256 of 72 bytes, and per transaction two cold non-zero slots
 * rewritten (the head; the count, which shares its slot with the anchorer).
 */
const GAS = {
  transaction: 21_000n,
  /** Zero to non-zero, cold: 20,000 + 2,100. */
  newSlot: 22_100n,
  /** Non-zero to non-zero, cold: 2,900 + 2,100. */
  coldUpdate: 5_000n,
  /** LOG3: 375 + 3 topics x 375 + 64 data bytes x 8. */
  anchoredLog: 375n + 3n * 375n + 64n * 8n,
  /** STATICCALL to the precompile (warm, 100) + 60 + 12 per 32-byte word of the 72 bytes. */
  sha256Step: 100n + 60n + 12n * 3n,
  /** The first anchor writes the head from zero: a new slot instead of an update. */
  firstHead: 22_100n - 5_000n,
};

/** EIP-2028 calldata cost: 16 gas per non-zero byte, 4 per zero byte. */
function calldataGas(data: string): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

/** The floor of a transaction with calldata `data` that anchors `roots` roots. */
function gasFloor(data: string, roots: number): bigint {
  const n = BigInt(roots);
  return GAS.transaction + calldataGas(data) + 2n * GAS.coldUpdate + n * (GAS.newSlot + GAS.anchoredLog + GAS.sha256Step);
}

describe("EvidenceAnchor: reference Merkle implementation of this test file", () => {
  it("reproduces the RFC 6962 reference roots for sizes 0..8", () => {
    for (let size = 0; size <= 8; size++) {
      expect(hex(refRoot(rfcLeaves.slice(0, size))), `size ${size}`).toBe(RFC6962_ROOTS[size]);
    }
  });

  it("reproduces the published inclusion path of index 0 in the size-8 tree", () => {
    expect(refPath(0, rfcLeaves).map(hex)).toEqual(RFC6962_PATH_0_OF_8);
  });
});

describe("EvidenceAnchor: deployment, the anchorer and its owner", TIMEOUT, () => {
  it("makes admin the owner and anchorer the anchorer, and says so in events", async () => {
    const { anchor, deployment, admin, anchorer } = await deployAnchor();
    expect(await anchor.getFunction("owner")()).toBe(admin.address);
    expect(await anchor.getFunction("pendingOwner")()).toBe(ZERO_ADDRESS);
    expect(await anchor.getFunction("anchorer")()).toBe(anchorer.address);
    expect(events(anchor, deployment.logs)).toEqual([
      ["OwnershipTransferred", [ZERO_ADDRESS, admin.address]],
      ["AnchorerChanged", [ZERO_ADDRESS, anchorer.address]],
    ]);
  });

  it("starts empty: count 0, head zero, no record", async () => {
    const { anchor } = await deployAnchor();
    expect(await anchor.getFunction("count")()).toBe(0n);
    expect(await anchor.getFunction("head")()).toBe(ZERO32);
    expect([...(await anchor.getFunction("anchorOf")(fakeRoot(1)))]).toEqual([false, 0n, 0n, 0n, 0n]);
  });

  it("lets nobody anchor when the anchorer is the zero address", async () => {
    const { anchor, deployment, admin, anchorer } = await deployAnchor({ anchorer: null });
    expect(await anchor.getFunction("anchorer")()).toBe(ZERO_ADDRESS);
    expect(events(anchor, deployment.logs).map(([name]) => name)).toEqual(["OwnershipTransferred"]);
    for (const signer of [admin, anchorer]) {
      const as = anchor.connect(signer) as Contract;
      await expectCustomError(as.getFunction("anchor")(fakeRoot(1), 1), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [signer.address]);
      await expectCustomError(as.getFunction("anchorMany")([fakeRoot(1)], [1]), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [
        signer.address,
      ]);
    }
  });

  it("refuses a zero owner at deployment: the anchorer could never be replaced", async () => {
    const { ethers, anchor, anchorer } = await deployAnchor();
    await expectCustomError(ethers.deployContract("EvidenceAnchor", [ZERO_ADDRESS, anchorer.address]), anchor.interface, "OwnableInvalidOwner", [
      ZERO_ADDRESS,
    ]);
  });

  it("rejects anchor from any account but the anchorer, including the owner", async () => {
    const { anchor, admin, other } = await deployAnchor();
    for (const signer of [admin, other]) {
      await expectCustomError(
        (anchor.connect(signer) as Contract).getFunction("anchor")(fakeRoot(1), 1),
        anchor.interface,
        "EvidenceAnchorUnauthorizedAccount",
        [signer.address],
      );
    }
    expect(await anchor.getFunction("count")()).toBe(0n);
  });

  it("rotates the anchoring key: setAnchorer takes effect at once, and the sequence goes on", async () => {
    const { anchor, admin, anchorer, other } = await deployAnchor();
    const asOwner = anchor.connect(admin) as Contract;
    const asOther = anchor.connect(other) as Contract;
    await mined(anchor.getFunction("anchor")(fakeRoot(1), 1));
    const headBefore: string = await anchor.getFunction("head")();

    const rotation = await mined(asOwner.getFunction("setAnchorer")(other.address));
    expect(events(anchor, rotation.logs)).toEqual([["AnchorerChanged", [anchorer.address, other.address]]]);
    expect(await anchor.getFunction("anchorer")()).toBe(other.address);

    // The old key is refused from the next transaction on, by both entry points.
    await expectCustomError(anchor.getFunction("anchor")(fakeRoot(2), 1), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [anchorer.address]);
    await expectCustomError(anchor.getFunction("anchorMany")([fakeRoot(2)], [1]), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [
      anchorer.address,
    ]);
    // The new key continues the same sequence and hash chain.
    const receipt = await mined(asOther.getFunction("anchor")(fakeRoot(2), 3));
    expect(anchoredEvents(anchor, receipt.logs)).toEqual([{ root: fakeRoot(2), seq: 1n, size: 3n, head: nextHead(headBefore, fakeRoot(2), 3n) }]);
    expect(await anchor.getFunction("count")()).toBe(2n);
  });

  it("stops all anchoring with setAnchorer(0), and resumes with a new anchorer", async () => {
    const { anchor, admin, anchorer } = await deployAnchor();
    const asOwner = anchor.connect(admin) as Contract;
    await mined(anchor.getFunction("anchor")(fakeRoot(1), 1));
    const revocation = await mined(asOwner.getFunction("setAnchorer")(ZERO_ADDRESS));
    expect(events(anchor, revocation.logs)).toEqual([["AnchorerChanged", [anchorer.address, ZERO_ADDRESS]]]);
    await expectCustomError(anchor.getFunction("anchor")(fakeRoot(2), 1), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [anchorer.address]);
    expect(await anchor.getFunction("count")()).toBe(1n);

    await mined(asOwner.getFunction("setAnchorer")(anchorer.address));
    expect(await anchor.getFunction("anchor").staticCall(fakeRoot(2), 1)).toBe(1n);
  });

  it("does not let anyone but the owner set the anchorer, not even the anchorer", async () => {
    const { anchor, anchorer, other } = await deployAnchor();
    for (const signer of [anchorer, other]) {
      const as = anchor.connect(signer) as Contract;
      for (const to of [other.address, signer.address, ZERO_ADDRESS]) {
        await expectCustomError(as.getFunction("setAnchorer")(to), anchor.interface, "OwnableUnauthorizedAccount", [signer.address]);
      }
    }
    expect(await anchor.getFunction("anchorer")()).toBe(anchorer.address);
  });

  it("moves ownership in two steps: only the account that accepts becomes owner", async () => {
    const { anchor, admin, anchorer, other } = await deployAnchor();
    const asOwner = anchor.connect(admin) as Contract;
    const asOther = anchor.connect(other) as Contract;
    await mined(asOwner.getFunction("transferOwnership")(other.address));
    expect(await anchor.getFunction("pendingOwner")()).toBe(other.address);
    expect(await anchor.getFunction("owner")()).toBe(admin.address);
    // Until it is accepted, the old owner still decides and the new one does not.
    await expectCustomError(asOther.getFunction("setAnchorer")(other.address), anchor.interface, "OwnableUnauthorizedAccount", [other.address]);
    await expectCustomError(anchor.getFunction("acceptOwnership")(), anchor.interface, "OwnableUnauthorizedAccount", [anchorer.address]);

    await mined(asOther.getFunction("acceptOwnership")());
    expect(await anchor.getFunction("owner")()).toBe(other.address);
    expect(await anchor.getFunction("pendingOwner")()).toBe(ZERO_ADDRESS);
    await expectCustomError(asOwner.getFunction("setAnchorer")(admin.address), anchor.interface, "OwnableUnauthorizedAccount", [admin.address]);
    await mined(asOther.getFunction("setAnchorer")(other.address));
    expect(await anchor.getFunction("anchorer")()).toBe(other.address);
  });

  it("keeps the anchorer for good once ownership is renounced", async () => {
    const { anchor, admin } = await deployAnchor();
    const asOwner = anchor.connect(admin) as Contract;
    await mined(asOwner.getFunction("renounceOwnership")());
    expect(await anchor.getFunction("owner")()).toBe(ZERO_ADDRESS);
    await expectCustomError(asOwner.getFunction("setAnchorer")(admin.address), anchor.interface, "OwnableUnauthorizedAccount", [admin.address]);
    await mined(anchor.getFunction("anchor")(fakeRoot(1), 1));
    expect(await anchor.getFunction("count")()).toBe(1n);
  });
});

describe("EvidenceAnchor: anchoring", TIMEOUT, () => {
  it("returns the next zero-based seq", async () => {
    const { anchor } = await deployAnchor();
    expect(await anchor.getFunction("anchor").staticCall(fakeRoot(1), 5)).toBe(0n);
    await mined(anchor.getFunction("anchor")(fakeRoot(1), 5));
    expect(await anchor.getFunction("anchor").staticCall(fakeRoot(2), 5)).toBe(1n);
  });

  it("records seq, size, block number and timestamp of the receipt's block", async () => {
    const { ethers, anchor } = await deployAnchor();
    const sizes = [1, 7, 2n ** 64n - 1n];
    for (const [i, size] of sizes.entries()) {
      const root = fakeRoot(i);
      const receipt = await mined(anchor.getFunction("anchor")(root, size));
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      expect(block).not.toBeNull();
      expect(block!.hash).toBe(receipt.blockHash);
      const [anchored, seq, recordedSize, blockNumber, timestamp] = await anchor.getFunction("anchorOf")(root);
      expect(anchored).toBe(true);
      expect(seq).toBe(BigInt(i));
      expect(recordedSize).toBe(BigInt(size));
      expect(blockNumber).toBe(BigInt(receipt.blockNumber));
      expect(timestamp).toBe(BigInt(block!.timestamp));
      expect(timestamp).toBeGreaterThan(0n);
    }
    expect(await anchor.getFunction("count")()).toBe(BigInt(sizes.length));
    expect((await history(anchor)).map((e) => [e.seq, e.root])).toEqual(sizes.map((_, i) => [BigInt(i), fakeRoot(i)]));
  });

  it("emits Anchored(root, seq, size, head) and chains heads as sha256(prevHead || root || uint64 size)", async () => {
    const { anchor } = await deployAnchor();
    const batches: [string, bigint][] = [
      [fakeRoot(10), 1n],
      [fakeRoot(11), 8n],
      [fakeRoot(12), 70n],
      [fakeRoot(13), 2n ** 64n - 1n],
      [fakeRoot(14), 256n],
    ];
    let expectedHead = ZERO32;
    const headsFromEvents: string[] = [];
    for (const [seq, [root, size]] of batches.entries()) {
      expectedHead = nextHead(expectedHead, root, size);
      const receipt = await mined(anchor.getFunction("anchor")(root, size));
      expect(receipt.logs).toHaveLength(1);
      const log = receipt.logs[0]!;
      expect(log.address).toBe(await anchor.getAddress());
      // root and seq are indexed topics (the log check of proof-format-v1 looks for the root there).
      expect(log.topics[0]).toBe(anchor.interface.getEvent("Anchored")!.topicHash);
      expect(log.topics[1]).toBe(root);
      expect(BigInt(log.topics[2]!)).toBe(BigInt(seq));
      const events = anchoredEvents(anchor, receipt.logs);
      expect(events).toEqual([{ root, seq: BigInt(seq), size, head: expectedHead }]);
      expect(await anchor.getFunction("head")()).toBe(expectedHead);
      headsFromEvents.push(events[0]!.head);
    }

    // Recompute the whole chain from the on-chain history (the contract's logs, and anchorOf).
    let replay = ZERO32;
    const count = Number(await anchor.getFunction("count")());
    expect(count).toBe(batches.length);
    const logged = await history(anchor);
    expect(logged.map((e) => e.seq)).toEqual(batches.map((_, seq) => BigInt(seq)));
    for (const { root, seq, size } of logged) {
      const [, recordedSeq, recordedSize] = await anchor.getFunction("anchorOf")(root);
      expect([recordedSeq, recordedSize]).toEqual([seq, size]);
      replay = nextHead(replay, root, size);
      expect(replay).toBe(headsFromEvents[Number(seq)]);
    }
    expect(replay).toBe(await anchor.getFunction("head")());

    // Dropping a batch from the history no longer reproduces the head.
    let withoutOne = ZERO32;
    for (const [i, [root, size]] of batches.entries()) if (i !== 2) withoutOne = nextHead(withoutOne, root, size);
    expect(withoutOne).not.toBe(replay);
  });

  it("hashes exactly the 72 bytes prevHead || root || uint64 big-endian size", async () => {
    const { anchor } = await deployAnchor();
    const root = fakeRoot(42);
    const size = 0x0102030405060708n;
    await mined(anchor.getFunction("anchor")(root, size));
    const preimage = new Uint8Array([...fromHex(ZERO32), ...fromHex(root), ...uint64be(size)]);
    expect(preimage).toHaveLength(72);
    expect(await anchor.getFunction("head")()).toBe(hex(sha256(preimage)));
  });

  it("reverts EvidenceAnchorZeroRoot for a zero root", async () => {
    const { anchor } = await deployAnchor();
    await expectCustomError(anchor.getFunction("anchor")(ZERO32, 1), anchor.interface, "EvidenceAnchorZeroRoot", []);
  });

  it("reverts EvidenceAnchorZeroSize for a zero size", async () => {
    const { anchor } = await deployAnchor();
    await expectCustomError(anchor.getFunction("anchor")(fakeRoot(1), 0), anchor.interface, "EvidenceAnchorZeroSize", []);
  });

  it("reverts EvidenceAnchorAlreadyAnchored(root, seq) for a root anchored before, whatever the size", async () => {
    const { anchor } = await deployAnchor();
    for (let i = 0; i < 3; i++) await mined(anchor.getFunction("anchor")(fakeRoot(i), 4));
    const headBefore = await anchor.getFunction("head")();
    for (const size of [4, 5]) {
      await expectCustomError(anchor.getFunction("anchor")(fakeRoot(1), size), anchor.interface, "EvidenceAnchorAlreadyAnchored", [
        fakeRoot(1),
        1n,
      ]);
    }
    await expectCustomError(anchor.getFunction("anchor")(fakeRoot(0), 4), anchor.interface, "EvidenceAnchorAlreadyAnchored", [
      fakeRoot(0),
      0n,
    ]);
    expect(await anchor.getFunction("count")()).toBe(3n);
    expect(await anchor.getFunction("head")()).toBe(headBefore);
  });

  it("keeps no list of roots in storage: the Anchored logs, filtered by the indexed seq, give the root of each seq", async () => {
    const { anchor } = await deployAnchor();
    expect(anchor.interface.getFunction("rootAt")).toBeNull();
    for (let i = 0; i < 3; i++) await mined(anchor.getFunction("anchor")(fakeRoot(i), i + 1));
    const filter = anchor.filters.Anchored!;
    for (let seq = 0; seq < 3; seq++) {
      const logs = await anchor.queryFilter(filter(null, seq), 0);
      expect(anchoredEvents(anchor, logs).map((e) => e.root)).toEqual([fakeRoot(seq)]);
    }
    expect(await anchor.queryFilter(filter(null, 3), 0)).toEqual([]);
  });

  it("reverts EvidenceAnchorNotAnchored(root) in verifyInclusion for an unknown root", async () => {
    const { anchor } = await deployAnchor();
    const root = hex(refRoot(rfcLeaves));
    const verify = anchor.getFunction("verifyInclusion");
    await expectCustomError(verify(root, rfcLeaves[0]!, 0, RFC6962_PATH_0_OF_8), anchor.interface, "EvidenceAnchorNotAnchored", [root]);
    await expectCustomError(verify(ZERO32, ZERO32, 0, []), anchor.interface, "EvidenceAnchorNotAnchored", [ZERO32]);
  });

  it("costs at most 1.15x the floor of what anchor() must store and emit (docs/anchoring.md, Gas)", async () => {
    const { ethers, anchor } = await deployAnchor();
    const spent: { gas: bigint; floor: bigint }[] = [];
    for (let i = 0; i < 4; i++) {
      const receipt = await mined(anchor.getFunction("anchor")(fakeRoot(i), 1000 + i));
      const tx = await ethers.provider.getTransaction(receipt.hash);
      // The first anchor also turns the head's slot from zero to non-zero.
      const floor = gasFloor(tx!.data, 1) + (i === 0 ? GAS.firstHead : 0n);
      spent.push({ gas: receipt.gasUsed, floor });
    }
    // Measured (solc 0.8.28, optimizer 200 runs, EDR 0.3.8): 75,480 for the first anchor, 58,380
    // after, against floors of 73,136 and 56,036 (1.04x); before: 116,658 and 82,458.
    for (const [i, { gas, floor }] of spent.entries()) {
      expect(gas, `anchor #${i}`).toBeGreaterThanOrEqual(floor);
      expect(gas * 100n, `anchor #${i}: ${gas} gas, floor ${floor}`).toBeLessThanOrEqual(floor * 115n);
    }
  });
});

describe("EvidenceAnchor: anchorMany", TIMEOUT, () => {
  it("records each root as anchor() would, in order, with its own event and place in the hash chain", async () => {
    const { ethers, anchor } = await deployAnchor();
    await mined(anchor.getFunction("anchor")(fakeRoot(0), 3));
    const roots = [fakeRoot(1), fakeRoot(2), fakeRoot(3)];
    const sizes = [1n, 70n, 2n ** 64n - 1n];
    expect(await anchor.getFunction("anchorMany").staticCall(roots, sizes)).toBe(1n);
    const receipt = await mined(anchor.getFunction("anchorMany")(roots, sizes));
    const block = await ethers.provider.getBlock(receipt.blockNumber);

    let head = nextHead(ZERO32, fakeRoot(0), 3n);
    const expected = roots.map((root, i) => {
      head = nextHead(head, root, sizes[i]!);
      return { root, seq: BigInt(i + 1), size: sizes[i]!, head };
    });
    expect(anchoredEvents(anchor, receipt.logs)).toEqual(expected);
    // Each root is a topic of its own log: the proof format's `log` check finds it there.
    expect(receipt.logs.map((l) => l.topics[1])).toEqual(roots);
    for (const [i, root] of roots.entries()) {
      const [anchored, seq, size, blockNumber, timestamp] = await anchor.getFunction("anchorOf")(root);
      expect([anchored, seq, size, blockNumber, timestamp]).toEqual([
        true,
        BigInt(i + 1),
        sizes[i],
        BigInt(receipt.blockNumber),
        BigInt(block!.timestamp),
      ]);
    }
    expect((await history(anchor)).map((e) => e.root)).toEqual([fakeRoot(0), ...roots]);
    expect(await anchor.getFunction("count")()).toBe(4n);
    expect(await anchor.getFunction("head")()).toBe(head);
  });

  it("is all or nothing: one bad root reverts the whole call with that root's error", async () => {
    const { anchor } = await deployAnchor();
    await mined(anchor.getFunction("anchor")(fakeRoot(1), 4));
    const many = anchor.getFunction("anchorMany");
    await expectCustomError(many([fakeRoot(2), fakeRoot(1)], [1, 1]), anchor.interface, "EvidenceAnchorAlreadyAnchored", [fakeRoot(1), 0n]);
    await expectCustomError(many([fakeRoot(2), fakeRoot(2)], [1, 1]), anchor.interface, "EvidenceAnchorAlreadyAnchored", [fakeRoot(2), 1n]);
    await expectCustomError(many([fakeRoot(2), ZERO32], [1, 1]), anchor.interface, "EvidenceAnchorZeroRoot", []);
    await expectCustomError(many([fakeRoot(2)], [0]), anchor.interface, "EvidenceAnchorZeroSize", []);
    await expectCustomError(many([], []), anchor.interface, "EvidenceAnchorLengthMismatch", [0n, 0n]);
    await expectCustomError(many([fakeRoot(2)], [1, 2]), anchor.interface, "EvidenceAnchorLengthMismatch", [1n, 2n]);
    expect(await anchor.getFunction("count")()).toBe(1n);
  });

  it("refuses every caller but the anchorer, before looking at its arguments", async () => {
    const { anchor, admin, other } = await deployAnchor();
    for (const signer of [admin, other]) {
      const many = (anchor.connect(signer) as Contract).getFunction("anchorMany");
      await expectCustomError(many([fakeRoot(1)], [1]), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [signer.address]);
      await expectCustomError(many([], []), anchor.interface, "EvidenceAnchorUnauthorizedAccount", [signer.address]);
    }
  });

  it("costs at most 1.15x its floor for 1, 2, 8 and 64 roots, and per added root", TIMEOUT, async () => {
    const { ethers, anchor } = await deployAnchor();
    await mined(anchor.getFunction("anchor")(fakeRoot(0), 1)); // the head's first write is paid
    const spent = new Map<number, { gas: bigint; floor: bigint; calldata: bigint }>();
    for (const n of [1, 2, 8, 64]) {
      const roots = Array.from({ length: n }, (_, i) => fakeRoot(1000 * n + i));
      const receipt = await mined(anchor.getFunction("anchorMany")(roots, roots.map((_, i) => 1000 + i)));
      const tx = await ethers.provider.getTransaction(receipt.hash);
      spent.set(n, { gas: receipt.gasUsed, floor: gasFloor(tx!.data, n), calldata: calldataGas(tx!.data) });
    }
    // Measured (solc 0.8.28, optimizer 200 runs, EDR 0.3.8): 59,738, 86,446, 246,784 and
    // 1,743,571 gas (1.06-1.07x), about 33,000 + 26,730 per root; before: 83,937, 133,180,
    // 428,731 and 3,187,474, about 34,600 + 49,260 per root.
    for (const [n, { gas, floor }] of spent) {
      expect(gas, `anchorMany(${n})`).toBeGreaterThanOrEqual(floor);
      expect(gas * 100n, `anchorMany(${n}): ${gas} gas, floor ${floor}`).toBeLessThanOrEqual(floor * 115n);
    }
    // What one more root adds, between 8 and 64 roots, against what it must add: a new slot,
    // a log, a hash and its calldata.
    const [eight, sixtyFour] = [spent.get(8)!, spent.get(64)!];
    const perRoot = (sixtyFour.gas - eight.gas) / 56n;
    const perRootFloor = GAS.newSlot + GAS.anchoredLog + GAS.sha256Step + (sixtyFour.calldata - eight.calldata) / 56n;
    expect(perRoot * 100n, `${perRoot} gas per root, floor ${perRootFloor}`).toBeLessThanOrEqual(perRootFloor * 115n);
  });

  it("costs less per root than separate anchor() calls", async () => {
    const { anchor } = await deployAnchor();
    await mined(anchor.getFunction("anchor")(fakeRoot(0), 1)); // first anchor pays for new slots
    const single = (await mined(anchor.getFunction("anchor")(fakeRoot(1), 1))).gasUsed;
    const roots = Array.from({ length: 8 }, (_, i) => fakeRoot(100 + i));
    const many = (await mined(anchor.getFunction("anchorMany")(roots, roots.map(() => 1)))).gasUsed;
    // One transaction's base cost (21k) is paid once instead of eight times.
    expect(many).toBeLessThan(single * 8n - 7n * 15_000n);
  });
});

describe("EvidenceAnchor: inclusion proofs (RFC 9162 2.1.3.2)", TIMEOUT, () => {
  it("verifies the published RFC 6962 path of index 0 in the size-8 tree", async () => {
    const { anchor } = await deployAnchor();
    const root = RFC6962_ROOTS[8]!;
    expect(await anchor.getFunction("rootFromInclusionProof")(rfcLeaves[0]!, 0, 8, RFC6962_PATH_0_OF_8)).toBe(root);
    await mined(anchor.getFunction("anchor")(root, 8));
    expect(await anchor.getFunction("verifyInclusion")(root, rfcLeaves[0]!, 0, RFC6962_PATH_0_OF_8)).toBe(true);
    expect(await anchor.getFunction("verifyInclusion")(root, rfcLeaves[1]!, 0, RFC6962_PATH_0_OF_8)).toBe(false);
  });

  it("accepts every index of the RFC 6962 reference trees of sizes 1..8 and rejects tampered proofs", async () => {
    const { anchor } = await deployAnchor();
    for (let size = 1; size <= 8; size++) {
      const leaves = rfcLeaves.slice(0, size);
      const root = hex(refRoot(leaves));
      expect(root).toBe(RFC6962_ROOTS[size]);
      await mined(anchor.getFunction("anchor")(root, size));
      await checkAllIndices(anchor, leaves, root);
    }
  });

  it("accepts every index of larger trees (sizes 9..70) and rejects tampered proofs", async () => {
    const { anchor } = await deployAnchor();
    for (const size of largerSizes()) {
      const leaves = syntheticLeaves(size, size);
      const root = hex(refRoot(leaves));
      await mined(anchor.getFunction("anchor")(root, size));
      await checkAllIndices(anchor, leaves, root);
    }
  });

  it("reverts EvidenceAnchorInvalidProof(index, size, pathLength) on proof shapes RFC 9162 rejects", async () => {
    const { anchor } = await deployAnchor();
    const fromProof = anchor.getFunction("rootFromInclusionProof");
    const leaf = rfcLeaves[0]!;
    const p = RFC6962_PATH_0_OF_8;
    const max = 2n ** 256n - 1n;
    const cases: [bigint | number, bigint | number, string[]][] = [
      [0, 0, []], // empty tree
      [0, 0, p], // empty tree with a path
      [8, 8, p], // index == size
      [9, 8, p], // index > size
      [max, 8, p], // index at the top of uint256
      [0, 8, p.slice(0, 2)], // path too short
      [0, 8, []], // no path at all
      [0, 8, [...p, p[0]!]], // path too long
      [0, 1, [p[0]!]], // size 1 takes no path
      [4, 5, []], // index 4 of 5 needs exactly one element
      [4, 5, [p[0]!, p[1]!]],
      [0, max, p], // huge tree, far too short a path
    ];
    for (const [index, size, path] of cases) {
      await expectCustomError(fromProof(leaf, index, size, path), anchor.interface, "EvidenceAnchorInvalidProof", [
        BigInt(index),
        BigInt(size),
        BigInt(path.length),
      ]);
    }
    // The same shapes give false, not a revert, in verifyInclusion (anchored size 8).
    const root = RFC6962_ROOTS[8]!;
    await mined(anchor.getFunction("anchor")(root, 8));
    const verify = anchor.getFunction("verifyInclusion");
    for (const [index, path] of [[8, p], [9, p], [max, p], [0, p.slice(0, 2)], [0, []], [0, [...p, p[0]!]]] as const) {
      expect(await verify(root, leaf, index, path), `index ${index}, path length ${path.length}`).toBe(false);
    }
    // The largest uint256 size still works: index 0 of 2^256 - 1 leaves takes exactly 256 elements.
    const fullPath = Array.from({ length: 256 }, (_, i) => fakeRoot(i));
    const expected = fullPath.reduce((r, p) => hex(nodeHash(fromHex(r), fromHex(p))), hex(leaf));
    expect(await fromProof(leaf, 0, max, fullPath)).toBe(expected);
    await expectCustomError(fromProof(leaf, 0, max, fullPath.slice(1)), anchor.interface, "EvidenceAnchorInvalidProof", [0n, max, 255n]);
  });
});

describe("EvidenceAnchor agrees with src/core/merkle.ts", TIMEOUT, () => {
  it("accepts merkleRoot / inclusionProof output for every index of sizes 1..64", async () => {
    const { anchor } = await deployAnchor();
    const fromProof = anchor.getFunction("rootFromInclusionProof");
    const verify = anchor.getFunction("verifyInclusion");
    for (let size = 1; size <= 64; size++) {
      const leaves = size <= 8 ? rfcLeaves.slice(0, size) : syntheticLeaves(size, 1000 + size);
      const root = hex(merkleRoot(leaves));
      expect(root, `size ${size}`).toBe(hex(refRoot(leaves)));
      await mined(anchor.getFunction("anchor")(root, size));
      for (let index = 0; index < size; index++) {
        const leaf = hex(leaves[index]!);
        const path = inclusionProof(leaves, index).map(hex);
        expect(await fromProof(leaf, index, size, path), `size ${size}, index ${index}`).toBe(root);
        expect(await verify(root, leaf, index, path), `size ${size}, index ${index}`).toBe(true);
      }
    }
  });
});

/**
 * For every index of the tree over `leaves` (already anchored as `root` with its size): the
 * reference path gives `root` through rootFromInclusionProof and true through verifyInclusion;
 * a flipped bit in any path element, index+1, a truncated path and an extra element do not.
 */
async function checkAllIndices(anchor: Contract, leaves: Uint8Array[], root: string): Promise<void> {
  const size = leaves.length;
  const fromProof = anchor.getFunction("rootFromInclusionProof");
  const verify = anchor.getFunction("verifyInclusion");
  const iface = anchor.interface;
  for (let index = 0; index < size; index++) {
    const leaf = hex(leaves[index]!);
    const path = refPath(index, leaves).map(hex);
    const where = `size ${size}, index ${index}`;
    expect(await fromProof(leaf, index, size, path), where).toBe(root);
    expect(await verify(root, leaf, index, path), where).toBe(true);

    // Wrong leaf.
    expect(await verify(root, flipBit(leaf), index, path), where).toBe(false);

    // A flipped bit in each path element: another root, and false.
    for (let j = 0; j < path.length; j++) {
      const tampered = path.map((p, k) => (k === j ? flipBit(p) : p));
      expect(await fromProof(leaf, index, size, tampered), `${where}, element ${j}`).not.toBe(root);
      expect(await verify(root, leaf, index, tampered), `${where}, element ${j}`).toBe(false);
    }

    // index + 1 with the same path: a revert (out of range or wrong length) or another root.
    const next = index + 1;
    const nextPathLength = next < size ? refPath(next, leaves).length : -1;
    if (nextPathLength === path.length) {
      expect(await fromProof(leaf, next, size, path), where).not.toBe(root);
    } else {
      await expectCustomError(fromProof(leaf, next, size, path), iface, "EvidenceAnchorInvalidProof", [
        BigInt(next),
        BigInt(size),
        BigInt(path.length),
      ]);
    }
    expect(await verify(root, leaf, next, path), where).toBe(false);

    // Truncated path.
    if (path.length > 0) {
      const truncated = path.slice(0, -1);
      await expectCustomError(fromProof(leaf, index, size, truncated), iface, "EvidenceAnchorInvalidProof", [
        BigInt(index),
        BigInt(size),
        BigInt(truncated.length),
      ]);
      expect(await verify(root, leaf, index, truncated), where).toBe(false);
    }

    // One element too many (at the end, and at the start).
    for (const extended of [[...path, root], [root, ...path]]) {
      await expectCustomError(fromProof(leaf, index, size, extended), iface, "EvidenceAnchorInvalidProof", [
        BigInt(index),
        BigInt(size),
        BigInt(extended.length),
      ]);
      expect(await verify(root, leaf, index, extended), where).toBe(false);
    }
  }
}
