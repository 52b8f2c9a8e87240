// /v1/webhooks (tenants): register endpoints for evidence.anchored, evidence.reanchored and
// report.created; list, read, delete; rotate the secret; send a test event; list an endpoint's
// deliveries and replay one. The secret is in the answers to create and rotate only.
import { Hono } from "hono";
import { z } from "zod";
import type { WebhookService } from "../services/webhooks.ts";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/events.ts";
import { readBody } from "./body.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { text } from "./fields.ts";
import { SMALL_BODY } from "./limits.ts";
import { parsePaging, seqCursor, uuidCursor } from "./paging.ts";

export const CreateWebhookSchema = z.strictObject({
  url: text(2048).describe("where events are POSTed: https (http only when WEBHOOK_ALLOW_PRIVATE=true), a public address"),
  description: text(500).optional(),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}` }))
    .min(1, "must name at least one event type (leave it out for all)")
    .max(WEBHOOK_EVENT_TYPES.length * 2, "too many entries")
    .optional()
    .describe("the event types to deliver; all when left out"),
});

const time = z.string().describe("RFC 3339");
export const WebhookEndpointSchema = z.object({
  id: z.uuid(),
  tenantId: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()).nullable().describe("null: every event type"),
  createdAt: time,
  previousSecretUntil: time.nullable().describe("after a rotation: until when the previous secret also signs"),
});
export const CreatedWebhookSchema = WebhookEndpointSchema.extend({
  secret: z
    .string()
    .nullable()
    .describe("whsec_ + base64 key: verify signatures with it. In this response only (null in an Idempotency-Key replay)"),
});
export const WebhookDeliverySchema = z.object({
  id: z.string().describe("delivery id (a decimal number)"),
  msgId: z.string().describe("the webhook-id header: the same on every attempt and replay of the event"),
  eventType: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int().nonnegative(),
  createdAt: time,
  lastAttemptAt: time.nullable(),
  nextAttemptAt: time.nullable(),
  lastStatus: z.number().int().nullable().describe("the receiver's HTTP status at the last attempt; null: no answer"),
  lastError: z.string().nullable(),
  lastResponse: z.string().nullable().describe("the start (4 KiB at most) of the receiver's last answer"),
  replayOf: z.string().nullable(),
  body: z.string().describe("the message as sent: JSON {type, timestamp, data}"),
});

export function webhookRoutes(deps: { webhooks: WebhookService }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tenantOf = (c: Parameters<typeof callerOf>[0]) => callerOf(c).caller;

  app.post("/", async (c) => {
    const input = await readBody(c, CreateWebhookSchema, SMALL_BODY);
    const caller = tenantOf(c);
    const created = await deps.webhooks.create(caller.principalId, input, caller.keyId);
    // Holds the secret: nothing may keep a copy of it.
    c.header("cache-control", "no-store");
    c.header("location", `/v1/webhooks/${created.id}`);
    return c.json(created, 201);
  });

  app.get("/", async (c) => {
    const { after, limit } = parsePaging(c, uuidCursor);
    return c.json(await deps.webhooks.list(tenantOf(c).principalId, after, limit));
  });

  app.get("/:id", async (c) => c.json(await deps.webhooks.get(tenantOf(c).principalId, c.req.param("id"))));

  // 200 with what was deleted (as revoke answers), rather than an empty 204.
  app.delete("/:id", async (c) => {
    const caller = tenantOf(c);
    return c.json(await deps.webhooks.delete(caller.principalId, c.req.param("id"), caller.keyId));
  });

  app.post("/:id/rotate-secret", async (c) => {
    const caller = tenantOf(c);
    const rotated = await deps.webhooks.rotate(caller.principalId, c.req.param("id"), caller.keyId);
    c.header("cache-control", "no-store");
    return c.json(rotated);
  });

  app.post("/:id/test", async (c) => c.json(await deps.webhooks.test(tenantOf(c).principalId, c.req.param("id")), 202));

  app.get("/:id/deliveries", async (c) => {
    // Newest first: `after` is the id of the last delivery of the previous page.
    const { after, limit } = parsePaging(c, seqCursor);
    return c.json(await deps.webhooks.deliveries(tenantOf(c).principalId, c.req.param("id"), after, limit));
  });

  app.post("/:id/deliveries/:deliveryId/replay", async (c) =>
    c.json(await deps.webhooks.replay(tenantOf(c).principalId, c.req.param("id"), c.req.param("deliveryId")), 202),
  );

  return app;
}
