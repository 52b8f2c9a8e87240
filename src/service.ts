// Wires the service together from a validated config: database, chain (a local Hardhat node
// when none is configured), contract, batcher, HTTP server. Returns a handle to stop it all
// in order: stop taking requests, finish the batch under way, close the database, the node.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
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
import { DEV_CHAIN_IDS, Prover, type BlockReader } from "./services/prover.ts";
import { claimDataDir } from "./store/data-dir-lock.ts";
import { createDb, type Database } from "./store/db.ts";
import { sweepIdempotencyKeys } from "./store/idempotency.ts";
import { jsonRpcReader, type ChainReader } from "./verify/index.ts";
import { loadSigningKey } from "./signing/keys.ts";
import { Signer } from "./signing/signer.ts";
import { registerSigningKey } from "./store/signing-keys.ts";
import { ReportService, softwareIdentity } from "./services/reports.ts";

export interface RunningService {
  url: string;
  port: number;
  rpcUrl: string;
  database: Database;
  batcher: Batcher;
  /**
   * On the first start of an empty database: the admin key just created (also written to
   * `adminKeyFile`). The caller shows it once; it is never logged.
   */
  bootstrap: { key: string; keyId: string; adminKeyFile: string } | null;
  /** Chain and contract in use, once connected. */
  target(): AnchoringTarget | undefined;
  stop(): Promise<void>;
}

export async function startService(cfg: Config, log: Logger): Promise<RunningService> {
  const dataDir = resolve(cfg.DATA_DIR);
  let releaseDataDir: (() => void) | undefined;
  if (!cfg.DATABASE_URL) {
    mkdirSync(dataDir, { recursive: true });
    releaseDataDir = claimDataDir(dataDir);
  }
  const database = await createDb({ url: cfg.DATABASE_URL, dataDir: cfg.DATABASE_URL ? undefined : join(dataDir, "pglite") });
  log.info("database ready", { kind: database.kind, ...(database.kind === "pglite" ? { dataDir } : {}) });

  // An explicitly configured key file must exist; the default one is created on first start.
  const keyFile = cfg.SIGNING_KEY_FILE ? resolve(cfg.SIGNING_KEY_FILE) : join(dataDir, "signing-key.pem");
  const { key: signingKey, created: keyCreated } = loadSigningKey(keyFile, { create: cfg.SIGNING_KEY_FILE === undefined });
  await registerSigningKey(database.db, signingKey.kid, signingKey.publicKey, new Date());
  const signer = new Signer(signingKey);
  log.info(keyCreated ? "signing key generated" : "signing key loaded", { kid: signer.kid, keyFile });

  let node: LocalNode | undefined;
  let rpcUrl = cfg.CHAIN_RPC_URL;
  if (!rpcUrl) {
    const url = `http://127.0.0.1:${cfg.LOCAL_CHAIN_PORT}`;
    const existing = await fetchChainId(url, 1000).catch(() => undefined);
    if (existing !== undefined) {
      log.warn("a chain already answers on LOCAL_CHAIN_PORT; using it instead of starting one", { url });
    } else {
      node = await startLocalNode(cfg.LOCAL_CHAIN_PORT);
      log.info("local Hardhat node started", { url });
    }
    rpcUrl = url;
  }
  const chainUrl = rpcUrl;
  const privateKey = cfg.ANCHOR_PRIVATE_KEY ?? HARDHAT_DEV_KEY;

  const connect = () =>
    connectAnchoring(database.db, { url: chainUrl, privateKey, configuredAddress: cfg.CONTRACT_ADDRESS, log });

  const batcher = new Batcher({
    db: database.db,
    trees: new TreeBuilder(),
    intervalMs: cfg.BATCH_INTERVAL_MS,
    maxLeaves: cfg.BATCH_MAX_LEAVES,
    confirmations: cfg.CONFIRMATIONS,
    log,
    connect,
  });
  const ingest = new IngestService({ db: database.db, signer, onIngested: (n) => batcher.notifyIngested(n) });
  const prover = new Prover({
    db: database.db,
    // A node this service started forgets everything when it stops, whatever its chain id.
    volatileChain: (chainId) => cfg.localChain || DEV_CHAIN_IDS.has(chainId),
    readBlock: blockReaderOf(batcher),
  });
  const reader = jsonRpcReader(chainUrl);
  // The embedded database has this process as its only writer, so keys may be cached.
  const access = new AccessService({ db: database.db, log, cacheKeys: database.kind === "pglite" });
  const audit = new AuditService({
    db: database.db,
    ingest,
    prover,
    chainReader: () => reader,
    minConfirmations: cfg.CONFIRMATIONS,
    log,
  });
  const reports = new ReportService({
    db: database.db,
    prover,
    ingest,
    signer,
    chainReader: () => reader,
    minConfirmations: cfg.CONFIRMATIONS,
    software: softwareIdentity(),
  });
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
    chainRpcUrl: () => chainUrl,
    signer,
    reports,
    publicUrl: cfg.PUBLIC_URL,
    minConfirmations: cfg.CONFIRMATIONS,
    rateLimits: { perKeyPerMinute: cfg.RATE_LIMIT_PER_MINUTE, publicPerMinute: cfg.PUBLIC_RATE_LIMIT_PER_MINUTE },
    log,
    health: {
      pingDb: () => database.ping(),
      pingChain: chainProbe(reader, batcher),
    },
  });

  // The first tick connects and deploys (or finds) the contract; a chain that is down now
  // does not stop the service: digests are accepted and anchored once it is back.
  await batcher.tick();
  batcher.start();
  audit.start(cfg.AUDIT_ANCHOR_INTERVAL_MS);
  // Idempotency records are answered for 24 hours; older ones are only dead weight.
  const sweep = setInterval(() => {
    sweepIdempotencyKeys(database.db, new Date(Date.now() - DEFAULT_IDEMPOTENCY_TTL_MS)).catch((err) =>
      log.warn("sweeping expired idempotency keys failed", errorFields(err)),
    );
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

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((r) => server.close(() => r()));
      clearInterval(sweep);
      await audit.stop();
      await batcher.stop();
      await database.close().catch((err) => log.warn("closing the database failed", errorFields(err)));
      releaseDataDir?.();
      await node?.stop();
    })());

  return { url, port, rpcUrl: chainUrl, database, batcher, bootstrap, target: () => batcher.target, stop };
}

/** Reads blocks of the chain the batcher anchors to now; other chains are not readable. */
export function blockReaderOf(batcher: Batcher): (chainId: number) => BlockReader | undefined {
  return (chainId) => {
    const t = batcher.target;
    return t && t.chain.chainId === chainId ? (n) => t.chain.getBlock(n) : undefined;
  };
}

/** The readiness probe of the chain: it answers, and which contract the batcher uses. */
export function chainProbe(reader: ChainReader, batcher: Batcher): HealthDeps["pingChain"] {
  return async () => ({
    chainId: await reader.chainId(),
    blockNumber: await reader.blockNumber(),
    contract: batcher.target?.contract ?? null,
  });
}
