// Accepting evidence: fix each item's salt, meta and leaf hash, and commit it before the
// caller is answered. What is committed here is what the proof will later hash.
import { randomBytes as nodeRandomBytes, randomUUID } from "node:crypto";
import { fromHex, toHex } from "../core/bytes.ts";
import { leafHash, normaliseMeta, type EvidenceMeta, type HashAlg } from "../core/leaf.ts";
import type { Db, DbOrTx } from "../store/db.ts";
import { insertEvidence, type NewEvidence } from "../store/evidence.ts";
import type { Signer } from "../signing/signer.ts";

export interface SubmitItem {
  /** 0x + 64 hex digits (either case). */
  digest: string;
  hashAlg?: HashAlg | undefined;
  caseId?: string | undefined;
  eventType?: string | undefined;
  occurredAt?: string | undefined;
}

export interface SubmitReceipt {
  id: string;
  status: "pending";
  leafHash: string;
  receivedAt: string;
}

export interface IngestDeps {
  db: Db;
  /** Signs the receipt of each accepted item. */
  signer: Signer;
  /** Told how many items were committed (the batcher closes full batches early). */
  onIngested?: (count: number) => void;
  /** Injected so tests can fix salts; a CSPRNG otherwise. */
  randomBytes?: (n: number) => Uint8Array;
  now?: () => Date;
}

export class IngestService {
  readonly #deps: IngestDeps;

  constructor(deps: IngestDeps) {
    this.#deps = deps;
  }

  /**
   * Stores every item or none, then answers. Requires items already validated (the API's
   * schemas do it); a malformed digest here is a programming error and throws.
   * `opts.db`: a caller's transaction to insert in, so the items commit with the caller's
   * other writes (the audit log anchors its head this way).
   */
  async submit(submitter: string, items: SubmitItem[], opts: { db?: DbOrTx } = {}): Promise<SubmitReceipt[]> {
    const random = this.#deps.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
    const receivedAt = (this.#deps.now ?? (() => new Date()))();
    const rows: NewEvidence[] = items.map((item) => {
      const digest = fromHex(item.digest.toLowerCase(), 32);
      const salt = random(32);
      const meta: EvidenceMeta = normaliseMeta({
        hashAlg: item.hashAlg ?? "sha256",
        submitter,
        caseId: item.caseId,
        eventType: item.eventType,
        occurredAt: item.occurredAt,
      });
      return {
        id: randomUUID(),
        submitter,
        digest,
        salt,
        hashAlg: meta.hashAlg,
        caseId: item.caseId ?? null,
        eventType: item.eventType ?? null,
        meta: meta as Record<string, string>,
        leafHash: leafHash({ salt, digest, meta }),
        receivedAt,
      };
    });
    await insertEvidence(opts.db ?? this.#deps.db, rows);
    this.#deps.onIngested?.(rows.length);
    return rows.map((r) => ({
      id: r.id,
      status: "pending",
      leafHash: toHex(r.leafHash),
      receivedAt: receivedAt.toISOString(),
    }));
  }
}
