// Reading evidence back: its status and fields, and its evidence-proof/v1 bundle assembled
// from stored rows. Before an anchor goes into a bundle, the chain is asked whether the
// anchor's block is still there and deep enough, so a reorg or a restarted node never yields
// a dead proof, and no proof shows fewer confirmations than the chain's kind asks for.
import { createHash } from "node:crypto";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { buildBundle, type AnchorInfo, type BundleParts, type ProofBundleV1 } from "../core/bundle.ts";
import type { EvidenceMeta } from "../core/leaf.ts";
import { nodesForPath, pathFromNodes } from "../core/levels.ts";
import type { Db } from "../store/db.ts";
import { getBatch, readTreeNodes, type BatchWithAnchor } from "../store/batches.ts";
import { readProofRow, type AnchorFields, type ProofRow } from "../store/proofs.ts";
import { batchVisible, caseEvidence, findEvidenceByDigest, getEvidence } from "../store/evidence.ts";
import { pageOf } from "../store/paging.ts";
import type { Scope } from "../store/scope.ts";
import { PRINCIPAL_ID_RE } from "./access.ts";
import type { EvidenceRow } from "../store/schema.ts";
import type { BlockInfo } from "../chain/client.ts";
import { chainKind, type ChainKind } from "../chain/kinds.ts";
import type { ChainReader } from "../verify/rpc.ts";
import { notFound } from "../errors.ts";

export type EvidenceStatus = "pending" | "batched" | "anchored";

export interface EvidenceView {
  id: string;
  status: EvidenceStatus;
  digest: string;
  hashAlg: string;
  submitter: string;
  caseId: string | null;
  eventType: string | null;
  occurredAt: string | null;
  leafHash: string;
  receivedAt: string;
  batch: { seq: number; leafIndex: number } | null;
  anchor: AnchorInfo | null;
}

export interface BatchView {
  seq: number;
  size: number;
  root: string;
  sealedAt: string;
  status: "batched" | "anchored";
  anchor: AnchorInfo | null;
}

/** What the prover asks of a chain: a block by number, and the head. */
export interface ChainView {
  getBlock(blockNumber: number): Promise<BlockInfo | null>;
  blockNumber(): Promise<number>;
}

export interface ProverDeps {
  db: Db;
  /** A view of chain `chainId`, or undefined when the service has no endpoint for it. */
  chain?: (chainId: number) => ChainView | undefined;
  /** Confirmations, finality depth and volatility per chain; chainKind() by default. */
  kind?: (chainId: number) => ChainKind;
  /** How long a proof read waits for the chain before it withholds an unfinal anchor. */
  chainWaitMs?: number;
}

export function anchorInfo(a: AnchorFields): AnchorInfo | null {
  if (a.status !== "confirmed" || a.blockNumber === null || a.blockHash === null || a.blockTimestamp === null) {
    return null;
  }
  return {
    chainId: a.chainId,
    contract: a.contract,
    txHash: a.txHash,
    blockNumber: a.blockNumber,
    blockHash: a.blockHash,
    blockTimestamp: a.blockTimestamp,
  };
}

export class Prover {
  readonly #deps: ProverDeps;
  /** Blocks seen canonical at finality depth, by chain and number: never asked again. */
  readonly #final = new Map<string, string>();
  /** Sealed items' bundle parts and last served JSON, by evidence id, least recently used first. */
  readonly #kept = new Map<string, KeptBundle>();
  readonly #blockLookups = new Map<string, Promise<string | null>>();
  readonly #headLookups = new Map<number, Promise<number>>();
  /** Chains not asked right now: a lookup that a read gave up on is still out to them. */
  readonly #quiet = new Set<number>();

  constructor(deps: ProverDeps) {
    this.#deps = deps;
  }

  // Every read takes the caller's scope: what it may not see is "not found", never "forbidden".

  async evidence(scope: Scope, id: string): Promise<EvidenceView> {
    const row = await this.#row(scope, id);
    return this.#view(row, row.batchSeq === null ? null : await getBatch(this.#deps.db, row.batchSeq));
  }

  async byDigest(scope: Scope, digest: Uint8Array, limit = 100): Promise<EvidenceView[]> {
    const rows = await findEvidenceByDigest(this.#deps.db, scope, digest, { limit });
    return Promise.all(
      rows.map(async (r) => this.#view(r, r.batchSeq === null ? null : await getBatch(this.#deps.db, r.batchSeq))),
    );
  }

  async batch(scope: Scope, seqParam: string): Promise<BatchView> {
    // The path segment is attacker-controlled: only plain decimal integers can name a batch.
    if (!/^\d{1,15}$/.test(seqParam)) throw notFound("batch");
    if (!(await batchVisible(this.#deps.db, scope, Number(seqParam)))) throw notFound("batch");
    const view = await this.sealedBatch(Number(seqParam));
    if (!view) throw notFound("batch");
    return view;
  }

  /**
   * Batch `seq` once sealed; null while it is still open (its items are pending). The
   * caller has checked that the caller may see it.
   */
  async sealedBatch(seq: number): Promise<BatchView | null> {
    const b = await getBatch(this.#deps.db, seq);
    if (!b) return null;
    const anchor = b.anchor ? await this.#liveAnchor(b.anchor) : null;
    return {
      seq: b.batch.seq,
      size: b.batch.size,
      root: toHex(b.batch.root),
      sealedAt: b.batch.sealedAt.toISOString(),
      status: anchor ? "anchored" : "batched",
      anchor,
    };
  }

  async proof(scope: Scope, id: string): Promise<ProofBundleV1> {
    return this.#bundle(await this.#row(scope, id));
  }

  /**
   * The proof as served over HTTP: its JSON, a strong ETag over it, and whether it can never
   * change (anchored in a block past the chain's finality depth, on a chain that keeps its
   * blocks). One statement per read: the row as the caller may see it, with its batch, the
   * batch's anchor and (the first time) the path's tree nodes. What never changes once a leaf
   * is sealed (the evidence, the leaf, the batch and its path) is kept, with the JSON last
   * served, for up to KEPT_BUNDLES items: a later read only asks the chain about the anchor
   * and, when that gives the same anchor as before, serves the same bytes again. A final
   * bundle is served without asking the chain: only the caller's right to see the item is read.
   */
  async proofResponse(scope: Scope, id: string): Promise<{ json: string; etag: string; final: boolean; anchored: boolean }> {
    // Ids are UUIDs; anything else cannot exist, and must not reach a uuid-typed query.
    if (!UUID_RE.test(id)) throw notFound("evidence");
    const key = id.toLowerCase();
    const kept = this.#kept.get(key);
    // The chain is asked about the anchor shown last time while the row is read: the same
    // lookup a read of the row would start, only earlier; used only if the row still names it.
    const early = kept && !kept.final && kept.anchor ? this.#checked(kept.anchor) : undefined;
    early?.catch(() => undefined);
    const row = await readProofRow(this.#deps.db, scope, key, kept === undefined);
    if (!row) throw notFound("evidence");
    if (kept && !sameLeaf(kept, row)) {
      // Not the row the kept parts were built from (it cannot be: rows are never rewritten).
      this.#kept.delete(key);
      return this.proofResponse(scope, id);
    }
    if (kept) {
      // Least recently used goes first: move this one to the end.
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      if (kept.final) return { json: kept.json, etag: kept.etag, final: true, anchored: true };
    }
    const parts = kept?.parts ?? this.#sealedParts(row);
    const stored = parts.batch !== null && row.anchor ? anchorInfo(row.anchor) : null;
    const anchor = stored === null ? null : await (early && sameAnchor(kept!.anchor!, stored) ? early : this.#checked(stored));
    const shown = anchor === null ? "" : anchorKey(anchor);
    const final = anchor !== null && this.#isFinal(anchor);
    if (kept && kept.shown === shown) {
      kept.anchor = stored;
      kept.final = final;
      return { json: kept.json, etag: kept.etag, final, anchored: anchor !== null };
    }
    const json = JSON.stringify(buildBundle({ ...parts, anchor }));
    const etag = `"${createHash("sha256").update(json).digest("base64url").slice(0, 27)}"`;
    // A pending item is not kept: its leaf and batch are still to come.
    if (parts.batch !== null) {
      if (!kept && this.#kept.size >= KEPT_BUNDLES) this.#kept.delete(this.#kept.keys().next().value!);
      this.#kept.set(key, { parts, leafHash: row.leafHash, anchor: stored, shown, json, etag, final });
    }
    return { json, etag, final, anchored: anchor !== null };
  }

  /** A bundle's parts but its anchor, from a row read with its path's nodes. */
  #sealedParts(row: ProofRow): Omit<BundleParts, "anchor"> {
    const evidence = {
      id: row.id,
      digest: row.digest,
      salt: row.salt,
      meta: row.meta as EvidenceMeta,
      receivedAt: row.receivedAt.toISOString(),
    };
    if (row.batch === null || row.leafIndex === null) return { evidence, leaf: null, batch: null };
    const { seq, size, root } = row.batch;
    const index = row.leafIndex;
    const refs = nodesForPath(index, size);
    // None for the only leaf of a batch of one (SQL's string_agg of nothing is null).
    const nodes = row.nodes ?? new Uint8Array(0);
    // A node missing from the stored levels is a damaged database: an error, never a short path.
    if (nodes.length !== 32 * refs.length) {
      throw new Error(`batch ${seq} has no stored tree node for leaf ${index} (${nodes.length / 32} of ${refs.length} path nodes)`);
    }
    const at = new Map(refs.map((r, i) => [`${r.level}:${r.index}`, i]));
    const path = pathFromNodes(index, size, (level, i) => {
      const k = at.get(`${level}:${i}`);
      if (k === undefined) throw new Error(`batch ${seq} has no stored tree node ${level}:${i}`);
      return nodes.subarray(32 * k, 32 * k + 32);
    });
    return { evidence, leaf: { index, hash: row.leafHash }, batch: { seq, size, root, path } };
  }

  /** Whether an anchor's block is known canonical at finality depth, on a chain that keeps it. */
  #isFinal(a: AnchorInfo): boolean {
    const kind = (this.#deps.kind ?? ((id) => chainKind(id)))(a.chainId);
    return !kind.volatile && this.#final.get(`${a.chainId}:${a.blockNumber}`) === a.blockHash;
  }

  /**
   * A case's items with their bundles, in arrival order, a page at a time (cursor: the
   * last item's arrival number). Not found when the scope sees none of it.
   */
  async caseProofs(
    scope: Scope,
    tenantId: string,
    caseId: string,
    page: { afterSeq: number | undefined; limit: number },
  ): Promise<{ tenantId: string; caseId: string; items: { id: string; proof: ProofBundleV1 }[]; next: number | null }> {
    // From the URL: a case id no item could carry (NUL, lone surrogates, too long) names nothing.
    if (!PRINCIPAL_ID_RE.test(tenantId) || !storableText(caseId, 256)) throw notFound("case");
    const rows = await caseEvidence(this.#deps.db, scope, tenantId, caseId, { afterSeq: page.afterSeq, limit: page.limit + 1 });
    // Past the last page of a case one may see: an empty page. Of any other case, with or
    // without a cursor: not found, so a cursor cannot tell an invisible case from none.
    if (rows.length === 0) {
      const any = page.afterSeq === undefined ? [] : await caseEvidence(this.#deps.db, scope, tenantId, caseId, { afterSeq: undefined, limit: 1 });
      if (any.length === 0) throw notFound("case");
    }
    const { items: shown, next } = pageOf(rows, page.limit, (r) => r.seq);
    const items = [];
    for (const row of shown) items.push({ id: row.id, proof: await this.#bundle(row) });
    return { tenantId, caseId, items, next };
  }

  async #bundle(row: EvidenceRow): Promise<ProofBundleV1> {
    const b = row.batchSeq === null ? null : await getBatch(this.#deps.db, row.batchSeq);
    const sealed = b !== null && row.leafIndex !== null;
    const [path, anchor] = await Promise.all([
      sealed ? this.#path(b.batch.seq, row.leafIndex!, b.batch.size) : null,
      b?.anchor ? this.#liveAnchor(b.anchor) : null,
    ]);
    return buildBundle({
      evidence: {
        id: row.id,
        digest: row.digest,
        salt: row.salt,
        meta: row.meta as EvidenceMeta,
        receivedAt: row.receivedAt.toISOString(),
      },
      leaf: sealed ? { index: row.leafIndex!, hash: row.leafHash } : null,
      batch: sealed ? { seq: b.batch.seq, size: b.batch.size, root: b.batch.root, path: path! } : null,
      anchor: sealed ? anchor : null,
    });
  }

  /**
   * Leaf `index`'s inclusion path in a sealed batch of `size` leaves, from the few tree nodes
   * it needs (one statement). A node missing from the stored levels is a damaged database:
   * an error, never a short path.
   */
  async #path(batchSeq: number, index: number, size: number): Promise<Uint8Array[]> {
    const nodes = await readTreeNodes(this.#deps.db, batchSeq, nodesForPath(index, size));
    return pathFromNodes(index, size, (level, i) => {
      const hash = nodes.get(`${level}:${i}`);
      if (!hash) throw new Error(`batch ${batchSeq} has no stored tree node ${level}:${i}`);
      return hash;
    });
  }

  async #row(scope: Scope, id: string): Promise<EvidenceRow> {
    // Ids are UUIDs; anything else cannot exist, and must not reach a uuid-typed query.
    if (!UUID_RE.test(id)) throw notFound("evidence");
    const row = await getEvidence(this.#deps.db, scope, id.toLowerCase());
    if (!row) throw notFound("evidence");
    return row;
  }

  async #view(row: EvidenceRow, b: BatchWithAnchor | null): Promise<EvidenceView> {
    const anchor = b?.anchor ? await this.#liveAnchor(b.anchor) : null;
    return {
      id: row.id,
      status: anchor ? "anchored" : b ? "batched" : "pending",
      digest: toHex(row.digest),
      hashAlg: row.hashAlg,
      submitter: row.submitter,
      caseId: row.caseId,
      eventType: row.eventType,
      occurredAt: row.meta.occurredAt ?? null,
      leafHash: toHex(row.leafHash),
      receivedAt: row.receivedAt.toISOString(),
      batch: b && row.leafIndex !== null ? { seq: b.batch.seq, leafIndex: row.leafIndex } : null,
      anchor,
    };
  }

  /**
   * The stored anchor if the chain has its block, with at least the confirmations its kind
   * asks for; otherwise null (the proof shows the batch as not anchored yet). Nothing is
   * cached short of finality: a reorg shows on the very next read. Concurrent reads share
   * one lookup of the block and of the head. A chain that does not answer within
   * `chainWaitMs` is left alone until that lookup ends; meanwhile unfinal anchors are withheld,
   * so a hung node slows no read for long and never yields an unchecked proof.
   */
  async #liveAnchor(a: AnchorFields): Promise<AnchorInfo | null> {
    const info = anchorInfo(a);
    return info ? this.#checked(info) : null;
  }

  /** A confirmed anchor if the chain still has it as #liveAnchor says, else null. */
  async #checked(info: AnchorInfo): Promise<AnchorInfo | null> {
    const kind = (this.#deps.kind ?? ((id) => chainKind(id)))(info.chainId);
    const key = `${info.chainId}:${info.blockNumber}`;
    if (!kind.volatile && this.#final.get(key) === info.blockHash) return info;
    const view = this.#deps.chain?.(info.chainId);
    // An anchor on a chain the service has no endpoint for (it moved to another chain) can
    // only be shown as recorded; a development chain's anchors never outlive the node.
    if (!view) return kind.volatile ? null : info;
    if (this.#quiet.has(info.chainId)) return null;
    // The head counts confirmations past the first and shows finality. A chain that has the
    // block at all has its first confirmation, so where one is asked for and no block ever
    // becomes final (a development node) the block alone is asked for: one lookup, not two.
    const needHead = kind.confirmations > 1 || (!kind.volatile && Number.isFinite(kind.finalityBlocks));
    let hash: string | null;
    let head: number;
    try {
      [hash, head] = await withTimeout(
        Promise.all([this.#blockHash(view, key, info.blockNumber), needHead ? this.#head(view, info.chainId) : info.blockNumber]),
        this.#deps.chainWaitMs ?? CHAIN_WAIT_MS,
      );
    } catch {
      this.#quietWhileAsking(view, info.chainId);
      return null;
    }
    if (hash !== info.blockHash) return null;
    const depth = head - info.blockNumber + 1;
    if (depth < kind.confirmations) return null;
    if (!kind.volatile && depth >= kind.finalityBlocks) {
      if (this.#final.size > 100_000) this.#final.clear();
      this.#final.set(key, hash);
    }
    return info;
  }

  /**
   * After a read gave up waiting: the chain is quiet (reads answer at once, withholding
   * unfinal anchors) while the head lookup that missed is still out to it. It ends when that
   * lookup ends: at once when the node comes back, else after the chain timeout, when the
   * next read asks again. So one request at a time goes to a hung node, and proofs are whole
   * again as soon as it answers.
   */
  #quietWhileAsking(view: ChainView, chainId: number): void {
    if (this.#quiet.has(chainId)) return;
    this.#quiet.add(chainId);
    void this.#head(view, chainId)
      .catch(() => undefined)
      .finally(() => this.#quiet.delete(chainId));
  }

  #blockHash(view: ChainView, key: string, blockNumber: number): Promise<string | null> {
    let pending = this.#blockLookups.get(key);
    if (!pending) {
      pending = view
        .getBlock(blockNumber)
        .then((block) => block?.hash ?? null)
        .finally(() => this.#blockLookups.delete(key));
      this.#blockLookups.set(key, pending);
    }
    return pending;
  }

  #head(view: ChainView, chainId: number): Promise<number> {
    let pending = this.#headLookups.get(chainId);
    if (!pending) {
      pending = view.blockNumber().finally(() => this.#headLookups.delete(chainId));
      this.#headLookups.set(chainId, pending);
    }
    return pending;
  }
}

/** Bundles kept in memory (about 4 KB each at a 10^6-leaf batch: parts and JSON). */
const KEPT_BUNDLES = 10_000;

interface KeptBundle {
  /** Everything but the anchor: fixed once the leaf is sealed. */
  parts: Omit<BundleParts, "anchor">;
  leafHash: Uint8Array;
  /** The batch's anchor as stored when `json` was built (shown or withheld), if any. */
  anchor: AnchorInfo | null;
  /** The anchor `json` shows (anchorKey), "" for none. */
  shown: string;
  json: string;
  etag: string;
  /** Anchored past finality on a chain that keeps its blocks: served as is from now on. */
  final: boolean;
}

/** Everything of an anchor a bundle shows, as one string. */
function anchorKey(a: AnchorInfo): string {
  return `${a.chainId}|${a.contract}|${a.txHash}|${a.blockNumber}|${a.blockHash}|${a.blockTimestamp}`;
}

function sameAnchor(a: AnchorInfo, b: AnchorInfo): boolean {
  return anchorKey(a) === anchorKey(b);
}

/** Whether a kept bundle was built from this row: same leaf, in the same place. */
function sameLeaf(kept: KeptBundle, row: ProofRow): boolean {
  const { leaf, batch } = kept.parts;
  return (
    leaf !== null &&
    batch !== null &&
    row.leafIndex === leaf.index &&
    row.batch?.seq === batch.seq &&
    bytesEqual(row.leafHash, kept.leafHash)
  );
}

// A proof read waits this long for the chain at most; after a miss the chain is quiet until
// it answers again (reads meanwhile answer at once, withholding anchors short of finality).
const CHAIN_WAIT_MS = 1500;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the chain did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export { DEV_CHAIN_IDS } from "../chain/kinds.ts";

/**
 * The prover's view of chain `chainId`: the sequencer's own connection while it has one to
 * that chain, otherwise `fallback` (the configured endpoints: what a follower instance, or a
 * leader still connecting, reads through), whose chain id is re-asked every few seconds so a
 * node that now serves another chain is never taken for this one.
 */
export function chainViewOf(
  connected: () => { chainId: number; getBlock(n: number): Promise<BlockInfo | null>; latestBlockNumber(): Promise<number> } | undefined,
  fallback?: ChainReader,
): (chainId: number) => ChainView | undefined {
  let servedId: { id: Promise<number>; at: number } | undefined;
  const fallbackId = () => {
    if (!fallback) throw new Error("no chain endpoint");
    if (!servedId || Date.now() - servedId.at > 5000) {
      const id = fallback.chainId();
      servedId = { id, at: Date.now() };
      id.catch(() => (servedId = undefined));
    }
    return servedId.id;
  };
  return (chainId) => {
    const c = connected();
    if (c) return c.chainId === chainId ? { getBlock: (n) => c.getBlock(n), blockNumber: () => c.latestBlockNumber() } : undefined;
    if (!fallback) return undefined;
    const checked = async <T>(read: () => Promise<T>): Promise<T> => {
      const [id, out] = await Promise.all([fallbackId(), read()]);
      if (id !== chainId) throw new Error(`the chain endpoint serves chain ${id}, not ${chainId}`);
      return out;
    };
    return { getBlock: (n) => checked(() => fallback.getBlock(n)), blockNumber: () => checked(() => fallback.blockNumber()) };
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Text PostgreSQL can hold and our schemas accept: well-formed, no NUL, 1..max characters. */
export function storableText(s: string, max: number): boolean {
  return s.length >= 1 && s.length <= max && s.isWellFormed() && !s.includes("\u0000");
}

export function splitPath(path: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < path.length; i += 32) out.push(path.subarray(i, i + 32));
  return out;
}
