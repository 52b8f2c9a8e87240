// The sequencer loop (after Trillian's): every interval, seal pending evidence into a batch,
// then reconcile, send and confirm anchors. Sealing needs only the database, so digests keep
// being batched while the chain is down; chain steps back off and retry.
import { EventEmitter } from "node:events";
import type { Db } from "../store/db.ts";
import type { ChainClient } from "../chain/client.ts";
import { errorFields, type Logger } from "../log.ts";
import { progressInFlight, reconcileAnchors, sendAnchors, type ConfirmedAnchor } from "./anchor.ts";
import { sealBatch, type SealedBatch } from "./seal.ts";
import type { TreeBuilder } from "./tree.ts";

export interface AnchoringTarget {
  chain: ChainClient;
  contract: string;
}

export interface BatcherOptions {
  db: Db;
  trees: TreeBuilder;
  intervalMs: number;
  maxLeaves: number;
  confirmations: number;
  log: Logger;
  /** Connects to the chain and resolves the contract (deploying it where that is allowed). */
  connect: () => Promise<AnchoringTarget>;
}

type Events = {
  sealed: [SealedBatch];
  anchored: [ConfirmedAnchor];
  orphaned: [number];
  chainError: [Error];
};

const MAX_BACKOFF_MS = 30_000;

export class Batcher extends EventEmitter<Events> {
  readonly #opts: BatcherOptions;
  #target: AnchoringTarget | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  // Nothing is scheduled before start(): tests drive tick() by hand.
  #stopped = true;
  #backoffMs = 0;
  #retryAt = 0;
  #ingestedSinceSeal = 0;

  constructor(opts: BatcherOptions) {
    super();
    this.#opts = opts;
  }

  /**
   * What keeps anchoring from working normally right now, in words for /readyz and the log
   * (fees above the ceiling, funds low, chain unreachable); empty when all is well.
   */
  problems(): string[] {
    return [];
  }

  /** The chain currently anchored to, if connected. */
  get target(): AnchoringTarget | undefined {
    return this.#target;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Called by ingest: closes a batch early once enough leaves are waiting. */
  notifyIngested(count: number): void {
    this.#ingestedSinceSeal += count;
    if (this.#ingestedSinceSeal >= this.#opts.maxLeaves && !this.#running) this.#schedule(0);
  }

  /** Runs one full tick now (or waits for the one under way). */
  tick(): Promise<void> {
    if (!this.#running) {
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  /** Stops scheduling and waits for the tick under way: a batch is finished, never cut. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#opts.trees.close();
    this.#target?.chain.close();
    this.#target = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.tick().finally(() => this.#schedule(this.#opts.intervalMs));
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const { log } = this.#opts;
    try {
      await this.#seal();
    } catch (err) {
      log.error("sealing a batch failed", errorFields(err));
    }
    if (Date.now() < this.#retryAt) return;
    try {
      await this.#anchor();
      this.#backoffMs = 0;
    } catch (err) {
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 500), MAX_BACKOFF_MS);
      this.#retryAt = Date.now() + this.#backoffMs;
      log.warn("chain step failed; will retry", { ...errorFields(err), retryInMs: this.#backoffMs });
      // Reconnect next time: the node may have restarted, or the contract may be gone.
      this.#target?.chain.close();
      this.#target = undefined;
      this.emit("chainError", err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #seal(): Promise<void> {
    const { db, trees, maxLeaves } = this.#opts;
    this.#ingestedSinceSeal = 0;
    for (;;) {
      const batch = await sealBatch(db, (leaves) => trees.build(leaves), maxLeaves);
      if (!batch) return;
      this.#opts.log.debug("batch sealed", { batch: batch.seq, size: batch.size });
      this.emit("sealed", batch);
      if (batch.size < maxLeaves) return;
    }
  }

  async #anchor(): Promise<void> {
    const { db, confirmations, log } = this.#opts;
    this.#target ??= await this.#opts.connect();
    const lost = await reconcileAnchors({ db, chain: this.#target.chain, log });
    if (lost > 0) {
      this.emit("orphaned", lost);
      // The chain may have lost the contract too; resolve it again before sending.
      this.#target.chain.close();
      this.#target = await this.#opts.connect();
    }
    const ctx = { db, chain: this.#target.chain, contract: this.#target.contract, confirmations, log };
    const confirm = (list: ConfirmedAnchor[]) => {
      for (const c of list) {
        log.info("batch anchored", { batch: c.batchSeq, tx: c.txHash, block: c.blockNumber });
        this.emit("anchored", c);
      }
    };
    confirm(await progressInFlight(ctx));
    // On an instantly mining chain the new transactions are confirmable at once.
    if ((await sendAnchors(ctx)) > 0) confirm(await progressInFlight(ctx));
  }
}
