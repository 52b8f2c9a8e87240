// createApp(deps): the whole HTTP API as a Hono app, built from services handed in, so tests
// drive the real app with app.request() and their own database.
//
// Every request passes, in order: request id and log line → security headers → CORS (public
// verification only) → route registry lookup → authentication and role check → rate limit
// → Idempotency-Key → the route. Who may call what is in one table, ./operations.ts.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { FailureTracker } from "../auth/failures.ts";
import type { Logger } from "../log.ts";
import type { AccessService } from "../services/access.ts";
import type { AuditService } from "../services/audit.ts";
import type { IngestService } from "../services/ingest.ts";
import type { Prover } from "../services/prover.ts";
import type { Db } from "../store/db.ts";
import type { ChainReader } from "../verify/index.ts";
import type { Signer } from "../signing/signer.ts";
import { PACKAGE as pkg } from "../runtime.ts";
import { auditRoutes } from "./audit.ts";
import { chainRpcRoutes } from "./chain-rpc.ts";
import { authenticate, operationLookup } from "./auth.ts";
import { batchRoutes } from "./batches.ts";
import { caseRoutes } from "./cases.ts";
import type { AppEnv } from "./context.ts";
import { disclosureRoutes } from "./disclosures.ts";
import { DOCS_CSP, docsRoutes } from "./docs.ts";
import { evidenceRoutes } from "./evidence.ts";
import { healthRoutes, type HealthDeps } from "./health.ts";
import { idempotency } from "./idempotency.ts";
import { keyRoutes } from "./keys.ts";
import { meRoutes } from "./me.ts";
import { openApiRoutes } from "./openapi.ts";
import { OPERATIONS } from "./operations.ts";
import { loadWebAssets, PAGE_CSP, pageRoutes, type WebAssets } from "./page.ts";
import { principalRoutes } from "./principals.ts";
import { onError, onNotFound } from "./problem.ts";
import { rateLimit } from "./rate-limit.ts";
import { verifyRoutes } from "./verify.ts";
import { reportRoutes } from "./reports.ts";
import type { ReportService } from "../services/reports.ts";
import { wellKnownRoutes } from "./well-known.ts";
import { tsaRoutes } from "./tsa.ts";
import { webhookRoutes } from "./webhooks.ts";
import type { WebhookService } from "../services/webhooks.ts";
import type { TimeStampAuthority } from "../tsa/authority.ts";
import type { PkiIdentity } from "../pki/identity.ts";
import { ServiceMetrics } from "../metrics/metrics.ts";
import { metricsRoutes } from "./metrics.ts";

export interface AppDeps {
  db: Db;
  ingest: IngestService;
  prover: Prover;
  access: AccessService;
  audit: AuditService;
  health: Omit<HealthDeps, "log">;
  chainReader: () => ChainReader | undefined;
  /** JSON-RPC URL of the same chain, for the public read-only relay the page uses. */
  chainRpcUrl?: () => string | undefined;
  /** The service key: signs receipts and reports; its public half is published. */
  signer: Signer;
  reports: ReportService;
  /** Tenants' webhook endpoints and their deliveries (/v1/webhooks). */
  webhooks: WebhookService;
  /** The RFC 3161 authority behind POST /v1/tsa; without it the route answers 503. */
  tsa?: TimeStampAuthority | undefined;
  /** The X.509 identity whose CA certificates /.well-known/evidence-ca.pem serves. */
  pki?: PkiIdentity | undefined;
  /** TSA_URL and its settings: the authority asked first for a PDF signature's time-stamp. */
  tsaUrl?: string | undefined;
  tsaTimeoutMs?: number | undefined;
  tsaAuthorization?: string | undefined;
  /** The origin users reach the service at, when a proxy stands in front (PUBLIC_URL). */
  publicUrl?: string | undefined;
  /** The built verification page; read from dist/web/ when not given. */
  webAssets?: WebAssets;
  minConfirmations: number;
  /** Requests per minute per API key, and per address on public routes (0: unlimited). */
  rateLimits: { perKeyPerMinute: number; publicPerMinute: number };
  /** Failed authentications per address; shared so tests can shorten its window. */
  failures?: FailureTracker;
  log: Logger;
  now?: () => Date;
  /** This instance's metrics (GET /metrics, and every request observed); a registry of its own when not given. */
  metrics?: ServiceMetrics;
  /** METRICS_TOKEN: a bearer GET /metrics also takes. */
  metricsToken?: string | undefined;
}

/** A request id a proxy may hand us: 1 to 128 printable ASCII characters, no spaces. */
const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics ?? new ServiceMetrics({ log: deps.log });
  // Every request has an id, taken from a proxy in front (X-Request-Id) when it is a usable
  // token, returned in X-Request-Id and written in the one log line each request gets: the
  // route as registered (no ids or digests of the path), status and latency.
  app.use(async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given !== undefined && REQUEST_ID_RE.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    await next();
    // After the key's method, not the request's: a HEAD is served by the GET entry.
    const route = c.var.operation ? c.var.operation.key.slice(c.var.operation.key.indexOf(" ") + 1) : null;
    const seconds = (performance.now() - started) / 1000;
    // The same point feeds the metrics: one observation per request, by route as registered.
    metrics.request({ method: c.req.method, route, status: c.res.status, seconds, ingestedItems: c.var.ingestedItems });
    deps.log.info("request", {
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 10_000) / 10,
      ...(c.var.caller ? { principal: c.var.caller.principalId, keyId: c.var.caller.keyId } : {}),
    });
  });
  // A JSON API loads nothing: the strictest policy costs nothing and stops a response from
  // ever being run as a page. The verification page gets a policy of its own (./page.ts).
  const apiHeaders = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    crossOriginResourcePolicy: "same-origin",
  });
  const pageHeaders = secureHeaders({ contentSecurityPolicy: PAGE_CSP, crossOriginResourcePolicy: "same-origin" });
  // The API docs (Swagger UI) get theirs too (./docs.ts).
  const docsHeaders = secureHeaders({ contentSecurityPolicy: DOCS_CSP, crossOriginResourcePolicy: "same-origin" });
  app.use((c, next) => {
    const p = c.req.path;
    const headers = p === "/verify" || p.startsWith("/verify/") ? pageHeaders : p === "/docs" || p.startsWith("/docs/") ? docsHeaders : apiHeaders;
    return headers(c, next);
  });
  // Anyone may check a proof from their own page; every other route stays same-origin.
  app.use("/v1/verify", cors({ origin: "*", allowMethods: ["POST"], allowHeaders: ["content-type"], maxAge: 600 }));
  app.use(operationLookup(OPERATIONS));
  app.use(
    authenticate({
      access: deps.access,
      failures: deps.failures ?? new FailureTracker(),
      log: deps.log,
      ...(deps.now ? { now: deps.now } : {}),
      metricsToken: deps.metricsToken,
    }),
  );
  // Health probes come from orchestrators, often through one proxy address: never throttled.
  app.use("/v1/*", rateLimit(deps.rateLimits));
  app.use(idempotency({ db: deps.db, log: deps.log, ...(deps.now ? { now: deps.now } : {}) }));

  app.route("/", healthRoutes({ ...deps.health, log: deps.log }));
  app.route("/", openApiRoutes({ version: pkg.version, publicUrl: deps.publicUrl }));
  app.route("/", docsRoutes());
  app.route("/", metricsRoutes(metrics));
  app.route("/", wellKnownRoutes(deps));
  app.route("/", pageRoutes(deps.webAssets ?? loadWebAssets()));
  app.route("/v1/chain/rpc", chainRpcRoutes({ chainRpcUrl: deps.chainRpcUrl ?? (() => undefined), log: deps.log }));
  app.route("/v1/verify", verifyRoutes({ chain: deps.chainReader, minConfirmations: deps.minConfirmations }));
  app.route("/v1/me", meRoutes());
  app.route("/v1/evidence", evidenceRoutes(deps));
  app.route("/v1/batches", batchRoutes(deps));
  app.route("/v1/cases", caseRoutes(deps));
  app.route("/v1/tenants", principalRoutes(deps, "tenant"));
  app.route("/v1/verifiers", principalRoutes(deps, "verifier"));
  app.route("/v1/keys", keyRoutes(deps));
  app.route("/v1/disclosures", disclosureRoutes(deps));
  app.route("/v1/audit", auditRoutes(deps));
  app.route("/v1/reports", reportRoutes(deps));
  app.route("/v1/tsa", tsaRoutes(deps));
  app.route("/v1/webhooks", webhookRoutes(deps));
  app.onError(onError(deps.log));
  app.notFound(onNotFound(() => app.routes));

  assertRegistryCoversRoutes(app);
  return app;
}

/** A route without an access rule must not start: it would be reachable by nobody or by anyone. */
function assertRegistryCoversRoutes(app: Hono<AppEnv>): void {
  const routes = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`));
  const missing = [...routes].filter((r) => !(r in OPERATIONS));
  const stale = Object.keys(OPERATIONS).filter((k) => !routes.has(k));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      `the route registry (src/api/operations.ts) and the app disagree: ` +
        `${missing.length ? `no entry for ${missing.join(", ")}` : ""}${missing.length && stale.length ? "; " : ""}` +
        `${stale.length ? `no route for ${stale.join(", ")}` : ""}`,
    );
  }
}
