// The service's Prometheus metrics: one prom-client Registry per service instance (tests run
// several services in one process, so never prom-client's global one), the evidence_* series,
// and the thin adapters that feed them from events the core already emits (the batcher's
// sealed / sent / replaced / failed / mined / anchored / orphaned / chainError, leadership's
// elected / deposed, the app's one line per request). Gauges that cost a query or a chain call
// (backlog, chain head, balance, database connections) are read when scraped, each bounded by
// a timeout: a hung node or database never hangs the scrape; the last known value is kept.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Batcher } from "../batcher/batcher.ts";
import type { Logger } from "../log.ts";
import { errorFields } from "../log.ts";
import type { LeaderElection } from "../services/leadership.ts";
import { batchFirstReceivedAt, readBacklog } from "../store/backlog.ts";
import type { Db } from "../store/db.ts";
import { queryRows } from "../store/db.ts";
import { sql } from "drizzle-orm";
import type { EndpointProbe } from "../chain/endpoints.ts";

/** What the app's request hook hands over for each request. */
export interface RequestObservation {
  method: string;
  /** The route as registered ("/v1/evidence/:id"), or null for a path no route matched. */
  route: string | null;
  status: number;
  seconds: number;
  /** Items a submission accepted (set by the evidence routes), else undefined. */
  ingestedItems?: number | undefined;
}

/** What the scrape reads, each part optional (a follower has no anchoring account). */
export interface ScrapeSources {
  db: Db;
  dbKind: "pglite" | "postgres";
  /** This instance's application_name in pg_stat_activity (PostgreSQL only). */
  applicationName?: string;
  /** Every configured endpoint's head (src/chain/endpoints.ts probes). */
  probeChain?: (timeoutMs: number) => Promise<EndpointProbe[]>;
  /** The anchor account and its balance in wei, when this instance anchors (leads); null otherwise. */
  balance?: () => Promise<{ account: string; wei: bigint } | null>;
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Routes whose requests count as ingest (the label keeps the registry's spelling). */
const INGEST_ROUTES = new Set(["POST /v1/evidence", "POST /v1/evidence/batch"]);
/** Routes that make or render a report, by the format they produce. */
const REPORT_ROUTES: Record<string, string> = { "POST /v1/reports": "json", "GET /v1/reports/:id/pdf": "pdf" };

// Latency buckets from 1 ms (a cached read) to 30 s (the request timeout).
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Receipt to confirmed anchor: one batch interval plus a few blocks at best, hours in an outage.
const ANCHOR_DELAY_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 24 * 3600];

const outcomeOf = (status: number) => (status < 400 ? "accepted" : status < 500 ? "rejected" : "failed");
const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** The host (and port) of an RPC URL: the rest of a URL may carry an API key. */
export function endpointHost(url: string | undefined): string {
  if (!url) return "unknown";
  try {
    return new URL(url).host;
  } catch {
    return "unknown";
  }
}

/** A few stable kinds of RPC failure, from the error's name and message. */
export function rpcErrorKind(err: unknown): string {
  const text = err instanceof Error ? `${err.name} ${err.message} ${String((err as { code?: unknown }).code ?? "")}` : String(err);
  if (/timeout|timed out|aborted/i.test(text)) return "timeout";
  if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|socket|network|connect/i.test(text)) return "connection";
  if (/no contract code|contract/i.test(text)) return "contract";
  if (/RpcError|SERVER_ERROR|BAD_DATA|CALL_EXCEPTION|-32\d{3}/i.test(text)) return "rpc";
  return "other";
}

/** Resolves with `p`, or with undefined after `ms` (the work under way is left to finish). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsOptions {
  /** How long the scrape waits for each slow source (chain, database) before answering what it knows. */
  scrapeTimeoutMs?: number;
  log: Logger;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Whether request() records anything: the bench turns it off to measure what it costs. */
  observeRequests = true;
  readonly #log: Logger;
  readonly #scrapeTimeoutMs: number;
  #sources: ScrapeSources | undefined;
  /** Observations still reading the database: a scrape waits for them (bounded), so it shows every anchor confirmed before it. */
  readonly #observing = new Set<Promise<unknown>>();

  // HTTP and ingest
  readonly #http = new Histogram({
    name: "evidence_http_request_duration_seconds",
    help: "HTTP request latency by route (as registered), method and status class",
    labelNames: ["route", "method", "status"] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  readonly #ingestRequests = new Counter({
    name: "evidence_ingest_requests_total",
    help: "Submission requests by route and outcome (accepted, rejected: 4xx, failed: 5xx)",
    labelNames: ["route", "outcome"] as const,
    registers: [this.registry],
  });
  readonly #ingestItems = new Counter({
    name: "evidence_ingest_items_total",
    help: "Evidence items accepted, by route",
    labelNames: ["route"] as const,
    registers: [this.registry],
  });
  // Backlog (read at scrape)
  readonly #pending = new Gauge({
    name: "evidence_pending_leaves",
    help: "Evidence items received and not yet in a confirmed anchor",
    registers: [this.registry],
  });
  readonly #oldestPending = new Gauge({
    name: "evidence_oldest_pending_age_seconds",
    help: "Age of the oldest item not yet in a confirmed anchor (0 when none)",
    registers: [this.registry],
  });
  // Batches and anchors
  readonly #sealed = new Counter({ name: "evidence_batches_sealed_total", help: "Batches sealed by this instance", registers: [this.registry] });
  readonly #batchSize = new Histogram({
    name: "evidence_batch_size_leaves",
    help: "Leaves per sealed batch",
    buckets: [1, 10, 100, 1000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  });
  readonly #anchorTxs = new Counter({
    name: "evidence_anchor_transactions_total",
    help: "Anchoring transactions by event: sent (new), replaced (fee bump or re-send of a dropped one), mined",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });
  readonly #anchors = new Counter({
    name: "evidence_anchors_total",
    help: "Batch anchors by outcome: confirmed, failed (reverted, dropped, superseded), orphaned (the chain lost a confirmed one)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #anchorDelay = new Histogram({
    name: "evidence_receipt_to_anchor_seconds",
    help: "Per confirmed batch: from its oldest item's receipt to the anchor's confirmation",
    buckets: ANCHOR_DELAY_BUCKETS,
    registers: [this.registry],
  });
  readonly #lastConfirmed = new Gauge({
    name: "evidence_last_anchor_confirmed_timestamp_seconds",
    help: "Unix time this instance last confirmed an anchor (0: not since it started leading)",
    registers: [this.registry],
  });
  readonly #gasUsed = new Histogram({
    name: "evidence_anchor_gas_used",
    help: "Gas used per mined anchoring transaction",
    buckets: [50_000, 60_000, 80_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000],
    registers: [this.registry],
  });
  readonly #feePerGas = new Gauge({
    name: "evidence_anchor_fee_per_gas_gwei",
    help: "Effective fee per gas of the last mined anchoring transaction, in gwei",
    registers: [this.registry],
  });
  readonly #cost = new Counter({
    name: "evidence_anchor_cost_ether_total",
    help: "Ether paid for mined anchoring transactions (gas used × effective fee per gas)",
    registers: [this.registry],
  });
  readonly #lastCost = new Gauge({
    name: "evidence_anchor_last_cost_ether",
    help: "Ether paid for the last mined anchoring transaction",
    registers: [this.registry],
  });
  // Chain
  readonly #chainUp = new Gauge({
    name: "evidence_chain_up",
    help: "1 when at least one chain endpoint answered the scrape's probe in time, else 0",
    registers: [this.registry],
  });
  readonly #endpointUp = new Gauge({
    name: "evidence_chain_endpoint_up",
    help: "1 when this endpoint answered the scrape's probe in time (by host: URLs may carry keys)",
    labelNames: ["endpoint"] as const,
    registers: [this.registry],
  });
  readonly #head = new Gauge({
    name: "evidence_chain_head_block",
    help: "Highest head block among the endpoints that answered",
    registers: [this.registry],
  });
  readonly #endpointLag = new Gauge({
    name: "evidence_chain_endpoint_lag_blocks",
    help: "Blocks this endpoint's head is behind the highest head seen",
    labelNames: ["endpoint"] as const,
    registers: [this.registry],
  });
  readonly #sinceAnchor = new Gauge({
    name: "evidence_chain_blocks_since_anchor",
    help: "Head block minus the block of the newest confirmed anchor",
    registers: [this.registry],
  });
  readonly #rpcErrors = new Counter({
    name: "evidence_rpc_errors_total",
    help: "Failed chain calls by endpoint host and kind (timeout, connection, rpc, contract, other)",
    labelNames: ["endpoint", "kind"] as const,
    registers: [this.registry],
  });
  // Labelled by the account so that a follower, which anchors nothing, shows no sample at all
  // rather than a balance of 0.
  readonly #balance = new Gauge({
    name: "evidence_anchor_balance_ether",
    help: "The anchor account's balance in ether (the leader only)",
    labelNames: ["account"] as const,
    registers: [this.registry],
  });
  // Database
  readonly #dbConnections = new Gauge({
    name: "evidence_db_connections",
    help: "This instance's database connections by state (pg_stat_activity; embedded: its one connection)",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  readonly #scrapeErrors = new Counter({
    name: "evidence_metrics_source_errors_total",
    help: "Scrape-time reads that failed or timed out, by source (db, chain, balance, connections)",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  // Leadership
  readonly #leader = new Gauge({ name: "evidence_leader", help: "1 while this instance runs the sequencer", registers: [this.registry] });
  readonly #leaderChanges = new Counter({
    name: "evidence_leader_changes_total",
    help: "Times this instance became or stopped being the leader, by event (elected, deposed)",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });
  // Webhooks and reports
  readonly #webhookDeliveries = new Counter({
    name: "evidence_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome (delivered, failed, ...)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #webhookDuration = new Histogram({
    name: "evidence_webhook_delivery_duration_seconds",
    help: "Time of one webhook delivery attempt",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #reports = new Counter({
    name: "evidence_report_renders_total",
    help: "Reports made (json: POST /v1/reports) or rendered (pdf), by format and outcome",
    labelNames: ["format", "outcome"] as const,
    registers: [this.registry],
  });
  readonly #reportDuration = new Histogram({
    name: "evidence_report_render_duration_seconds",
    help: "Time to make or render a report, by format",
    labelNames: ["format"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  // RFC 3161 tokens over batch roots from TSA_URL (src/tsa/batch-stamper.ts)
  readonly #tsaRequests = new Counter({
    name: "evidence_tsa_requests_total",
    help: "Requests to the external time-stamping authority (TSA_URL) for batch roots, by outcome (stamped, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #tsaDuration = new Histogram({
    name: "evidence_tsa_request_duration_seconds",
    help: "Time of one request to the external time-stamping authority",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(opts: MetricsOptions) {
    this.#log = opts.log;
    this.#scrapeTimeoutMs = opts.scrapeTimeoutMs ?? 2000;
    // process_*, nodejs_* (heap, GC, handles, event-loop lag and its percentiles, from
    // monitorEventLoopDelay), into this registry only.
    collectDefaultMetrics({ register: this.registry });
    this.#leader.set(0);
    this.#lastConfirmed.set(0);
    for (const outcome of ["confirmed", "failed", "orphaned"]) this.#anchors.inc({ outcome }, 0);
    for (const event of ["sent", "replaced", "mined"]) this.#anchorTxs.inc({ event }, 0);
    for (const route of INGEST_ROUTES) this.#ingestItems.inc({ route: route.slice(5) }, 0);
  }

  /** Where the scrape reads the backlog, the chain and the database from. */
  setSources(sources: ScrapeSources): void {
    this.#sources = sources;
  }

  /** One finished HTTP request (called from the app's request log line). */
  request(o: RequestObservation): void {
    if (!this.observeRequests) return;
    const route = o.route ?? "unmatched";
    this.#http.observe({ route, method: o.method, status: statusClass(o.status) }, o.seconds);
    const key = `${o.method} ${route}`;
    if (INGEST_ROUTES.has(key)) {
      this.#ingestRequests.inc({ route, outcome: outcomeOf(o.status) });
      if (o.ingestedItems) this.#ingestItems.inc({ route }, o.ingestedItems);
    }
    const format = REPORT_ROUTES[key];
    if (format) {
      this.#reports.inc({ format, outcome: o.status < 400 ? "ok" : outcomeOf(o.status) });
      if (o.status < 400) this.#reportDuration.observe({ format }, o.seconds);
    }
  }

  /** One webhook delivery attempt (for the dispatcher to call). */
  webhookDelivery(o: { outcome: "delivered" | "retry" | "failed"; seconds: number }): void {
    this.#webhookDeliveries.inc({ outcome: o.outcome });
    this.#webhookDuration.observe(o.seconds);
  }

  /** One request of the batch stamper to TSA_URL. */
  tsaRequest(r: { outcome: "stamped" | "failed"; seconds: number }): void {
    this.#tsaRequests.inc({ outcome: r.outcome });
    this.#tsaDuration.observe(r.seconds);
  }

  /** Follows a leadership: the gauge and its changes. */
  watchLeadership(election: LeaderElection): void {
    this.#leader.set(election.isLeader ? 1 : 0);
    election.on("elected", () => {
      this.#leader.set(1);
      this.#leaderChanges.inc({ event: "elected" });
    });
    election.on("deposed", () => {
      this.#leader.set(0);
      this.#leaderChanges.inc({ event: "deposed" });
    });
  }

  /** Follows one term's batcher (a new one each term). */
  watchBatcher(batcher: Batcher, db: Db): void {
    batcher.on("sealed", (b) => {
      this.#sealed.inc();
      this.#batchSize.observe(b.size);
    });
    batcher.on("sent", () => this.#anchorTxs.inc({ event: "sent" }));
    batcher.on("replaced", () => this.#anchorTxs.inc({ event: "replaced" }));
    batcher.on("failed", (n) => this.#anchors.inc({ outcome: "failed" }, n));
    batcher.on("orphaned", (n) => this.#anchors.inc({ outcome: "orphaned" }, n));
    batcher.on("mined", (m) => {
      this.#anchorTxs.inc({ event: "mined" });
      if (m.gasUsed === null || m.feePerGas === null) return;
      const wei = m.gasUsed * m.feePerGas;
      this.#gasUsed.observe(Number(m.gasUsed));
      this.#feePerGas.set(Number(m.feePerGas) / 1e9);
      const ether = Number(wei) / 1e18;
      this.#cost.inc(ether);
      this.#lastCost.set(ether);
    });
    batcher.on("anchored", (a) => {
      const confirmedAt = Date.now();
      this.#anchors.inc({ outcome: "confirmed" });
      this.#lastConfirmed.set(confirmedAt / 1000);
      // One observation per batch, for its oldest item: the worst case of the batch, which is
      // what a "within N minutes" objective is about, at one cheap index read per batch.
      const reading = batchFirstReceivedAt(db, a.batchSeq)
        .then((at) => at && this.#anchorDelay.observe(Math.max(0, (confirmedAt - at.getTime()) / 1000)))
        .catch((err) => this.#log.debug("metrics: reading a batch's receipt time failed", errorFields(err)))
        .finally(() => this.#observing.delete(reading));
      this.#observing.add(reading);
    });
    batcher.on("chainError", (err, url) => this.#rpcErrors.inc({ endpoint: endpointHost(url), kind: rpcErrorKind(err) }));
  }

  /** The exposition text, after the scrape-time reads (each bounded by the scrape timeout). */
  async render(): Promise<string> {
    await this.#refresh();
    return this.registry.metrics();
  }

  async #refresh(): Promise<void> {
    const ms = this.#scrapeTimeoutMs;
    // Alongside the reads below, not before them: the whole scrape stays within one timeout.
    const observed = this.#observing.size > 0 ? within(Promise.all(this.#observing), ms) : undefined;
    const s = this.#sources;
    if (!s) return void (await observed);
    const failed = (source: string) => (err?: unknown) => {
      this.#scrapeErrors.inc({ source });
      if (err !== undefined) this.#log.debug(`metrics: reading ${source} failed`, errorFields(err));
      return undefined;
    };
    const [backlog, probes, balance] = await Promise.all([
      within(readBacklog(s.db), ms).then((v) => v ?? failed("db")(), failed("db")),
      s.probeChain ? within(s.probeChain(ms), ms + 100).then((v) => v ?? failed("chain")(), failed("chain")) : undefined,
      s.balance ? within(s.balance(), ms).then((v) => (v === undefined ? failed("balance")() : v), failed("balance")) : undefined,
      within(this.#readConnections(s), ms).then((v) => (v === undefined ? failed("connections")() : v), failed("connections")),
      observed,
    ]);
    const now = Date.now();
    if (backlog) {
      this.#pending.set(backlog.pendingLeaves);
      this.#oldestPending.set(backlog.oldestReceivedAt ? Math.max(0, (now - backlog.oldestReceivedAt.getTime()) / 1000) : 0);
    }
    if (probes) {
      const live = probes.filter((p) => p.ok);
      this.#chainUp.set(live.length > 0 ? 1 : 0);
      const best = live.length > 0 ? Math.max(...live.map((p) => p.blockNumber)) : undefined;
      for (const p of probes) {
        const endpoint = endpointHost(p.url);
        this.#endpointUp.set({ endpoint }, p.ok ? 1 : 0);
        if (p.ok && best !== undefined) this.#endpointLag.set({ endpoint }, best - p.blockNumber);
        if (!p.ok) this.#rpcErrors.inc({ endpoint, kind: rpcErrorKind(p.error) });
      }
      if (best !== undefined) {
        this.#head.set(best);
        if (backlog?.lastAnchorBlock != null) this.#sinceAnchor.set(Math.max(0, best - backlog.lastAnchorBlock));
      }
    } else if (s.probeChain) {
      this.#chainUp.set(0);
    }
    if (balance === null) this.#balance.reset();
    else if (balance !== undefined) {
      this.#balance.reset();
      this.#balance.set({ account: balance.account.toLowerCase() }, Number(balance.wei) / 1e18);
    }
  }

  /**
   * postgres.js keeps no pool statistics: the server's own view of this instance's connections
   * (its application_name) says how many are open and what they do. One cheap catalog read.
   */
  async #readConnections(s: ScrapeSources): Promise<true> {
    // The embedded database is one connection in this process.
    const rows =
      s.dbKind === "pglite"
        ? [{ state: "embedded", n: 1 }]
        : await queryRows<{ state: string; n: string | number }>(
            s.db,
            sql`select coalesce(state, 'unknown') as state, count(*) as n from pg_stat_activity
                where datname = current_database() and application_name = ${s.applicationName ?? ""} group by 1`,
          );
    this.#dbConnections.reset();
    for (const r of rows) this.#dbConnections.set({ state: r.state }, Number(r.n));
    return true;
  }
}
