// The route registry: one entry per endpoint, keyed "METHOD path" exactly as the app's route
// table spells it. Each entry says who may call it (the auth middleware enforces it), how
// large a body it reads, whether it honours Idempotency-Key, and how the OpenAPI document
// describes it. The app refuses to start with a route missing here, and a test walks the
// route table against it.
import { z } from "zod";
import { RpcRequestSchema, RpcResponseSchema } from "./chain-rpc.ts";
import { CreatedReportSchema, CreateReportSchema, ReportDocumentSchema } from "./reports.ts";
import { AuditAnchorResultSchema, AuditPageSchema, AuditVerificationSchema } from "./audit.ts";
import { CreateDisclosureSchema } from "./disclosures.ts";
import { SubmitBatchSchema, SubmitItemSchema } from "./evidence.ts";
import { CreateKeySchema } from "./keys.ts";
import { TSA_BODY } from "./tsa.ts";
import { BATCH_BODY, SMALL_BODY, VERIFY_BODY } from "./limits.ts";
import { DEFAULT_PAGE, MAX_PAGE } from "./paging.ts";
import { CreatePrincipalSchema } from "./principals.ts";
import { BatchItemSchema } from "./batches.ts";
import { CreatedWebhookSchema, CreateWebhookSchema, WebhookDeliverySchema, WebhookEndpointSchema } from "./webhooks.ts";
import {
  BatchViewSchema,
  BundleSchema,
  CaseProofsSchema,
  CaseTimelineSchema,
  CreatedKeySchema,
  DisclosureViewSchema,
  EvidenceViewSchema,
  HealthSchema,
  KeySetSchema,
  KeyViewSchema,
  MeSchema,
  EXAMPLE,
  page,
  PrincipalViewSchema,
  ProblemSchema,
  ReadySchema,
  ReceiptSchema,
  VerificationSchema,
} from "./schemas.ts";

/** Roles of callers. A tenant is a platform that submits evidence. */
export type Role = "tenant" | "verifier" | "admin";
export const ROLES: readonly Role[] = ["tenant", "verifier", "admin"];

/**
 * The OpenAPI tags, in the order the docs show them: a small fixed set, so that a generated
 * client groups operations into a few classes (a Java generator makes one API class per tag).
 */
export const TAGS = {
  EVIDENCE: { name: "Evidence", description: "Submit digests and look the items up: what a platform (tenant) does every day" },
  PROOFS: { name: "Proofs", description: "Proof bundles (evidence-proof/v1) and the batches they come from" },
  CASES: { name: "Cases", description: "A case's timeline and proofs, and disclosing a case to a verifier" },
  REPORTS: { name: "Reports", description: "Signed evidence reports (JSON and PDF) for courts and notaries" },
  VERIFICATION: { name: "Verification", description: "Checking a proof without an account: the API, the page, and its read-only chain relay" },
  TSA: { name: "Time-stamping", description: "RFC 3161 time-stamping authority" },
  KEYS: { name: "Keys & principals", description: "Who calls: tenants, verifiers, API keys (admins)" },
  AUDIT: { name: "Audit", description: "The hash-chained audit log and its anchored heads (admins)" },
  WELL_KNOWN: { name: "Well-known", description: "Public keys and certificates to check receipts, reports and time-stamps with" },
  HEALTH: { name: "Health", description: "Liveness and readiness probes, and Prometheus metrics" },
  WEBHOOKS: { name: "Webhooks", description: "Endpoints a platform registers to be told when its evidence is anchored (docs/webhooks.md)" },
  DOCS: { name: "Documentation", description: "This OpenAPI document and its interactive view" },
} as const;
export type Tag = (typeof TAGS)[keyof typeof TAGS];
const { EVIDENCE, PROOFS, CASES, REPORTS, VERIFICATION, TSA, KEYS, AUDIT, WELL_KNOWN, HEALTH, WEBHOOKS, DOCS } = TAGS;

/** One documented answer of an operation. */
export interface OperationResponse {
  description: string;
  /** A JSON body (application/json; application/problem+json from 400 up). Needs an example in its meta. */
  schema?: z.ZodType;
  /** A body that is not JSON (PEM, PDF, HTML, DER): its media type; binary unless `text`. */
  media?: { type: string; text?: boolean };
  /** The answer carries Retry-After (429s always do). */
  retryAfter?: true;
}

/** A path or query parameter. Path parameters are required; query parameters unless `required`. */
export interface OperationParameter {
  name: string;
  in: "path" | "query";
  description: string;
  required?: true;
  /** Its JSON Schema; a string otherwise. Typed parameters make typed methods in generated clients. */
  schema?: Record<string, unknown>;
}

export interface Operation {
  /** Stable, unique, camelCase: generated clients name their methods after it. */
  operationId: string;
  /** One or two of TAGS: how the docs and generated clients group operations. */
  tags: readonly [Tag, ...Tag[]];
  summary: string;
  /** "public": no key needed (and none looked at); otherwise the roles that may call it. */
  access: "public" | readonly Role[];
  /**
   * Also admits the configured METRICS_TOKEN as the bearer: a scraper's shared secret, not an
   * API key (no principal, no scope), so only for routes that show no tenant data.
   */
  metricsToken?: true;
  /** Largest request body in bytes; routes without one read no body. */
  bodyLimit?: number;
  /** Whether an Idempotency-Key header makes retries of this POST safe. */
  idempotent?: boolean;
  /**
   * What an Idempotency-Key replay answers instead of the original body, for a response that
   * holds a secret that must never be stored (a new API key is shown once, then gone).
   */
  replayAs?: (body: string) => string;
  /** A JSON request body; its schema needs an example in its meta. */
  request?: z.ZodType;
  /** A request body that is not JSON: its media type (binary). */
  requestMedia?: string;
  responses: Record<number, OperationResponse>;
  parameters?: OperationParameter[];
}

/** A route module's schema under a name of its own in the OpenAPI document, with its example. */
const named = <T extends z.ZodType>(schema: T, id: string, example: z.input<T>): T => schema.meta({ id, examples: [example] });

const SubmitItem = named(SubmitItemSchema, "SubmitItem", {
  digest: EXAMPLE.digest,
  hashAlg: "sha256",
  caseId: "contract-2026-0117",
  eventType: "signed",
  occurredAt: "2026-11-27T09:30:00Z",
});
const SubmitBatch = named(SubmitBatchSchema, "SubmitBatch", {
  items: [
    { digest: EXAMPLE.digest, caseId: "contract-2026-0117", eventType: "signed" },
    { digest: "0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", caseId: "contract-2026-0117", eventType: "countersigned" },
  ],
});
const Receipts = z.object({ items: z.array(ReceiptSchema) }).meta({ id: "ReceiptList", examples: [{ items: [EXAMPLE.receipt] }] });
const EvidenceList = z.object({ items: z.array(EvidenceViewSchema) }).meta({ id: "EvidenceList", examples: [{ items: [EXAMPLE.evidenceView] }] });
const CreatePrincipal = named(CreatePrincipalSchema, "CreatePrincipal", { id: "acme-platform", name: "ACME e-contract platform" });
const CreateKey = named(CreateKeySchema, "CreateKey", { principalId: "acme-platform", label: "production ingest", expiresAt: "2027-11-27T00:00:00Z" });
const CreateDisclosure = named(CreateDisclosureSchema, "CreateDisclosure", {
  caseId: "contract-2026-0117",
  tenantId: "acme-platform",
  verifierId: "hangzhou-notary",
  expiresAt: "2027-11-27T10:00:00Z",
});
const CreateReport = named(CreateReportSchema, "CreateReport", {
  tenantId: "acme-platform",
  caseId: "contract-2026-0117",
  purpose: "Evidence for the hearing of case (2026) Zhe 0106 Min Chu 1234",
  requestedBy: "Hangzhou Internet Notary Office",
  language: "en",
});
const REPORT_ID = "019ae7e2-4b5c-7d6e-8f70-8192a3b4c5d6";
const CreatedReport = named(CreatedReportSchema, "CreatedReport", {
  id: REPORT_ID,
  digest: "0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  evidenceId: "019ae7e2-5a6b-7c8d-9e0f-1a2b3c4d5e6f",
  links: { json: `/v1/reports/${REPORT_ID}`, pdf: `/v1/reports/${REPORT_ID}/pdf`, proof: `/v1/reports/${REPORT_ID}/proof` },
});
const ReportDocument = named(ReportDocumentSchema, "ReportDocument", {
  format: "evidence-report/v1",
  language: "en",
  id: REPORT_ID,
  generatedAt: "2026-11-28T02:00:00.000Z",
  events: [{ n: 1, evidenceId: EXAMPLE.id }],
  verdict: { ok: true, sentence: "Every item was anchored on chain and every check passed." },
  signature: EXAMPLE.signature,
});
const AUDIT_HASH = "0x77af778b51abd4a3c51c5ddd97204a9c3ae614ebccb75a606c3b6865aed6744e";
const AuditPage = named(AuditPageSchema, "AuditPage", {
  items: [
    {
      seq: 17,
      at: "2026-11-20T08:00:00.000Z",
      actor: "ops-admin",
      action: "key.created",
      target: EXAMPLE.keyId,
      details: { principalId: "acme-platform", label: "production ingest" },
      prevHash: "0x0b5f4f7a4c3e1d2c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c",
      hash: AUDIT_HASH,
    },
  ],
  next: null,
});
const AuditVerification = named(AuditVerificationSchema, "AuditVerification", {
  valid: true,
  entries: 17,
  head: { seq: 17, hash: AUDIT_HASH },
  firstBroken: null,
  anchors: { total: 0, checkedOnChain: 0, items: [] },
});
const AuditAnchorResult = named(AuditAnchorResultSchema, "AuditAnchorResult", {
  anchored: { auditSeq: 17, headHash: AUDIT_HASH, evidenceId: "019ae7f0-0a1b-7c2d-8e3f-4a5b6c7d8e9f", created: true },
});
const RpcRequest = named(RpcRequestSchema, "RpcRequest", { jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
const RpcResponse = named(RpcResponseSchema, "RpcResponse", { jsonrpc: "2.0", id: 1, result: "0x713d25" });
const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: "OpenApiDocument", examples: [{ openapi: "3.1.0", info: { title: "Evidence anchoring service", version: "0.1.0" }, paths: {} }] });

const problem = (description: string) => ({ description, schema: ProblemSchema });
const pem = (description: string) => ({ description, media: { type: "application/x-pem-file", text: true } });
const invalid = problem("validation failed (each field named as a JSON pointer)");
const notFound = (what: string) => problem(`no such ${what}, or not yours to see`);
const path = (name: string, description: string, schema?: Record<string, unknown>): OperationParameter => ({ name, in: "path", description, ...(schema ? { schema } : {}) });
const query = (name: string, description: string, schema?: Record<string, unknown>): OperationParameter => ({ name, in: "query", description, ...(schema ? { schema } : {}) });
const UUID = { type: "string", format: "uuid" };
const HEX32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" };
const idParam = path("id", "evidence id (a UUID)", UUID);
const paging = [
  query("after", "cursor from the previous page's `next`"),
  query("limit", `1 to ${MAX_PAGE}, default ${DEFAULT_PAGE}`, { type: "integer", minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE }),
];
/** What any route that reads a JSON body can answer besides success. */
const bodyProblems = {
  400: problem("not JSON"),
  413: problem("body too large"),
  415: problem("not application/json"),
  422: invalid,
};
const idempotencyProblems = {
  409: problem("a request with this Idempotency-Key is still being processed"),
  422: problem("validation failed, or this Idempotency-Key was used with another request body"),
};

const ANY_CALLER: readonly Role[] = ["tenant", "verifier", "admin"];
const ADMIN: readonly Role[] = ["admin"];

function principalOps(kind: "tenant" | "verifier", plural: string): Record<string, Operation> {
  const idp = path("id", `${kind} id`);
  const Kind = kind === "tenant" ? "Tenant" : "Verifier";
  const Plural = kind === "tenant" ? "Tenants" : "Verifiers";
  return {
    [`POST /v1/${plural}`]: {
      operationId: `create${Kind}`,
      tags: [KEYS],
      summary: `Create a ${kind}`,
      access: ADMIN,
      bodyLimit: SMALL_BODY,
      idempotent: true,
      request: CreatePrincipal,
      responses: {
        201: { description: "created", schema: PrincipalViewSchema },
        ...bodyProblems,
        409: problem("the id is taken, or the Idempotency-Key is in use"),
      },
    },
    [`GET /v1/${plural}`]: {
      operationId: `list${Plural}`,
      tags: [KEYS],
      summary: `List ${plural}`,
      access: ADMIN,
      parameters: paging,
      responses: { 200: { description: plural, schema: page(PrincipalViewSchema) }, 422: invalid },
    },
    [`GET /v1/${plural}/:id`]: {
      operationId: `get${Kind}`,
      tags: [KEYS],
      summary: `One ${kind}`,
      access: ADMIN,
      parameters: [idp],
      responses: { 200: { description: kind, schema: PrincipalViewSchema }, 404: notFound(kind) },
    },
    [`POST /v1/${plural}/:id/disable`]: {
      operationId: `disable${Kind}`,
      tags: [KEYS],
      summary: `Disable a ${kind}: its keys stop working at once (idempotent)`,
      access: ADMIN,
      parameters: [idp],
      responses: { 200: { description: "disabled", schema: PrincipalViewSchema }, 404: notFound(kind) },
    },
  };
}

// Webhook schemas with their names and examples (the route module keeps the plain schemas).
const WEBHOOK_ID = "5b0f7c1e-2d4a-4f8e-9a61-3c7d2e8b9f10";
const WEBHOOK_TIME = "2026-11-27T09:31:00.000Z";
const WebhookEndpointExample = {
  id: WEBHOOK_ID,
  tenantId: "acme-platform",
  url: "https://hooks.acme.example/evidence",
  description: "anchoring notices for the signing service",
  eventTypes: null,
  createdAt: WEBHOOK_TIME,
  previousSecretUntil: null,
};
const CreateWebhook = named(CreateWebhookSchema, "CreateWebhook", {
  url: "https://hooks.acme.example/evidence",
  description: "anchoring notices for the signing service",
  eventTypes: ["evidence.anchored", "evidence.reanchored"],
});
const WebhookEndpoint = named(WebhookEndpointSchema, "WebhookEndpoint", WebhookEndpointExample);
const CreatedWebhook = named(CreatedWebhookSchema, "CreatedWebhook", { ...WebhookEndpointExample, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwC8m1kPj1tK0=" });
const WebhookDelivery = named(WebhookDeliverySchema, "WebhookDelivery", {
  id: "4711",
  msgId: "msg_2Ke8pQk1c6w3r9YtZbN4mF",
  eventType: "evidence.anchored",
  status: "delivered",
  attempts: 1,
  createdAt: WEBHOOK_TIME,
  lastAttemptAt: "2026-11-27T09:31:00.200Z",
  nextAttemptAt: null,
  lastStatus: 200,
  lastError: null,
  lastResponse: "ok",
  replayOf: null,
  body: '{"type":"evidence.anchored","timestamp":"2026-11-27T09:31:00.000Z","data":{"batch":{"seq":1203}}}',
});
const BatchItem = named(BatchItemSchema, "BatchItem", {
  id: EXAMPLE.id,
  leafIndex: 41,
  digest: EXAMPLE.digest,
  caseId: "contract-2026-0117",
  eventType: "signed",
  receivedAt: EXAMPLE.receivedAt,
});

function webhookOps(): Record<string, Operation> {
  const TENANT: readonly Role[] = ["tenant"];
  const idp = path("id", "webhook endpoint id (a UUID)", UUID);
  return {
    "POST /v1/webhooks": {
      operationId: "createWebhook",
      tags: [WEBHOOKS],
      summary:
        "Register a webhook endpoint for evidence.anchored, evidence.reanchored and report.created (docs/webhooks.md); " +
        "the signing secret is in this response only",
      access: TENANT,
      bodyLimit: SMALL_BODY,
      idempotent: true,
      // As for API keys: a retry with the same Idempotency-Key gets the endpoint without its
      // secret. If the first answer was lost, rotate the secret.
      replayAs: (body) => {
        const { secret: _secret, ...record } = JSON.parse(body) as Record<string, unknown>;
        return JSON.stringify({ ...record, secret: null, secretShown: "only in the first response to this Idempotency-Key" });
      },
      request: CreateWebhook,
      responses: {
        201: { description: "registered", schema: CreatedWebhook },
        ...bodyProblems,
        ...idempotencyProblems,
        422: problem("validation failed: /url not https, or its host resolves to a loopback, private or link-local address; or the Idempotency-Key was used with another body"),
      },
    },
    "GET /v1/webhooks": {
      operationId: "listWebhooks",
      tags: [WEBHOOKS],
      summary: "Your webhook endpoints (never their secrets)",
      access: TENANT,
      parameters: paging,
      responses: { 200: { description: "endpoints", schema: page(WebhookEndpoint) }, 422: invalid },
    },
    "GET /v1/webhooks/:id": {
      operationId: "getWebhook",
      tags: [WEBHOOKS],
      summary: "One of your webhook endpoints",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "the endpoint", schema: WebhookEndpoint }, 404: notFound("webhook endpoint") },
    },
    "DELETE /v1/webhooks/:id": {
      operationId: "deleteWebhook",
      tags: [WEBHOOKS],
      summary: "Delete a webhook endpoint and its deliveries (pending ones are never sent)",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "deleted: the endpoint as it was", schema: WebhookEndpoint }, 404: notFound("webhook endpoint") },
    },
    "POST /v1/webhooks/:id/rotate-secret": {
      operationId: "rotateWebhookSecret",
      tags: [WEBHOOKS],
      summary: "A new signing secret, in this response only; the previous one also signs for 24 hours",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "the endpoint and its new secret", schema: CreatedWebhook }, 404: notFound("webhook endpoint") },
    },
    "POST /v1/webhooks/:id/test": {
      operationId: "sendWebhookTest",
      tags: [WEBHOOKS],
      summary: "Queue a webhook.test event to this endpoint",
      access: TENANT,
      parameters: [idp],
      responses: { 202: { description: "queued", schema: WebhookDelivery }, 404: notFound("webhook endpoint") },
    },
    "GET /v1/webhooks/:id/deliveries": {
      operationId: "listWebhookDeliveries",
      tags: [WEBHOOKS],
      summary: "An endpoint's deliveries, newest first: status, attempts, the last answer",
      access: TENANT,
      parameters: [idp, query("after", "cursor from the previous page's `next` (a delivery id)"), query("limit", "1 to 1000, default 100; at most 100 are returned (each carries its body)", { type: "integer", minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })],
      responses: { 200: { description: "deliveries", schema: page(WebhookDelivery) }, 404: notFound("webhook endpoint"), 422: invalid },
    },
    "POST /v1/webhooks/:id/deliveries/:deliveryId/replay": {
      operationId: "replayWebhookDelivery",
      tags: [WEBHOOKS],
      summary: "Send a delivery's event again (same webhook-id), queued behind the endpoint's other deliveries",
      access: TENANT,
      parameters: [idp, path("deliveryId", "delivery id (a decimal number)", { type: "string", pattern: "^[0-9]+$" })],
      responses: { 202: { description: "queued", schema: WebhookDelivery }, 404: notFound("webhook endpoint or delivery") },
    },
  };
}

export const OPERATIONS: Record<string, Operation> = {
  "GET /healthz": {
    operationId: "getHealth",
    tags: [HEALTH],
    summary: "The process is up",
    access: "public",
    responses: { 200: { description: "up", schema: HealthSchema } },
  },
  "GET /readyz": {
    operationId: "getReadiness",
    tags: [HEALTH],
    summary: "The database and the chain answer",
    access: "public",
    responses: { 200: { description: "ready, or degraded: serving while anchoring is held back", schema: ReadySchema }, 503: { ...problem("a dependency does not answer"), retryAfter: true } },
  },
  "GET /.well-known/evidence-keys.json": {
    operationId: "getSigningKeys",
    tags: [WELL_KNOWN],
    summary: "The service's public signing keys (JWKS, Ed25519): check receipts and reports with them; old keys stay after a rotation",
    access: "public",
    responses: { 200: { description: "{ keys: [{ kty: OKP, crv: Ed25519, x, kid, alg: EdDSA, use: sig }] }", schema: KeySetSchema } },
  },
  "GET /.well-known/evidence-ca.pem": {
    operationId: "getCaCertificates",
    tags: [WELL_KNOWN],
    summary:
      "The CA certificates (PEM) the service's document-signing and time-stamping certificates chain to: trust this in " +
      "`openssl ts -verify -CAfile` and PDF readers (a self-issued root unless the operator configured a real CA's chain)",
    access: "public",
    responses: { 200: pem("the CA certificates, root last"), 404: problem("no CA certificate is known (configured certificates came without their chain)") },
  },
  "GET /.well-known/evidence-tsa.pem": {
    operationId: "getTsaCertificates",
    tags: [WELL_KNOWN],
    summary: "The time-stamping certificate and its chain (PEM): for `openssl ts -verify -untrusted` when a token was requested without certReq",
    access: "public",
    responses: { 200: pem("the time-stamping certificate, then its chain"), 404: problem("this instance has no time-stamping certificate") },
  },
  "GET /openapi.json": {
    operationId: "getOpenApiDocument",
    tags: [DOCS],
    summary: "This document",
    access: "public",
    responses: { 200: { description: "OpenAPI 3.1", schema: OpenApiDocument } },
  },
  "GET /docs": {
    operationId: "getApiDocs",
    tags: [DOCS],
    summary: "Interactive API docs (Swagger UI) over this document",
    access: "public",
    responses: { 200: { description: "the page", media: { type: "text/html", text: true } } },
  },
  "GET /docs/:file": {
    operationId: "getApiDocsFile",
    tags: [DOCS],
    summary: "A script, style sheet or icon of the API docs (from the swagger-ui-dist package)",
    access: "public",
    parameters: [path("file", "file name, e.g. swagger-ui-bundle.js")],
    responses: { 200: { description: "the file (JavaScript, CSS or PNG)", media: { type: "application/octet-stream" } }, 404: problem("no such file") },
  },
  "GET /metrics": {
    operationId: "getMetrics",
    tags: [HEALTH],
    summary: "Prometheus metrics (text format 0.0.4): an admin's key, or the METRICS_TOKEN bearer (docs/operations.md, Metrics)",
    access: ADMIN,
    metricsToken: true,
    responses: { 200: { description: "the series, Prometheus text format 0.0.4", media: { type: "text/plain", text: true } } },
  },
  "POST /v1/verify": {
    operationId: "verifyProof",
    tags: [VERIFICATION],
    summary: "Verify a proof bundle against the chain (not our database)",
    access: "public",
    bodyLimit: VERIFY_BODY,
    request: BundleSchema,
    parameters: [query("documentDigest", "your own hash of the document (0x-hex, with the bundle's hashAlg): adds the `document` check", HEX32)],
    responses: {
      200: { description: "the verdict and every check", schema: VerificationSchema },
      ...bodyProblems,
    },
  },
  "POST /v1/chain/rpc": {
    operationId: "relayChainRpc",
    tags: [VERIFICATION],
    summary:
      "Read-only JSON-RPC relay to this service's chain node, for the verification page: eth_chainId, eth_blockNumber, " +
      "eth_getTransactionByHash, eth_getTransactionReceipt, eth_getBlockByNumber (without transactions), eth_call",
    access: "public",
    bodyLimit: SMALL_BODY,
    request: RpcRequest,
    responses: {
      200: { description: "the node's JSON-RPC answer, result or error, with the caller's id", schema: RpcResponse },
      ...bodyProblems,
      503: problem("no chain node is configured, or it did not answer"),
    },
  },
  "GET /verify": {
    operationId: "getVerifyPage",
    tags: [VERIFICATION],
    summary: "The verification page: checks a proof (and the document, hashed in the browser) without an account",
    access: "public",
    responses: { 200: { description: "the page", media: { type: "text/html", text: true } }, 503: problem("the page was not built") },
  },
  "GET /verify/:file": {
    operationId: "getVerifyPageFile",
    tags: [VERIFICATION],
    summary: "A script, style sheet or image of the verification page",
    access: "public",
    parameters: [path("file", "file name, e.g. verify.js")],
    responses: { 200: { description: "the file (JavaScript, CSS, SVG or PNG)", media: { type: "application/octet-stream" } }, 404: problem("no such file") },
  },
  "GET /v1/me": {
    operationId: "getMe",
    tags: [KEYS],
    summary: "Who the key belongs to",
    access: ANY_CALLER,
    responses: { 200: { description: "the caller", schema: MeSchema } },
  },
  "POST /v1/evidence": {
    operationId: "submitEvidence",
    tags: [EVIDENCE],
    summary: "Submit one digest",
    access: ["tenant"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: SubmitItem,
    responses: {
      202: { description: "committed, with its signed receipt; see the Location header", schema: ReceiptSchema },
      ...bodyProblems,
      ...idempotencyProblems,
    },
  },
  "POST /v1/evidence/batch": {
    operationId: "submitEvidenceBatch",
    tags: [EVIDENCE],
    summary: "Submit up to 10,000 digests, all or none",
    access: ["tenant"],
    bodyLimit: BATCH_BODY,
    idempotent: true,
    request: SubmitBatch,
    responses: {
      202: { description: "all committed, each with its signed receipt, in request order", schema: Receipts },
      ...bodyProblems,
      ...idempotencyProblems,
    },
  },
  "GET /v1/evidence": {
    operationId: "findEvidenceByDigest",
    tags: [EVIDENCE],
    summary: "Look your items up by digest",
    access: ["tenant", "admin"],
    parameters: [{ ...query("digest", "0x + 64 hex digits", HEX32), required: true }],
    responses: { 200: { description: "matching items", schema: EvidenceList }, 422: invalid },
  },
  "GET /v1/evidence/:id": {
    operationId: "getEvidence",
    tags: [EVIDENCE],
    summary: "An item's status and fields",
    access: ["tenant", "admin"],
    parameters: [idParam],
    responses: { 200: { description: "the item", schema: EvidenceViewSchema }, 404: notFound("item") },
  },
  "GET /v1/evidence/:id/proof": {
    operationId: "getEvidenceProof",
    tags: [PROOFS],
    summary: "An item's proof bundle (evidence-proof/v1); verifiers: items of disclosed cases only",
    access: ANY_CALLER,
    parameters: [idParam],
    responses: {
      200: {
        description:
          "the bundle, with a strong ETag; Cache-Control `private, max-age=31536000, immutable` once its anchor is final (it can never change), `private, no-cache` while it is anchored but not final, `no-store` before",
        schema: BundleSchema,
      },
      304: { description: "not modified: If-None-Match named the bundle's ETag" },
      404: notFound("item"),
    },
  },
  "POST /v1/tsa": {
    operationId: "requestTimestamp",
    tags: [TSA],
    summary:
      "RFC 3161 time-stamping authority: send an `application/timestamp-query` (DER TimeStampReq: SHA-256, SHA-384, SHA-512 " +
      "or SM3 imprint), get an `application/timestamp-reply`. The imprint is also stored and anchored as your evidence; " +
      "the token's serial number is that evidence's id (also in the `Evidence-Id` header). See docs/timestamps.md",
    access: ["tenant"],
    bodyLimit: TSA_BODY,
    requestMedia: "application/timestamp-query",
    responses: {
      200: { description: "a granted TimeStampResp (DER)", media: { type: "application/timestamp-reply" } },
      413: problem("body too large"),
      415: problem("not application/timestamp-query"),
      422: problem("not a DER TimeStampReq, or a field refused (`errors[0].field` names it as a pointer: /messageImprint/hashAlgorithm, /reqPolicy...)"),
      503: problem("this instance has no time-stamping certificate"),
    },
  },
  "GET /v1/batches/:seq": {
    operationId: "getBatch",
    tags: [PROOFS],
    summary: "A sealed batch holding one of your items, its root and anchor",
    access: ["tenant", "admin"],
    parameters: [path("seq", "batch sequence number", { type: "integer", minimum: 0 })],
    responses: { 200: { description: "the batch", schema: BatchViewSchema }, 404: notFound("batch") },
  },
  "GET /v1/batches/:seq/evidence": {
    operationId: "listBatchEvidence",
    tags: [PROOFS],
    summary: "Your items in a sealed batch, in leaf order (admins: every item): the full list behind an evidence.anchored webhook event",
    access: ["tenant", "admin"],
    parameters: [
      path("seq", "batch sequence number", { type: "integer", minimum: 0 }),
      query("after", "cursor from the previous page's `next` (a leaf index)"),
      query("limit", `1 to ${MAX_PAGE}, default ${DEFAULT_PAGE}`, { type: "integer", minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE }),
    ],
    responses: { 200: { description: "the items", schema: page(BatchItem) }, 404: notFound("batch"), 422: invalid },
  },
  ...webhookOps(),
  "GET /v1/cases/:caseId": {
    operationId: "getCaseTimeline",
    tags: [CASES],
    summary:
      "A case's timeline: its events in arrival order, each with status, receive and anchor time, and whether its link " +
      "(meta.prev) to the event before checks out; verifiers: disclosed cases only",
    access: ANY_CALLER,
    parameters: [
      path("caseId", "the case id as submitted (URL-encoded)"),
      query("tenantId", "the tenant that submitted the case: required for verifiers and admins; a platform's own by default"),
    ],
    responses: {
      200: { description: "the timeline (at most 10,000 events)", schema: CaseTimelineSchema },
      404: notFound("case"),
      422: problem("tenantId missing, or the case has more than 10,000 events (read it with GET /v1/cases/{tenantId}/{caseId}/proofs)"),
    },
  },
  "GET /v1/cases/:tenantId/:caseId/proofs": {
    operationId: "listCaseProofs",
    tags: [CASES],
    summary: "Every item of a case with its proof bundle, in arrival order; verifiers: disclosed cases only",
    access: ANY_CALLER,
    parameters: [
      path("tenantId", "the tenant that submitted the case"),
      path("caseId", "the case id as submitted (URL-encoded)"),
      ...paging,
    ],
    responses: { 200: { description: "the case's items", schema: CaseProofsSchema }, 404: notFound("case"), 422: invalid },
  },
  ...principalOps("tenant", "tenants"),
  ...principalOps("verifier", "verifiers"),
  "POST /v1/keys": {
    operationId: "createKey",
    tags: [KEYS],
    summary: "Create an API key for a tenant, verifier or admin; the key is in this response only",
    access: ADMIN,
    bodyLimit: SMALL_BODY,
    idempotent: true,
    // A retry with the same Idempotency-Key gets the key's record without the key: it was
    // shown once and is stored nowhere. If that first answer was lost, revoke and create anew.
    replayAs: (body) => {
      const { key: _secret, ...record } = JSON.parse(body) as Record<string, unknown>;
      return JSON.stringify({ ...record, key: null, keyShown: "only in the first response to this Idempotency-Key" });
    },
    request: CreateKey,
    responses: { 201: { description: "created", schema: CreatedKeySchema }, ...bodyProblems, ...idempotencyProblems },
  },
  "GET /v1/keys": {
    operationId: "listKeys",
    tags: [KEYS],
    summary: "List keys (never their secrets)",
    access: ADMIN,
    parameters: [query("principalId", "only this principal's keys"), ...paging],
    responses: { 200: { description: "keys", schema: page(KeyViewSchema) }, 422: invalid },
  },
  "POST /v1/keys/:id/revoke": {
    operationId: "revokeKey",
    tags: [KEYS],
    summary: "Revoke a key: effective at once (idempotent)",
    access: ADMIN,
    parameters: [path("id", "key id")],
    responses: { 200: { description: "revoked", schema: KeyViewSchema }, 404: notFound("key") },
  },
  "POST /v1/disclosures": {
    operationId: "createDisclosure",
    tags: [CASES],
    summary: "Disclose a case to a verifier (admins, or the tenant that owns the case)",
    access: ["tenant", "admin"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: CreateDisclosure,
    responses: {
      201: { description: "granted", schema: DisclosureViewSchema },
      ...bodyProblems,
      404: notFound("tenant"),
      ...idempotencyProblems,
    },
  },
  "GET /v1/disclosures": {
    operationId: "listDisclosures",
    tags: [CASES],
    summary: "Disclosures you granted, or that were granted to you",
    access: ANY_CALLER,
    parameters: paging,
    responses: { 200: { description: "disclosures", schema: page(DisclosureViewSchema) }, 422: invalid },
  },
  "GET /v1/disclosures/:id": {
    operationId: "getDisclosure",
    tags: [CASES],
    summary: "One disclosure",
    access: ANY_CALLER,
    parameters: [path("id", "disclosure id (a UUID)", UUID)],
    responses: { 200: { description: "the disclosure", schema: DisclosureViewSchema }, 404: notFound("disclosure") },
  },
  "POST /v1/disclosures/:id/revoke": {
    operationId: "revokeDisclosure",
    tags: [CASES],
    summary: "Revoke a disclosure: effective at once (idempotent)",
    access: ["tenant", "admin"],
    parameters: [path("id", "disclosure id (a UUID)", UUID)],
    responses: { 200: { description: "revoked", schema: DisclosureViewSchema }, 404: notFound("disclosure") },
  },
  "GET /v1/audit": {
    operationId: "listAuditLog",
    tags: [AUDIT],
    summary: "The audit log, oldest first",
    access: ADMIN,
    parameters: paging,
    responses: { 200: { description: "entries", schema: AuditPage }, 422: invalid },
  },
  "GET /v1/audit/verify": {
    operationId: "verifyAuditLog",
    tags: [AUDIT],
    summary: "Walk the audit hash chain from the first entry and check its anchored heads",
    access: ADMIN,
    responses: { 200: { description: "the verdict (200 whether or not the chain is intact)", schema: AuditVerification } },
  },
  "POST /v1/audit/anchor": {
    operationId: "anchorAuditHead",
    tags: [AUDIT],
    summary: "Submit the audit log's current head as evidence of the system tenant now",
    access: ADMIN,
    idempotent: true,
    responses: { 200: { description: "the head and the evidence that anchors it", schema: AuditAnchorResult }, ...idempotencyProblems },
  },
  "POST /v1/reports": {
    operationId: "createReport",
    tags: [REPORTS],
    summary: "Make a signed evidence report for a case (or a list of items): every proof checked on chain now, the report anchored",
    access: ["verifier", "admin"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: CreateReport,
    responses: {
      201: { description: "made, signed and submitted for anchoring", schema: CreatedReport },
      ...bodyProblems,
      ...idempotencyProblems,
      404: notFound("case or evidence item"),
    },
  },
  "GET /v1/reports/:id": {
    operationId: "getReport",
    tags: [REPORTS],
    summary: "A report as signed (evidence-report/v1 JSON); admins, verifiers of the disclosed case, the owning tenant",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)", UUID)],
    responses: { 200: { description: "the signed report, byte for byte as stored", schema: ReportDocument }, 404: notFound("report") },
  },
  "GET /v1/reports/:id/pdf": {
    operationId: "getReportPdf",
    tags: [REPORTS],
    summary: "The report as a PDF for people",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)", UUID)],
    responses: { 200: { description: "the PDF, signed (PAdES B-T) when the service has a document certificate", media: { type: "application/pdf" } }, 404: notFound("report") },
  },
  "GET /v1/reports/:id/proof": {
    operationId: "getReportProof",
    tags: [REPORTS],
    summary: "The proof (evidence-proof/v1) that the report existed by its anchor time",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)", UUID)],
    responses: { 200: { description: "the proof of the report's digest", schema: BundleSchema }, 404: notFound("report") },
  },
};

/** Statuses every non-public route can answer, added to the OpenAPI document once here. */
export const AUTH_PROBLEMS: Record<401 | 403 | 429, OperationResponse> = {
  401: problem("no key, or a key that is malformed, unknown, revoked or expired (one answer for all)"),
  403: problem("the key is valid, but its role may not use this route (x-roles says which may)"),
  429: problem("too many requests for this key; see Retry-After"),
};
