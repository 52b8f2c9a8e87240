// Reading evidence back: its status and fields, and its evidence-proof/v1 bundle assembled
// from stored rows. Before an anchor goes into a bundle, its block is checked against the
// chain, so a chain that lost the block (a restarted local node) never yields a dead proof.
import { toHex } from "../core/bytes.ts";
import { buildBundle, type AnchorInfo, type ProofBundleV1 } from "../core/bundle.ts";
import type { EvidenceMeta } from "../core/leaf.ts";
import type { Db } from "../store/db.ts";
import { getBatch, type BatchWithAnchor } from "../store/batches.ts";
import { batchVisible, caseEvidence, findEvidenceByDigest, getEvidence } from "../store/evidence.ts";
import { pageOf } from "../store/paging.ts";
import type { Scope } from "../store/scope.ts";
import { PRINCIPAL_ID_RE } from "./access.ts";
import type { AnchorRow, EvidenceRow } from "../store/schema.ts";
import type { BlockInfo } from "../chain/client.ts";
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

/** Reads a block of one chain. */
export type BlockReader = (blockNumber: number) => Promise<BlockInfo | null>;

export interface ProverDeps {
  db: Db;
  /** A reader for chain `chainId`, or undefined when the service is not connected to it now. */
  readBlock?: (chainId: number) => BlockReader | undefined;
  /**
   * Whether chain `chainId` can lose its history: a development node (Hardhat, Anvil) that
   * restarts empty. Then every anchor is checked on every read, and none is served while
   * the chain cannot be asked. A public chain does not forget blocks: checks are reused
   * for a few seconds and an outage does not withhold anchors. Default: DEV_CHAIN_IDS.
   */
  volatileChain?: (chainId: number) => boolean;
}

export function anchorInfo(a: AnchorRow): AnchorInfo | null {
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
  readonly #checked = new Map<string, { hash: string | null; at: number }>();
  readonly #inFlight = new Map<string, Promise<string | null>>();

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
    const b = await getBatch(this.#deps.db, Number(seqParam));
    if (!b) throw notFound("batch");
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
    const sealed = b !== null && row.leafIndex !== null && row.path !== null;
    const anchor = b?.anchor ? await this.#liveAnchor(b.anchor) : null;
    return buildBundle({
      evidence: {
        id: row.id,
        digest: row.digest,
        salt: row.salt,
        meta: row.meta as EvidenceMeta,
        receivedAt: row.receivedAt.toISOString(),
      },
      leaf: sealed ? { index: row.leafIndex!, hash: row.leafHash } : null,
      batch: sealed ? { seq: b.batch.seq, size: b.batch.size, root: b.batch.root, path: splitPath(row.path!) } : null,
      anchor: sealed ? anchor : null,
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
   * The stored anchor, unless the chain says its block is gone. Concurrent requests for one
   * block share a single lookup; a result is reused for `blockCheckTtlMs` (0 on a local
   * chain, which can restart empty at any moment; a public chain does not forget blocks).
   */
  async #liveAnchor(a: AnchorRow): Promise<AnchorInfo | null> {
    const info = anchorInfo(a);
    if (!info) return null;
    const read = this.#deps.readBlock?.(info.chainId);
    const volatile = (this.#deps.volatileChain ?? ((id) => DEV_CHAIN_IDS.has(id)))(info.chainId);
    // Keyed by chain too: an anchor made on another chain must not borrow this one's answer.
    const key = `${info.chainId}:${info.blockNumber}`;
    if (!read) return volatile ? null : info;
    const ttl = volatile ? 0 : STABLE_CHAIN_CHECK_TTL_MS;
    const seen = this.#checked.get(key);
    let hash: string | null;
    if (seen && Date.now() - seen.at <= ttl) {
      hash = seen.hash;
    } else {
      let pending = this.#inFlight.get(key);
      if (!pending) {
        pending = read(info.blockNumber)
          .then((block) => block?.hash ?? null)
          .finally(() => this.#inFlight.delete(key));
        this.#inFlight.set(key, pending);
      }
      try {
        hash = await pending;
      } catch {
        // Chain unreachable: we cannot tell whether the block is still there.
        return volatile ? null : info;
      }
      if (ttl > 0) {
        if (this.#checked.size > 10_000) this.#checked.clear();
        this.#checked.set(key, { hash, at: Date.now() });
      }
    }
    return hash === info.blockHash ? info : null;
  }
}

const STABLE_CHAIN_CHECK_TTL_MS = 5000;

/** Chain ids of development chains, which start empty every time they start. */
export const DEV_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

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
