// Which instance runs the sequencer when several share one PostgreSQL database: a session-level
// advisory lock held on a session of its own (followers retry it, the leader checks it still
// answers), and the NOTIFY channels through which followers wake the leader for digests they
// took and webhook events they wrote.
import { EventEmitter } from "node:events";
import { errorFields, type Logger } from "../log.ts";
import type { Cluster, ClusterSession } from "../store/db.ts";

/** The one-key advisory lock space is shared with src/batcher/seal.ts, src/store/evidence.ts, … */
export const LEADER_LOCK = 727318030n;
/** Payload: how many digests were committed, as a decimal number. */
export const INGESTED_CHANNEL = "evidence_ingested";
/** Followers wake the leader's webhook dispatcher through this channel when they write an event. */
export const WEBHOOKS_CHANNEL = "evidence_webhooks";
/** A follower gathers the counts of this long into one NOTIFY: one per window, not per request. */
export const NOTIFY_COALESCE_MS = 50;
export const DEFAULT_LEADER_RETRY_MS = 1000;

/**
 * How long the server keeps a silent lock session (idle_session_timeout), i.e. how long a hung
 * or cut-off leader can hold the lock. Ten heartbeats: a leader that is merely slow keeps it.
 */
export const sessionTimeoutMs = (retryMs: number) => Math.max(10 * retryMs, 10_000);
/**
 * A leader whose session has not answered for this long steps down. Half the server's
 * timeout, so that a leader cut off from the database has stopped sequencing before the
 * server lets another instance take the lock.
 */
export const heartbeatTimeoutMs = (retryMs: number) => sessionTimeoutMs(retryMs) / 2;

export interface LeaderElectionOptions {
  /** Absent (PGlite, one process per data directory): this process always leads, no lock taken. */
  cluster: Cluster | undefined;
  /** Names this instance in logs, in /readyz and in pg_stat_activity (application_name). */
  instanceId: string;
  /** Followers try the lock, and the leader checks its session, this often. */
  retryMs: number;
  log: Logger;
  /** Starts sequencing (a new batcher, the audit timer). Called once per term. */
  onElected: () => void | Promise<void>;
  /** Stops sequencing; resolves once nothing of the term is still running. */
  onDeposed: () => Promise<void>;
  /** Digests committed, by this instance or (through NOTIFY) another; called on the leader only. */
  onIngested: (count: number) => void;
  /** Webhook events written, by this instance or (through NOTIFY) another; called on the leader only. */
  onWebhookEvent?: () => void;
}

type Events = {
  /** After onElected has run. */
  elected: [];
  /** After onDeposed has finished; the argument says why. */
  deposed: [string];
};

/**
 * Elects at most one sequencer among the instances on a database, and keeps electing: when the
 * leader's session ends (the process died, the connection broke, the server terminated it) its
 * lock goes with it and a follower takes it on its next try.
 *
 * Two leaders can overlap for a moment (a leader cut off from the database is deposed by the
 * server's timeout and by its own heartbeat, not at the same instant). That stays correct, not
 * because of this class: sealing takes a transaction-level advisory lock (src/batcher/seal.ts)
 * and the batches and anchors tables have unique indexes. Normal operation does not rely on it.
 */
export class LeaderElection extends EventEmitter<Events> {
  readonly #opts: LeaderElectionOptions;
  #leader = false;
  #stopped = true;
  #session: ClusterSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stepping: Promise<void> | undefined;
  #deposing: Promise<void> | undefined;
  /** Logged once per streak of failed tries, not every second. */
  #failing = false;
  #pendingNotify = 0;
  #notifyTimer: NodeJS.Timeout | undefined;

  constructor(opts: LeaderElectionOptions) {
    super();
    this.#opts = opts;
  }

  get instanceId(): string {
    return this.#opts.instanceId;
  }

  /** Whether this instance runs the sequencer now. */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Tries the lock once before it resolves (so a caller knows where it stands), then keeps trying. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (!this.#opts.cluster) {
      await this.#elect("the only instance (embedded database)");
      return;
    }
    await this.#runStep();
  }

  /** Stops sequencing if leading, then lets go of the lock (another instance takes it at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#depose("shutting down");
    // Closing the session also aborts a try or a heartbeat under way.
    if (this.#session) await this.#dropSession(this.#session);
    await this.#stepping;
    clearTimeout(this.#notifyTimer);
    this.#flushNotify();
  }

  /**
   * Digests were committed here. The leader counts them itself; a follower tells the leader
   * through NOTIFY, gathered over NOTIFY_COALESCE_MS, so that a full batch is sealed early
   * wherever its digests arrived. A lost NOTIFY costs latency only: the leader seals on its interval.
   */
  reportIngested(count: number): void {
    if (this.#leader) {
      this.#opts.onIngested(count);
      return;
    }
    if (!this.#opts.cluster || count <= 0) return;
    this.#pendingNotify += count;
    this.#notifyTimer ??= setTimeout(() => this.#flushNotify(), NOTIFY_COALESCE_MS);
  }

  /**
   * Webhook events were committed here (a report, a test event, a replay). The leader's
   * dispatcher sends them at once; a follower wakes it through NOTIFY. A lost NOTIFY costs
   * latency only: the dispatcher polls (WEBHOOK_POLL_MS).
   */
  reportWebhookEvent(): void {
    if (this.#leader) {
      this.#opts.onWebhookEvent?.();
      return;
    }
    this.#opts.cluster?.notify(WEBHOOKS_CHANNEL, "").catch((err) => {
      this.#opts.log.warn("waking the leader's webhook dispatcher failed; it finds the event on its next poll", errorFields(err));
    });
  }

  #flushNotify(): void {
    this.#notifyTimer = undefined;
    const count = this.#pendingNotify;
    this.#pendingNotify = 0;
    if (count === 0 || !this.#opts.cluster) return;
    this.#opts.cluster.notify(INGESTED_CHANNEL, String(count)).catch((err) => {
      this.#opts.log.warn("waking the leader failed; it seals on its next interval", errorFields(err));
    });
  }

  #runStep(): Promise<void> {
    this.#stepping = this.#step()
      .catch((err) => this.#opts.log.error("leader election step failed", { instance: this.#opts.instanceId, ...errorFields(err) }))
      .finally(() => {
        this.#stepping = undefined;
        if (!this.#stopped) this.#timer = setTimeout(() => void this.#runStep(), this.#opts.retryMs);
      });
    return this.#stepping;
  }

  async #step(): Promise<void> {
    // A term that is winding down finishes before this instance may start another.
    await this.#deposing;
    if (this.#stopped) return;
    if (this.#leader) await this.#heartbeat();
    else await this.#tryLock();
  }

  async #tryLock(): Promise<void> {
    let session: ClusterSession | undefined;
    try {
      session = this.#session ??= this.#openSession();
      if (!(await session.tryAdvisoryLock(LEADER_LOCK))) {
        this.#failing = false;
        return;
      }
      // On the lock's own session: the leader hears followers exactly as long as it holds the lock.
      await session.listen(INGESTED_CHANNEL);
      await session.listen(WEBHOOKS_CHANNEL);
    } catch (err) {
      if (!this.#failing) {
        this.#opts.log.warn("cannot try the leader lock; retrying", { instance: this.#opts.instanceId, ...errorFields(err) });
      }
      this.#failing = true;
      if (session) await this.#dropSession(session);
      return;
    }
    this.#failing = false;
    if (this.#stopped || session.closed) {
      await this.#dropSession(session);
      return;
    }
    await this.#elect("took the leader lock");
  }

  async #elect(how: string): Promise<void> {
    this.#leader = true;
    this.#opts.log.info("became leader", { instance: this.#opts.instanceId, how });
    try {
      await this.#opts.onElected();
    } catch (err) {
      this.#opts.log.error("starting the sequencer failed", { instance: this.#opts.instanceId, ...errorFields(err) });
      await this.#depose("starting the sequencer failed");
      if (this.#session) await this.#dropSession(this.#session);
      return;
    }
    this.emit("elected");
  }

  async #heartbeat(): Promise<void> {
    const session = this.#session;
    if (!session) {
      await this.#depose("its lock session is gone");
      return;
    }
    try {
      await session.ping(heartbeatTimeoutMs(this.#opts.retryMs));
    } catch (err) {
      // Stop sequencing first, then let go: from our side, never two sequencers at once.
      await this.#depose(`its lock session did not answer (${err instanceof Error ? err.message : String(err)})`);
      await this.#dropSession(session);
    }
  }

  /** Stops sequencing now. Resolves once the term has wound down; idempotent. */
  #depose(reason: string): Promise<void> {
    if (!this.#leader) return this.#deposing ?? Promise.resolve();
    this.#leader = false;
    this.#opts.log.warn("lost leadership", { instance: this.#opts.instanceId, reason });
    const deposing = this.#opts
      .onDeposed()
      .catch((err) => this.#opts.log.error("stopping the sequencer failed", { instance: this.#opts.instanceId, ...errorFields(err) }))
      .then(() => {
        if (this.#deposing === deposing) this.#deposing = undefined;
        this.emit("deposed", reason);
      });
    this.#deposing = deposing;
    return deposing;
  }

  #openSession(): ClusterSession {
    const retryMs = this.#opts.retryMs;
    const session = this.#opts.cluster!.session({
      name: `evidence:${this.#opts.instanceId}`.slice(0, 63),
      settings: {
        // The server drops a session that sends nothing for this long, releasing the lock of a
        // hung leader (PostgreSQL 14+; skipped where unknown). Heartbeats keep a live one busy.
        idle_session_timeout: String(sessionTimeoutMs(retryMs)),
        // And notices a peer that is gone without closing (power loss, partition) in ~11 s.
        tcp_keepalives_idle: "5",
        tcp_keepalives_interval: "2",
        tcp_keepalives_count: "3",
      },
      keepAliveSeconds: 5,
      onNotify: (channel, payload) => {
        if (!this.#leader) return;
        if (channel === WEBHOOKS_CHANNEL) return this.#opts.onWebhookEvent?.();
        if (channel !== INGESTED_CHANNEL) return;
        const count = Number(payload);
        if (Number.isSafeInteger(count) && count > 0) this.#opts.onIngested(count);
      },
      onClosed: () => {
        if (this.#session !== session) return;
        this.#session = undefined;
        // The lock went with the connection: another instance may already be sequencing.
        void this.#depose("its lock session ended");
      },
    });
    return session;
  }

  async #dropSession(session: ClusterSession): Promise<void> {
    if (this.#session === session) this.#session = undefined;
    await session.close();
  }
}
