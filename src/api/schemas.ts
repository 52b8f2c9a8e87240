// Response shapes of the API as zod schemas: the OpenAPI document is generated from them, and
// the tests parse real responses with them, so the published description cannot drift.
import { z } from "zod";
import { CHECK_NAMES, DOCUMENT_CHECK } from "../verify/index.ts";

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/).describe("0x + 64 lowercase hex digits");
const address = z.string().regex(/^0x[0-9a-f]{40}$/);
const time = z.iso.datetime({ offset: false }).describe("RFC 3339, UTC");

// One consistent story told by every example in the OpenAPI document (a contract submitted by
// the platform "acme-platform", batched and anchored): the tests parse each example with its
// own schema, so an example that no longer fits its schema fails there, not in a client.
const ID = "019ae7c4-5d2e-7b1a-9c3f-2e8d4a6b1c0f";
const DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const LEAF = "0x5b1f6c2d3e4a59687b8c9dae0f1a2b3c4d5e6f708192a3b4c5d6e7f809a1b2c3";
const ROOT = "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3";
const KID = "p7Qm2c1v3zX8kLr0aYw5TnB6uJd4sHf9eGq2RtVxN1o";
const SIG = "X2y9bK4mQ7pR1sT6vW0zA3cE5gH8jL2nP4rS7uV9xZ1bD3fG6hJ8kM0nQ2sU4wY6aC8eF0hI3kL5mO7pR9tV1w";
const RECEIVED = "2026-11-27T09:30:02.114Z";
const ANCHOR = {
  chainId: 11155111,
  contract: "0x4a2b9c3d5e6f708192a3b4c5d6e7f8091a2b3c4d",
  txHash: "0x8c1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f50",
  blockNumber: 7421337,
  blockHash: "0x1f2e3d4c5b6a79880716253443526170f8e9dacbbdacf9e8d7c6b5a493827160",
  blockTimestamp: 1795771824,
};
const SIGNATURE = { alg: "EdDSA" as const, kid: KID, value: SIG };
const SIGNED_RECEIPT = {
  format: "evidence-receipt/v1" as const,
  id: ID,
  digest: DIGEST,
  leafHash: LEAF,
  submitter: "acme-platform",
  receivedAt: RECEIVED,
  signature: SIGNATURE,
};
const BUNDLE = {
  format: "evidence-proof/v1" as const,
  evidence: {
    id: ID,
    digest: DIGEST,
    salt: "0x3c9a7e1b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c",
    meta: { hashAlg: "sha256", caseId: "contract-2026-0117", eventType: "signed", occurredAt: "2026-11-27T09:30:00Z" },
    receivedAt: RECEIVED,
  },
  leaf: { index: 41, hash: LEAF },
  batch: {
    seq: 1203,
    size: 64,
    root: ROOT,
    path: [
      "0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "0xf9e8d7c6b5a49382716050f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a",
    ],
  },
  anchor: ANCHOR,
};
const KEY_ID = "k7f3a9c2e1b0";
const KEY_VIEW = {
  id: KEY_ID,
  principalId: "acme-platform",
  label: "production ingest",
  status: "active" as const,
  createdAt: "2026-11-20T08:00:00.000Z",
  createdBy: "ops-admin",
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: "2026-11-27T09:30:02.000Z",
};
/** The examples, by the schema they illustrate; also used by the route modules' own schemas. */
export const EXAMPLE = {
  id: ID,
  digest: DIGEST,
  leafHash: LEAF,
  receivedAt: RECEIVED,
  keyId: KEY_ID,
  signature: SIGNATURE,
  signedReceipt: SIGNED_RECEIPT,
  receipt: { id: ID, status: "pending" as const, leafHash: LEAF, receivedAt: RECEIVED, receipt: SIGNED_RECEIPT },
  anchor: ANCHOR,
  evidenceView: {
    id: ID,
    status: "anchored" as const,
    digest: DIGEST,
    hashAlg: "sha256",
    submitter: "acme-platform",
    caseId: "contract-2026-0117",
    eventType: "signed",
    occurredAt: "2026-11-27T09:30:00Z",
    leafHash: LEAF,
    receivedAt: RECEIVED,
    batch: { seq: 1203, leafIndex: 41 },
    anchor: ANCHOR,
  },
  batchView: {
    seq: 1203,
    size: 64,
    root: ROOT,
    sealedAt: "2026-11-27T09:30:05.000Z",
    status: "anchored" as const,
    anchor: ANCHOR,
    timestamp: null,
  },
  bundle: BUNDLE,
  keySet: { keys: [{ kty: "OKP" as const, crv: "Ed25519" as const, x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: KID, alg: "EdDSA" as const, use: "sig" as const }] },
  verification: {
    valid: true,
    verdict: "valid" as const,
    headline: "Valid: this proof is anchored on chain 11155111 at 2026-11-27T09:30:24Z and every check passed.",
    checks: [
      { name: "format" as const, ok: true, detail: "evidence-proof/v1" },
      { name: "leaf" as const, ok: true, detail: "leaf hash recomputed from digest, salt and meta" },
      { name: "root" as const, ok: true, detail: "root recomputed from the leaf and 2 path hashes" },
      { name: "confirmations" as const, ok: true, detail: "12 confirmations, at least 1 asked for" },
    ],
    anchoredAt: "2026-11-27T09:30:24Z",
    confirmations: 12,
    warnings: [],
  },
  problem: {
    type: "urn:evidence:problem:validation-failed",
    title: "The request did not pass validation",
    status: 422,
    detail: "the request body does not fit the schema",
    instance: "/v1/evidence",
    errors: [{ field: "/digest", reason: "must be 0x followed by 64 hex digits (32 bytes)" }],
  },
  ready: { status: "ready" as const, database: "ok" as const, chain: { chainId: 11155111, blockNumber: 7421349, contract: ANCHOR.contract }, instance: { id: "evidence-7f9c", leader: true } },
  principal: {
    id: "acme-platform",
    kind: "tenant" as const,
    name: "ACME e-contract platform",
    status: "active" as const,
    createdAt: "2026-11-20T07:55:00.000Z",
    disabledAt: null,
  },
  keyView: KEY_VIEW,
  createdKey: { ...KEY_VIEW, lastUsedAt: null, key: `evk_${KEY_ID}_N2v8Qx4LmR7tY1pZ5kW9cB3dF6hJ0sA2` },
  disclosure: {
    id: "019ae7d0-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    tenantId: "acme-platform",
    caseId: "contract-2026-0117",
    verifierId: "hangzhou-notary",
    status: "active" as const,
    grantedBy: "acme-platform",
    createdAt: "2026-11-27T10:00:00.000Z",
    expiresAt: "2027-11-27T10:00:00.000Z",
    revokedAt: null,
    revokedBy: null,
  },
  caseProofs: { tenantId: "acme-platform", caseId: "contract-2026-0117", items: [{ id: ID, proof: BUNDLE }], next: null },
  caseTimeline: {
    tenantId: "acme-platform",
    caseId: "contract-2026-0117",
    events: [
      {
        n: 1,
        evidenceId: ID,
        eventType: "signed",
        occurredAt: "2026-11-27T09:30:00Z",
        status: "anchored" as const,
        receivedAt: RECEIVED,
        anchoredAt: "2026-11-27T09:30:24Z",
        leafHash: LEAF,
        prev: null,
        link: { ok: true, detail: "the first event of the case" },
      },
    ],
    timeline: { ok: true, detail: "1 event, every link checks out" },
  },
};

/** A document signed with the service key: Ed25519 over the RFC 8785 form of the rest. */
export const SignatureSchema = z
  .object({
    alg: z.literal("EdDSA"),
    kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/).describe("the key's id in /.well-known/evidence-keys.json"),
    value: z.string().regex(/^[A-Za-z0-9_-]{86}$/).describe("base64url of the 64-byte Ed25519 signature"),
  })
  .describe("Ed25519 signature over the RFC 8785 canonical form of the document without its `signature` member").meta({ id: "Signature", examples: [EXAMPLE.signature] });

export const SignedReceiptSchema = z
  .object({
    format: z.literal("evidence-receipt/v1"),
    id: z.uuid(),
    digest: hex32,
    leafHash: hex32,
    submitter: z.string(),
    receivedAt: time,
    signature: SignatureSchema,
  })
  .describe(
    "The service's signed promise that it holds this item (evidence-receipt/v1): check it with the keys at /.well-known/evidence-keys.json",
  ).meta({ id: "SignedReceipt", examples: [EXAMPLE.signedReceipt] });

export const ReceiptSchema = z
  .object({
    id: z.uuid(),
    status: z.literal("pending"),
    leafHash: hex32,
    receivedAt: time,
    receipt: SignedReceiptSchema,
  })
  .describe("The item is committed: it will be batched and anchored.").meta({ id: "Receipt", examples: [EXAMPLE.receipt] });

export const AnchorSchema = z.object({
  chainId: z.number().int().positive(),
  contract: address,
  txHash: hex32,
  blockNumber: z.number().int().nonnegative(),
  blockHash: hex32,
  blockTimestamp: z.number().int().nonnegative().describe("Unix seconds"),
}).meta({ id: "Anchor", examples: [EXAMPLE.anchor] });

export const EvidenceViewSchema = z.object({
  id: z.uuid(),
  status: z.enum(["pending", "batched", "anchored"]),
  digest: hex32,
  hashAlg: z.string(),
  submitter: z.string(),
  caseId: z.string().nullable(),
  eventType: z.string().nullable(),
  occurredAt: z.string().nullable(),
  leafHash: hex32,
  receivedAt: time,
  batch: z.object({ seq: z.number().int().nonnegative(), leafIndex: z.number().int().nonnegative() }).nullable(),
  anchor: AnchorSchema.nullable(),
}).meta({ id: "EvidenceView", examples: [EXAMPLE.evidenceView] });

export const BatchViewSchema = z.object({
  seq: z.number().int().nonnegative(),
  size: z.number().int().positive(),
  root: hex32,
  sealedAt: time,
  status: z.enum(["batched", "anchored"]),
  anchor: AnchorSchema.nullable(),
  timestamp: z
    .object({
      tsa: z.string().describe("the authority asked (TSA_URL)"),
      tsaName: z.string().describe("subject of the certificate that signed the token"),
      genTime: time.describe("when the authority says the batch root existed"),
      serialNumber: z.string(),
      policy: z.string(),
      token: z.string().describe("the RFC 3161 TimeStampToken (DER), base64; its imprint is the batch root as a SHA-256 hash"),
    })
    .nullable()
    .describe("an RFC 3161 time-stamp over the root from an external authority (TSA_URL); null until one is kept, or when none is configured"),
}).meta({ id: "BatchView", examples: [EXAMPLE.batchView] });

/** The evidence-proof/v1 bundle, loosely: docs/proof-format.md is the precise definition. */
export const BundleSchema = z
  .object({
    format: z.literal("evidence-proof/v1"),
    evidence: z.object({ id: z.string(), digest: hex32, salt: hex32, meta: z.record(z.string(), z.string()), receivedAt: time }),
    leaf: z.object({ index: z.number().int().nonnegative(), hash: hex32 }).nullable(),
    batch: z
      .object({ seq: z.number().int().nonnegative(), size: z.number().int().positive(), root: hex32, path: z.array(hex32) })
      .nullable(),
    anchor: AnchorSchema.nullable(),
  })
  .describe("An evidence-proof/v1 bundle (see docs/proof-format.md); anchor is null until the batch is anchored.").meta({ id: "ProofBundle", examples: [EXAMPLE.bundle] });

export const KeySetSchema = z.object({
  keys: z.array(
    z.object({
      kty: z.literal("OKP"),
      crv: z.literal("Ed25519"),
      x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
      kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/).describe("RFC 7638 thumbprint"),
      alg: z.literal("EdDSA"),
      use: z.literal("sig"),
    }),
  ),
}).meta({ id: "KeySet", examples: [EXAMPLE.keySet] });

export const VerificationSchema = z.object({
  valid: z.boolean().describe("every check passed"),
  verdict: z
    .enum(["valid", "consistent", "pending", "inconclusive", "invalid"])
    .describe(
      "valid: all checks passed; consistent: passed, chain not checked; pending: not anchored yet; " +
        "inconclusive: could not verify (the chain node could not be asked: unreachable, RPC error, timeout), nothing failed; " +
        "invalid: a check ran and failed",
    ),
  headline: z.string().describe("the verdict in one sentence for people"),
  checks: z.array(
    z.object({
      name: z.enum([...CHECK_NAMES, DOCUMENT_CHECK]),
      ok: z.boolean(),
      skipped: z.literal(true).optional().describe("not asked for (no chain, not anchored yet, or moot after an earlier check)"),
      unavailable: z.literal(true).optional().describe("asked for but could not run (the chain node could not be asked): not a failure"),
      detail: z.string(),
    }),
  ),
  anchoredAt: time.nullable(),
  confirmations: z.number().int().nonnegative().nullable(),
  warnings: z
    .array(z.string())
    .describe(
      "in words, what cannot be true in the platform's own statements: a claimed occurredAt later than the anchor time. " +
        "Warnings never change the verdict; empty when there are none",
    ),
}).meta({ id: "Verification", examples: [EXAMPLE.verification] });

export const ProblemSchema = z
  .object({
    type: z.string().regex(/^urn:evidence:problem:[a-z-]+$/),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  })
  .describe("RFC 9457 problem details").meta({ id: "Problem", examples: [EXAMPLE.problem] });

export const HealthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health", examples: [{ status: "ok" }] });
export const ReadySchema = z.object({
  /** "degraded": the instance serves, but anchoring is held back (see `reasons`). */
  status: z.enum(["ready", "degraded"]),
  database: z.literal("ok"),
  chain: z.object({ chainId: z.number().int(), blockNumber: z.number().int(), contract: address.nullable() }).nullable(),
  /** Which instance answered, and whether it runs the sequencer now. */
  instance: z.object({ id: z.string(), leader: z.boolean() }).optional(),
  /** Why anchoring is held back (fees above the ceiling, funds, the chain), in words. */
  reasons: z.array(z.string()).optional(),
}).meta({ id: "Readiness", examples: [EXAMPLE.ready] });

const timeOrNull = time.nullable();

export const PrincipalViewSchema = z.object({
  id: z.string(),
  kind: z.enum(["tenant", "verifier", "admin", "system"]),
  name: z.string(),
  status: z.enum(["active", "disabled"]),
  createdAt: time,
  disabledAt: timeOrNull,
}).meta({ id: "PrincipalView", examples: [EXAMPLE.principal] });

export const KeyViewSchema = z.object({
  id: z.string().describe("the key's public id (its first part); safe to log"),
  principalId: z.string(),
  label: z.string().nullable(),
  status: z.enum(["active", "revoked", "expired"]),
  createdAt: time,
  createdBy: z.string(),
  expiresAt: timeOrNull,
  revokedAt: timeOrNull,
  lastUsedAt: timeOrNull.describe("updated at most once a minute"),
}).meta({ id: "KeyView", examples: [EXAMPLE.keyView] });

export const CreatedKeySchema = KeyViewSchema.extend({
  key: z
    .string()
    .regex(/^evk_/)
    .nullable()
    .describe("the key itself: shown in this response only, never stored; null in an Idempotency-Key replay"),
  keyShown: z.string().optional().describe("present in an Idempotency-Key replay: the key was shown only once"),
}).meta({ id: "CreatedKey", examples: [EXAMPLE.createdKey] });

export const DisclosureViewSchema = z.object({
  id: z.uuid(),
  tenantId: z.string(),
  caseId: z.string(),
  verifierId: z.string(),
  status: z.enum(["active", "revoked", "expired"]),
  grantedBy: z.string(),
  createdAt: time,
  expiresAt: timeOrNull,
  revokedAt: timeOrNull,
  revokedBy: z.string().nullable(),
}).meta({ id: "DisclosureView", examples: [EXAMPLE.disclosure] });

export const CaseProofsSchema = z.object({
  tenantId: z.string(),
  caseId: z.string(),
  items: z.array(z.object({ id: z.uuid(), proof: BundleSchema })),
  next: z.number().int().nullable().describe("pass as ?after= for the next page; null on the last"),
}).meta({ id: "CaseProofs", examples: [EXAMPLE.caseProofs] });

const LinkSchema = z.object({ ok: z.boolean(), detail: z.string() });

export const CaseTimelineSchema = z.object({
  tenantId: z.string(),
  caseId: z.string(),
  events: z.array(
    z.object({
      n: z.number().int().positive().describe("1-based position in the case, by arrival"),
      evidenceId: z.uuid(),
      eventType: z.string().nullable(),
      occurredAt: z.string().nullable().describe("as claimed by the platform"),
      status: z.enum(["pending", "batched", "anchored"]),
      receivedAt: time,
      anchoredAt: timeOrNull.describe("the anchoring block's time; null while not anchored"),
      leafHash: hex32,
      prev: hex32.nullable().describe("meta.prev: the previous event's leaf hash; null for the first"),
      link: LinkSchema.describe("whether prev is the leaf hash of the event before this one"),
    }),
  ),
  timeline: LinkSchema.describe("ok when every event links to the one before: none missing or out of order"),
}).meta({ id: "CaseTimeline", examples: [EXAMPLE.caseTimeline] });

export const MeSchema = z.object({
  principalId: z.string(),
  kind: z.enum(["tenant", "verifier", "admin"]),
  keyId: z.string(),
}).meta({ id: "Me", examples: [{ principalId: "acme-platform", kind: "tenant", keyId: EXAMPLE.keyId }] });

const pages = new Map<z.ZodType, z.ZodType>();
/**
 * A page of a list endpoint: one named schema per item schema ("PrincipalViewPage"), made once
 * (a schema id may be registered only once), its example a page of the item's example. An item
 * without an id and an example gets an unnamed page without one (test/api/openapi-doc.test.ts
 * then says which operation lacks its example).
 */
export const page = <T extends z.ZodType>(item: T) => {
  const made = pages.get(item);
  if (made) return made as ReturnType<typeof makePage<T>>;
  const p = makePage(item);
  pages.set(item, p);
  return p;
};
const makePage = <T extends z.ZodType>(item: T) => {
  const meta = z.globalRegistry.get(item);
  const schema = z.object({ items: z.array(item), next: z.string().nullable().describe("pass as ?after= for the next page; null on the last") });
  if (meta?.id === undefined || !Array.isArray(meta.examples)) return schema;
  return schema.meta({ id: `${meta.id}Page`, examples: [{ items: meta.examples.slice(0, 1), next: null }] });
};
