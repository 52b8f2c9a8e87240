// The second clock over every batch: when TSA_URL is set, the sequencer asks that authority for
// an RFC 3161 token over each sealed batch root and keeps it (store/timestamps.ts). A loop of
// its own beside sealing and anchoring, never in their way: an authority that is slow or down
// only delays tokens (retried with backoff), and since the batches still without one are read
// from the database each pass, a restart resumes where the last run stopped.
import { errorFields, type Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { batchesWithoutTimestamp, insertBatchTimestamp } from "../store/timestamps.ts";
import { requestTimestamp, type TsaRequestOptions } from "./client.ts";
import type { TokenInfo } from "../verify/timestamp.ts";

export interface BatchStamperOptions {
  db: Db;
  /** The external authority (TSA_URL). */
  url: string;
  /** The Authorization header the authority wants (TSA_AUTHORIZATION), if any. */
  authorization?: string | undefined;
  timeoutMs: number;
  /** Wait after a failure (doubling, up to ten times this); also the idle poll interval. */
  retryMs: number;
  log: Logger;
  /** Batches asked for in one pass at most, one request at a time. */
  perPass?: number;
  /** Told of each request to the authority, its outcome and duration (for metrics). */
  onRequest?: (r: { outcome: "stamped" | "failed"; seconds: number }) => void;
  /** Injected in tests; requestTimestamp otherwise. */
  request?: (url: string, root: Uint8Array, opts: TsaRequestOptions) => Promise<TokenInfo>;
  now?: () => Date;
}

export class BatchStamper {
  readonly #o: BatchStamperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  /** Set by stop(): a pass under way ends after the request in flight. */
  #halting = false;
  #wokenDuringPass = false;
  #failures = 0;
  #lastError: string | undefined;

  constructor(opts: BatchStamperOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#stopped = false;
    this.#halting = false;
    this.#schedule(0);
  }

  /** A batch was sealed: ask for its token soon, unless the authority is in backoff. */
  wake(): void {
    if (this.#stopped || this.#failures > 0) return;
    // During a pass: the batch may have been sealed after the pass read its list; go again.
    if (this.#running) this.#wokenDuringPass = true;
    else this.#schedule(0);
  }

  /** Stops scheduling and waits for the pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halting = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Why tokens are held back now (for readiness), if they are. */
  problems(): string[] {
    return this.#lastError ? [`batch time-stamps from ${this.#o.url} are held back: ${this.#lastError}`] : [];
  }

  /**
   * One pass: a token for each batch still without one, oldest first, until one request
   * fails (the authority is then most likely down: the rest wait for the retry). Returns
   * how many were stored and whether the pass stopped at a failure.
   */
  async runOnce(): Promise<{ stamped: number; failed: boolean; more: boolean }> {
    const o = this.#o;
    const perPass = o.perPass ?? 32;
    const todo = await batchesWithoutTimestamp(o.db, { limit: perPass });
    let stamped = 0;
    for (const batch of todo) {
      if (this.#halting) break;
      let info: TokenInfo;
      const started = performance.now();
      const told = (outcome: "stamped" | "failed") => o.onRequest?.({ outcome, seconds: (performance.now() - started) / 1000 });
      try {
        info = await (o.request ?? requestTimestamp)(o.url, batch.root, {
          timeoutMs: o.timeoutMs,
          authorization: o.authorization,
          ...(o.now ? { now: o.now } : {}),
        });
        told("stamped");
      } catch (err) {
        told("failed");
        this.#failures++;
        this.#lastError = (err as Error).message;
        o.log.warn("batch time-stamp failed; retrying later", { seq: batch.seq, tsa: o.url, failures: this.#failures, ...errorFields(err) });
        return { stamped, failed: true, more: true };
      }
      const stored = await insertBatchTimestamp(o.db, {
        batchSeq: batch.seq,
        tsaUrl: o.url,
        token: info.token,
        genTime: info.genTime,
        serialNumber: info.serialNumber,
        policy: info.policy,
        tsaName: info.signerName,
        createdAt: (o.now ?? (() => new Date()))(),
      });
      if (stored) {
        stamped++;
        o.log.info("batch time-stamped", { seq: batch.seq, tsa: o.url, genTime: info.genTime.toISOString(), serialNumber: info.serialNumber });
      }
      this.#failures = 0;
      this.#lastError = undefined;
    }
    return { stamped, failed: false, more: todo.length === perPass };
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
      });
    }, ms);
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    let next = this.#o.retryMs;
    this.#wokenDuringPass = false;
    try {
      const r = await this.runOnce();
      // After failures: retryMs, doubling, at most ten times as long. Work left: at once.
      if (r.failed) next = Math.min(this.#o.retryMs * 2 ** (this.#failures - 1), this.#o.retryMs * 10);
      else if (r.more || this.#wokenDuringPass) next = 0;
    } catch (err) {
      // The database, not the authority: try again after the usual wait.
      this.#o.log.warn("batch time-stamps: reading or storing failed", errorFields(err));
    }
    this.#schedule(next);
  }
}
