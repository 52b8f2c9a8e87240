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

export interface Operation {
  summary: string;
  /** "public": no key needed (and none looked at); otherwise the roles that may call it. */
  access: "public" | readonly Role[];
  /** Largest request body in bytes; routes without one read no body. */
  bodyLimit?: number;
  /** Whether an Idempotency-Key header makes retries of this POST safe. */
  idempotent?: boolean;
  /**
   * What an Idempotency-Key replay answers instead of the original body, for a response that
   * holds a secret that must never be stored (a new API key is shown once, then gone).
   */
  replayAs?: (body: string) => string;
  request?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  parameters?: { name: string; in: "path" | "query"; description: string }[];
}


const problem = (description: string) => ({ description, schema: ProblemSchema });
const invalid = problem("validation failed (each field named as a JSON pointer)");
const notFound = (what: string) => problem(`no such ${what}, or not yours to see`);
const path = (name: string, description: string) => ({ name, in: "path" as const, description });
const query = (name: string, description: string) => ({ name, in: "query" as const, description });
const idParam = path("id", "evidence id (a UUID)");
const paging = [query("after", "cursor from the previous page's `next`"), query("limit", "1 to 1000, default 100")];
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
  return {
    [`POST /v1/${plural}`]: {
      summary: `Create a ${kind}`,
      access: ADMIN,
      bodyLimit: SMALL_BODY,
      idempotent: true,
      request: CreatePrincipalSchema,
      responses: {
        201: { description: "created", schema: PrincipalViewSchema },
        ...bodyProblems,
        409: problem("the id is taken, or the Idempotency-Key is in use"),
      },
    },
    [`GET /v1/${plural}`]: {
      summary: `List ${plural}`,
      access: ADMIN,
      parameters: paging,
      responses: { 200: { description: plural, schema: page(PrincipalViewSchema) }, 422: invalid },
    },
    [`GET /v1/${plural}/:id`]: {
      summary: `One ${kind}`,
      access: ADMIN,
      parameters: [idp],
      responses: { 200: { description: kind, schema: PrincipalViewSchema }, 404: notFound(kind) },
    },
    [`POST /v1/${plural}/:id/disable`]: {
      summary: `Disable a ${kind}: its keys stop working at once (idempotent)`,
      access: ADMIN,
      parameters: [idp],
      responses: { 200: { description: "disabled", schema: PrincipalViewSchema }, 404: notFound(kind) },
    },
  };
}

function webhookOps(): Record<string, Operation> {
  const TENANT: readonly Role[] = ["tenant"];
  const idp = path("id", "webhook endpoint id (a UUID)");
  return {
    "POST /v1/webhooks": {
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
      request: CreateWebhookSchema,
      responses: {
        201: { description: "registered", schema: CreatedWebhookSchema },
        ...bodyProblems,
        ...idempotencyProblems,
        422: problem("validation failed: /url not https, or its host resolves to a loopback, private or link-local address; or the Idempotency-Key was used with another body"),
      },
    },
    "GET /v1/webhooks": {
      summary: "Your webhook endpoints (never their secrets)",
      access: TENANT,
      parameters: paging,
      responses: { 200: { description: "endpoints", schema: page(WebhookEndpointSchema) }, 422: invalid },
    },
    "GET /v1/webhooks/:id": {
      summary: "One of your webhook endpoints",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "the endpoint", schema: WebhookEndpointSchema }, 404: notFound("webhook endpoint") },
    },
    "DELETE /v1/webhooks/:id": {
      summary: "Delete a webhook endpoint and its deliveries (pending ones are never sent)",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "deleted: the endpoint as it was", schema: WebhookEndpointSchema }, 404: notFound("webhook endpoint") },
    },
    "POST /v1/webhooks/:id/rotate-secret": {
      summary: "A new signing secret, in this response only; the previous one also signs for 24 hours",
      access: TENANT,
      parameters: [idp],
      responses: { 200: { description: "the endpoint and its new secret", schema: CreatedWebhookSchema }, 404: notFound("webhook endpoint") },
    },
    "POST /v1/webhooks/:id/test": {
      summary: "Queue a webhook.test event to this endpoint",
      access: TENANT,
      parameters: [idp],
      responses: { 202: { description: "queued", schema: WebhookDeliverySchema }, 404: notFound("webhook endpoint") },
    },
    "GET /v1/webhooks/:id/deliveries": {
      summary: "An endpoint's deliveries, newest first: status, attempts, the last answer",
      access: TENANT,
      parameters: [idp, query("after", "cursor from the previous page's `next` (a delivery id)"), query("limit", "1 to 1000, default 100; at most 100 are returned (each carries its body)")],
      responses: { 200: { description: "deliveries", schema: page(WebhookDeliverySchema) }, 404: notFound("webhook endpoint"), 422: invalid },
    },
    "POST /v1/webhooks/:id/deliveries/:deliveryId/replay": {
      summary: "Send a delivery's event again (same webhook-id), queued behind the endpoint's other deliveries",
      access: TENANT,
      parameters: [idp, path("deliveryId", "delivery id")],
      responses: { 202: { description: "queued", schema: WebhookDeliverySchema }, 404: notFound("webhook endpoint or delivery") },
    },
  };
}

export const OPERATIONS: Record<string, Operation> = {
  "GET /healthz": { summary: "The process is up", access: "public", responses: { 200: { description: "up", schema: HealthSchema } } },
  "GET /readyz": {
    summary: "The database and the chain answer",
    access: "public",
    responses: { 200: { description: "ready, or degraded: serving while anchoring is held back", schema: ReadySchema }, 503: problem("a dependency does not answer") },
  },
  "GET /.well-known/evidence-keys.json": {
    summary: "The service's public signing keys (JWKS, Ed25519): check receipts and reports with them; old keys stay after a rotation",
    access: "public",
    responses: { 200: { description: "{ keys: [{ kty: OKP, crv: Ed25519, x, kid, alg: EdDSA, use: sig }] }", schema: KeySetSchema } },
  },
  "GET /.well-known/evidence-ca.pem": {
    summary:
      "The CA certificates (PEM) the service's document-signing and time-stamping certificates chain to: trust this in " +
      "`openssl ts -verify -CAfile` and PDF readers (a self-issued root unless the operator configured a real CA's chain)",
    access: "public",
    responses: { 200: { description: "application/x-pem-file" }, 404: problem("no CA certificate is known (configured certificates came without their chain)") },
  },
  "GET /.well-known/evidence-tsa.pem": {
    summary: "The time-stamping certificate and its chain (PEM): for `openssl ts -verify -untrusted` when a token was requested without certReq",
    access: "public",
    responses: { 200: { description: "application/x-pem-file" }, 404: problem("this instance has no time-stamping certificate") },
  },
  "GET /openapi.json": { summary: "This document", access: "public", responses: { 200: { description: "OpenAPI 3.1" } } },
  "POST /v1/verify": {
    summary: "Verify a proof bundle against the chain (not our database)",
    access: "public",
    bodyLimit: VERIFY_BODY,
    request: BundleSchema,
    parameters: [query("documentDigest", "your own hash of the document (0x-hex, with the bundle's hashAlg): adds the `document` check")],
    responses: {
      200: { description: "the verdict and every check", schema: VerificationSchema },
      ...bodyProblems,
    },
  },
  "POST /v1/chain/rpc": {
    summary:
      "Read-only JSON-RPC relay to this service's chain node, for the verification page: eth_chainId, eth_blockNumber, " +
      "eth_getTransactionByHash, eth_getTransactionReceipt, eth_getBlockByNumber (without transactions), eth_call",
    access: "public",
    bodyLimit: SMALL_BODY,
    request: RpcRequestSchema,
    responses: {
      200: { description: "the node's JSON-RPC answer, result or error, with the caller's id", schema: RpcResponseSchema },
      ...bodyProblems,
      503: problem("no chain node is configured, or it did not answer"),
    },
  },
  "GET /verify": {
    summary: "The verification page: checks a proof (and the document, hashed in the browser) without an account",
    access: "public",
    responses: { 200: { description: "text/html" }, 503: problem("the page was not built") },
  },
  "GET /verify/:file": {
    summary: "A script, style sheet or image of the verification page",
    access: "public",
    parameters: [path("file", "file name, e.g. verify.js")],
    responses: { 200: { description: "the file" }, 404: problem("no such file") },
  },
  "GET /v1/me": {
    summary: "Who the key belongs to",
    access: ANY_CALLER,
    responses: { 200: { description: "the caller", schema: MeSchema } },
  },
  "POST /v1/evidence": {
    summary: "Submit one digest",
    access: ["tenant"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: SubmitItemSchema,
    responses: {
      202: { description: "committed, with its signed receipt; see the Location header", schema: ReceiptSchema },
      ...bodyProblems,
      ...idempotencyProblems,
    },
  },
  "POST /v1/evidence/batch": {
    summary: "Submit up to 10,000 digests, all or none",
    access: ["tenant"],
    bodyLimit: BATCH_BODY,
    idempotent: true,
    request: SubmitBatchSchema,
    responses: {
      202: { description: "all committed, each with its signed receipt, in request order", schema: z.object({ items: z.array(ReceiptSchema) }) },
      ...bodyProblems,
      ...idempotencyProblems,
    },
  },
  "GET /v1/evidence": {
    summary: "Look your items up by digest",
    access: ["tenant", "admin"],
    parameters: [query("digest", "0x + 64 hex digits")],
    responses: { 200: { description: "matching items", schema: z.object({ items: z.array(EvidenceViewSchema) }) }, 422: invalid },
  },
  "GET /v1/evidence/:id": {
    summary: "An item's status and fields",
    access: ["tenant", "admin"],
    parameters: [idParam],
    responses: { 200: { description: "the item", schema: EvidenceViewSchema }, 404: notFound("item") },
  },
  "GET /v1/evidence/:id/proof": {
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
    summary:
      "RFC 3161 time-stamping authority: send an `application/timestamp-query` (DER TimeStampReq: SHA-256, SHA-384, SHA-512 " +
      "or SM3 imprint), get an `application/timestamp-reply`. The imprint is also stored and anchored as your evidence; " +
      "the token's serial number is that evidence's id (also in the `Evidence-Id` header). See docs/timestamps.md",
    access: ["tenant"],
    bodyLimit: TSA_BODY,
    responses: {
      200: { description: "application/timestamp-reply: a granted TimeStampResp (DER)" },
      413: problem("body too large"),
      415: problem("not application/timestamp-query"),
      422: problem("not a DER TimeStampReq, or a field refused (`errors[0].field` names it as a pointer: /messageImprint/hashAlgorithm, /reqPolicy...)"),
      503: problem("this instance has no time-stamping certificate"),
    },
  },
  "GET /v1/batches/:seq": {
    summary: "A sealed batch holding one of your items, its root and anchor",
    access: ["tenant", "admin"],
    parameters: [path("seq", "batch sequence number")],
    responses: { 200: { description: "the batch", schema: BatchViewSchema }, 404: notFound("batch") },
  },
  "GET /v1/batches/:seq/evidence": {
    summary: "Your items in a sealed batch, in leaf order (admins: every item): the full list behind an evidence.anchored webhook event",
    access: ["tenant", "admin"],
    parameters: [path("seq", "batch sequence number"), query("after", "cursor from the previous page's `next` (a leaf index)"), query("limit", "1 to 1000, default 100")],
    responses: { 200: { description: "the items", schema: page(BatchItemSchema) }, 404: notFound("batch"), 422: invalid },
  },
  ...webhookOps(),
  "GET /v1/cases/:caseId": {
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
    request: CreateKeySchema,
    responses: { 201: { description: "created", schema: CreatedKeySchema }, ...bodyProblems, ...idempotencyProblems },
  },
  "GET /v1/keys": {
    summary: "List keys (never their secrets)",
    access: ADMIN,
    parameters: [query("principalId", "only this principal's keys"), ...paging],
    responses: { 200: { description: "keys", schema: page(KeyViewSchema) }, 422: invalid },
  },
  "POST /v1/keys/:id/revoke": {
    summary: "Revoke a key: effective at once (idempotent)",
    access: ADMIN,
    parameters: [path("id", "key id")],
    responses: { 200: { description: "revoked", schema: KeyViewSchema }, 404: notFound("key") },
  },
  "POST /v1/disclosures": {
    summary: "Disclose a case to a verifier (admins, or the tenant that owns the case)",
    access: ["tenant", "admin"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: CreateDisclosureSchema,
    responses: {
      201: { description: "granted", schema: DisclosureViewSchema },
      ...bodyProblems,
      404: notFound("tenant"),
      ...idempotencyProblems,
    },
  },
  "GET /v1/disclosures": {
    summary: "Disclosures you granted, or that were granted to you",
    access: ANY_CALLER,
    parameters: paging,
    responses: { 200: { description: "disclosures", schema: page(DisclosureViewSchema) }, 422: invalid },
  },
  "GET /v1/disclosures/:id": {
    summary: "One disclosure",
    access: ANY_CALLER,
    parameters: [path("id", "disclosure id (a UUID)")],
    responses: { 200: { description: "the disclosure", schema: DisclosureViewSchema }, 404: notFound("disclosure") },
  },
  "POST /v1/disclosures/:id/revoke": {
    summary: "Revoke a disclosure: effective at once (idempotent)",
    access: ["tenant", "admin"],
    parameters: [path("id", "disclosure id (a UUID)")],
    responses: { 200: { description: "revoked", schema: DisclosureViewSchema }, 404: notFound("disclosure") },
  },
  "GET /v1/audit": {
    summary: "The audit log, oldest first",
    access: ADMIN,
    parameters: paging,
    responses: { 200: { description: "entries", schema: AuditPageSchema }, 422: invalid },
  },
  "GET /v1/audit/verify": {
    summary: "Walk the audit hash chain from the first entry and check its anchored heads",
    access: ADMIN,
    responses: { 200: { description: "the verdict (200 whether or not the chain is intact)", schema: AuditVerificationSchema } },
  },
  "POST /v1/audit/anchor": {
    summary: "Submit the audit log's current head as evidence of the system tenant now",
    access: ADMIN,
    idempotent: true,
    responses: { 200: { description: "the head and the evidence that anchors it", schema: AuditAnchorResultSchema }, ...idempotencyProblems },
  },
  "POST /v1/reports": {
    summary: "Make a signed evidence report for a case (or a list of items): every proof checked on chain now, the report anchored",
    access: ["verifier", "admin"],
    bodyLimit: SMALL_BODY,
    idempotent: true,
    request: CreateReportSchema,
    responses: {
      201: { description: "made, signed and submitted for anchoring", schema: CreatedReportSchema },
      ...bodyProblems,
      ...idempotencyProblems,
      404: notFound("case or evidence item"),
    },
  },
  "GET /v1/reports/:id": {
    summary: "A report as signed (evidence-report/v1 JSON); admins, verifiers of the disclosed case, the owning tenant",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)")],
    responses: { 200: { description: "the signed report, byte for byte as stored", schema: ReportDocumentSchema }, 404: notFound("report") },
  },
  "GET /v1/reports/:id/pdf": {
    summary: "The report as a PDF for people",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)")],
    responses: { 200: { description: "application/pdf" }, 404: notFound("report") },
  },
  "GET /v1/reports/:id/proof": {
    summary: "The proof (evidence-proof/v1) that the report existed by its anchor time",
    access: ANY_CALLER,
    parameters: [path("id", "report id (a UUID)")],
    responses: { 200: { description: "the proof of the report's digest", schema: BundleSchema }, 404: notFound("report") },
  },
};

/** Statuses every non-public route can answer, added to the OpenAPI document once here. */
export const AUTH_PROBLEMS = {
  401: problem("no key, or a key that is malformed, unknown, revoked or expired (one answer for all)"),
  429: problem("too many requests for this key; see Retry-After"),
};
