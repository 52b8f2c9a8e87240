// The webhook wiring of the whole service (src/service.ts), started in process as main.ts starts
// it: the leader's dispatcher runs, is woken by an anchor (the batcher's own timer seals and
// anchors) and by a test event written through the API, and reports each attempt's outcome for
// the metrics. Over HTTP, to a real receiver; PGlite, or PostgreSQL with DATABASE_URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { verifyWebhookSignature } from "../../src/core/webhook-signature.ts";
import type { RunningService } from "../../src/service.ts";
import type { DeliveryOutcome } from "../../src/webhooks/dispatcher.ts";
import { startTestChain } from "../helpers/chain.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { apiClient, createTenant } from "../helpers/service.ts";
import { startInProcess } from "../helpers/in-process.ts";
import { startReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

let node: LocalNode;
let database: TestDatabase | undefined;
let service: RunningService;
let receiver: WebhookReceiver;
const outcomes: DeliveryOutcome[] = [];

beforeAll(async () => {
  [node, database] = await Promise.all([startTestChain(), process.env.DATABASE_URL ? freshDatabase() : Promise.resolve(undefined)]);
  receiver = await startReceiver();
  service = await startInProcess(
    { nodeUrl: node.url, databaseUrl: database?.url },
    {
      BATCH_INTERVAL_MS: "100",
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_RETRY_SCHEDULE_MS: "50,50,50",
      // Long: deliveries must come from wake-ups, not from the poll.
      WEBHOOK_POLL_MS: "600000",
    },
  );
  service.webhookOutcomes.on("outcome", (o) => outcomes.push(o));
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await receiver?.close();
  await node?.stop();
  await database?.close();
});

describe(`webhooks in the running service (${describeDbKind()})`, () => {
  it("the leader's dispatcher delivers a test event and the evidence.anchored of a submitted item, and reports outcomes", async () => {
    expect(service.election.isLeader).toBe(true);
    expect(service.webhookDispatcher).toBeDefined();
    const tenant = await createTenant(service.url, service.bootstrap!.key, "wh-svc");
    const api = apiClient(service.url, tenant.key);
    const created = await api<{ id: string; secret: string }>("POST", "/v1/webhooks", { url: `${receiver.url}/svc` });
    expect(created.status).toBe(201);

    const test = await api<{ msgId: string }>("POST", `/v1/webhooks/${created.body.id}/test`);
    expect(test.status).toBe(202);
    const got = await receiver.waitFor((r) => r.headers["webhook-id"] === test.body.msgId);
    expect(verifyWebhookSignature({ secret: created.body.secret, headers: got.headers, body: got.body }).ok).toBe(true);

    const item = await api<{ id: string }>("POST", "/v1/evidence", { digest: "0x" + "ab".repeat(32) });
    expect(item.status).toBe(202);
    const anchored = await receiver.waitFor((r) => r.url === "/svc" && r.body.includes("evidence.anchored"));
    expect(verifyWebhookSignature({ secret: created.body.secret, headers: anchored.headers, body: anchored.body }).ok).toBe(true);
    expect(JSON.parse(anchored.body)).toMatchObject({ type: "evidence.anchored", data: { tenantId: "wh-svc", items: { count: 1, evidenceIds: [item.body.id] } } });
    // Reported after the attempt is recorded, which is after the receiver answered: await it.
    const delivered = () => outcomes.filter((o) => o.outcome === "delivered" && o.status === 200).length;
    if (delivered() < 2) {
      await new Promise<void>((resolve) => {
        const on = () => {
          if (delivered() < 2) return;
          service.webhookOutcomes.off("outcome", on);
          resolve();
        };
        service.webhookOutcomes.on("outcome", on);
      });
    }
    expect(outcomes.every((o) => o.seconds >= 0 && o.seconds < 10)).toBe(true);
    // And the metrics count them: the series an operator's alert rule reads.
    const scrape = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.bootstrap!.key}` } });
    const text = await scrape.text();
    const count = Number(/^evidence_webhook_deliveries_total\{outcome="delivered"\} (\d+)$/m.exec(text)?.[1]);
    expect(count).toBe(delivered());
    expect(Number(/^evidence_webhook_delivery_duration_seconds_count (\d+)$/m.exec(text)?.[1])).toBe(outcomes.length);
  });
});

// A follower writes events too (a tenant's test event, a report, a replay, on whichever
// instance the load balancer picked); only the leader sends. With the leader's poll at ten
// minutes, the event arrives only if the follower's NOTIFY woke the leader's dispatcher.
if (process.env.DATABASE_URL) {
  describe("webhooks across two instances of one PostgreSQL database", () => {
    let follower: RunningService;

    beforeAll(async () => {
      follower = await startInProcess(
        { nodeUrl: node.url, databaseUrl: database!.url },
        { INSTANCE_ID: "webhooks-follower", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_POLL_MS: "600000" },
      );
    }, 60_000);

    afterAll(async () => {
      await follower?.stop();
    });

    it("an event written on a follower is sent by the leader at once, woken through NOTIFY", async () => {
      expect(service.election.isLeader).toBe(true);
      expect(follower.election.isLeader).toBe(false);
      expect(follower.webhookDispatcher).toBeUndefined();
      const tenant = await createTenant(follower.url, service.bootstrap!.key, "wh-follower");
      const api = apiClient(follower.url, tenant.key);
      const created = await api<{ id: string; secret: string }>("POST", "/v1/webhooks", { url: `${receiver.url}/follower` });
      expect(created.status).toBe(201);
      const test = await api<{ msgId: string }>("POST", `/v1/webhooks/${created.body.id}/test`);
      expect(test.status).toBe(202);
      const got = await receiver.waitFor((r) => r.headers["webhook-id"] === test.body.msgId);
      expect(verifyWebhookSignature({ secret: created.body.secret, headers: got.headers, body: got.body }).ok).toBe(true);
    });
  });
}
