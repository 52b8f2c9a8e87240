// A tenant's webhook endpoints: register (the URL's resolved addresses checked, a Standard
// Webhooks secret made and shown once), list, read, delete, rotate the secret (the old one signs
// too for 24 hours), send a test event, list deliveries and replay one. Tenant-owned: every call
// names the tenant, and another tenant's endpoint is "not found".
import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { notFound, validationFailed } from "../errors.ts";
import { appendAudit } from "../store/audit.ts";
import type { Db } from "../store/db.ts";
import { pageOf, type Page } from "../store/paging.ts";
import type { WebhookDeliveryRow, WebhookEndpointRow } from "../store/schema.ts";
import {
  deleteEndpoint,
  enqueueEvent,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  replayDelivery,
  rotateEndpointSecret,
} from "../store/webhooks.ts";
import { resolveTarget, TargetRefused, type TargetRules } from "../webhooks/address.ts";
import { WEBHOOK_TEST_EVENT, type WebhookEventType } from "../webhooks/events.ts";
import { UUID_RE } from "./access.ts";

/** How long the previous secret keeps signing after a rotation: receivers switch within it. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;
/** Endpoints one tenant may have. */
export const MAX_ENDPOINTS_PER_TENANT = 20;
/** Deliveries in one page of GET /v1/webhooks/:id/deliveries. */
export const MAX_DELIVERY_PAGE = 100;
/** Key bytes of a new secret (Standard Webhooks asks 24 to 64). */
const SECRET_BYTES = 32;

export interface EndpointView {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  /** The event types delivered; null: all of them. */
  eventTypes: string[] | null;
  createdAt: string;
  /** Until when the previous secret also signs (after a rotation), else null. */
  previousSecretUntil: string | null;
}

export interface DeliveryView {
  id: string;
  msgId: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastResponse: string | null;
  replayOf: string | null;
  /** The message as sent (JSON text). */
  body: string;
}

export interface CreateEndpointInput {
  url: string;
  description?: string | undefined;
  eventTypes?: WebhookEventType[] | undefined;
}

export interface WebhookServiceDeps {
  db: Db;
  rules: TargetRules;
  /** An event was written outside the sequencer (a test, a replay): wake the dispatcher. */
  onEnqueued?: () => void;
  now?: () => Date;
}

const via = (keyId: string | undefined) => (keyId === undefined ? {} : { viaKey: keyId });
const secretText = (key: Uint8Array) => `whsec_${Buffer.from(key).toString("base64")}`;

export function endpointView(r: WebhookEndpointRow, now: Date): EndpointView {
  return {
    id: r.id,
    tenantId: r.tenantId,
    url: r.url,
    description: r.description,
    eventTypes: r.eventTypes,
    createdAt: r.createdAt.toISOString(),
    previousSecretUntil: r.previousSecretUntil && r.previousSecretUntil > now ? r.previousSecretUntil.toISOString() : null,
  };
}

export function deliveryView(d: WebhookDeliveryRow): DeliveryView {
  return {
    id: String(d.id),
    msgId: d.msgId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    lastResponse: d.lastResponse,
    replayOf: d.replayOf === null ? null : String(d.replayOf),
    body: d.body,
  };
}

export class WebhookService {
  readonly #d: WebhookServiceDeps;

  constructor(deps: WebhookServiceDeps) {
    this.#d = deps;
  }

  #now(): Date {
    return (this.#d.now ?? (() => new Date()))();
  }

  async #endpoint(tenantId: string, id: string): Promise<WebhookEndpointRow> {
    const row = UUID_RE.test(id) ? await getEndpoint(this.#d.db, tenantId, id.toLowerCase()) : null;
    if (!row) throw notFound("webhook endpoint");
    return row;
  }

  /** Registers an endpoint; the secret is in this answer only. 422 naming /url for a refused target. */
  async create(tenantId: string, input: CreateEndpointInput, viaKey?: string): Promise<EndpointView & { secret: string }> {
    try {
      await resolveTarget(input.url, this.#d.rules);
    } catch (err) {
      if (err instanceof TargetRefused) throw validationFailed([{ field: "/url", reason: err.message }]);
      throw err;
    }
    const now = this.#now();
    const key = randomBytes(SECRET_BYTES);
    const row: WebhookEndpointRow = {
      id: randomUUID(),
      tenantId,
      url: input.url,
      description: input.description ?? null,
      eventTypes: input.eventTypes ? [...new Set(input.eventTypes)] : null,
      secret: key,
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: now,
    };
    await this.#d.db.transaction(async (tx) => {
      // Counted under the tenant's row lock, so two concurrent registrations cannot both pass.
      await tx.execute(sqlLockTenant(tenantId));
      const existing = await listEndpoints(tx, tenantId, undefined, MAX_ENDPOINTS_PER_TENANT);
      if (existing.length >= MAX_ENDPOINTS_PER_TENANT) {
        throw validationFailed([{ field: "/url", reason: `a tenant may register at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints` }]);
      }
      await insertEndpoint(tx, row);
      await appendAudit(tx, { actor: tenantId, action: "webhook.created", target: row.id, details: { url: row.url, eventTypes: row.eventTypes, ...via(viaKey) } }, now);
    });
    return { ...endpointView(row, now), secret: secretText(key) };
  }

  async list(tenantId: string, after: string | undefined, limit: number): Promise<Page<EndpointView, string>> {
    const now = this.#now();
    const page = pageOf(await listEndpoints(this.#d.db, tenantId, after, limit), limit, (r) => r.id);
    return { items: page.items.map((r) => endpointView(r, now)), next: page.next };
  }

  async get(tenantId: string, id: string): Promise<EndpointView> {
    return endpointView(await this.#endpoint(tenantId, id), this.#now());
  }

  /** Deletes an endpoint and its deliveries; answers the endpoint as it was. */
  async delete(tenantId: string, id: string, viaKey?: string): Promise<EndpointView> {
    const row = await this.#endpoint(tenantId, id);
    const now = this.#now();
    await this.#d.db.transaction(async (tx) => {
      if (!(await deleteEndpoint(tx, tenantId, row.id))) throw notFound("webhook endpoint");
      await appendAudit(tx, { actor: tenantId, action: "webhook.deleted", target: row.id, details: { url: row.url, ...via(viaKey) } }, now);
    });
    return endpointView(row, now);
  }

  /** A new secret (in this answer only); the previous one keeps signing for ROTATION_OVERLAP_MS. */
  async rotate(tenantId: string, id: string, viaKey?: string): Promise<EndpointView & { secret: string }> {
    const existing = await this.#endpoint(tenantId, id);
    const now = this.#now();
    const key = randomBytes(SECRET_BYTES);
    const row = await this.#d.db.transaction(async (tx) => {
      const updated = await rotateEndpointSecret(tx, tenantId, existing.id, key, new Date(now.getTime() + ROTATION_OVERLAP_MS));
      if (!updated) throw notFound("webhook endpoint");
      await appendAudit(tx, { actor: tenantId, action: "webhook.secret-rotated", target: existing.id, details: via(viaKey) }, now);
      return updated;
    });
    return { ...endpointView(row, now), secret: secretText(key) };
  }

  /** Queues a webhook.test event to this endpoint alone. */
  async test(tenantId: string, id: string): Promise<DeliveryView> {
    const row = await this.#endpoint(tenantId, id);
    const now = this.#now();
    const [queued] = await enqueueEvent(this.#d.db, {
      tenantId,
      endpointId: row.id,
      type: WEBHOOK_TEST_EVENT,
      at: now,
      data: { endpointId: row.id, tenantId, note: "a test event sent on request; nothing happened" },
    });
    if (!queued) throw notFound("webhook endpoint"); // deleted meanwhile
    this.#d.onEnqueued?.();
    return deliveryView(queued);
  }

  /** Newest first. At most MAX_DELIVERY_PAGE a page whatever `limit` asks: each carries its body (up to ~40 KB). */
  async deliveries(tenantId: string, id: string, before: number | undefined, askedLimit: number): Promise<Page<DeliveryView, string>> {
    const limit = Math.min(askedLimit, MAX_DELIVERY_PAGE);
    const row = await this.#endpoint(tenantId, id);
    const page = pageOf(await listDeliveries(this.#d.db, row.id, before, limit), limit, (d) => String(d.id));
    return { items: page.items.map(deliveryView), next: page.next };
  }

  /** Queues a delivery's message again, at the end of its endpoint's line. */
  async replay(tenantId: string, id: string, deliveryId: string): Promise<DeliveryView> {
    const row = await this.#endpoint(tenantId, id);
    const of = /^\d{1,15}$/.test(deliveryId) ? await getDelivery(this.#d.db, row.id, Number(deliveryId)) : null;
    if (!of) throw notFound("delivery");
    const queued = await replayDelivery(this.#d.db, of, this.#now());
    this.#d.onEnqueued?.();
    return deliveryView(queued);
  }
}

const sqlLockTenant = (tenantId: string) => sql`select 1 from principals where id = ${tenantId} for update`;
