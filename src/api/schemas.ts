// Response shapes of the API as zod schemas: the OpenAPI document is generated from them, and
// the tests parse real responses with them, so the published description cannot drift.
import { z } from "zod";
import { CHECK_NAMES, DOCUMENT_CHECK } from "../verify/index.ts";

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/).describe("0x + 64 lowercase hex digits");
const address = z.string().regex(/^0x[0-9a-f]{40}$/);
const time = z.iso.datetime({ offset: false }).describe("RFC 3339, UTC");

/** A document signed with the service key: Ed25519 over the RFC 8785 form of the rest. */
export const SignatureSchema = z
  .object({
    alg: z.literal("EdDSA"),
    kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/).describe("the key's id in /.well-known/evidence-keys.json"),
    value: z.string().regex(/^[A-Za-z0-9_-]{86}$/).describe("base64url of the 64-byte Ed25519 signature"),
  })
  .describe("Ed25519 signature over the RFC 8785 canonical form of the document without its `signature` member");

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
  );

export const ReceiptSchema = z
  .object({
    id: z.uuid(),
    status: z.literal("pending"),
    leafHash: hex32,
    receivedAt: time,
    receipt: SignedReceiptSchema,
  })
  .describe("The item is committed: it will be batched and anchored.");

export const AnchorSchema = z.object({
  chainId: z.number().int().positive(),
  contract: address,
  txHash: hex32,
  blockNumber: z.number().int().nonnegative(),
  blockHash: hex32,
  blockTimestamp: z.number().int().nonnegative().describe("Unix seconds"),
});

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
});

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
});

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
  .describe("An evidence-proof/v1 bundle (see docs/proof-format.md); anchor is null until the batch is anchored.");

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
});

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
});

export const ProblemSchema = z
  .object({
    type: z.string().regex(/^urn:evidence:problem:[a-z-]+$/),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  })
  .describe("RFC 9457 problem details");

export const HealthSchema = z.object({ status: z.literal("ok") });
export const ReadySchema = z.object({
  /** "degraded": the instance serves, but anchoring is held back (see `reasons`). */
  status: z.enum(["ready", "degraded"]),
  database: z.literal("ok"),
  chain: z.object({ chainId: z.number().int(), blockNumber: z.number().int(), contract: address.nullable() }).nullable(),
  /** Which instance answered, and whether it runs the sequencer now. */
  instance: z.object({ id: z.string(), leader: z.boolean() }).optional(),
  /** Why anchoring is held back (fees above the ceiling, funds, the chain), in words. */
  reasons: z.array(z.string()).optional(),
});

const timeOrNull = time.nullable();

export const PrincipalViewSchema = z.object({
  id: z.string(),
  kind: z.enum(["tenant", "verifier", "admin", "system"]),
  name: z.string(),
  status: z.enum(["active", "disabled"]),
  createdAt: time,
  disabledAt: timeOrNull,
});

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
});

export const CreatedKeySchema = KeyViewSchema.extend({
  key: z
    .string()
    .regex(/^evk_/)
    .nullable()
    .describe("the key itself: shown in this response only, never stored; null in an Idempotency-Key replay"),
  keyShown: z.string().optional().describe("present in an Idempotency-Key replay: the key was shown only once"),
});

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
});

export const CaseProofsSchema = z.object({
  tenantId: z.string(),
  caseId: z.string(),
  items: z.array(z.object({ id: z.uuid(), proof: BundleSchema })),
  next: z.number().int().nullable().describe("pass as ?after= for the next page; null on the last"),
});

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
});

export const MeSchema = z.object({
  principalId: z.string(),
  kind: z.enum(["tenant", "verifier", "admin"]),
  keyId: z.string(),
});

/** A page of a list endpoint. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable().describe("pass as ?after= for the next page; null on the last") });
