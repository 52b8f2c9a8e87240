// Reading evidence back: its status and fields, and its evidence-proof/v1 bundle assembled
// from stored rows. Before an anchor goes into a bundle, its block is checked against the
// chain, so a chain that lost the block (a restarted local node) never yields a dead proof.
import { toHex } from "../core/bytes.ts";
import { buildBundle, type AnchorInfo, type ProofBundleV1 } from "../core/bundle.ts";
import type { EvidenceMeta } from "../core/leaf.ts";
import type { Db } from "../store/db.ts";
import { getBatch, type BatchWithAnchor } from "../store/batches.ts";
import { findEvidenceByDigest, getEvidence } from "../store/evidence.ts";
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

/** Reads a block from the chain the service anchors to; absent while not connected. */
export type BlockReader = (blockNumber: number) => Promise<BlockInfo | null>;

export interface ProverDeps {
  db: Db;
  readBlock?: () => BlockReader | undefined;
  /** How long a block hash check is trusted, in ms. */
  blockCheckTtlMs?: number;
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
  readonly #checked = new Map<number, { hash: string | null; at: number }>();

  constructor(deps: ProverDeps) {
    this.#deps = deps;
  }

  async evidence(id: string): Promise<EvidenceView> {
    const row = await this.#row(id);
    return this.#view(row, row.batchSeq === null ? null : await getBatch(this.#deps.db, row.batchSeq));
  }

  async byDigest(digest: Uint8Array, limit = 100): Promise<EvidenceView[]> {
    const rows = await findEvidenceByDigest(this.#deps.db, digest, { limit });
    return Promise.all(
      rows.map(async (r) => this.#view(r, r.batchSeq === null ? null : await getBatch(this.#deps.db, r.batchSeq))),
    );
  }

  async batch(seqParam: string): Promise<BatchView> {
    // The path segment is attacker-controlled: only plain decimal integers can name a batch.
    if (!/^\d{1,15}$/.test(seqParam)) throw notFound("batch");
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

  async proof(id: string): Promise<ProofBundleV1> {
    const row = await this.#row(id);
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

  async #row(id: string): Promise<EvidenceRow> {
    // Ids are UUIDs; anything else cannot exist, and must not reach a uuid-typed query.
    if (!UUID_RE.test(id)) throw notFound("evidence");
    const row = await getEvidence(this.#deps.db, id.toLowerCase());
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

  /** The stored anchor, unless the chain we are connected to says its block is gone. */
  async #liveAnchor(a: AnchorRow): Promise<AnchorInfo | null> {
    const info = anchorInfo(a);
    if (!info) return null;
    const read = this.#deps.readBlock?.();
    if (!read) return info; // not connected: the stored anchor is our best knowledge
    const ttl = this.#deps.blockCheckTtlMs ?? 1000;
    let seen = this.#checked.get(info.blockNumber);
    if (!seen || Date.now() - seen.at > ttl) {
      try {
        const block = await read(info.blockNumber);
        seen = { hash: block?.hash ?? null, at: Date.now() };
        this.#checked.set(info.blockNumber, seen);
        if (this.#checked.size > 10_000) this.#checked.clear();
      } catch {
        return info; // chain unreachable: cannot tell, and a real chain does not forget
      }
    }
    return seen.hash === info.blockHash ? info : null;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function splitPath(path: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < path.length; i += 32) out.push(path.subarray(i, i + 32));
  return out;
}
