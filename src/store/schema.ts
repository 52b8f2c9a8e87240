// The database schema (drizzle): evidence items, the batches they are sealed into, the
// anchoring transactions sent for each batch, and contract deployments. Migrations in
// ./migrations are generated from this file by drizzle-kit (`npm run db:generate`).
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** Raw bytes. PGlite hands back Uint8Array and postgres.js a Buffer; both are Uint8Array. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  // postgres.js only recognises Buffer as binary; a plain Uint8Array would be sent as text.
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: "date" });

/**
 * One submitted digest. Written once and never updated: everything that enters the leaf hash
 * (salt, digest, meta) and the leaf's place (batch_seq, leaf_index) is fixed when the row is
 * committed. The place is handed out by the `sequencer` row in the inserting statement, so
 * places follow commit order and sealing never rewrites a row (see src/store/evidence.ts).
 *
 * The table is partitioned by range of `part`, the UTC day in the row's id (a UUIDv7; rows
 * stored before ids carried a time have part 0): a row is found by (id, part), both known from
 * the id alone, and inserts touch only the newest partition's indexes, which stay small. Old
 * partitions can be detached and archived whole. Partitions are made ahead of need by
 * src/store/partitions.ts; drizzle-kit does not know partitioning, so migration 0006 is
 * written by hand. Columns are ordered fixed-width first, widest alignment first, so that a
 * row carries no padding.
 */
export const evidence = pgTable(
  "evidence",
  {
    id: uuid("id").notNull(),
    /** The UTC day (days since 1970-01-01) of the id's time stamp, or 0: see evidencePart(). */
    part: integer("part").notNull(),
    leafIndex: integer("leaf_index"),
    // Arrival order (of the inserting statements). A leaf's place in its batch follows commit
    // order. Unique by construction (an identity), so no index enforces it.
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity().notNull(),
    /** The batch the leaf is in: sealed once a `batches` row has this seq, open until then. */
    batchSeq: bigint("batch_seq", { mode: "number" }),
    receivedAt: ts("received_at").notNull(),
    /**
     * The signing key of the receipt handed out in the 202, as its number in `receipt_keys`
     * (2 bytes instead of a 43-character key id on every row), and the Ed25519 signature over
     * the receipt's canonical form (see src/signing/receipt.ts). Null for items stored before
     * receipts existed.
     */
    receiptKey: smallint("receipt_key"),
    submitter: text("submitter").notNull(),
    digest: bytea("digest").notNull(),
    salt: bytea("salt").notNull(),
    hashAlg: text("hash_alg").notNull(),
    caseId: text("case_id"),
    eventType: text("event_type"),
    /**
     * The meta object that was hashed (all values are strings) less `hashAlg` and
     * `submitter`, which every meta has and the columns above hold (a meta whose values
     * differ from them is stored whole). Read the meta through evidenceMeta
     * (src/store/evidence.ts), which puts them back.
     */
    metaRest: jsonb("meta_rest").$type<Record<string, string>>().notNull(),
    leafHash: bytea("leaf_hash").notNull(),
    receiptSignature: bytea("receipt_signature"),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.part] }),
    // A signature always names its key: a key id the inserting statement failed to number
    // must fail the insert, not leave a receipt that no longer says whose it is.
    check("evidence_receipt_key_check", sql`(${t.receiptKey} is null) = (${t.receiptSignature} is null)`),
    // Lookups by digest are equality only: a hash index stores a 4-byte hash code per row
    // instead of the 32-byte digest (about 76 → 27 bytes per digest). No query looks rows up
    // by leaf hash, so it has no index (it was unique: leaf hashes carry a 32-byte random
    // salt, so two never coincide; that index cost 79 bytes per digest).
    index("evidence_digest_idx").using("hash", t.digest),
    index("evidence_submitter_case_idx").on(t.submitter, t.caseId, t.seq),
    index("evidence_batch_idx").on(t.batchSeq, t.leafIndex),
  ],
);

/** The signing keys of receipts, numbered: evidence rows name their receipt's key by number. */
export const receiptKeys = pgTable("receipt_keys", {
  ref: smallint("ref").primaryKey().generatedAlwaysAsIdentity(),
  kid: text("kid").notNull().unique(),
});

/**
 * Where the next leaf goes: one row. An inserting statement takes its places from it (and
 * with them the row's lock, held until its commit), so leaves are numbered in commit order,
 * without gaps; sealing closes the open batch by moving `open_batch` on under the same lock.
 */
export const sequencer = pgTable("sequencer", {
  id: integer("id").primaryKey(),
  openBatch: bigint("open_batch", { mode: "number" }).notNull(),
  nextIndex: integer("next_index").notNull(),
});

/**
 * A sealed batch's tree, stored once: level k holds the hashes of its complete subtrees of
 * 2^k leaves, in order (level 0 the leaf hashes), concatenated. An inclusion path is read
 * from a few 32-byte slices of these at proof time (src/core/levels.ts); the column is
 * stored uncompressed out of line, so PostgreSQL fetches only the slices asked for.
 */
export const batchLevels = pgTable(
  "batch_levels",
  {
    batchSeq: bigint("batch_seq", { mode: "number" })
      .notNull()
      .references(() => batches.seq),
    level: integer("level").notNull(),
    hashes: bytea("hashes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.batchSeq, t.level] })],
);

/** A sealed Merkle tree over a run of evidence. Its root never changes once recorded. */
export const batches = pgTable("batches", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  size: integer("size").notNull(),
  root: bytea("root").notNull().unique(),
  sealedAt: ts("sealed_at").notNull(),
  /** The anchor that currently proves this batch, once confirmed. */
  anchorId: bigint("anchor_id", { mode: "number" }),
});

/**
 * One anchoring transaction. It is recorded (signed, with its hash) before it is
 * broadcast, so a crash between the two leaves a row to resume from rather than a
 * transaction nobody knows about.
 * status: sent → confirmed; or failed (reverted / dropped), or orphaned (the chain
 * lost it: a reset local chain or a reorg).
 */
export const anchors = pgTable(
  "anchors",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    batchSeq: bigint("batch_seq", { mode: "number" })
      .notNull()
      .references(() => batches.seq),
    chainId: integer("chain_id").notNull(),
    contract: text("contract").notNull(),
    sender: text("sender").notNull(),
    nonce: integer("nonce").notNull(),
    txHash: text("tx_hash").notNull(),
    /** The signed transaction, kept so it can be re-broadcast after a crash. Null when the
     * anchor was found on chain rather than sent by this row (see the anchoring step). */
    rawTx: text("raw_tx"),
    status: text("status").$type<AnchorStatus>().notNull(),
    blockNumber: bigint("block_number", { mode: "number" }),
    blockHash: text("block_hash"),
    blockTimestamp: bigint("block_timestamp", { mode: "number" }),
    sentAt: ts("sent_at").notNull(),
    confirmedAt: ts("confirmed_at"),
    error: text("error"),
  },
  (t) => [
    // At most one live (sent or confirmed) anchor per batch: the guard against double-anchoring.
    uniqueIndex("anchors_live_batch_idx")
      .on(t.batchSeq)
      .where(sql`${t.status} in ('sent', 'confirmed')`),
    // Not unique: one anchorMany transaction anchors several batches, and a restarted local
    // chain replays the very same signed transaction (same key, nonce, fees).
    index("anchors_tx_idx").on(t.txHash),
  ],
);

/**
 * Every signed version of an anchoring transaction, recorded before it is broadcast. A stuck
 * transaction is replaced by a new version with the same nonce and a higher fee; any of the
 * versions may be the one that gets mined, so all are kept and all are looked for.
 */
export const anchorTxs = pgTable(
  "anchor_txs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    chainId: integer("chain_id").notNull(),
    sender: text("sender").notNull(),
    nonce: integer("nonce").notNull(),
    txHash: text("tx_hash").notNull(),
    rawTx: text("raw_tx").notNull(),
    // Fees, gas limit and calldata are read back from raw_tx: no column repeats them.
    /** The chain's head when this version was signed: "stuck" is counted from here. */
    sentBlock: bigint("sent_block", { mode: "number" }).notNull(),
    sentAt: ts("sent_at").notNull(),
  },
  (t) => [index("anchor_txs_nonce_idx").on(t.chainId, t.sender, t.nonce)],
);

export type AnchorStatus = "sent" | "confirmed" | "failed" | "orphaned";

/** Contracts this service deployed itself (local chain mode), so a restart can reuse them. */
export const deployments = pgTable("deployments", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  chainId: integer("chain_id").notNull(),
  address: text("address").notNull(),
  txHash: text("tx_hash").notNull(),
  blockNumber: bigint("block_number", { mode: "number" }).notNull(),
  createdAt: ts("created_at").notNull(),
});

/** An evidence row as read (src/store/evidence.ts evidenceColumns): the whole meta, the receipt's key by its id. */
export type EvidenceRow = Omit<typeof evidence.$inferSelect, "part" | "receiptKey" | "metaRest"> & {
  meta: Record<string, string>;
  receiptKid: string | null;
};
export type BatchRow = typeof batches.$inferSelect;
export type AnchorRow = typeof anchors.$inferSelect;
export type AnchorTxRow = typeof anchorTxs.$inferSelect;

// ---------------------------------------------------------------------------------------
// Access control: principals (tenants, verifiers, admins and the service's own system
// tenant), their API keys, case disclosures to verifiers, the hash-chained audit log and
// stored responses for Idempotency-Key replays.

export type PrincipalKind = "tenant" | "verifier" | "admin" | "system";
export type PrincipalStatus = "active" | "disabled";

/**
 * Anyone who holds keys, plus the system tenant. One id space for every kind, so an id in
 * a log line or a proof's meta.submitter names exactly one principal.
 */
export const principals = pgTable("principals", {
  id: text("id").primaryKey(),
  kind: text("kind").$type<PrincipalKind>().notNull(),
  name: text("name").notNull(),
  status: text("status").$type<PrincipalStatus>().notNull(),
  createdAt: ts("created_at").notNull(),
  disabledAt: ts("disabled_at"),
});

/**
 * An API key. Only the SHA-256 of its secret is kept: the key itself is shown once, at
 * creation. The id is public (it is part of the key and safe to log).
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    principalId: text("principal_id")
      .notNull()
      .references(() => principals.id),
    secretHash: bytea("secret_hash").notNull(),
    label: text("label"),
    createdAt: ts("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: ts("expires_at"),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [index("api_keys_principal_idx").on(t.principalId)],
);

/** A tenant's case made readable to one verifier, until revoked or expired. */
export const disclosures = pgTable(
  "disclosures",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => principals.id),
    caseId: text("case_id").notNull(),
    verifierId: text("verifier_id")
      .notNull()
      .references(() => principals.id),
    grantedBy: text("granted_by").notNull(),
    createdAt: ts("created_at").notNull(),
    expiresAt: ts("expires_at"),
    revokedAt: ts("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [
    index("disclosures_verifier_idx").on(t.verifierId, t.tenantId, t.caseId),
    index("disclosures_tenant_idx").on(t.tenantId, t.caseId),
  ],
);

/**
 * The audit log: append-only, gapless seq, each entry carrying the hash of the one before
 * (see src/core/audit.ts for exactly what is hashed).
 */
export const auditLog = pgTable("audit_log", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  at: ts("at").notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  target: text("target"),
  details: jsonb("details").$type<Record<string, unknown>>().notNull(),
  prevHash: bytea("prev_hash").notNull(),
  hash: bytea("hash").notNull(),
});

/** An audit-log head submitted as evidence of the system tenant, and so anchored on chain. */
export const auditAnchors = pgTable("audit_anchors", {
  auditSeq: bigint("audit_seq", { mode: "number" }).primaryKey(),
  headHash: bytea("head_hash").notNull(),
  // The evidence item that carries the head. Not a foreign key: a partitioned table's keys
  // include the partition key (evidence is keyed by (id, part)), and an archived partition
  // must be detachable; the item is written in the same transaction as this row.
  evidenceId: uuid("evidence_id").notNull(),
  createdAt: ts("created_at").notNull(),
});

/**
 * Idempotency-Key records (IETF draft-ietf-httpapi-idempotency-key-header): per principal
 * and key, the request's fingerprint and, once it succeeded, the response to replay.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    principalId: text("principal_id").notNull(),
    key: text("key").notNull(),
    fingerprint: bytea("fingerprint").notNull(),
    state: text("state").$type<"in-progress" | "done">().notNull(),
    status: integer("status"),
    headers: jsonb("headers").$type<Record<string, string>>(),
    body: text("body"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.principalId, t.key] }), index("idempotency_created_idx").on(t.createdAt)],
);

export type PrincipalRow = typeof principals.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type DisclosureRow = typeof disclosures.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type AuditAnchorRow = typeof auditAnchors.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/**
 * Every Ed25519 public key the service has signed with, by key id (the RFC 7638 thumbprint).
 * Rows are never deleted: after a rotation, receipts and reports signed with an old key
 * still verify against the published key set.
 */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  /** The 32-byte raw public key. */
  publicKey: bytea("public_key").notNull(),
  firstUsedAt: ts("first_used_at").notNull(),
});

/** A generated evidence report: the signed JSON exactly as served, and its own anchoring. */
export const reports = pgTable(
  "reports",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    caseId: text("case_id"),
    requestedBy: text("requested_by").notNull(),
    createdAt: ts("created_at").notNull(),
    /** The signed report (evidence-report/v1), the exact text served. */
    body: text("body").notNull(),
    /** SHA-256 of the report's canonical form, submitted as evidence of the system tenant. */
    digest: bytea("digest").notNull(),
    evidenceId: uuid("evidence_id").notNull(),
  },
  (t) => [index("reports_tenant_case_idx").on(t.tenantId, t.caseId)],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type ReportRow = typeof reports.$inferSelect;

/**
 * A second clock over each batch: an RFC 3161 time-stamp token over the batch root (the root
 * as a SHA-256 imprint) from the external authority TSA_URL, kept as received
 * (src/tsa/batch-stamper.ts). At most one per batch; written once, after the token was
 * checked, and never updated.
 */
export const batchTimestamps = pgTable("batch_timestamps", {
  batchSeq: bigint("batch_seq", { mode: "number" })
    .primaryKey()
    .references(() => batches.seq),
  /** The authority asked (TSA_URL at the time). */
  tsaUrl: text("tsa_url").notNull(),
  /** The TimeStampToken (CMS ContentInfo, DER), byte for byte as the authority signed it. */
  token: bytea("token").notNull(),
  /** The token's genTime: when the authority says the root existed. */
  genTime: ts("gen_time").notNull(),
  /** The token's serial number, hex. */
  serialNumber: text("serial_number").notNull(),
  policy: text("policy").notNull(),
  /** Subject of the certificate that signed the token. */
  tsaName: text("tsa_name").notNull(),
  createdAt: ts("created_at").notNull(),
});

export type BatchTimestampRow = typeof batchTimestamps.$inferSelect;

// ---------------------------------------------------------------------------------------
// Webhooks (src/webhooks/, docs/webhooks.md): endpoints tenants register, and the outbox of
// deliveries to them, written in the same transaction as the change that causes each event.

/**
 * A tenant's webhook endpoint. The signing secret is kept as its key bytes, not hashed: the
 * service signs every delivery with it (unlike an API key, which is only ever checked). After
 * a rotation the previous key keeps signing, beside the new one, until `previous_secret_until`.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => principals.id),
    url: text("url").notNull(),
    description: text("description"),
    /** The event types delivered; null: every type. */
    eventTypes: text("event_types").array(),
    secret: bytea("secret").notNull(),
    previousSecret: bytea("previous_secret"),
    previousSecretUntil: ts("previous_secret_until"),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.id)],
);

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

/**
 * The outbox: one message to one endpoint. Delivered in id order per endpoint: the lowest
 * pending id of an endpoint is its head, and nothing after it is sent before it is delivered or
 * given up (failed). `msg_id` is the Standard Webhooks `webhook-id`: one per event, the same on
 * every attempt, every endpoint and every replay, so receivers dedupe by it.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    msgId: text("msg_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The JSON body exactly as sent (and signed) on every attempt. */
    body: text("body").notNull(),
    status: text("status").$type<WebhookDeliveryStatus>().notNull(),
    attempts: integer("attempts").notNull(),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    createdAt: ts("created_at").notNull(),
    lastAttemptAt: ts("last_attempt_at"),
    /** The last answer's HTTP status; null when there was none (timeout, connection error). */
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    /** The start of the last answer's body (4 KiB at most). */
    lastResponse: text("last_response"),
    /** The delivery this one replays (POST .../replay), if any. */
    replayOf: bigint("replay_of", { mode: "number" }),
  },
  (t) => [
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    // The dispatcher's head-of-line query reads only this: small however long the history.
    index("webhook_deliveries_pending_idx")
      .on(t.endpointId, t.id)
      .where(sql`${t.status} = 'pending'`),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
