// Wires the service together from a validated config: database, chain (a local Hardhat node
// when none is configured), contract, HTTP server, and the sequencer (batcher and audit-head
// timer), which runs only while this instance leads (src/services/leadership.ts). Returns a
// handle to stop it all in order: stop taking requests, finish the batch under way, close the
// database, the node.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { createApp } from "./api/app.ts";
import type { HealthDeps } from "./api/health.ts";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./api/idempotency.ts";
import { Batcher, type AnchoringTarget } from "./batcher/batcher.ts";
import { TreeBuilder } from "./batcher/tree.ts";
import { fetchChainId } from "./chain/client.ts";
import { connectAnchoring } from "./chain/deployment.ts";
import { startLocalNode, type LocalNode } from "./chain/local-node.ts";
import { HARDHAT_DEV_KEY, type Config } from "./config.ts";
import { errorFields, type Logger } from "./log.ts";
import { AccessService } from "./services/access.ts";
import { AuditService } from "./services/audit.ts";
import { IngestService } from "./services/ingest.ts";
import { SigningPool } from "./signing/pool.ts";
import { DEFAULT_LEADER_RETRY_MS, LeaderElection } from "./services/leadership.ts";
import { Prover, chainViewOf } from "./services/prover.ts";
import { claimDataDir } from "./store/data-dir-lock.ts";
import { createDb, type Database } from "./store/db.ts";
import { ensureEvidencePartitions } from "./store/partitions.ts";
import { sweepIdempotencyKeys } from "./store/idempotency.ts";
import type { ChainReader } from "./verify/index.ts";
import type { AnchorPolicy } from "./batcher/anchor.ts";
import { chooseEndpoint, failoverReader, probeEndpoints } from "./chain/endpoints.ts";
import { chainKind } from "./chain/kinds.ts";
import { loadSigningKey } from "./signing/keys.ts";
import { Signer } from "./signing/signer.ts";
import { registerSigningKey } from "./store/signing-keys.ts";
import { ReportService, softwareIdentity } from "./services/reports.ts";
import { loadIdentity, type PkiIdentity } from "./pki/identity.ts";
import { TimeStampAuthority } from "./tsa/authority.ts";
import { BatchStamper } from "./tsa/batch-stamper.ts";
import { ServiceMetrics } from "./metrics/metrics.ts";
import { metricsOnlyApp } from "./api/metrics.ts";
import { EventEmitter } from "node:events";
import { WebhookService } from "./services/webhooks.ts";
import { sweepWebhookDeliveries } from "./store/webhooks.ts";
import { DEFAULT_RETRY_SCHEDULE_MS, WEBHOOK_RETENTION_DAYS, WebhookDispatcher, type DeliveryOutcome } from "./webhooks/dispatcher.ts";

export interface RunningService {
  url: string;
  port: number;
  rpcUrl: string;
  database: Database;
  /**
   * The batcher of the current leadership term (a new one each term: listeners do not carry
   * over). Throws while another instance leads: check `election.isLeader` first.
   */
  readonly batcher: Batcher;
  /** Which instance this is, and whether it runs the sequencer now. */
  readonly election: LeaderElection;
  /**
   * On the first start of an empty database: the admin key just created (also written to
   * `adminKeyFile`). The caller shows it once; it is never logged.
   */
  bootstrap: { key: string; keyId: string; adminKeyFile: string } | null;
  /** Chain and contract in use, once connected. */
  target(): AnchoringTarget | undefined;
  /** The X.509 identity: TSA and document-signing certificates, and the CA to publish. */
  pki: PkiIdentity;
  /** The batch-root time-stamper of the current leadership term, when TSA_URL is set. */
  readonly stamper: BatchStamper | undefined;
  /** This instance's metrics (GET /metrics); the webhook dispatcher reports deliveries to it. */
  metrics: ServiceMetrics;
  /** The METRICS_PORT listener's URL, when one is configured. */
  metricsUrl: string | undefined;
  /** The webhook dispatcher of the current leadership term (undefined on a follower). */
  readonly webhookDispatcher: WebhookDispatcher | undefined;
  /** Emits "outcome" after every webhook delivery attempt, whichever term's dispatcher made it (for metrics). */
  webhookOutcomes: EventEmitter<{ outcome: [DeliveryOutcome] }>;
  stop(): Promise<void>;
}

export async function startService(cfg: Config, log: Logger): Promise<RunningService> {
  const dataDir = resolve(cfg.DATA_DIR);
  let releaseDataDir: (() => void) | undefined;
  if (!cfg.DATABASE_URL) {
    mkdirSync(dataDir, { recursive: true });
    releaseDataDir = claimDataDir(dataDir);
  }
  const instanceId = cfg.INSTANCE_ID ?? `${hostname()}:${process.pid}`;
  const database = await createDb({
    url: cfg.DATABASE_URL,
    // The same name as the leadership session's: pg_stat_activity shows this instance's connections together.
    applicationName: `evidence:${instanceId}`.slice(0, 63),
    dataDir: cfg.DATABASE_URL ? undefined : join(dataDir, "pglite"),
    partitionDays: cfg.PARTITION_DAYS,
  });
  log.info("database ready", { kind: database.kind, ...(database.kind === "pglite" ? { dataDir } : {}) });

  // An explicitly configured key file must exist; the default one is created on first start.
  const keyFile = cfg.SIGNING_KEY_FILE ? resolve(cfg.SIGNING_KEY_FILE) : join(dataDir, "signing-key.pem");
  const { key: signingKey, created: keyCreated } = loadSigningKey(keyFile, { create: cfg.SIGNING_KEY_FILE === undefined });
  await registerSigningKey(database.db, signingKey.kid, signingKey.publicKey, new Date());
  const signer = new Signer(signingKey);
  log.info(keyCreated ? "signing key generated" : "signing key loaded", { kid: signer.kid, keyFile });

  // The X.509 identity (src/pki/): configured certificates, or a root CA and certificates
  // issued under it in DATA_DIR/pki on first start.
  const pki = await loadIdentity({
    dir: join(dataDir, "pki"),
    name: { commonName: cfg.PUBLIC_URL ? new URL(cfg.PUBLIC_URL).hostname : "Evidence service", organization: "Evidence service" },
    tsa: cfg.TSA_CERT_FILE && cfg.TSA_KEY_FILE ? { certFile: resolve(cfg.TSA_CERT_FILE), keyFile: resolve(cfg.TSA_KEY_FILE) } : undefined,
    document:
      cfg.SIGNING_CERT_FILE && cfg.SIGNING_CERT_KEY_FILE
        ? { certFile: resolve(cfg.SIGNING_CERT_FILE), keyFile: resolve(cfg.SIGNING_CERT_KEY_FILE) }
        : undefined,
  });
  const tsa = new TimeStampAuthority(pki.tsa, cfg.TSA_POLICY_OID);
  log.info("X.509 identity ready", {
    tsa: pki.tsa.cert.subject,
    tsaSource: pki.tsa.source,
    document: pki.document.cert.subject,
    documentSource: pki.document.source,
  });

  let node: LocalNode | undefined;
  let rpcUrls = cfg.CHAIN_RPC_URL;
  if (!rpcUrls) {
    const url = `http://127.0.0.1:${cfg.LOCAL_CHAIN_PORT}`;
    const existing = await fetchChainId(url, 1000).catch(() => undefined);
    if (existing !== undefined) {
      log.warn("a chain already answers on LOCAL_CHAIN_PORT; using it instead of starting one", { url });
    } else {
      node = await startLocalNode(cfg.LOCAL_CHAIN_PORT);
      log.info("local Hardhat node started", { url });
    }
    rpcUrls = [url];
  }
  const chainUrls = rpcUrls;
  const privateKey = cfg.ANCHOR_PRIVATE_KEY ?? HARDHAT_DEV_KEY;
  // Reads (proofs, /readyz, reports, the page's relay) go through every configured endpoint,
  // each call bounded by CHAIN_TIMEOUT_MS, failing over when the one in use does not answer.
  const reader = failoverReader(chainUrls, { timeoutMs: cfg.CHAIN_TIMEOUT_MS });
  // Confirmations and finality follow the kind of chain, unless CONFIRMATIONS says otherwise.
  const kindOf = (chainId: number | undefined) => chainKind(chainId, { local: cfg.localChain, confirmations: cfg.CONFIRMATIONS });
  const { confirmations } = kindOf(await reader.chainId().catch(() => undefined));
  const connectOptions = {
    urls: chainUrls,
    privateKey,
    timeoutMs: cfg.CHAIN_TIMEOUT_MS,
    maxLagBlocks: cfg.RPC_MAX_LAG_BLOCKS,
    configuredAddress: cfg.CONTRACT_ADDRESS,
    log,
  };
  const connect = () => connectAnchoring(database.db, connectOptions);
  const policy: AnchorPolicy = {
    fees: { maxFeePerGas: cfg.MAX_FEE_PER_GAS_GWEI, maxPriorityFee: cfg.MAX_PRIORITY_FEE_GWEI, bumpPercent: cfg.FEE_BUMP_PERCENT },
    stuckAfterBlocks: cfg.STUCK_AFTER_BLOCKS,
    stuckAfterMs: cfg.STUCK_AFTER_SECONDS * 1000,
    maxRootsPerTx: cfg.MAX_ROOTS_PER_TX,
    lowBalanceAnchors: cfg.LOW_BALANCE_ANCHORS,
  };
  // With several endpoints, the batcher moves to the best one when the one in use lags.
  const preferredEndpoint =
    chainUrls.length > 1
      ? async () => chooseEndpoint(await probeEndpoints(chainUrls, cfg.CHAIN_TIMEOUT_MS), { maxLagBlocks: cfg.RPC_MAX_LAG_BLOCKS })?.url ?? null
      : undefined;

  // One batcher per leadership term: stop() also closes its tree worker and chain client, so a
  // stopped batcher is never started again.
  const newBatcher = () =>
    new Batcher({
      db: database.db,
      trees: new TreeBuilder(),
      intervalMs: cfg.BATCH_INTERVAL_MS,
      maxLeaves: cfg.BATCH_MAX_LEAVES,
      confirmations,
      log,
      connect,
      policy,
      ...(preferredEndpoint ? { preferredEndpoint } : {}),
    });
  let batcher: Batcher | undefined;
  let stamper: BatchStamper | undefined;
  const tsaUrl = cfg.TSA_URL;
  const sequencer: Sequencer = {
    get target() {
      return batcher?.target;
    },
  };
  // Assigned below, before anything can ingest: the election needs the audit service, which
  // needs ingest.
  let election: LeaderElection | undefined;
  // Receipts are signed in a worker thread: at 60-90 µs a signature, a 1,000-item request
  // would otherwise hold the event loop ~90 ms.
  const signingPool = new SigningPool(signer.key);
  // Read at scrape time, each part bounded so that a hung node never hangs a scrape.
  const metrics = new ServiceMetrics({ log, scrapeTimeoutMs: Math.min(cfg.CHAIN_TIMEOUT_MS, 2000) });
  metrics.setSources({
    db: database.db,
    dbKind: database.kind,
    applicationName: `evidence:${instanceId}`.slice(0, 63),
    probeChain: (timeoutMs) => probeEndpoints(chainUrls, timeoutMs),
    // The leader's anchoring account; a follower does not anchor and reports no balance.
    balance: async () => {
      const chain = batcher?.target?.chain;
      return chain ? { account: chain.sender, wei: await chain.balance() } : null;
    },
  });
  const ingest = new IngestService({
    db: database.db,
    signer,
    signingPool,
    batchMaxLeaves: cfg.BATCH_MAX_LEAVES,
    onIngested: (n) => election?.reportIngested(n),
  });
  const prover = new Prover({
    db: database.db,
    chain: chainViewOf(() => sequencer.target?.chain, reader),
    // A node this service started forgets everything when it stops, whatever its chain id.
    kind: kindOf,
  });
  // The embedded database has this process as its only writer, so keys may be cached.
  const access = new AccessService({
    db: database.db,
    log,
    // On PostgreSQL another instance or the CLI may revoke a key: read it again after KEY_CACHE_MS.
    cacheKeys: database.kind === "pglite" ? true : cfg.KEY_CACHE_MS > 0 ? { ttlMs: cfg.KEY_CACHE_MS } : false,
  });
  const audit = new AuditService({
    db: database.db,
    ingest,
    prover,
    chainReader: () => reader,
    minConfirmations: confirmations,
    log,
  });
  // Webhooks: endpoints are served by every instance; deliveries are sent by the leader's
  // dispatcher alone, woken when any instance writes an event (a follower's wake-up goes
  // through NOTIFY; the poll, WEBHOOK_POLL_MS, covers a lost one).
  const webhookRules = { allowPrivate: cfg.WEBHOOK_ALLOW_PRIVATE };
  const webhookOutcomes = new EventEmitter<{ outcome: [DeliveryOutcome] }>();
  webhookOutcomes.on("outcome", (o) => metrics.webhookDelivery(o));
  let dispatcher: WebhookDispatcher | undefined;
  const webhooks = new WebhookService({ db: database.db, rules: webhookRules, onEnqueued: () => lead.reportWebhookEvent() });
  const reports = new ReportService({
    db: database.db,
    prover,
    ingest,
    signer,
    chainReader: () => reader,
    minConfirmations: confirmations,
    software: softwareIdentity(),
    defaultLanguage: cfg.REPORT_LANGUAGE,
    onWebhookEvent: () => lead.reportWebhookEvent(),
  });
  const lead = new LeaderElection({
    cluster: database.cluster,
    instanceId,
    retryMs: cfg.LEADER_RETRY_MS ?? DEFAULT_LEADER_RETRY_MS,
    log,
    onElected: () => {
      batcher = newBatcher();
      metrics.watchBatcher(batcher, database.db);
      // Batch-root tokens are a step of their own: an authority that is down never holds
      // sealing or anchoring back.
      if (tsaUrl) {
        const s = new BatchStamper({
          db: database.db,
          url: tsaUrl,
          authorization: cfg.TSA_AUTHORIZATION,
          timeoutMs: cfg.TSA_TIMEOUT_MS,
          retryMs: cfg.TSA_RETRY_MS,
          log,
          onRequest: (r) => metrics.tsaRequest(r),
        });
        stamper = s;
        batcher.on("sealed", () => s.wake());
        s.start();
      }
      // Anchors are confirmed with their webhook events in one transaction: send them now.
      const d = new WebhookDispatcher({
        db: database.db,
        log,
        rules: webhookRules,
        retryScheduleMs: cfg.WEBHOOK_RETRY_SCHEDULE_MS ?? DEFAULT_RETRY_SCHEDULE_MS,
        timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
        pollMs: cfg.WEBHOOK_POLL_MS,
        onOutcome: (o) => webhookOutcomes.emit("outcome", o),
      });
      dispatcher = d;
      batcher.on("anchored", () => d.wake());
      d.start();
      batcher.start();
      audit.start(cfg.AUDIT_ANCHOR_INTERVAL_MS);
    },
    onDeposed: async () => {
      const ending = batcher;
      const endingStamper = stamper;
      const endingDispatcher = dispatcher;
      batcher = undefined;
      stamper = undefined;
      dispatcher = undefined;
      // All stop scheduling at once; then each waits for its run under way (a batch is
      // finished, never cut).
      await Promise.all([audit.stop(), ending?.stop(), endingStamper?.stop(), endingDispatcher?.stop()]);
    },
    onIngested: (n) => batcher?.notifyIngested(n),
    onWebhookEvent: () => dispatcher?.wake(),
  });
  election = lead;
  metrics.watchLeadership(lead);
  const created = await access.bootstrap();
  let bootstrap: RunningService["bootstrap"] = null;
  if (created) {
    const adminKeyFile = join(dataDir, "admin.key");
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(adminKeyFile, created.key + "\n", { mode: 0o600 });
    chmodSync(adminKeyFile, 0o600); // mode applies only to a new file; an old one may be looser
    bootstrap = { key: created.key, keyId: created.keyId, adminKeyFile };
    log.info("bootstrap: created the admin principal and its first key", { keyId: created.keyId, adminKeyFile });
  }
  const app = createApp({
    db: database.db,
    ingest,
    prover,
    access,
    audit,
    chainReader: () => reader,
    chainRpcUrl: () => reader.current(),
    signer,
    reports,
    webhooks,
    tsa,
    pki,
    tsaUrl: cfg.TSA_URL,
    tsaTimeoutMs: cfg.TSA_TIMEOUT_MS,
    tsaAuthorization: cfg.TSA_AUTHORIZATION,
    publicUrl: cfg.PUBLIC_URL,
    minConfirmations: confirmations,
    rateLimits: { perKeyPerMinute: cfg.RATE_LIMIT_PER_MINUTE, publicPerMinute: cfg.PUBLIC_RATE_LIMIT_PER_MINUTE },
    log,
    metrics,
    metricsToken: cfg.METRICS_TOKEN,
    health: {
      pingDb: () => database.ping(),
      pingChain: chainProbe(reader, sequencer),
      instance: () => ({ id: instanceId, leader: lead.isLeader }),
      problems: () => [...(batcher?.problems() ?? []), ...(stamper?.problems() ?? [])],
    },
  });

  await lead.start();
  // As leader, the first tick connects and deploys (or finds) the contract before we listen;
  // a chain that is down now does not stop the service: digests are accepted and anchored
  // once it is back. A follower leaves the chain to the leader.
  await batcher?.tick();
  // Every hour: idempotency records are answered for 24 hours; older ones are only dead weight.
  const sweep = setInterval(() => {
    sweepIdempotencyKeys(database.db, new Date(Date.now() - DEFAULT_IDEMPOTENCY_TTL_MS)).catch((err) =>
      log.warn("sweeping expired idempotency keys failed", errorFields(err)),
    );
    // Webhook deliveries are listed to tenants for WEBHOOK_RETENTION_DAYS (docs/webhooks.md).
    sweepWebhookDeliveries(database.db, new Date(Date.now() - WEBHOOK_RETENTION_DAYS * 86_400_000)).catch((err) =>
      log.warn("sweeping old webhook deliveries failed", errorFields(err)),
    );
    // The evidence partitions for the coming days: made long before a row needs them.
    ensureEvidencePartitions(database.db, { days: cfg.PARTITION_DAYS })
      .then((made) => made.length > 0 && log.info("evidence partitions made", { partitions: made }))
      .catch((err) => log.warn("making evidence partitions failed", errorFields(err)));
  }, 3_600_000);
  sweep.unref();

  const server: ServerType = await new Promise((resolveServer) => {
    const s = serve({ fetch: app.fetch, port: cfg.PORT, hostname: cfg.HOST }, () => resolveServer(s));
  });
  // Bound slow clients: a request must arrive whole within 30 s.
  if ("requestTimeout" in server) {
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : cfg.PORT;
  const url = `http://${cfg.HOST === "0.0.0.0" ? "127.0.0.1" : cfg.HOST}:${port}`;
  // A scraper on a private network may use a port of its own that serves /metrics and nothing else.
  let metricsServer: ServerType | undefined;
  let metricsUrl: string | undefined;
  if (cfg.METRICS_PORT !== undefined) {
    const metricsApp = metricsOnlyApp(metrics, cfg.METRICS_TOKEN);
    const listener: ServerType = await new Promise((resolveServer) => {
      const s = serve({ fetch: metricsApp.fetch, port: cfg.METRICS_PORT, hostname: cfg.HOST }, () => resolveServer(s));
    });
    metricsServer = listener;
    const a = listener.address();
    metricsUrl = `http://${cfg.HOST === "0.0.0.0" ? "127.0.0.1" : cfg.HOST}:${typeof a === "object" && a ? a.port : cfg.METRICS_PORT}`;
    log.info("metrics listener started", { url: metricsUrl, token: cfg.METRICS_TOKEN !== undefined });
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((r) => server.close(() => r()));
      const ms = metricsServer;
      if (ms) await new Promise<void>((r) => ms.close(() => r()));
      clearInterval(sweep);
      // Stops the batcher and the audit timer, then releases the lock: a follower takes over
      // at once rather than after its session timeout.
      await lead.stop();
      await signingPool.close();
      await database.close().catch((err) => log.warn("closing the database failed", errorFields(err)));
      releaseDataDir?.();
      await node?.stop();
    })());

  return {
    url,
    port,
    rpcUrl: chainUrls.join(","),
    database,
    get batcher() {
      if (!batcher) throw new Error(`instance ${instanceId} does not lead: another instance runs the batcher`);
      return batcher;
    },
    election: lead,
    bootstrap,
    target: () => batcher?.target,
    pki,
    get stamper() {
      return stamper;
    },
    metrics,
    metricsUrl,
    get webhookDispatcher() {
      return dispatcher;
    },
    webhookOutcomes,
    stop,
  };
}

/** What the helpers below need of a batcher: a Batcher, or whichever one leads now. */
export interface Sequencer {
  readonly target: AnchoringTarget | undefined;
}

/** The readiness probe of the chain: it answers, and which contract the batcher uses (null on a follower). */
export function chainProbe(reader: ChainReader, sequencer: Sequencer): HealthDeps["pingChain"] {
  return async () => ({
    chainId: await reader.chainId(),
    blockNumber: await reader.blockNumber(),
    contract: sequencer.target?.contract ?? null,
  });
}
