// The whole HTTP stack for API tests, wired as src/service.ts wires it: a fresh database, the
// real ingest, prover, access and audit services, the real Batcher (driven by tick(), never
// by its timer) anchoring into a real chain when one is given, and createApp() over all of
// it. The database is bootstrapped as on a first start (an admin key), and a tenant
// TEST_TENANT with its own key exists: `app.request()` sends that tenant's key unless the
// request carries its own Authorization header; `rawApp` sends nothing it is not given.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdentity, type PkiIdentity } from "../../src/pki/identity.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { ReportService } from "../../src/services/reports.ts";
import { WebhookService } from "../../src/services/webhooks.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { registerSigningKey } from "../../src/store/signing-keys.ts";
import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { createApp, type AppDeps } from "../../src/api/app.ts";
import type { AppEnv } from "../../src/api/context.ts";
import type { HealthDeps } from "../../src/api/health.ts";
import { Batcher } from "../../src/batcher/batcher.ts";
import { TreeBuilder } from "../../src/batcher/tree.ts";
import { connectAnchoring } from "../../src/chain/deployment.ts";
import { HARDHAT_DEV_KEY } from "../../src/config.ts";
import { chainProbe } from "../../src/service.ts";
import { chainKind } from "../../src/chain/kinds.ts";
import type { Logger } from "../../src/log.ts";
import { FailureTracker } from "../../src/auth/failures.ts";
import { AccessService } from "../../src/services/access.ts";
import { AuditService } from "../../src/services/audit.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { SigningPool } from "../../src/signing/pool.ts";
import { Prover, chainViewOf } from "../../src/services/prover.ts";
import { queryRows } from "../../src/store/db.ts";
import { jsonRpcReader, type ChainReader } from "../../src/verify/index.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { startTestChain } from "./chain.ts";
import { freshDatabase, type TestDatabase } from "./db.ts";

export const TEST_TENANT = "tenant-test";

let identity: Promise<PkiIdentity> | undefined;
/** One self-issued X.509 identity per test process: issuing it takes a while, and no test changes it. */
export function testIdentity(): Promise<PkiIdentity> {
  return (identity ??= loadIdentity({ dir: join(mkdtempSync(join(tmpdir(), "evidence-pki-")), "pki"), name: { commonName: "test", organization: "Evidence test" } }));
}

/**
 * A logger that keeps what it is told, so tests can assert that nothing went unhandled and
 * that no secret reached a log line. `lines` holds every line as it would be written.
 */
export interface RecordingLogger extends Logger {
  errors: { msg: string; fields?: Record<string, unknown> }[];
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const errors: RecordingLogger["errors"] = [];
  const lines: string[] = [];
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return {
    errors,
    lines,
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error(msg, fields) {
      line("error")(msg, fields);
      errors.push(fields === undefined ? { msg } : { msg, fields });
    },
  };
}

export interface ApiHarnessOptions {
  /** JSON-RPC URL of the chain to anchor to and verify against (a closed port is fine). */
  chainUrl: string;
  /** Confirmations the batcher waits for before it records an anchor (default 1). */
  confirmations?: number;
  /** Confirmations POST /v1/verify asks for (default 1). */
  minConfirmations?: number;
  /** Replaces the health probes (e.g. to point them at a closed port). */
  health?: HealthDeps;
  /** Use this database instead of opening a fresh one. */
  database?: TestDatabase;
  /** Whether close() closes `database` too (default: only when the harness opened it). */
  closeDatabase?: boolean;
  /** Rate limits (default: none, so other tests are not throttled). */
  rateLimits?: AppDeps["rateLimits"];
  failures?: FailureTracker;
  /** The clock of the access layer and scopes (disclosure expiry). */
  now?: () => Date;
  /** Cache keys in the access service, as the service does on the embedded database. */
  cacheKeys?: boolean;
  /** WEBHOOK_ALLOW_PRIVATE for webhook targets (default false: as in production). */
  webhookAllowPrivate?: boolean;
}

export interface Keys {
  admin: string;
  /** TEST_TENANT's key. */
  tenant: string;
}

export interface ApiHarness {
  /** The real app; request() adds TEST_TENANT's key when the request has no Authorization. */
  app: Hono<AppEnv>;
  /** The real app, untouched: requests carry exactly the headers given. */
  rawApp: Hono<AppEnv>;
  access: AccessService;
  audit: AuditService;
  keys: Keys;
  /** Creates a principal of `kind` and a key for it; returns the key. */
  principal(kind: "tenant" | "verifier" | "admin", id: string): Promise<string>;
  database: TestDatabase;
  batcher: Batcher;
  ingest: IngestService;
  prover: Prover;
  reader: ChainReader;
  log: RecordingLogger;
  deps: AppDeps;
  webhooks: WebhookService;
  /**
   * `fn` is called when the API or a report wrote a webhook event (as the service wakes its
   * dispatcher): a test with a dispatcher sets it. A holder, so that copies of the harness share it.
   */
  webhookWake: { fn: (() => void) | undefined };
  /** Rows in the evidence table right now. */
  countEvidence(): Promise<number>;
  close(): Promise<void>;
}

export async function apiHarness(opts: ApiHarnessOptions): Promise<ApiHarness> {
  const database = opts.database ?? (await freshDatabase());
  const log = recordingLogger();
  const connect = () => connectAnchoring(database.db, { urls: [opts.chainUrl], privateKey: HARDHAT_DEV_KEY });
  const batcher = new Batcher({
    db: database.db,
    trees: new TreeBuilder(),
    intervalMs: 60_000,
    maxLeaves: 100_000,
    confirmations: opts.confirmations ?? 1,
    log,
    connect,
  });
  // Not wired to batcher.notifyIngested: tests seal by calling tick(), never by a timer.
  const signer = new Signer(generateSigningKey());
  await registerSigningKey(database.db, signer.kid, signer.key.publicKey, new Date());
  // As the service does: receipts signed in the worker thread.
  const signingPool = new SigningPool(signer.key);
  const ingest = new IngestService({ db: database.db, signer, signingPool });
  const reader = jsonRpcReader(opts.chainUrl, { timeoutMs: 5000 });
  const prover = new Prover({
    db: database.db,
    chain: chainViewOf(() => batcher.target?.chain, reader),
    kind: (chainId) => chainKind(chainId, { confirmations: opts.confirmations }),
  });
  const access = new AccessService({
    db: database.db,
    log,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.cacheKeys ? { cacheKeys: true } : {}),
  });
  const audit = new AuditService({
    db: database.db,
    ingest,
    prover,
    chainReader: () => reader,
    minConfirmations: opts.minConfirmations ?? 1,
    log,
  });
  const boot = await access.bootstrap();
  const principal = async (kind: "tenant" | "verifier" | "admin", id: string) => {
    if (!(await access.getPrincipal(kind, id).catch(() => null))) {
      await access.createPrincipal({ id: "test" }, kind, { id, name: `${kind} ${id}` });
    }
    return (await access.createKey({ id: "test" }, { principalId: id })).key;
  };
  const keys: Keys = {
    // A database handed in may be bootstrapped already: then make another admin key.
    admin: boot?.key ?? (await access.createKey({ id: "test" }, { principalId: "admin" })).key,
    tenant: await principal("tenant", TEST_TENANT),
  };
  const wake = { fn: undefined as (() => void) | undefined };
  const reports = new ReportService({
    db: database.db,
    prover,
    ingest,
    signer,
    chainReader: () => reader,
    minConfirmations: opts.minConfirmations ?? 1,
    software: { name: "evidence-anchor", version: "test", commit: null },
    ...(opts.now ? { now: opts.now } : {}),
    onWebhookEvent: () => wake.fn?.(),
  });
  const webhooks = new WebhookService({
    db: database.db,
    rules: { allowPrivate: opts.webhookAllowPrivate ?? false },
    onEnqueued: () => wake.fn?.(),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const pki = await testIdentity();
  const deps: AppDeps = {
    db: database.db,
    ingest,
    prover,
    access,
    audit,
    chainReader: () => reader,
    chainRpcUrl: () => opts.chainUrl,
    signer,
    reports,
    webhooks,
    // The X.509 identity as the service has it: POST /v1/tsa and the published certificates.
    pki,
    tsa: new TimeStampAuthority(pki.tsa),
    minConfirmations: opts.minConfirmations ?? 1,
    rateLimits: opts.rateLimits ?? { perKeyPerMinute: 0, publicPerMinute: 0 },
    ...(opts.failures ? { failures: opts.failures } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    log,
    health: opts.health ?? {
      pingDb: () => database.ping(),
      pingChain: chainProbe(reader, batcher),
    },
  };
  const rawApp = createApp(deps);
  return {
    app: withKey(rawApp, keys.tenant),
    rawApp,
    access,
    audit,
    keys,
    principal,
    database,
    batcher,
    ingest,
    prover,
    reader,
    log,
    deps,
    webhooks,
    webhookWake: wake,
    countEvidence: async () => {
      const rows = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from evidence`);
      return Number(rows[0]?.n ?? NaN);
    },
    close: async () => {
      await signingPool.close();
      await batcher.stop();
      if (opts.closeDatabase ?? !opts.database) await database.close();
    },
  };
}

/** The app, with `key` sent on every request that does not carry its own Authorization. */
export function withKey(app: Hono<AppEnv>, key: string): Hono<AppEnv> {
  const request: Hono<AppEnv>["request"] = (input, init, ...rest) => {
    if (input instanceof Request) {
      if (input.headers.has("authorization")) return app.request(input, init, ...rest);
      const headers = new Headers(input.headers);
      headers.set("authorization", `Bearer ${key}`);
      return app.request(new Request(input, { headers }), init, ...rest);
    }
    const headers = new Headers(init?.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
    return app.request(input, { ...init, headers }, ...rest);
  };
  return new Proxy(app, { get: (target, prop) => (prop === "request" ? request : Reflect.get(target, prop, target)) });
}

/** Headers that authenticate as the holder of `key`. */
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A JSON request for app.request(). */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** Raw JSON-RPC call to a node (for node-level controls like evm_mine). */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** A digest that is unique per call (random), as 0x + 64 lowercase hex. */
export function randomDigest(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return "0x" + Buffer.from(b).toString("hex");
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts nothing unhandled reached the logger: returns the messages for expect(). */
export function unhandled(log: RecordingLogger): string[] {
  return log.errors.map((e) => `${e.msg}: ${JSON.stringify(e.fields ?? {})}`);
}

/**
 * A Hardhat node and the harness over it, the node and the database started in parallel
 * (both take seconds). close() stops both.
 */
export async function apiHarnessOnChain(
  opts: Omit<ApiHarnessOptions, "chainUrl" | "database" | "closeDatabase"> = {},
): Promise<ApiHarness & { node: LocalNode }> {
  const [node, database] = await Promise.allSettled([startTestChain(), freshDatabase()]);
  if (node.status === "rejected" || database.status === "rejected") {
    if (node.status === "fulfilled") await node.value.stop();
    if (database.status === "fulfilled") await database.value.close();
    throw node.status === "rejected" ? node.reason : (database as PromiseRejectedResult).reason;
  }
  const h = await apiHarness({ ...opts, chainUrl: node.value.url, database: database.value, closeDatabase: true });
  return {
    ...h,
    node: node.value,
    close: async () => {
      try {
        await h.close();
      } finally {
        await node.value.stop();
      }
    },
  };
}
