// The sequencer (after Trillian's): every interval, seal pending evidence into a batch, and,
// on a loop of its own, reconcile, send, re-price and confirm anchors. Sealing needs only the
// database, so digests keep being batched while the chain is slow, hung or down; the chain
// loop backs off (briefly) and retries, and says why anchoring is held back (problems()).
import { EventEmitter } from "node:events";
import type { Db } from "../store/db.ts";
import type { ChainClient } from "../chain/client.ts";
import { errorFields, type Logger } from "../log.ts";
import {
  balanceWarning,
  progressInFlight,
  reconcileAnchors,
  sendAnchors,
  type AnchorEvents,
  type AnchorPolicy,
  type ConfirmedAnchor,
} from "./anchor.ts";
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
  /** Fee ceilings, replacement and funds rules; DEFAULT_POLICY when absent. */
  policy?: AnchorPolicy;
  /**
   * With several endpoints: the URL that should be in use now (the best live one), checked
   * every `endpointCheckMs`; a different answer makes the batcher reconnect to it.
   */
  preferredEndpoint?: () => Promise<string | null>;
  endpointCheckMs?: number;
}

type Events = {
  sealed: [SealedBatch];
  anchored: [ConfirmedAnchor];
  orphaned: [number];
  /** The error, and the endpoint in use when it happened. */
  chainError: [Error, string | undefined];
  // Transactions and anchors as a chain step handles them (src/batcher/anchor.ts AnchorEvents).
  sent: [{ txHash: string; batches: number }];
  replaced: [{ txHash: string; nonce: number }];
  mined: [{ txHash: string; gasUsed: bigint | null; feePerGas: bigint | null }];
  failed: [number];
};

// After a failed chain step the next waits twice as long as the last, from a quarter of a
// second up to one batch interval: each attempt costs one call bounded by the chain timeout,
// and a node that comes back is used again within about two intervals.
const MIN_BACKOFF_MS = 250;

export class Batcher extends EventEmitter<Events> {
  readonly #opts: BatcherOptions;
  #target: AnchoringTarget | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sealing: Promise<void> | undefined;
  #anchoring: Promise<void> | undefined;
  // Nothing is scheduled before start(): tests drive tick() by hand.
  #stopped = true;
  #backoffMs = 0;
  #retryAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  /** A step was asked for while one was under way. */
  #anchorAgain = false;
  #ingestedSinceSeal = 0;
  #endpointCheckedAt = Date.now();
  /** Why anchoring is held back, from the last chain step (or its failure). */
  #waiting: string[] = [];
  #chainDown: string | null = null;
  /** The endpoint last connected to: a failed connect has no target to name. */
  #lastUrl: string | undefined;
  readonly #events: AnchorEvents = {
    sent: (tx) => this.emit("sent", tx),
    replaced: (tx) => this.emit("replaced", tx),
    mined: (tx) => this.emit("mined", tx),
    failed: (n) => this.emit("failed", n),
  };

  constructor(opts: BatcherOptions) {
    super();
    this.#opts = opts;
  }

  /**
   * What keeps anchoring from working normally right now, in words for /readyz and the log
   * (fees above the ceiling, funds low, chain unreachable); empty when all is well.
   */
  problems(): string[] {
    return this.#chainDown ? [this.#chainDown, ...this.#waiting] : [...this.#waiting];
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
    if (this.#ingestedSinceSeal >= this.#opts.maxLeaves && !this.#sealing) this.#schedule(0);
  }

  /**
   * Seals what is pending, then runs one chain step (or waits for the one under way), both
   * now. The background loops run them independently; tests and the first start use this.
   */
  async tick(): Promise<void> {
    await this.#sealOnce();
    await this.#anchorOnce(true);
  }

  /** Stops scheduling and waits for the steps under way: a batch is finished, never cut. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    await Promise.all([this.#sealing, this.#anchoring]);
    await this.#opts.trees.close();
    this.#target?.chain.close();
    this.#target = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // The chain step is not awaited: a slow or hung node must never hold up sealing.
      void this.#sealOnce()
        .then(() => void this.#anchorOnce(false))
        .finally(() => this.#schedule(this.#opts.intervalMs));
    }, delayMs);
  }

  #sealOnce(): Promise<void> {
    this.#sealing ??= this.#seal()
      .catch((err) => this.#opts.log.error("sealing a batch failed", errorFields(err)))
      .finally(() => {
        this.#sealing = undefined;
      });
    return this.#sealing;
  }

  /**
   * One chain step unless one is under way or a backoff is running. A request that comes
   * while a step is under way (a batch sealed meanwhile) is not dropped: another step follows
   * as soon as this one ends, so a batch never waits a whole interval behind a slow step.
   */
  #anchorOnce(ignoreBackoff: boolean): Promise<void> {
    if (this.#anchoring) {
      this.#anchorAgain = true;
      return this.#anchoring;
    }
    if (!ignoreBackoff && Date.now() < this.#retryAt) return Promise.resolve();
    this.#anchorAgain = false;
    this.#anchoring = this.#anchorStep().finally(() => {
      this.#anchoring = undefined;
      if (this.#stopped) return;
      if (this.#retryAt > 0) this.#scheduleRetry();
      else if (this.#anchorAgain) void this.#anchorOnce(false);
    });
    return this.#anchoring;
  }

  /** After a failed step: the next one when its backoff ends, whether or not a batch is sealed. */
  #scheduleRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#anchorOnce(false), Math.max(0, this.#retryAt - Date.now()));
  }

  async #anchorStep(): Promise<void> {
    const { log } = this.#opts;
    const before = this.problems();
    const started = Date.now();
    try {
      this.#waiting = await this.#anchor();
      this.#backoffMs = 0;
      this.#retryAt = 0;
      if (this.#chainDown) log.info("chain answers again", { url: this.#target?.chain.url });
      this.#chainDown = null;
    } catch (err) {
      const cap = Math.max(this.#opts.intervalMs, MIN_BACKOFF_MS);
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, MIN_BACKOFF_MS), cap);
      // Counted from the start of the failed step: a step that waited out CHAIN_TIMEOUT_MS on
      // a hung node has waited long enough, and the next one goes at once. So a call is
      // always out to a hung node, and its answer after the hang starts the recovery.
      this.#retryAt = started + this.#backoffMs;
      const message = err instanceof Error ? err.message : String(err);
      // The first failure of an outage is a warning; the retries that follow are debug noise.
      (this.#chainDown ? log.debug : log.warn).call(log, "chain step failed; will retry", { ...errorFields(err), retryInMs: this.#backoffMs });
      this.#chainDown ??= `the chain step fails since ${new Date().toISOString()}: ${message.slice(0, 300)}`;
      // Reconnect next time: the node may have restarted, or the contract may be gone.
      const url = this.#target?.chain.url ?? this.#lastUrl;
      this.#target?.chain.close();
      this.#target = undefined;
      this.emit("chainError", err instanceof Error ? err : new Error(message), url);
    }
    this.#reportChanges(before);
  }

  /** Logs each new reason once when it appears, and once when all are gone. */
  #reportChanges(before: string[]): void {
    const now = this.problems();
    const key = (p: string) => p.replace(/ since [^:]*:/, ":");
    const old = new Set(before.map(key));
    for (const p of now) if (!old.has(key(p))) this.#opts.log.warn("anchoring held back", { reason: p });
    if (before.length > 0 && now.length === 0) this.#opts.log.info("anchoring back to normal", {});
  }

  async #seal(): Promise<void> {
    const { db, trees } = this.#opts;
    this.#ingestedSinceSeal = 0;
    const build = (leaves: Uint8Array) => trees.buildLevels(leaves);
    const sealed = (batch: SealedBatch) => {
      this.#opts.log.debug("batch sealed", { batch: batch.seq, size: batch.size });
      this.emit("sealed", batch);
    };
    // Batches that filled up (ingest started the next one) first, then the open one, once.
    for (let batch; (batch = await sealBatch(db, build, { closeOpen: false })); ) sealed(batch);
    const open = await sealBatch(db, build, { closeOpen: true });
    if (open) sealed(open);
  }

  async #anchor(): Promise<string[]> {
    const { db, confirmations, log, policy } = this.#opts;
    // Where a step's time goes, in the debug log: what to look at when anchoring lags.
    const started = Date.now();
    const phases: Record<string, number> = {};
    const timed = async <T>(name: string, p: Promise<T>): Promise<T> => {
      const t = Date.now();
      try {
        return await p;
      } finally {
        phases[name] = (phases[name] ?? 0) + Date.now() - t;
      }
    };
    await this.#checkEndpoint();
    this.#target ??= await timed("connect", this.#opts.connect());
    this.#lastUrl = this.#target.chain.url;
    const lost = await timed("reconcile", reconcileAnchors({ db, chain: this.#target.chain, log }));
    if (lost > 0) {
      this.emit("orphaned", lost);
      // The chain may have lost the contract too; resolve it again before sending.
      this.#target.chain.close();
      this.#target = await this.#opts.connect();
    }
    const ctx = {
      db,
      chain: this.#target.chain,
      contract: this.#target.contract,
      confirmations,
      log,
      events: this.#events,
      ...(policy ? { policy } : {}),
    };
    const waiting: string[] = [];
    const confirm = (step: { confirmed: ConfirmedAnchor[]; waiting: string[] }) => {
      waiting.push(...step.waiting);
      for (const c of step.confirmed) {
        log.info("batch anchored", { batch: c.batchSeq, tx: c.txHash, block: c.blockNumber });
        this.emit("anchored", c);
      }
    };
    confirm(await timed("progress", progressInFlight(ctx)));
    const sent = await timed("send", sendAnchors(ctx));
    waiting.push(...sent.waiting);
    // On an instantly mining chain the new transaction is confirmable at once.
    if (sent.sent > 0) confirm(await timed("progress", progressInFlight(ctx)));
    const low = await timed("balance", balanceWarning(ctx));
    if (low && !waiting.some((w) => w.includes(ctx.chain.sender))) waiting.push(low);
    log.debug("chain step", { ms: Date.now() - started, ...phases });
    return [...new Set(waiting)];
  }

  /** With several endpoints, moves to the preferred one when it is not the one in use. */
  async #checkEndpoint(): Promise<void> {
    const { preferredEndpoint, endpointCheckMs = 30_000 } = this.#opts;
    if (!preferredEndpoint || !this.#target || Date.now() - this.#endpointCheckedAt < endpointCheckMs) return;
    this.#endpointCheckedAt = Date.now();
    const url = await preferredEndpoint();
    if (url && url !== this.#target.chain.url) {
      this.#opts.log.warn("switching chain endpoint", { from: this.#target.chain.url, to: url });
      this.#target.chain.close();
      this.#target = undefined;
    }
  }
}
