// The webhook dispatcher: takes the head of each endpoint's line from the outbox, checks where
// its URL resolves now, signs and sends it, and records the outcome (delivered; again later on
// the retry schedule; failed once the schedule is spent). One runs on the leader only, started
// and stopped with the sequencer (src/service.ts), so no two instances send the same head.
// Woken when an event is written here; a periodic poll finds retries that fell due and events
// written by another instance.
import { EventEmitter } from "node:events";
import { signWebhook } from "../core/webhook-signature.ts";
import { errorFields, type Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { dueHeads, nextDueAt, recordAttempt, type DueDelivery } from "../store/webhooks.ts";
import { resolveTarget, TargetRefused, type TargetRules } from "./address.ts";
import { sendWebhook } from "./send.ts";

/**
 * Standard Webhooks' schedule: after the first attempt, retries 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h and 10 h later (about 27.6 hours in all), then the delivery has failed.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Delivered and failed deliveries are kept (and listed to their tenant) this long, then swept hourly. */
export const WEBHOOK_RETENTION_DAYS = 30;
export const DEFAULT_WEBHOOK_POLL_MS = 5_000;
/** A retry waits its scheduled delay ± this fraction, so endpoints that failed together do not retry together. */
const JITTER = 0.2;
/** Attempts under way at once (each to another endpoint). */
const CONCURRENCY = 16;

/** One attempt's outcome, for metrics. */
export interface DeliveryOutcome {
  outcome: "delivered" | "retry" | "failed";
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** How long the attempt took. */
  seconds: number;
}

export interface DispatcherOptions {
  db: Db;
  log: Logger;
  rules: TargetRules;
  retryScheduleMs?: readonly number[];
  timeoutMs?: number;
  pollMs?: number;
  /** Called after every attempt (the lead wires it to the metrics). */
  onOutcome?: (o: DeliveryOutcome) => void;
  now?: () => Date;
}

export interface WebhookDispatcherEvents {
  /** After each attempt was recorded: the delivery, what became of it, and its outcome. */
  attempted: [{ deliveryId: number; msgId: string } & DeliveryOutcome];
}

export class WebhookDispatcher extends EventEmitter<WebhookDispatcherEvents> {
  readonly #o: Required<Omit<DispatcherOptions, "onOutcome">> & Pick<DispatcherOptions, "onOutcome">;
  #running: Promise<void> | undefined;
  #stopped = false;
  #woken = false;
  #wakeUp: (() => void) | undefined;
  /** Attempts under way, by endpoint id. */
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(opts: DispatcherOptions) {
    super();
    this.#o = {
      retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
      timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS,
      pollMs: DEFAULT_WEBHOOK_POLL_MS,
      now: () => new Date(),
      ...opts,
    };
  }

  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#loop();
  }

  /** An event was written: look at the outbox now rather than at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Stops taking heads and waits for the attempts under way (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeUp?.();
    await this.#running;
  }

  /**
   * Endpoints are served independently: an attempt runs on its own (at most CONCURRENCY at
   * once), so a receiver that hangs for the whole timeout delays only its own line. One attempt
   * per endpoint at a time: its next head is taken only after this one is recorded.
   */
  async #loop(): Promise<void> {
    while (!this.#stopped) {
      this.#woken = false;
      const busy = [...this.#inFlight.keys()];
      try {
        const free = CONCURRENCY - busy.length;
        const heads = free > 0 ? await dueHeads(this.#o.db, this.#o.now(), free, busy) : [];
        for (const h of heads) {
          const endpoint = h.delivery.endpointId;
          const run = this.#attempt(h)
            .catch((err) => this.#o.log.warn("webhook attempt failed; trying again at the next poll", errorFields(err)))
            .finally(() => {
              this.#inFlight.delete(endpoint);
              // A finished head lets the next in its line go at once.
              this.wake();
            });
          this.#inFlight.set(endpoint, run);
        }
      } catch (err) {
        this.#o.log.warn("webhook dispatch failed; trying again at the next poll", errorFields(err));
      }
      if (this.#stopped || this.#woken) continue;
      let waitMs = this.#o.pollMs;
      try {
        const due = await nextDueAt(this.#o.db, [...this.#inFlight.keys()]);
        // At least a few ms: a head due by the clock but not yet returned must not make a spin.
        if (due) waitMs = Math.max(5, Math.min(waitMs, due.getTime() - this.#o.now().getTime()));
      } catch {
        // The database is away: the poll interval it is.
      }
      if (this.#woken || this.#stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        timer.unref();
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wakeUp = done;
      });
      this.#wakeUp = undefined;
    }
    await Promise.all(this.#inFlight.values());
  }

  async #attempt(h: DueDelivery): Promise<void> {
    const { delivery } = h;
    const started = performance.now();
    const at = this.#o.now();
    let httpStatus: number | null = null;
    let error: string | null = null;
    let response: string | null = null;
    try {
      const target = await resolveTarget(h.url, this.#o.rules);
      const timestamp = Math.floor(at.getTime() / 1000);
      const secrets = [h.secret];
      if (h.previousSecret && h.previousSecretUntil && h.previousSecretUntil > at) secrets.push(h.previousSecret);
      const signature = secrets.map((s) => signWebhook(`whsec_${Buffer.from(s).toString("base64")}`, delivery.msgId, timestamp, delivery.body)).join(" ");
      const sent = await sendWebhook(
        target,
        { "webhook-id": delivery.msgId, "webhook-timestamp": String(timestamp), "webhook-signature": signature },
        delivery.body,
        this.#o.timeoutMs,
      );
      ({ status: httpStatus, error, response } = sent);
    } catch (err) {
      error = err instanceof TargetRefused ? `refused: ${err.message}` : String((err as Error)?.message ?? err);
    }
    const ok = httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
    if (!ok && error === null) error = `HTTP ${httpStatus}`;
    const schedule = this.#o.retryScheduleMs;
    const attempt = delivery.attempts + 1;
    const delay = schedule[attempt - 1];
    const outcome: DeliveryOutcome["outcome"] = ok ? "delivered" : delay === undefined ? "failed" : "retry";
    const nextAttemptAt =
      outcome === "retry" ? new Date(at.getTime() + Math.round(delay! * (1 + JITTER * (2 * Math.random() - 1)))) : at;
    await recordAttempt(this.#o.db, delivery.id, {
      status: outcome === "retry" ? "pending" : outcome,
      at,
      nextAttemptAt,
      httpStatus,
      error: ok ? null : error,
      response,
    });
    const seconds = (performance.now() - started) / 1000;
    const o: DeliveryOutcome = { outcome, seconds, ...(httpStatus === null ? {} : { status: httpStatus }) };
    if (outcome === "failed") {
      this.#o.log.warn("webhook delivery failed for good", { delivery: delivery.id, endpoint: delivery.endpointId, attempts: attempt, error });
    }
    this.#o.onOutcome?.(o);
    this.emit("attempted", { deliveryId: delivery.id, msgId: delivery.msgId, ...o });
  }
}
