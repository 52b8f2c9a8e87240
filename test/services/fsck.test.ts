// fsck (src/services/fsck.ts) against a real database and a real Hardhat node: batches sealed
// and anchored by the real sequencer steps agree 100%; then each edit made behind the
// service's back, one per test, is named with the batch, evidence or anchor it touches and
// both values in full; a chain that cannot be reached is "incomplete", never "clean".
// The fixture is built once (a database costs seconds): each test undoes its edit, and
// afterEach checks that the fixture is clean again, so no test sees another's edit.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { JsonRpcProvider, Wallet, Contract } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { progressInFlight, sendAnchors, type AnchorContext } from "../../src/batcher/anchor.ts";
import { sealBatch } from "../../src/batcher/seal.ts";
import { TreeBuilder } from "../../src/batcher/tree.ts";
import type { ChainClient } from "../../src/chain/client.ts";
import { anchorInterface } from "../../src/chain/contract.ts";
import { ensureContract } from "../../src/chain/deployment.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { toHex } from "../../src/core/bytes.ts";
import { merkleRoot } from "../../src/core/merkle.ts";
import { silentLogger } from "../../src/log.ts";
import { runFsck, type FsckFinding, type FsckOptions, type FsckReport, type LogEntry, type LogReader } from "../../src/services/fsck.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { anchors, batchLevels, batches, evidence } from "../../src/store/schema.ts";
import { RpcError, jsonRpcReader, type ChainReader } from "../../src/verify/rpc.ts";
import { freshDatabase, describeDbKind, type TestDatabase } from "../helpers/db.ts";
import { HARDHAT_DEV_KEY, freePort, startTestChain, testChainClient } from "../helpers/chain.ts";

let node: LocalNode;
let chain: ChainClient;
let reader: ChainReader;
let logs: LogReader;
let database: TestDatabase;
let contract: string;
const trees = new TreeBuilder();

/** Batch sizes of the fixture: two anchored batches, and one pending leaf left unsealed. */
const SIZES = [5, 3];

/** A new database and contract holding anchored batches of SIZES, and one pending leaf. */
async function fixture(): Promise<{ database: TestDatabase; contract: string }> {
  const database = await freshDatabase();
  const contract = (await ensureContract(database.db, chain, {})).address;
  const ingest = new IngestService({ db: database.db, signer: new Signer(generateSigningKey()) });
  const digests = (n: number) => Array.from({ length: n }, () => ({ digest: toHex(new Uint8Array(randomBytes(32))) }));
  for (const size of SIZES) {
    await ingest.submit("tenant-a", digests(size));
    await sealBatch(database.db, (leaves) => trees.buildLevels(leaves), { closeOpen: true });
  }
  await ingest.submit("tenant-a", digests(1));
  const ctx: AnchorContext = { db: database.db, chain, contract, confirmations: 1, log: silentLogger };
  await sendAnchors(ctx);
  await progressInFlight(ctx);
  const confirmed = await database.db.select().from(anchors).where(eq(anchors.status, "confirmed"));
  expect(confirmed, "the fixture's batches are anchored").toHaveLength(SIZES.length);
  return { database, contract };
}

beforeAll(async () => {
  node = await startTestChain();
  chain = await testChainClient(node.url);
  reader = jsonRpcReader(node.url);
  logs = logReader(node.url);
  ({ database, contract } = await fixture());
});

afterAll(async () => {
  await database?.close();
  chain?.close();
  await node?.stop();
  await trees.close();
});

afterEach(async () => {
  expect((await fsck()).outcome, "the test undid its edit").toBe("clean");
});

/** Runs `test` with `edit` applied, and undoes it afterwards whatever happens. */
async function edited(edit: () => Promise<unknown>, undo: () => Promise<unknown>, test: () => Promise<void>): Promise<void> {
  await edit();
  try {
    await test();
  } finally {
    await undo();
  }
}

const fsck = (opts: FsckOptions = {}, chainReader: ChainReader = reader, logReader: LogReader | null = logs) =>
  runFsck({ db: database.db, chain: chainReader, ...(logReader ? { logs: logReader } : {}), contract }, opts);

/** eth_getLogs over the node's JSON-RPC: the contract's roots in order are in its Anchored logs. */
function logReader(url: string): LogReader {
  return {
    async getLogs(f) {
      const params = [{ address: f.address, topics: f.topics, fromBlock: `0x${f.fromBlock.toString(16)}`, toBlock: `0x${f.toBlock.toString(16)}` }];
      let body: { result?: Record<string, string | string[]>[]; error?: { code: number; message: string } };
      try {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params }) });
        body = (await res.json()) as typeof body;
      } catch (err) {
        throw new RpcError("eth_getLogs", `request failed: ${String(err)}`, { cause: err });
      }
      if (body.error || !body.result) throw new RpcError("eth_getLogs", body.error?.message ?? "no result", body.error ? { code: body.error.code } : undefined);
      return body.result.map((l) => ({
        address: String(l.address),
        topics: l.topics as string[],
        data: String(l.data),
        blockNumber: Number(l.blockNumber),
        logIndex: Number(l.logIndex),
        transactionHash: String(l.transactionHash),
      }));
    },
  };
}

/** A log reader that passes every Anchored log through `edit` (which may drop it: null). */
function editedLogs(edit: (log: LogEntry, seq: number) => LogEntry | null): LogReader {
  return { getLogs: async (f) => (await logs.getLogs(f)).flatMap((l) => edit(l, Number(BigInt(l.topics[2]!))) ?? []) };
}

async function leafRow(batchSeq: number, leafIndex: number) {
  const rows = await database.db.select().from(evidence).where(eq(evidence.batchSeq, batchSeq)).orderBy(evidence.leafIndex);
  return { row: rows[leafIndex]!, rows };
}

async function batchRow(seq: number) {
  return (await database.db.select().from(batches).where(eq(batches.seq, seq)))[0]!;
}

async function anchorRow(batchSeq: number) {
  return (await database.db.select().from(anchors).where(eq(anchors.batchSeq, batchSeq)))[0]!;
}

const setEvidence = (id: string, values: Partial<typeof evidence.$inferInsert>) => () =>
  database.db.update(evidence).set(values).where(eq(evidence.id, id));
const setAnchor = (id: number, values: Partial<typeof anchors.$inferInsert>) => () =>
  database.db.update(anchors).set(values).where(eq(anchors.id, id));

const randomHash = () => new Uint8Array(randomBytes(32));
const checks = (r: FsckReport) => r.mismatches.map((m) => m.check).sort();

/** Every value a finding names in expected/found also appears, in full, in its message. */
function expectValuesInMessages(findings: FsckFinding[]) {
  for (const f of findings) {
    for (const v of [f.expected, f.found]) if (v !== undefined) expect(f.message, f.check).toContain(v);
  }
}

describe(`fsck on ${describeDbKind()} and a Hardhat node`, () => {
  it("reports 100% agreement on a clean database, the same with one-row pages", async () => {
    const report = await fsck();
    expect(report).toMatchObject({
      outcome: "clean",
      chainId: 31337,
      contract,
      counts: { batches: 2, leaves: 8, anchors: 2, chainRoots: 2, unknownRoots: 0, missingRoots: 0, mismatches: 0, notes: 0 },
      mismatches: [],
      notes: [],
      unchecked: [],
    });
    // Paging must neither skip nor repeat anything.
    expect(await fsck({ pageSizes: { batches: 1, leaves: 1, roots: 1, blocks: 1 } })).toEqual(report);
  });

  it("without a log reader, replays the hash chain from the receipts of our own anchoring transactions", async () => {
    const withLogs = await fsck();
    expect(await fsck({}, reader, null)).toEqual(withLogs);
  });

  it("notes roots on chain that are not ours, and still checks the head over them", async () => {
    // A contract of its own: the foreign root cannot be taken back, so it must not stay in the shared one.
    const own = await fixture();
    try {
      const foreign = toHex(randomHash());
      const wallet = new Wallet(HARDHAT_DEV_KEY, new JsonRpcProvider(node.url, undefined, { staticNetwork: true }));
      try {
        // The largest size a uint64 holds: the replay must not round it to a JavaScript number.
        await (await new Contract(own.contract, anchorInterface(), wallet).getFunction("anchor")(foreign, 2n ** 64n - 1n)).wait();
      } finally {
        wallet.provider?.destroy();
      }
      const report = await runFsck({ db: own.database.db, chain: reader, logs, contract: own.contract }, { pageSizes: { roots: 2 } });
      expect(report.outcome).toBe("clean");
      expect(report.counts).toMatchObject({ chainRoots: 3, unknownRoots: 1, mismatches: 0 });
      expect(report.notes).toEqual([expect.objectContaining({ check: "unknown-root", chainSeq: 2, found: foreign })]);

      // No receipt of ours holds the foreign root: without the logs, that part stays unchecked.
      const blind = await runFsck({ db: own.database.db, chain: reader, contract: own.contract });
      expect(blind).toMatchObject({ outcome: "incomplete", counts: { chainRoots: 3, unknownRoots: 0, mismatches: 0 }, notes: [] });
      expect(blind.unchecked).toEqual([
        expect.stringMatching(/: 1 of its 3 roots \(seq 2\) are in no receipt of our confirmed anchoring transactions, and no log reader was given .* and head\(\) are not checked$/),
      ]);
    } finally {
      await own.database.close();
    }
  });

  it("names a changed leaf hash: the evidence, its batch, and the root it no longer leads to", async () => {
    const { row, rows } = await leafRow(0, 2);
    const forged = randomHash();
    const stored = rows.map((r) => (r.id === row.id ? forged : r.leafHash));
    const root = toHex((await batchRow(0)).root);
    await edited(setEvidence(row.id, { leafHash: forged }), setEvidence(row.id, { leafHash: row.leafHash }), async () => {
      const report = await fsck();
      expect(report.outcome).toBe("mismatch");
      // The stored tree still holds the old leaf: level 0 and each node above it differ.
      expect(checks(report)).toEqual(["batch-root", "leaf-hash", "leaf-path", "tree-levels", "tree-levels", "tree-levels"]);
      expect(report.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ check: "tree-levels", batchSeq: 0, field: "level 0 node 2", expected: toHex(forged), found: toHex(row.leafHash) }),
          expect.objectContaining({ check: "leaf-hash", batchSeq: 0, evidenceId: row.id, leafIndex: 2, expected: toHex(row.leafHash), found: toHex(forged) }),
          expect.objectContaining({ check: "batch-root", batchSeq: 0, expected: toHex(merkleRoot(stored)), found: root }),
          expect.objectContaining({ check: "leaf-path", batchSeq: 0, evidenceId: row.id, leafIndex: 2, expected: root, found: toHex(merkleRoot(stored)) }),
        ]),
      );
      expectValuesInMessages(report.mismatches);
    });
  });

  it("names a changed node of a stored tree level, and the paths it breaks: which element, both values", async () => {
    // Batch 0 has 5 leaves: level 1 holds nodes (0,1) and (2,3); leaves 0 and 1 take node 1
    // of level 1 (leaves 2-3) as the second element of their path.
    const level = async () => (await database.db.select().from(batchLevels).where(and(eq(batchLevels.batchSeq, 0), eq(batchLevels.level, 1))))[0]!.hashes;
    const original = new Uint8Array(await level());
    const forged = new Uint8Array(original);
    forged[40] = forged[40]! ^ 0x01; // node 1, byte 8
    const setLevel = (hashes: Uint8Array) => () =>
      database.db.update(batchLevels).set({ hashes }).where(and(eq(batchLevels.batchSeq, 0), eq(batchLevels.level, 1)));
    const { rows } = await leafRow(0, 0);
    await edited(setLevel(forged), setLevel(original), async () => {
      const report = await fsck();
      expect(report.outcome).toBe("mismatch");
      const node = (x: Uint8Array) => toHex(x.subarray(32, 64));
      expect(report.mismatches).toEqual([
        expect.objectContaining({ check: "tree-levels", batchSeq: 0, field: "level 1 node 1", expected: node(original), found: node(forged) }),
        ...[0, 1].map((i) =>
          expect.objectContaining({ check: "leaf-path", batchSeq: 0, evidenceId: rows[i]!.id, leafIndex: i, field: "path[1]", expected: node(original), found: node(forged) }),
        ),
      ]);
      expectValuesInMessages(report.mismatches);
    });
  });

  it("names a tree level that is missing", async () => {
    const [top] = await database.db.select().from(batchLevels).where(and(eq(batchLevels.batchSeq, 0), eq(batchLevels.level, 2)));
    await edited(
      () => database.db.delete(batchLevels).where(and(eq(batchLevels.batchSeq, 0), eq(batchLevels.level, 2))),
      () => database.db.insert(batchLevels).values(top!),
      async () => {
        const report = await fsck();
        expect(report.outcome).toBe("mismatch");
        expect(report.mismatches[0]).toMatchObject({ check: "tree-levels", batchSeq: 0, field: "level 2", found: "(absent)" });
        // Only leaf 4's path needs that node (leaves 0-3, its whole subtree): it alone has no path.
        expect(report.mismatches.filter((m) => m.check === "leaf-path").map((m) => m.leafIndex)).toEqual([4]);
      },
    );
  });

  it("names a changed batch root once, not once per leaf, and the chain no longer has it", async () => {
    const before = await batchRow(1);
    const forged = randomHash();
    const anchor = await anchorRow(1);
    const setRoot = (root: Uint8Array) => () => database.db.update(batches).set({ root }).where(eq(batches.seq, 1));
    await edited(setRoot(forged), setRoot(before.root), async () => {
      const report = await fsck();
      expect(report.outcome).toBe("mismatch");
      expect(report.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ check: "batch-root", batchSeq: 1, expected: toHex(before.root), found: toHex(forged) }),
          expect.objectContaining({ check: "anchor-record", batchSeq: 1, anchorId: anchor.id, field: "root", found: toHex(forged) }),
        ]),
      );
      expect(report.mismatches.find((m) => m.check === "batch-root")!.message).toContain("batches.root is what differs");
      expect(checks(report).filter((c) => c === "leaf-path")).toEqual([]);
      expect(report.counts.missingRoots).toBe(1);
      // The real root is still on chain, and now nobody's.
      expect(report.notes).toEqual([expect.objectContaining({ check: "unknown-root", chainSeq: 1, found: toHex(before.root) })]);
      expectValuesInMessages(report.mismatches);
    });
  });

  it("names an anchor row's changed block hash: the anchor, the chain's hash and ours", async () => {
    const anchor = await anchorRow(0);
    const forged = toHex(randomHash());
    await edited(setAnchor(anchor.id, { blockHash: forged }), setAnchor(anchor.id, { blockHash: anchor.blockHash }), async () => {
      const report = await fsck();
      expect(report.outcome).toBe("mismatch");
      expect(report.mismatches).toEqual([
        expect.objectContaining({ check: "anchor-block", batchSeq: 0, anchorId: anchor.id, field: "block_hash", expected: anchor.blockHash, found: forged }),
      ]);
      expectValuesInMessages(report.mismatches);
    });
  });

  it("names an anchor row's changed block number: the contract's record and the receipt disagree", async () => {
    const anchor = await anchorRow(0);
    // The block before exists (the contract was deployed earlier) and holds no anchor of ours.
    const moved = anchor.blockNumber! - 1;
    await edited(setAnchor(anchor.id, { blockNumber: moved }), setAnchor(anchor.id, { blockNumber: anchor.blockNumber }), async () => {
      const report = await fsck();
      expect(report.outcome).toBe("mismatch");
      const real = String(anchor.blockNumber);
      expect(report.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ check: "anchor-record", anchorId: anchor.id, field: "block_number", expected: real, found: String(moved) }),
          expect.objectContaining({ check: "anchor-tx", anchorId: anchor.id, field: "block_number", expected: real, found: String(moved) }),
          expect.objectContaining({ check: "anchor-block", anchorId: anchor.id, field: "block_hash", found: anchor.blockHash }),
        ]),
      );
      expect(report.mismatches.every((m) => m.anchorId === anchor.id && m.batchSeq === 0)).toBe(true);
      expectValuesInMessages(report.mismatches);
    });
  });

  it("names a head() that its roots do not give", async () => {
    // A node that lies about head(): the only way to make the chain disagree with itself.
    const head = anchorInterface().encodeFunctionData("head");
    const lie = toHex(randomHash());
    const lying: ChainReader = { ...reader, call: async (to, data) => (data === head ? lie : reader.call(to, data)) };
    const report = await fsck({}, lying);
    expect(report.outcome).toBe("mismatch");
    expect(report.mismatches).toEqual([expect.objectContaining({ check: "chain-head", field: "head", found: lie })]);
    expect(report.mismatches[0]!.expected).toMatch(/^0x[0-9a-f]{64}$/);
    expectValuesInMessages(report.mismatches);
  });

  it("names an Anchored log whose head its root and size do not give, once", async () => {
    // A node that lies about one log's size: the only way to make the logs disagree with themselves.
    const lying = editedLogs((l, seq) => (seq === 1 ? { ...l, data: "0x" + (BigInt(l.data.slice(0, 66)) + 1n).toString(16).padStart(64, "0") + l.data.slice(66) } : l));
    const report = await fsck({}, reader, lying);
    expect(report.outcome).toBe("mismatch");
    const anchored = await logs.getLogs({ address: contract, topics: [anchorInterface().getEvent("Anchored")!.topicHash], fromBlock: 0, toBlock: await reader.blockNumber() });
    const head = "0x" + anchored.find((l) => BigInt(l.topics[2]!) === 1n)!.data.slice(66);
    expect(report.mismatches).toEqual([expect.objectContaining({ check: "chain-head", chainSeq: 1, field: "head", found: head })]);
    expectValuesInMessages(report.mismatches);
  });

  it("names a seq that no Anchored log has", async () => {
    const report = await fsck({}, reader, editedLogs((l, seq) => (seq === 0 ? null : l)));
    expect(report.outcome).toBe("mismatch");
    expect(report.mismatches).toEqual([expect.objectContaining({ check: "chain-head", field: "seq", found: "no log for seq 0" })]);
    expect(report.mismatches[0]!.message).toContain("count() is 2, but the contract's Anchored logs have no log for seq 0");
  });

  it("names a root's Anchored log whose seq is not the one anchorOf records", async () => {
    const anchor = await anchorRow(0);
    const root = toHex((await batchRow(0)).root);
    const seven = "0x" + "7".padStart(64, "0");
    const lying: ChainReader = {
      ...reader,
      getTransactionReceipt: async (hash) => {
        const r = await reader.getTransactionReceipt(hash);
        return r && { ...r, logs: r.logs.map((l) => (l.topics[1]?.toLowerCase() === root ? { ...l, topics: [l.topics[0]!, l.topics[1]!, seven] } : l)) };
      },
    };
    const report = await fsck({}, lying);
    expect(report.outcome).toBe("mismatch");
    expect(report.mismatches).toEqual([
      expect.objectContaining({ check: "anchor-record", batchSeq: 0, anchorId: anchor.id, chainSeq: 0, field: "seq", expected: "0", found: "7" }),
    ]);
    expectValuesInMessages(report.mismatches);
  });

  it("says a contract address without a contract is a mismatch", async () => {
    const nobody = toHex(randomHash().subarray(0, 20));
    const report = await runFsck({ db: database.db, chain: reader, logs, contract: nobody });
    expect(report.outcome).toBe("mismatch");
    expect(report.mismatches).toEqual([expect.objectContaining({ check: "contract", found: nobody })]);
    expect(report.mismatches[0]!.message).toMatch(/no EvidenceAnchor contract is there on chain 31337/);
  });

  it("cannot reach the chain: incomplete, never clean; the database is still checked", async () => {
    const down = jsonRpcReader(`http://127.0.0.1:${await freePort()}`);
    const report = await fsck({}, down);
    expect(report).toMatchObject({ outcome: "incomplete", chainId: null, counts: { batches: 2, leaves: 8, anchors: 0, chainRoots: null, mismatches: 0 } });
    expect(report.unchecked).toEqual([expect.stringMatching(/^everything on chain: the chain could not be read \(eth_chainId: request failed/)]);

    // What the database shows is still a mismatch, chain or no chain.
    const { row } = await leafRow(1, 0);
    await edited(setEvidence(row.id, { leafHash: randomHash() }), setEvidence(row.id, { leafHash: row.leafHash }), async () => {
      const broken = await fsck({}, down);
      expect(broken.outcome).toBe("mismatch");
      expect(broken.mismatches.map((m) => m.evidenceId ?? null)).toContain(row.id);
    });
  });
});
