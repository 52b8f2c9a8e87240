// Webhook endpoints and the delivery outbox. Events are enqueued by the transaction that
// causes them (confirmAnchors, a report's insert), so an event exists exactly when its cause
// committed; the dispatcher (src/webhooks/dispatcher.ts) reads the head of each endpoint's line.
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import {
  anchorEventData,
  MAX_EVENT_EVIDENCE_IDS,
  messageBody,
  newMessageId,
  subscribes,
} from "../webhooks/events.ts";
import { queryRows, type DbOrTx } from "./db.ts";
import { principals, webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from "./schema.ts";

export async function insertEndpoint(db: DbOrTx, row: WebhookEndpointRow): Promise<void> {
  await db.insert(webhookEndpoints).values(row);
}

/** One of a tenant's endpoints (another tenant's is not found, the same as a missing one). */
export async function getEndpoint(db: DbOrTx, tenantId: string, id: string): Promise<WebhookEndpointRow | null> {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)))
    .limit(1);
  return rows[0] ?? null;
}

/** A tenant's endpoints by id, `limit + 1` of them after `after` (see src/store/paging.ts). */
export function listEndpoints(db: DbOrTx, tenantId: string, after: string | undefined, limit: number): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), after === undefined ? undefined : sql`${webhookEndpoints.id} > ${after}`))
    .orderBy(asc(webhookEndpoints.id))
    .limit(limit + 1);
}

/** Deletes an endpoint and its deliveries (pending ones are never sent). False when not the tenant's. */
export async function deleteEndpoint(db: DbOrTx, tenantId: string, id: string): Promise<boolean> {
  const gone = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)))
    .returning({ id: webhookEndpoints.id });
  return gone.length > 0;
}

/** A new signing key; the current one keeps signing beside it until `previousUntil`. */
export async function rotateEndpointSecret(
  db: DbOrTx,
  tenantId: string,
  id: string,
  secret: Uint8Array,
  previousUntil: Date,
): Promise<WebhookEndpointRow | null> {
  const rows = await db
    .update(webhookEndpoints)
    .set({ previousSecret: sql`${webhookEndpoints.secret}`, previousSecretUntil: previousUntil, secret })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)))
    .returning();
  return rows[0] ?? null;
}

/**
 * Enqueues one event for every endpoint of `tenantId` that subscribes to `type` (or only for
 * `endpointId`, whatever it subscribes to: a test event). Returns the deliveries made; the
 * same message id on each.
 */
export async function enqueueEvent(
  db: DbOrTx,
  ev: { tenantId: string; type: string; data: Record<string, unknown>; at: Date; endpointId?: string },
): Promise<WebhookDeliveryRow[]> {
  const endpoints = await db
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.tenantId, ev.tenantId),
        ev.endpointId === undefined ? undefined : eq(webhookEndpoints.id, ev.endpointId),
        // A disabled tenant is told nothing new (what was queued before is still sent).
        sql`exists (select 1 from ${principals} where ${principals.id} = ${webhookEndpoints.tenantId} and ${principals.status} = 'active')`,
      ),
    )
    .orderBy(asc(webhookEndpoints.id));
  const targets = ev.endpointId === undefined ? endpoints.filter((e) => subscribes(e.eventTypes, ev.type)) : endpoints;
  if (targets.length === 0) return [];
  const msgId = newMessageId();
  const body = messageBody(ev.type, ev.at, ev.data);
  return db
    .insert(webhookDeliveries)
    .values(
      targets.map((e) => ({
        endpointId: e.id,
        msgId,
        eventType: ev.type,
        body,
        status: "pending" as const,
        attempts: 0,
        nextAttemptAt: ev.at,
        createdAt: ev.at,
      })),
    )
    .returning();
}

/**
 * The events of confirmed anchors, one per batch and tenant with items in it and an endpoint:
 * evidence.anchored, or evidence.reanchored when the batch had an anchor the chain lost. Run
 * in the transaction that confirms them. With no endpoint registered at all it costs one
 * indexed probe; otherwise one grouping over the batch's rows (the evidence_batch_idx of each
 * partition) restricted to tenants with endpoints, and per such tenant its first ids in leaf order.
 */
export async function enqueueAnchorEvents(db: DbOrTx, anchorIds: readonly number[], confirmedAt: Date): Promise<number> {
  if (anchorIds.length === 0) return 0;
  const any = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).limit(1);
  if (any.length === 0) return 0;
  const anchored = await queryRows<{
    batch_seq: number | string;
    root: Uint8Array;
    size: number;
    chain_id: number;
    contract: string;
    tx_hash: string;
    block_number: number | string;
    block_hash: string;
    block_timestamp: number | string;
    reanchored: boolean;
  }>(
    db,
    sql`select a.batch_seq, b.root, b.size, a.chain_id, a.contract, a.tx_hash, a.block_number, a.block_hash, a.block_timestamp,
               exists (select 1 from anchors o where o.batch_seq = a.batch_seq and o.status = 'orphaned') as reanchored
        from anchors a join batches b on b.seq = a.batch_seq
        where a.id in (select jsonb_array_elements_text(${JSON.stringify(anchorIds)}::jsonb)::bigint)
        order by a.batch_seq`,
  );
  let made = 0;
  for (const a of anchored) {
    const seq = Number(a.batch_seq);
    const groups = await queryRows<{ submitter: string; n: number }>(
      db,
      sql`select e.submitter, count(*)::int as n from evidence e
          where e.batch_seq = ${seq} and e.submitter in (select tenant_id from webhook_endpoints)
          group by e.submitter order by e.submitter`,
    );
    for (const g of groups) {
      const ids = await queryRows<{ id: string }>(
        db,
        sql`select e.id from evidence e where e.batch_seq = ${seq} and e.submitter = ${g.submitter}
            order by e.leaf_index limit ${MAX_EVENT_EVIDENCE_IDS}`,
      );
      const data = anchorEventData({
        tenantId: g.submitter,
        batch: { seq, root: `0x${Buffer.from(a.root).toString("hex")}`, size: a.size },
        anchor: {
          chainId: a.chain_id,
          contract: a.contract,
          txHash: a.tx_hash,
          blockNumber: Number(a.block_number),
          blockHash: a.block_hash,
          blockTimestamp: Number(a.block_timestamp),
          confirmedAt,
        },
        itemCount: Number(g.n),
        evidenceIds: ids.map((r) => String(r.id)),
      });
      const type = a.reanchored ? "evidence.reanchored" : "evidence.anchored";
      made += (await enqueueEvent(db, { tenantId: g.submitter, type, data, at: confirmedAt })).length;
    }
  }
  return made;
}

/** An endpoint's deliveries, newest first, `limit + 1` of them below id `before`. */
export function listDeliveries(db: DbOrTx, endpointId: string, before: number | undefined, limit: number): Promise<WebhookDeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), before === undefined ? undefined : lt(webhookDeliveries.id, before)))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
}

export async function getDelivery(db: DbOrTx, endpointId: string, id: number): Promise<WebhookDeliveryRow | null> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Queues a delivery's message again, at the end of its endpoint's line (a new delivery with the
 * same message id and body: receivers that saw it dedupe it; order behind it is unchanged).
 */
export async function replayDelivery(db: DbOrTx, of: WebhookDeliveryRow, at: Date): Promise<WebhookDeliveryRow> {
  const rows = await db
    .insert(webhookDeliveries)
    .values({
      endpointId: of.endpointId,
      msgId: of.msgId,
      eventType: of.eventType,
      body: of.body,
      status: "pending",
      attempts: 0,
      nextAttemptAt: at,
      createdAt: at,
      replayOf: of.id,
    })
    .returning();
  return rows[0]!;
}

/** A delivery due now at the head of its endpoint's line, with what sending it needs. */
export interface DueDelivery {
  delivery: WebhookDeliveryRow;
  url: string;
  secret: Uint8Array;
  previousSecret: Uint8Array | null;
  previousSecretUntil: Date | null;
}

/**
 * The head (lowest pending id) of every endpoint's line that is due by `now`, oldest first,
 * but for `skipEndpoints` (attempts under way). An endpoint whose head waits for a retry yields
 * nothing: what is behind it waits too.
 */
export async function dueHeads(db: DbOrTx, now: Date, limit: number, skipEndpoints: readonly string[] = []): Promise<DueDelivery[]> {
  const heads = await queryRows<{ id: number | string }>(
    db,
    sql`select h.id from (select distinct on (endpoint_id) id, endpoint_id, next_attempt_at from webhook_deliveries
                          where status = 'pending' order by endpoint_id, id) h
        where h.next_attempt_at <= ${now.toISOString()}::timestamptz
          and h.endpoint_id::text not in (select jsonb_array_elements_text(${JSON.stringify(skipEndpoints)}::jsonb))
        order by h.id limit ${limit}`,
  );
  if (heads.length === 0) return [];
  const rows = await db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(inArray(webhookDeliveries.id, heads.map((h) => Number(h.id))))
    .orderBy(asc(webhookDeliveries.id));
  return rows.map(({ delivery, endpoint }) => ({
    delivery,
    url: endpoint.url,
    secret: endpoint.secret,
    previousSecret: endpoint.previousSecret,
    previousSecretUntil: endpoint.previousSecretUntil,
  }));
}

/**
 * When the earliest head of a line falls due (null: nothing pending), but for `skipEndpoints`
 * (attempts under way: their end wakes the dispatcher). Heads only: what waits
 * behind a head being retried is "due" by its own time but may not go, and counting it would
 * make the dispatcher spin.
 */
export async function nextDueAt(db: DbOrTx, skipEndpoints: readonly string[] = []): Promise<Date | null> {
  const rows = await queryRows<{ at: string | Date | null }>(
    db,
    sql`select min(h.next_attempt_at) as at
        from (select distinct on (endpoint_id) endpoint_id, next_attempt_at from webhook_deliveries
              where status = 'pending' order by endpoint_id, id) h
        where h.endpoint_id::text not in (select jsonb_array_elements_text(${JSON.stringify(skipEndpoints)}::jsonb))`,
  );
  const at = rows[0]?.at;
  return at === null || at === undefined ? null : new Date(at);
}

/** Records one attempt's outcome: delivered, failed for good, or pending again at `nextAttemptAt`. */
export async function recordAttempt(
  db: DbOrTx,
  id: number,
  outcome: {
    status: "delivered" | "failed" | "pending";
    at: Date;
    nextAttemptAt: Date;
    httpStatus: number | null;
    error: string | null;
    response: string | null;
  },
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      status: outcome.status,
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastAttemptAt: outcome.at,
      nextAttemptAt: outcome.nextAttemptAt,
      lastStatus: outcome.httpStatus,
      lastError: outcome.error,
      // PostgreSQL text cannot hold U+0000; a receiver may answer anything.
      lastResponse: outcome.response === null ? null : outcome.response.replaceAll("\u0000", "\uFFFD"),
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, "pending")));
}

/**
 * Removes delivered and failed deliveries created before `before` (pending ones stay, however
 * old: they are still owed). Returns how many went.
 */
export async function sweepWebhookDeliveries(db: DbOrTx, before: Date): Promise<number> {
  const gone = await db
    .delete(webhookDeliveries)
    .where(and(sql`${webhookDeliveries.status} in ('delivered', 'failed')`, lt(webhookDeliveries.createdAt, before)))
    .returning({ id: webhookDeliveries.id });
  return gone.length;
}
