// The consistency check behind `admin fsck`: every batch recomputed from its stored leaves,
// every confirmed anchor held against the chain, and the contract's hash chain replayed.
import { and, asc, desc, eq, gt, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Result } from "ethers";
import { bytesEqual, concatBytes, fromHex, toHex } from "../core/bytes.ts";
import { CoreError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import { leafHash, type EvidenceMeta } from "../core/leaf.ts";
import { buildLevels, nodeFromLevels, pathFromNodes, type Levels } from "../core/levels.ts";
import { rootFromInclusionProof } from "../core/rfc9162.ts";
import { anchorInterface } from "../chain/contract.ts";
import type { Db } from "../store/db.ts";
import { batchLevelsOf } from "../store/batches.ts";
import { evidenceMeta } from "../store/evidence.ts";
import { anchors, batches, deployments, evidence } from "../store/schema.ts";
import { RpcError, type ChainReader, type LogEntry, type LogFilter, type LogInfo, type ReceiptInfo } from "../verify/rpc.ts";

/** What each check compares; the names are stable (JSON output, scripts, the docs). */
export const FSCK_CHECKS = {
  "leaf-batch": "a leaf's batch_seq names a sealed batch, or one still to be sealed (after the last sealed, up to the sequencer's open batch)",
  "leaf-index": "a batch's leaf indexes are 0..size-1, each exactly once",
  "batch-size": "batches.size is the number of leaves in the batch",
  "leaf-hash": "the stored leaf hash is 32 bytes and equals leafHash(salt, digest, meta)",
  "batch-root": "the RFC 6962 root of the stored leaf hashes, in leaf_index order, equals batches.root",
  "tree-levels": "the batch's stored tree levels are those of its leaf hashes in leaf_index order: level 0 the leaves, each node above the hash of its two children",
  "leaf-path": "each leaf's path, read from the stored tree levels as a proof reads it, leads from its leaf hash to batches.root (RFC 9162 verifier)",
  "batch-anchor": "batches.anchor_id names a confirmed anchor of that batch, and no other anchor of it is confirmed",
  "anchor-record": "the contract's anchorOf(root) is anchored with the batch's size in the anchor's block, and the root's Anchored log in the anchoring transaction has the record's seq and size",
  "anchor-block": "the chain's block at the anchor's block_number has its block_hash and block_timestamp",
  "anchor-tx": "the anchoring transaction succeeded in that block, was sent to the contract and logged Anchored for the root",
  contract: "the contract address holds an EvidenceAnchor contract",
  "chain-head": "the contract's Anchored logs have seq 0..count()-1, each once, and their roots and sizes give each log's head and, in the end, head()",
} as const;
export type FsckCheck = keyof typeof FSCK_CHECKS;

/** Informational findings: not mismatches, but worth an operator's glance. */
export const FSCK_NOTES = {
  "unknown-root": "a root in the contract that is not the root of any of our batches",
  "unconfirmed-root": "a root of ours in the contract whose batch has no confirmed anchor (in flight, or a crash before recording)",
  "other-contract": "a confirmed anchor in another contract than the one whose hash chain is checked",
} as const;
export type FsckNote = keyof typeof FSCK_NOTES;

export interface FsckFinding {
  check: FsckCheck | FsckNote;
  batchSeq?: number;
  evidenceId?: string;
  leafIndex?: number;
  anchorId?: number;
  /** The root's sequence number in the contract (anchorOf's seq, the Anchored log's seq). */
  chainSeq?: number;
  /** What `expected` and `found` are values of: "root", "path[2]", "block_hash"… */
  field?: string;
  /** The value recomputed or read from the chain: what the stored value should be. */
  expected?: string;
  /** The value stored in our database (or the chain's, when the chain is what disagrees). */
  found?: string;
  /** One sentence naming everything above, every value in full. */
  message: string;
}

export type FsckOutcome = "clean" | "mismatch" | "incomplete";

export interface FsckReport {
  /** clean: everything was checked and agrees. mismatch: something disagrees (whatever else
   * could not be checked). incomplete: no mismatch, but part of the check could not run. */
  outcome: FsckOutcome;
  chainId: number | null;
  contract: string | null;
  counts: {
    batches: number;
    leaves: number;
    /** Confirmed anchors held against the chain. */
    anchors: number;
    /** Roots in the contract (count()), when its hash chain was checked. */
    chainRoots: number | null;
    unknownRoots: number;
    /** Our confirmed roots the contract has no record of. */
    missingRoots: number;
    mismatches: number;
    notes: number;
  };
  /** How many mismatches each check found. */
  mismatchesByCheck: Partial<Record<FsckCheck, number>>;
  /** The first `maxListed` mismatches (counts.mismatches has them all). */
  mismatches: FsckFinding[];
  notes: FsckFinding[];
  /** Why part of the check could not run: the chain is unreachable, no contract is known… */
  unchecked: string[];
}

export type { LogEntry, LogFilter };

/** eth_getLogs; a failed exchange with the node is an RpcError, as for ChainReader. */
export interface LogReader {
  getLogs(filter: LogFilter): Promise<LogEntry[]>;
}

export interface FsckDeps {
  db: Db;
  /** Read-only chain access; every failure of it (RpcError) means "could not check". */
  chain: ChainReader;
  /**
   * The contract's Anchored logs, for the hash chain: the contract keeps no list of its roots,
   * its logs are that list. Without it the chain is replayed from the receipts of our own
   * confirmed anchoring transactions only, and roots that none of them holds (anchored by a
   * transaction this database does not know, e.g. after a restore) are reported as unchecked.
   */
  logs?: LogReader;
  /** The EvidenceAnchor whose hash chain is checked; null when none is known for this chain. */
  contract: string | null;
}

export interface FsckOptions {
  /** Called for every finding as it is made, also beyond `maxListed` (the CLI prints them). */
  onFinding?: (finding: FsckFinding, kind: "mismatch" | "note") => void;
  /** Most mismatches (and notes) kept in the report; default 10,000. */
  maxListed?: number;
  /** Rows, roots and blocks read per query (tests make them tiny). */
  pageSizes?: { batches?: number; leaves?: number; roots?: number; blocks?: number };
}

// One batch's leaf hashes are held at once (for its tree); everything else comes in pages.
// 10,000 blocks per eth_getLogs: the widest range many hosted endpoints accept.
const PAGE_SIZES = { batches: 100, leaves: 2000, roots: 256, blocks: 10_000 };

/**
 * The contract to check on chain `chainId`: the configured address, else the newest one
 * recorded in `deployments` for that chain (the one the service anchors into), else null
 * (also when the chain's id is not known: it could not be reached).
 */
export async function contractFor(
  db: Db,
  chainId: number | null,
  configured: string | undefined,
): Promise<{ address: string; source: "CONTRACT_ADDRESS" | "the deployments table" } | null> {
  if (configured) return { address: configured.toLowerCase(), source: "CONTRACT_ADDRESS" };
  if (chainId === null) return null;
  const rows = await db
    .select({ address: deployments.address })
    .from(deployments)
    .where(eq(deployments.chainId, chainId))
    .orderBy(desc(deployments.id))
    .limit(1);
  const row = rows[0];
  return row ? { address: row.address.toLowerCase(), source: "the deployments table" } : null;
}

/** Runs every check; never throws for what it finds, only for database failures and bugs. */
export async function runFsck(deps: FsckDeps, opts: FsckOptions = {}): Promise<FsckReport> {
  return new Fsck(deps, opts).run();
}

/** anchorOf or another view returned no data: there is no contract at that address. */
class NoContractError extends Error {
  override name = "NoContractError";
}

interface AnchorOf {
  anchored: boolean;
  seq: number;
  size: number;
  blockNumber: number;
}

interface AnchorFields {
  id: number;
  batchSeq: number;
  status: string;
  chainId: number;
  contract: string;
  txHash: string;
  blockNumber: number | null;
  blockHash: string | null;
  blockTimestamp: number | null;
}

interface LeafRow {
  id: string;
  seq: number;
  leafIndex: number | null;
  leafHash: Uint8Array;
  salt: Uint8Array;
  digest: Uint8Array;
  meta: Record<string, string>;
}

/** One Anchored(root, seq, size, head) log of the contract. */
interface AnchoredLog {
  seq: number;
  root: string;
  /** A uint64: anyone the contract lets anchor may give sizes beyond 2^53. */
  size: bigint;
  head: string;
}

interface BatchFields {
  seq: number;
  size: number;
  root: Uint8Array;
  anchorId: number | null;
}

const anchorColumns = {
  id: anchors.id,
  batchSeq: anchors.batchSeq,
  status: anchors.status,
  chainId: anchors.chainId,
  contract: anchors.contract,
  txHash: anchors.txHash,
  blockNumber: anchors.blockNumber,
  blockHash: anchors.blockHash,
  blockTimestamp: anchors.blockTimestamp,
};

const sameHex = (a: string | null | undefined, b: string | null | undefined) =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

function u64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}


class Fsck {
  readonly #db: Db;
  readonly #chain: ChainReader;
  readonly #logs: LogReader | null;
  readonly #contract: string | null;
  readonly #opts: FsckOptions;
  readonly #max: number;
  readonly #page: typeof PAGE_SIZES;
  readonly #iface = anchorInterface();
  readonly #anchoredTopic: string;
  #chainId: number | null = null;
  /** Set once a chain read fails: no further chain checks are attempted. */
  #chainDown = false;
  #receipts = new Map<string, Promise<ReceiptInfo | null>>();
  /** Confirmed anchors on chains other than the one asked, by chain id: not checkable here. */
  #otherChains = new Map<number, number>();
  /** Without a log reader: the contract's Anchored logs found in our anchors' receipts, by seq. */
  readonly #receiptLogs = new Map<number, AnchoredLog>();
  readonly #report: FsckReport;

  constructor(deps: FsckDeps, opts: FsckOptions) {
    this.#db = deps.db;
    this.#chain = deps.chain;
    this.#logs = deps.logs ?? null;
    this.#contract = deps.contract?.toLowerCase() ?? null;
    this.#opts = opts;
    this.#max = opts.maxListed ?? 10_000;
    this.#page = { ...PAGE_SIZES, ...opts.pageSizes };
    this.#anchoredTopic = this.#iface.getEvent("Anchored")!.topicHash;
    this.#report = {
      outcome: "clean",
      chainId: null,
      contract: this.#contract,
      counts: { batches: 0, leaves: 0, anchors: 0, chainRoots: null, unknownRoots: 0, missingRoots: 0, mismatches: 0, notes: 0 },
      mismatchesByCheck: {},
      mismatches: [],
      notes: [],
      unchecked: [],
    };
  }

  async run(): Promise<FsckReport> {
    const r = this.#report;
    await this.#onChain("everything on chain", async () => {
      this.#chainId = await this.#chain.chainId();
      r.chainId = this.#chainId;
    });
    await this.#checkLeafBatches();
    for (let after = -1; ; ) {
      const page: BatchFields[] = await this.#db
        .select({ seq: batches.seq, size: batches.size, root: batches.root, anchorId: batches.anchorId })
        .from(batches)
        .where(gt(batches.seq, after))
        .orderBy(asc(batches.seq))
        .limit(this.#page.batches);
      for (const b of page) await this.#checkBatch(b);
      if (page.length < this.#page.batches) break;
      after = page[page.length - 1]!.seq;
    }
    for (const [chainId, n] of this.#otherChains) {
      r.unchecked.push(`${n} confirmed anchor${n === 1 ? " is" : "s are"} on chain ${chainId}, not on chain ${this.#chainId} which was asked: point CHAIN_RPC_URL there to check them`);
    }
    if (this.#contract === null) {
      if (!this.#chainDown && r.counts.anchors > 0) {
        r.unchecked.push(`the contract's hash chain: no contract is known for chain ${this.#chainId} (set CONTRACT_ADDRESS)`);
      }
    } else {
      await this.#onChain("the contract's hash chain", () => this.#checkHashChain(this.#contract!));
    }
    r.outcome = r.counts.mismatches > 0 ? "mismatch" : r.unchecked.length > 0 ? "incomplete" : "clean";
    return r;
  }

  #mismatch(f: FsckFinding & { check: FsckCheck }): void {
    const r = this.#report;
    r.counts.mismatches++;
    r.mismatchesByCheck[f.check] = (r.mismatchesByCheck[f.check] ?? 0) + 1;
    if (r.mismatches.length < this.#max) r.mismatches.push(f);
    this.#opts.onFinding?.(f, "mismatch");
  }

  #note(f: FsckFinding & { check: FsckNote }): void {
    const r = this.#report;
    r.counts.notes++;
    if (r.notes.length < this.#max) r.notes.push(f);
    this.#opts.onFinding?.(f, "note");
  }

  /**
   * Runs a step that reads the chain. A failed read (unreachable node, timeout, error
   * answer) is not a finding about our data: it is recorded as unchecked and every later
   * chain step is skipped, while the database checks go on.
   */
  async #onChain(what: string, step: () => Promise<void>): Promise<boolean> {
    if (this.#chainDown) return false;
    try {
      await step();
      return true;
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      this.#chainDown = true;
      this.#report.unchecked.push(`${what}: the chain could not be read (${err.message})`);
      return false;
    }
  }

  /**
   * Leaves whose batch_seq names no sealed batch and no batch still to be sealed (one after
   * the last sealed, up to the sequencer's open batch): no batch walk would ever see them.
   */
  async #checkLeafBatches(): Promise<void> {
    const rows = await this.#db
      .select({ id: evidence.id, batchSeq: evidence.batchSeq })
      .from(evidence)
      .where(
        and(
          sql`not exists (select 1 from ${batches} where ${batches.seq} = ${evidence.batchSeq})`,
          sql`(${evidence.batchSeq} is null
               or ${evidence.batchSeq} < (select coalesce(max(seq) + 1, 0) from ${batches})
               or ${evidence.batchSeq} > (select open_batch from sequencer where id = 1))`,
        ),
      )
      .orderBy(asc(evidence.seq))
      .limit(this.#max + 1);
    for (const row of rows) {
      this.#mismatch({
        check: "leaf-batch",
        evidenceId: row.id,
        ...(row.batchSeq === null ? {} : { batchSeq: row.batchSeq }),
        message:
          row.batchSeq === null
            ? `evidence ${row.id} has no batch`
            : `evidence ${row.id} is placed in batch ${row.batchSeq}, which is neither sealed nor still to be sealed (later batches are sealed, or the sequencer has not reached it)`,
      });
    }
  }

  async #checkBatch(b: BatchFields): Promise<void> {
    const r = this.#report;
    r.counts.batches++;
    const leaves = await this.#db
      .select({ id: evidence.id, leafIndex: evidence.leafIndex, leafHash: evidence.leafHash })
      .from(evidence)
      .where(eq(evidence.batchSeq, b.seq))
      .orderBy(asc(evidence.leafIndex), asc(evidence.seq));
    r.counts.leaves += leaves.length;

    // Shape: indexes 0..size-1, each once. Paths are only meaningful for a sound shape.
    let shapeOk = leaves.length === b.size;
    if (!shapeOk) {
      this.#mismatch({
        check: "batch-size",
        batchSeq: b.seq,
        field: "size",
        expected: String(leaves.length),
        found: String(b.size),
        message: `batch ${b.seq}: batches.size is ${b.size}, but ${leaves.length} leaves are sealed into it`,
      });
    }
    const gap = (from: number, to: number) => {
      shapeOk = false;
      this.#mismatch({
        check: "leaf-index",
        batchSeq: b.seq,
        message: `batch ${b.seq}: no leaf has leaf_index ${from === to ? from : `${from}..${to}`} (the batch's size is ${b.size})`,
      });
    };
    // Sorted by leaf_index, nulls last: a gap or a repeat shows between neighbours.
    let next = 0;
    let previous: { id: string; leafIndex: number } | null = null;
    for (const leaf of leaves) {
      const at = leaf.leafIndex;
      const where = `batch ${b.seq}: evidence ${leaf.id}`;
      if (leaf.leafHash.length !== 32) {
        shapeOk = false;
        this.#mismatch({
          check: "leaf-hash",
          batchSeq: b.seq,
          evidenceId: leaf.id,
          ...(at === null ? {} : { leafIndex: at }),
          field: "leaf_hash",
          found: toHex(leaf.leafHash),
          message: `${where} has a leaf hash of ${leaf.leafHash.length} bytes, not 32: ${toHex(leaf.leafHash)}`,
        });
      }
      if (at === null) {
        shapeOk = false;
        this.#mismatch({ check: "leaf-index", batchSeq: b.seq, evidenceId: leaf.id, message: `${where} is sealed into the batch but has no leaf_index` });
        continue;
      }
      if (at < 0 || at >= b.size) {
        shapeOk = false;
        this.#mismatch({
          check: "leaf-index",
          batchSeq: b.seq,
          evidenceId: leaf.id,
          leafIndex: at,
          message: `${where} has leaf_index ${at}, outside 0..${b.size - 1} (the batch's size is ${b.size})`,
        });
      }
      if (previous !== null && at === previous.leafIndex) {
        shapeOk = false;
        this.#mismatch({
          check: "leaf-index",
          batchSeq: b.seq,
          evidenceId: leaf.id,
          leafIndex: at,
          message: `${where} has leaf_index ${at}, which evidence ${previous.id} has too`,
        });
        continue;
      }
      if (at > next && next < b.size) gap(next, Math.min(at, b.size) - 1);
      next = Math.max(next, at + 1);
      previous = { id: leaf.id, leafIndex: at };
    }
    if (next < b.size) gap(next, b.size - 1);

    // The root over the leaf hashes as stored, in leaf_index order (null indexes left out).
    const ordered = leaves.filter((l) => l.leafIndex !== null && l.leafHash.length === 32);
    let tree: Levels | null = null;
    if (ordered.length === leaves.length) {
      const flat = new Uint8Array(32 * ordered.length);
      ordered.forEach((l, i) => flat.set(l.leafHash, 32 * i));
      tree = buildLevels(flat, ordered.length);
    }
    const stored = await batchLevelsOf(this.#db, b.seq);
    if (tree) this.#checkLevels(b, tree.levels, stored);
    const rootOk = tree !== null && bytesEqual(tree.root, b.root);
    // A wrong root is reported after the paths: they tell whether the root or a leaf changed.
    if (!tree) {
      this.#mismatch({
        check: "batch-root",
        batchSeq: b.seq,
        message: `batch ${b.seq}: root ${toHex(b.root)} could not be recomputed: its leaves have malformed leaf hashes or no leaf_index`,
      });
    }

    const paths = await this.#checkLeaves(b, tree, stored, rootOk, shapeOk);
    if (tree && !rootOk) {
      const allAgree = paths.toStored === 0 && paths.other === 0 && paths.toRecomputed.length === leaves.length;
      this.#mismatch({
        check: "batch-root",
        batchSeq: b.seq,
        field: "root",
        expected: toHex(tree.root),
        found: toHex(b.root),
        message:
          `batch ${b.seq}: batches.root is ${toHex(b.root)}, the ${leaves.length} stored leaf hashes in leaf_index order give ${toHex(tree.root)}` +
          (allAgree ? `; every leaf's stored path leads there too, so batches.root is what differs` : ""),
      });
      if (!allAgree) {
        for (const leaf of paths.toRecomputed) {
          this.#mismatch({
            check: "leaf-path",
            batchSeq: b.seq,
            evidenceId: leaf.id,
            leafIndex: leaf.leafIndex,
            field: "root",
            expected: toHex(b.root),
            found: toHex(tree.root),
            message:
              `batch ${b.seq}: evidence ${leaf.id} (leaf ${leaf.leafIndex}): its leaf hash and path lead to ${toHex(tree.root)}, not the batch root ${toHex(b.root)}` +
              (paths.other === 0
                ? `; its path is the one the stored leaf hashes give, while every other leaf's path leads to the batch root: this leaf's hash is not the one the root was built over`
                : ""),
          });
        }
      }
    }

    await this.#checkAnchors(b);
  }

  /**
   * The stored tree levels against those rebuilt from the leaf hashes: the first node that
   * differs in each level (or a level missing, or one too many) is a mismatch.
   */
  #checkLevels(b: BatchFields, built: Uint8Array[], stored: Uint8Array[]): void {
    for (let level = 0; level < Math.max(built.length, stored.length); level++) {
      const want = built[level];
      const have = stored[level];
      const where = `batch ${b.seq}: tree level ${level}`;
      if (!want || !have) {
        this.#mismatch({
          check: "tree-levels",
          batchSeq: b.seq,
          field: `level ${level}`,
          expected: want ? `${want.length / 32} nodes` : "(absent)",
          found: have ? `${have.length / 32} nodes` : "(absent)",
          message: `${where} is ${have ? "stored, but a tree of " + b.size + " leaves has no such level" : "missing"}`,
        });
        continue;
      }
      if (bytesEqual(want, have)) continue;
      let node = 0;
      while (32 * node + 32 <= Math.min(want.length, have.length) && bytesEqual(want.subarray(32 * node, 32 * node + 32), have.subarray(32 * node, 32 * node + 32))) node++;
      const at = (x: Uint8Array) => (32 * node + 32 <= x.length ? toHex(x.subarray(32 * node, 32 * node + 32)) : "(absent)");
      this.#mismatch({
        check: "tree-levels",
        batchSeq: b.seq,
        field: `level ${level} node ${node}`,
        expected: at(want),
        found: at(have),
        message: `${where}: node ${node} is ${at(have)}, the tree of the stored leaf hashes has ${at(want)}` + (want.length !== have.length ? ` (${have.length / 32} nodes stored, ${want.length / 32} expected)` : ""),
      });
    }
  }

  /**
   * Second pass over the batch, a page at a time: each leaf's hash recomputed from its
   * salt, digest and meta, and its path verified against the batch root.
   */
  async #checkLeaves(
    b: BatchFields,
    tree: Levels | null,
    stored: Uint8Array[],
    rootOk: boolean,
    shapeOk: boolean,
  ): Promise<{ toStored: number; other: number; toRecomputed: { id: string; leafIndex: number }[] }> {
    const result = { toStored: 0, other: 0, toRecomputed: [] as { id: string; leafIndex: number }[] };
    let last: { leafIndex: number; seq: number } | null = null;
    for (;;) {
      const after: { leafIndex: number; seq: number } | null = last;
      const page: LeafRow[] = await this.#db
        .select({
          id: evidence.id,
          seq: evidence.seq,
          leafIndex: evidence.leafIndex,
          leafHash: evidence.leafHash,
          salt: evidence.salt,
          digest: evidence.digest,
          meta: evidenceMeta,
        })
        .from(evidence)
        .where(
          and(
            eq(evidence.batchSeq, b.seq),
            isNotNull(evidence.leafIndex),
            after === null
              ? undefined
              : or(gt(evidence.leafIndex, after.leafIndex), and(eq(evidence.leafIndex, after.leafIndex), gt(evidence.seq, after.seq))),
          ),
        )
        .orderBy(asc(evidence.leafIndex), asc(evidence.seq))
        .limit(this.#page.leaves);
      for (const row of page) {
        const index = row.leafIndex!;
        const where = `batch ${b.seq}: evidence ${row.id} (leaf ${index})`;
        let recomputed: Uint8Array | null = null;
        try {
          recomputed = leafHash({ salt: row.salt, digest: row.digest, meta: row.meta as EvidenceMeta });
        } catch (err) {
          if (!(err instanceof CoreError)) throw err;
          this.#mismatch({
            check: "leaf-hash",
            batchSeq: b.seq,
            evidenceId: row.id,
            leafIndex: index,
            message: `${where}: its leaf hash cannot be recomputed from its salt, digest and meta: ${err.message}`,
          });
        }
        if (recomputed && !bytesEqual(recomputed, row.leafHash)) {
          this.#mismatch({
            check: "leaf-hash",
            batchSeq: b.seq,
            evidenceId: row.id,
            leafIndex: index,
            field: "leaf_hash",
            expected: toHex(recomputed),
            found: toHex(row.leafHash),
            message: `${where}: stored leaf hash ${toHex(row.leafHash)}, its salt, digest and meta give ${toHex(recomputed)}`,
          });
        }
        if (!shapeOk || !tree) continue;

        let reached: Uint8Array | null = null;
        let problem: string | null = null;
        let path: Uint8Array[] = [];
        try {
          path = pathFromNodes(index, b.size, (level, i) => nodeFromLevels(stored, level, i));
          reached = rootFromInclusionProof(index, b.size, row.leafHash, path);
        } catch (err) {
          if (!(err instanceof CoreError)) throw err;
          problem = `its path cannot be read from the stored tree levels: ${err.message}`;
        }
        if (reached && bytesEqual(reached, b.root)) {
          result.toStored++;
          continue;
        }
        if (reached && !rootOk && bytesEqual(reached, tree.root)) {
          // Consistent with the leaves but not with batches.root: decided once the whole
          // batch has been seen (a changed root, or this one leaf changed).
          result.toRecomputed.push({ id: row.id, leafIndex: index });
          continue;
        }
        result.other++;
        const good = pathFromNodes(index, b.size, (level, i) => nodeFromLevels(tree.levels, level, i));
        const j = good.findIndex((h, k) => path[k] === undefined || !bytesEqual(h, path[k]!));
        const diff =
          j >= 0
            ? { field: `path[${j}]`, expected: toHex(good[j]!), found: path[j] ? toHex(path[j]!) : "(absent)" }
            : path.length !== good.length
              ? { field: "path length", expected: String(good.length), found: String(path.length) }
              : null;
        this.#mismatch({
          check: "leaf-path",
          batchSeq: b.seq,
          evidenceId: row.id,
          leafIndex: index,
          ...(diff ?? { field: "root", expected: toHex(b.root), found: reached ? toHex(reached) : "(none)" }),
          message:
            `${where}: ` +
            (problem ?? `its leaf hash and path lead to ${toHex(reached!)}, not the batch root ${toHex(b.root)}`) +
            (diff
              ? diff.field === "path length"
                ? `; the path has ${diff.found} hashes, the tree of the stored leaf hashes gives ${diff.expected}`
                : `; ${diff.field} is ${diff.found}, the tree of the stored leaf hashes has ${diff.expected}`
              : ""),
        });
      }
      if (page.length < this.#page.leaves) break;
      const tail = page[page.length - 1]!;
      last = { leafIndex: tail.leafIndex!, seq: tail.seq };
    }
    return result;
  }

  /** The batch's anchor rows, then the confirmed one against the chain. */
  async #checkAnchors(b: BatchFields): Promise<void> {
    const rows: AnchorFields[] = await this.#db
      .select(anchorColumns)
      .from(anchors)
      .where(
        b.anchorId === null
          ? and(eq(anchors.batchSeq, b.seq), eq(anchors.status, "confirmed"))
          : or(and(eq(anchors.batchSeq, b.seq), eq(anchors.status, "confirmed")), eq(anchors.id, b.anchorId)),
      )
      .orderBy(asc(anchors.id));
    let named: AnchorFields | null = null;
    if (b.anchorId !== null) {
      const a = rows.find((x) => x.id === b.anchorId);
      const problem = !a
        ? "which does not exist"
        : a.batchSeq !== b.seq
          ? `which anchors batch ${a.batchSeq}`
          : a.status !== "confirmed"
            ? `whose status is ${a.status}, not confirmed`
            : a.blockNumber === null || a.blockHash === null || a.blockTimestamp === null
              ? "which is confirmed without a block number, hash and timestamp"
              : null;
      if (problem) {
        this.#mismatch({ check: "batch-anchor", batchSeq: b.seq, anchorId: b.anchorId, message: `batch ${b.seq}: batches.anchor_id names anchor ${b.anchorId}, ${problem}` });
      } else {
        named = a!;
      }
    }
    for (const a of rows) {
      if (a.id === b.anchorId || a.status !== "confirmed" || a.batchSeq !== b.seq) continue;
      this.#mismatch({
        check: "batch-anchor",
        batchSeq: b.seq,
        anchorId: a.id,
        field: "anchor_id",
        expected: String(a.id),
        found: b.anchorId === null ? "null" : String(b.anchorId),
        message: `batch ${b.seq}: anchor ${a.id} of the batch is confirmed, but batches.anchor_id is ${b.anchorId === null ? "null" : b.anchorId}`,
      });
    }
    if (named && this.#chainId !== null && !this.#chainDown) {
      if (named.chainId !== this.#chainId) {
        this.#otherChains.set(named.chainId, (this.#otherChains.get(named.chainId) ?? 0) + 1);
        return;
      }
      await this.#onChain(`anchor ${named.id} of batch ${b.seq} and every chain check after it`, () => this.#checkAnchorOnChain(b, named));
    }
  }

  async #checkAnchorOnChain(b: BatchFields, a: AnchorFields): Promise<void> {
    const root = toHex(b.root);
    const blockNumber = a.blockNumber!;
    const at = `batch ${b.seq}: anchor ${a.id}`;
    const ids = { batchSeq: b.seq, anchorId: a.id };
    const [record, block, receipt] = await Promise.all([
      this.#anchorOf(a.contract, root).catch((err: unknown) => {
        if (err instanceof NoContractError) return err;
        throw err;
      }),
      this.#chain.getBlock(blockNumber),
      this.#receipt(a.txHash),
    ]);
    this.#report.counts.anchors++;
    if (this.#contract !== null && a.contract.toLowerCase() !== this.#contract) {
      this.#note({
        check: "other-contract",
        ...ids,
        message: `${at} is in contract ${a.contract}, not ${this.#contract} whose hash chain is checked`,
      });
    }

    if (record instanceof NoContractError) {
      this.#mismatch({ check: "anchor-record", ...ids, field: "contract", found: a.contract, message: `${at}: ${record.message}` });
    } else if (!record.anchored) {
      this.#report.counts.missingRoots++;
      this.#mismatch({
        check: "anchor-record",
        ...ids,
        field: "root",
        found: root,
        message: `${at}: contract ${a.contract} on chain ${a.chainId} has no record of root ${root}: our confirmed root is missing from the chain`,
      });
    } else {
      if (record.size !== b.size) {
        this.#mismatch({
          check: "anchor-record",
          ...ids,
          field: "size",
          expected: String(record.size),
          found: String(b.size),
          message: `${at}: the contract records root ${root} with size ${record.size}, batches.size is ${b.size}`,
        });
      }
      if (record.blockNumber !== blockNumber) {
        this.#mismatch({
          check: "anchor-record",
          ...ids,
          field: "block_number",
          expected: String(record.blockNumber),
          found: String(blockNumber),
          message: `${at}: the contract records root ${root} in block ${record.blockNumber}, the anchor's block_number is ${blockNumber}`,
        });
      }
      // The record's seq is the root's place in the hash chain: its Anchored log says the same.
      const logged = receipt === null ? undefined : this.#decodeAnchored(receipt.logs, a.contract).find((l) => sameHex(l.root, root));
      for (const field of ["seq", "size"] as const) {
        if (logged === undefined || String(logged[field]) === String(record[field])) continue;
        this.#mismatch({
          check: "anchor-record",
          ...ids,
          chainSeq: record.seq,
          field,
          expected: String(record[field]),
          found: String(logged[field]),
          message: `${at}: the contract records root ${root} with ${field} ${record[field]}, but its Anchored log in transaction ${a.txHash} has ${field} ${logged[field]}`,
        });
      }
    }

    if (block === null) {
      this.#mismatch({
        check: "anchor-block",
        ...ids,
        field: "block_number",
        found: String(blockNumber),
        message: `${at}: chain ${a.chainId} has no block ${blockNumber} (the anchor's block_number)`,
      });
    } else {
      if (!sameHex(block.hash, a.blockHash)) {
        this.#mismatch({
          check: "anchor-block",
          ...ids,
          field: "block_hash",
          expected: block.hash.toLowerCase(),
          found: a.blockHash!,
          message: `${at}: block ${blockNumber} has hash ${block.hash.toLowerCase()}, the anchor's block_hash is ${a.blockHash}`,
        });
      }
      if (block.timestamp !== a.blockTimestamp) {
        this.#mismatch({
          check: "anchor-block",
          ...ids,
          field: "block_timestamp",
          expected: String(block.timestamp),
          found: String(a.blockTimestamp),
          message: `${at}: block ${blockNumber} has timestamp ${block.timestamp}, the anchor's block_timestamp is ${a.blockTimestamp}`,
        });
      }
    }

    // Without a log reader, the hash chain is replayed from the receipts seen here.
    if (receipt !== null && this.#logs === null && this.#contract !== null && sameHex(a.contract, this.#contract)) {
      for (const l of this.#decodeAnchored(receipt.logs, this.#contract)) if (!this.#receiptLogs.has(l.seq)) this.#receiptLogs.set(l.seq, l);
    }

    const tx = `transaction ${a.txHash}`;
    if (receipt === null) {
      this.#mismatch({ check: "anchor-tx", ...ids, field: "tx_hash", found: a.txHash, message: `${at}: chain ${a.chainId} has no receipt for ${tx}` });
      return;
    }
    if (receipt.status !== 1) {
      this.#mismatch({ check: "anchor-tx", ...ids, field: "status", expected: "1", found: String(receipt.status), message: `${at}: ${tx} failed (status ${receipt.status})` });
    }
    if (receipt.blockNumber !== blockNumber) {
      this.#mismatch({
        check: "anchor-tx",
        ...ids,
        field: "block_number",
        expected: String(receipt.blockNumber),
        found: String(blockNumber),
        message: `${at}: ${tx} is in block ${receipt.blockNumber}, the anchor's block_number is ${blockNumber}`,
      });
    }
    if (!sameHex(receipt.to, a.contract)) {
      this.#mismatch({
        check: "anchor-tx",
        ...ids,
        field: "contract",
        expected: receipt.to ?? "(contract creation)",
        found: a.contract,
        message: `${at}: ${tx} was sent to ${receipt.to ?? "no address (a contract creation)"}, the anchor's contract is ${a.contract}`,
      });
    }
    // anchorMany puts several roots in one transaction: find this root's own Anchored log.
    const logged = receipt.logs.some((l) => sameHex(l.address, a.contract) && sameHex(l.topics[0], this.#anchoredTopic) && sameHex(l.topics[1], root));
    if (!logged) {
      this.#mismatch({ check: "anchor-tx", ...ids, field: "root", found: root, message: `${at}: ${tx} has no Anchored log from ${a.contract} for root ${root}` });
    }
  }

  /**
   * count(), head() and the contract's Anchored logs: checks that the logs have seq
   * 0..count()-1 in order, recomputes head_{n+1} = sha256(head_n || root_n || uint64 size_n)
   * against each log's head and head(), and says which roots are not ours.
   */
  async #checkHashChain(contract: string): Promise<void> {
    try {
      await this.#walkHashChain(contract);
    } catch (err) {
      if (!(err instanceof NoContractError)) throw err;
      this.#mismatch({ check: "contract", field: "contract", found: contract, message: `contract ${contract} on chain ${this.#chainId}: ${err.message}` });
    }
  }

  async #walkHashChain(contract: string): Promise<void> {
    const at = `contract ${contract} on chain ${this.#chainId}`;
    let snapshot: { count: number; head: string } | null = null;
    // Roots only ever get appended, and head changes exactly when count does: the same count
    // before and after reading head means the two belong together, even while the service
    // keeps anchoring.
    for (let attempt = 0; attempt < 5 && snapshot === null; attempt++) {
      const before = await this.#view(contract, "count", []);
      const head = await this.#view(contract, "head", []);
      const after = await this.#view(contract, "count", []);
      if (before[0] === after[0]) snapshot = { count: Number(before[0]), head: String(head[0]).toLowerCase() };
    }
    if (snapshot === null) {
      this.#report.unchecked.push(`the hash chain of ${at}: count() kept changing while head() was read`);
      return;
    }
    const count = snapshot.count;
    this.#report.counts.chainRoots = count;

    // The replay: `head` is the head after seq next-1, `linked` whether it was recomputed from
    // there (false after seqs whose logs are missing: the next log's head is taken as given).
    let head = toHex(new Uint8Array(32));
    let next = 0;
    let linked = true;
    const missing: [number, number][] = [];
    const page: AnchoredLog[] = [];
    const take = async (l: AnchoredLog) => {
      if (l.seq >= count) return; // anchored after count() was read
      if (l.seq < next) {
        this.#mismatch({
          check: "chain-head",
          chainSeq: l.seq,
          field: "seq",
          found: String(l.seq),
          message: `${at}: an Anchored log of root ${l.root} has seq ${l.seq}, which an earlier log already has (the next seq is ${next})`,
        });
        return;
      }
      if (l.seq > next) {
        missing.push([next, l.seq - 1]);
        linked = false;
      }
      if (linked) {
        const recomputed = toHex(sha256(concatBytes(fromHex(head, 32), fromHex(l.root, 32), u64(l.size))));
        if (recomputed !== l.head) {
          this.#mismatch({
            check: "chain-head",
            chainSeq: l.seq,
            field: "head",
            expected: recomputed,
            found: l.head,
            message: `${at}: the Anchored log of seq ${l.seq} (root ${l.root}, size ${l.size}) has head ${l.head}, but the head before it, the root and the size give ${recomputed}`,
          });
        }
      }
      // Each link is judged on its own: a broken one is reported once, not again at every later log.
      head = l.head;
      next = l.seq + 1;
      linked = true;
      page.push(l);
      if (page.length >= this.#page.roots) await this.#classifyRoots(contract, page.splice(0));
    };

    if (this.#logs !== null) {
      // Logs come in block order, which is seq order: the replay holds no more than a page of them.
      const topic = this.#anchoredTopic;
      const latest = await this.#chain.blockNumber();
      for (let from = await this.#deploymentBlock(contract); from <= latest && next < count; from += this.#page.blocks) {
        const to = Math.min(latest, from + this.#page.blocks - 1);
        const logs = await this.#logs.getLogs({ address: contract, topics: [topic], fromBlock: from, toBlock: to });
        logs.sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
        for (const l of this.#decodeAnchored(logs, contract)) await take(l);
      }
    } else {
      for (const seq of [...this.#receiptLogs.keys()].sort((x, y) => x - y)) await take(this.#receiptLogs.get(seq)!);
    }
    if (page.length > 0) await this.#classifyRoots(contract, page);
    if (next < count) missing.push([next, count - 1]);

    if (missing.length > 0) {
      const seqs = missing.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(", ");
      const n = missing.reduce((sum, [a, b]) => sum + b - a + 1, 0);
      if (this.#logs === null) {
        this.#report.unchecked.push(
          `the hash chain of ${at}: ${n} of its ${count} roots (seq ${seqs}) are in no receipt of our confirmed anchoring transactions, ` +
            `and no log reader was given to fetch their Anchored logs: the links to them${next < count ? " and head()" : ""} are not checked`,
        );
      } else {
        this.#mismatch({
          check: "chain-head",
          field: "seq",
          expected: `0..${count - 1}`,
          found: `no log for seq ${seqs}`,
          message: `${at}: count() is ${count}, but the contract's Anchored logs have no log for seq ${seqs}`,
        });
      }
    }
    if (next === count && head !== snapshot.head) {
      this.#mismatch({
        check: "chain-head",
        field: "head",
        expected: head,
        found: snapshot.head,
        message: `${at}: head() is ${snapshot.head}, the ${count} Anchored logs give ${head}`,
      });
    }
  }

  /** The block to read the contract's logs from: its recorded deployment, else the genesis block. */
  async #deploymentBlock(contract: string): Promise<number> {
    if (this.#chainId === null) return 0;
    const rows = await this.#db
      .select({ address: deployments.address, blockNumber: deployments.blockNumber })
      .from(deployments)
      .where(eq(deployments.chainId, this.#chainId));
    const own = rows.filter((r) => sameHex(r.address, contract)).map((r) => r.blockNumber);
    return own.length > 0 ? Math.min(...own) : 0;
  }

  /** The well-formed Anchored logs of `contract` among `logs`, in the order given. */
  #decodeAnchored(logs: readonly LogInfo[], contract: string): AnchoredLog[] {
    const out: AnchoredLog[] = [];
    for (const log of logs) {
      if (!sameHex(log.address, contract) || !sameHex(log.topics[0], this.#anchoredTopic)) continue;
      let parsed;
      try {
        parsed = this.#iface.parseLog({ topics: log.topics, data: log.data });
      } catch {
        parsed = null;
      }
      if (parsed === null) continue;
      const [root, seq, size, head] = parsed.args;
      out.push({ root: String(root).toLowerCase(), seq: Number(seq), size: BigInt(size), head: String(head).toLowerCase() });
    }
    return out;
  }

  /** Which of these on-chain roots are ours, confirmed here, or unknown to us. */
  async #classifyRoots(contract: string, entries: { seq: number; root: string }[]): Promise<void> {
    const rows = await this.#db
      .select({ seq: batches.seq, root: batches.root, anchorId: batches.anchorId, status: anchors.status, contract: anchors.contract, chainId: anchors.chainId })
      .from(batches)
      .leftJoin(anchors, eq(anchors.id, batches.anchorId))
      .where(inArray(batches.root, entries.map((e) => fromHex(e.root, 32))));
    const ours = new Map(rows.map((r) => [toHex(r.root), r]));
    for (const e of entries) {
      const root = e.root.toLowerCase();
      const b = ours.get(root);
      if (!b) {
        this.#report.counts.unknownRoots++;
        this.#note({ check: "unknown-root", chainSeq: e.seq, found: root, message: `root ${root}, seq ${e.seq} of ${contract}, is not the root of any of our batches` });
      } else if (b.status !== "confirmed" || b.chainId !== this.#chainId || !sameHex(b.contract, contract)) {
        this.#note({
          check: "unconfirmed-root",
          chainSeq: e.seq,
          batchSeq: b.seq,
          found: root,
          message: `root ${root}, seq ${e.seq} of ${contract}, is the root of batch ${b.seq}, which has no confirmed anchor in this contract (anchor_id ${b.anchorId ?? "null"})`,
        });
      }
    }
  }

  /**
   * eth_call of a view of EvidenceAnchor. An answer that is no result of that view (no
   * data: no code at the address; a revert; other bytes) is NoContractError, a finding;
   * only a failed exchange with the node is RpcError, "could not check".
   */
  async #view(contract: string, fn: string, args: unknown[]): Promise<Result> {
    let data: string;
    try {
      data = await this.#chain.call(contract, this.#iface.encodeFunctionData(fn, args));
    } catch (err) {
      // Nodes report a revert as an error object: code 3 (geth, Hardhat) or a message.
      if (err instanceof RpcError && (err.code === 3 || /revert/i.test(err.message))) {
        throw new NoContractError(`${fn}() at ${contract} reverted (${err.message}): no EvidenceAnchor contract is there on chain ${this.#chainId}`);
      }
      throw err;
    }
    try {
      if (data === "0x") throw new Error("no data");
      return this.#iface.decodeFunctionResult(fn, data);
    } catch {
      throw new NoContractError(
        `${fn}() at ${contract} answered ${data === "0x" ? "with no data" : `with ${(data.length - 2) / 2} bytes that are not its result`}: no EvidenceAnchor contract is there on chain ${this.#chainId}`,
      );
    }
  }

  async #anchorOf(contract: string, root: string): Promise<AnchorOf> {
    const [anchored, seq, size, blockNumber] = await this.#view(contract, "anchorOf", [root]);
    return { anchored: Boolean(anchored), seq: Number(seq), size: Number(size), blockNumber: Number(blockNumber) };
  }

  /** anchorMany batches share a transaction: its receipt is fetched once. */
  #receipt(hash: string): Promise<ReceiptInfo | null> {
    const key = hash.toLowerCase();
    let p = this.#receipts.get(key);
    if (!p) {
      if (this.#receipts.size >= 256) this.#receipts.clear();
      p = this.#chain.getTransactionReceipt(hash);
      this.#receipts.set(key, p);
    }
    return p;
  }
}

