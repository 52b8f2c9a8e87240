// /v1/webhooks through the real app on a real database, with targets checked as in production
// (WEBHOOK_ALLOW_PRIVATE off): registration and its validation problems, private and loopback
// targets refused naming /url with nothing stored, the secret shown at create and rotate only
// (not in reads, not in an Idempotency-Key replay, not in any table as text), another tenant
// and other roles seeing nothing, delete. Deliveries are tested in test/webhooks/.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/store/db.ts";
import { apiHarness, bearer, jsonRequest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

// A public address as a literal: no DNS needed, and nothing is ever sent to it here.
const PUBLIC = "https://93.184.215.14/hooks/evidence";

let h: ApiHarness;
let otherTenant: string;
let verifier: string;

const count = async (table: string) =>
  Number((await queryRows<{ n: number }>(h.database.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]?.n);

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as { status: number; errors?: { field: string; reason: string }[] };
}

beforeAll(async () => {
  h = await apiHarness({ chainUrl: "http://127.0.0.1:1" });
  otherTenant = await h.principal("tenant", "tenant-other");
  verifier = await h.principal("verifier", "court-wh");
});
afterAll(() => h?.close());

describe(`/v1/webhooks (${describeDbKind()})`, () => {
  it("registers an endpoint: 201, the secret once (no-store), then reads without it", async () => {
    const res = await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC, description: "our ledger", eventTypes: ["evidence.anchored"] }));
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = (await res.json()) as { id: string; secret: string; url: string; eventTypes: string[] };
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ url: PUBLIC, eventTypes: ["evidence.anchored"], description: "our ledger" });
    expect(res.headers.get("location")).toBe(`/v1/webhooks/${created.id}`);

    const one = (await (await h.app.request(`/v1/webhooks/${created.id}`)).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ id: created.id, url: PUBLIC, previousSecretUntil: null });
    expect(JSON.stringify(one)).not.toContain(created.secret.slice(6, 20));
    const list = (await (await h.app.request("/v1/webhooks")).json()) as { items: { id: string }[] };
    expect(list.items.map((e) => e.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain("whsec_");
    // Stored as key bytes to sign with, never as the text handed out.
    const rows = await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from webhook_endpoints where url like ${"%whsec_%"}`);
    expect(rows[0]?.n).toBe(0);
  });

  it("an Idempotency-Key replay answers the endpoint without its secret, and registers nothing twice", async () => {
    const headers = { "idempotency-key": "wh-create-1" };
    const before = await count("webhook_endpoints");
    const first = await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC }, headers));
    expect(first.status).toBe(201);
    const a = (await first.json()) as { id: string; secret: string };
    const again = await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC }, headers));
    expect(again.status).toBe(201);
    const b = (await again.json()) as { id: string; secret: string | null; secretShown?: string };
    expect(b.id).toBe(a.id);
    expect(b.secret).toBeNull();
    expect(b.secretShown).toMatch(/only in the first response/);
    expect(await count("webhook_endpoints")).toBe(before + 1);
    const stored = await queryRows<{ body: string }>(h.database.db, sql`select body from idempotency_keys where key = 'wh-create-1'`);
    expect(stored[0]?.body ?? "").not.toContain(a.secret);
  });

  it.each([
    ["http (not https)", { url: "http://93.184.215.14/x" }, "/url", /https/],
    ["loopback", { url: "https://127.0.0.1/x" }, "/url", /127\.0\.0\.1/],
    ["localhost by name", { url: "https://localhost:8443/x" }, "/url", /loopback|127|::1/],
    ["IPv6 loopback", { url: "https://[::1]/x" }, "/url", /::1/],
    ["IPv4-mapped private", { url: "https://[::ffff:10.0.0.1]/x" }, "/url", /10\.0\.0\.1/],
    ["cloud metadata", { url: "https://169.254.169.254/latest" }, "/url", /169\.254/],
    ["unique-local IPv6", { url: "https://[fd00::1]/x" }, "/url", /fd00/],
    ["no URL", {}, "/url", /./],
    ["not a URL", { url: "hooks please" }, "/url", /absolute URL/],
    ["an unknown event type", { url: PUBLIC, eventTypes: ["evidence.deleted"] }, "/eventTypes/0", /one of/],
    ["an empty event type list", { url: PUBLIC, eventTypes: [] }, "/eventTypes", /at least one/],
    ["an unknown field", { url: PUBLIC, secret: "whsec_mine" }, "/secret", /unknown field/],
    ["a NUL in the description", { url: PUBLIC, description: "a\u0000b" }, "/description", /NUL/],
  ])("refuses %s: 422 naming the field, nothing stored", async (_what, body, field, reason) => {
    const before = [await count("webhook_endpoints"), await count("audit_log")];
    const res = await h.app.request("/v1/webhooks", jsonRequest("POST", body));
    expect(res.status).toBe(422);
    const p = await problemOf(res);
    expect(p.errors?.[0]?.field).toBe(field);
    expect(p.errors?.[0]?.reason).toMatch(reason);
    expect([await count("webhook_endpoints"), await count("audit_log")]).toEqual(before);
  });

  it("rotates the secret: a new one, once; the previous keeps signing for 24 hours", async () => {
    const created = (await (await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC }))).json()) as { id: string; secret: string };
    const res = await h.app.request(`/v1/webhooks/${created.id}/rotate-secret`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const rotated = (await res.json()) as { secret: string; previousSecretUntil: string };
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const until = Date.parse(rotated.previousSecretUntil) - Date.now();
    expect(until).toBeGreaterThan(23.9 * 3600_000);
    expect(until).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("another tenant gets the 404 of nothing, a verifier and an admin the 403 of their role; the owner deletes it", async () => {
    const created = (await (await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC }))).json()) as { id: string };
    const paths: [string, string][] = [
      ["GET", `/v1/webhooks/${created.id}`],
      ["DELETE", `/v1/webhooks/${created.id}`],
      ["POST", `/v1/webhooks/${created.id}/rotate-secret`],
      ["POST", `/v1/webhooks/${created.id}/test`],
      ["GET", `/v1/webhooks/${created.id}/deliveries`],
      ["POST", `/v1/webhooks/${created.id}/deliveries/1/replay`],
    ];
    for (const [method, path] of paths) {
      // Another tenant: 404, as for an endpoint that does not exist. A verifier or an admin:
      // 403, the role may not use webhook routes at all (nothing about this endpoint).
      for (const [key, status] of [[otherTenant, 404], [verifier, 403], [h.keys.admin, 403]] as const) {
        const res = await h.rawApp.request(path, { method, headers: bearer(key) });
        expect(res.status, `${method} ${path}`).toBe(status);
        await problemOf(res);
      }
    }
    const theirs = (await (await h.rawApp.request("/v1/webhooks", { headers: bearer(otherTenant) })).json()) as { items: unknown[] };
    expect(theirs.items).toEqual([]);
    // Still there for its owner; then gone.
    expect((await h.app.request(`/v1/webhooks/${created.id}`)).status).toBe(200);
    const del = await h.app.request(`/v1/webhooks/${created.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(((await del.json()) as { id: string }).id).toBe(created.id);
    expect((await h.app.request(`/v1/webhooks/${created.id}`)).status).toBe(404);
    expect((await h.app.request(`/v1/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("a test event is queued for the endpoint and listed among its deliveries; replay queues it again with the same webhook-id", async () => {
    const created = (await (await h.app.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC, eventTypes: ["report.created"] }))).json()) as { id: string };
    const res = await h.app.request(`/v1/webhooks/${created.id}/test`, { method: "POST" });
    expect(res.status).toBe(202);
    const queued = (await res.json()) as { id: string; msgId: string; status: string; eventType: string; body: string };
    expect(queued).toMatchObject({ status: "pending", eventType: "webhook.test" });
    expect(JSON.parse(queued.body)).toMatchObject({ type: "webhook.test", data: { endpointId: created.id } });
    const replayed = (await (await h.app.request(`/v1/webhooks/${created.id}/deliveries/${queued.id}/replay`, { method: "POST" })).json()) as {
      id: string;
      msgId: string;
      replayOf: string;
    };
    expect(replayed.msgId).toBe(queued.msgId);
    expect(replayed.replayOf).toBe(queued.id);
    const list = (await (await h.app.request(`/v1/webhooks/${created.id}/deliveries?limit=1`)).json()) as { items: { id: string }[]; next: string };
    expect(list.items.map((d) => d.id)).toEqual([replayed.id]); // newest first
    const rest = (await (await h.app.request(`/v1/webhooks/${created.id}/deliveries?after=${list.next}`)).json()) as { items: { id: string }[]; next: null };
    expect(rest.items.map((d) => d.id)).toEqual([queued.id]);
    expect(rest.next).toBeNull();
    for (const bad of ["x", "-1", "99999999999999999999"]) {
      const r = await h.app.request(`/v1/webhooks/${created.id}/deliveries?after=${bad}`);
      expect(r.status).toBe(422);
      expect((await problemOf(r)).errors?.[0]?.field).toBe("after");
    }
    expect((await h.app.request(`/v1/webhooks/${created.id}/deliveries/abc/replay`, { method: "POST" })).status).toBe(404);
    expect((await h.app.request(`/v1/webhooks/not-a-uuid`)).status).toBe(404);
  });

  it("a disabled tenant's endpoints get no new events", async () => {
    const key = await h.principal("tenant", "tenant-leaving");
    const res = await h.rawApp.request("/v1/webhooks", jsonRequest("POST", { url: PUBLIC }, bearer(key)));
    const { id } = (await res.json()) as { id: string };
    expect((await h.webhooks.test("tenant-leaving", id)).status).toBe("pending");
    await h.access.disablePrincipal({ id: "test" }, "tenant", "tenant-leaving");
    const before = await count("webhook_deliveries");
    await expect(h.webhooks.test("tenant-leaving", id)).rejects.toThrow(/not found/);
    expect(await count("webhook_deliveries")).toBe(before);
  });

  it("logged nothing unhandled and never a secret", () => {
    expect(unhandled(h.log)).toEqual([]);
    expect(h.log.lines.join("\n")).not.toContain("whsec_");
  });
});
