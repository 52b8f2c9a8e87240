// The dispatcher against real HTTP receivers on 127.0.0.1, over the real app and database:
// Standard Webhooks headers and signatures, retries with the same webhook-id, head-of-line
// order per endpoint, giving up (which unblocks the line), timeouts, redirects not followed,
// rotation's two signatures, the signatures accepted by verifiers we did not write (the
// Standard Webhooks library, and the Java file of docs/webhooks.md where a JDK is), the answer
// kept to 4 KiB, and the address rule applied again at delivery time, to the address the
// dispatcher checked (not whatever the name says later).
// A fast retry schedule; every wait is on an event (a request arriving, an attempt recorded).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/core/webhook-signature.ts";
import { WebhookDispatcher, type DeliveryOutcome } from "../../src/webhooks/dispatcher.ts";
import { sweepWebhookDeliveries } from "../../src/store/webhooks.ts";
import type { TargetRules } from "../../src/webhooks/address.ts";
import { apiHarness, jsonRequest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";
import { systemProgram } from "../helpers/pdf-tools.ts";
import { startReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

const run = promisify(execFile);

let h: ApiHarness;
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher | undefined;
const outcomes: DeliveryOutcome[] = [];

beforeAll(async () => {
  h = await apiHarness({ chainUrl: "http://127.0.0.1:1", webhookAllowPrivate: true });
  receiver = await startReceiver();
});
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
  receiver.answer = () => 200;
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

function startDispatcher(opts: { schedule?: number[]; timeoutMs?: number; rules?: TargetRules } = {}): WebhookDispatcher {
  const d = new WebhookDispatcher({
    db: h.database.db,
    log: h.log,
    rules: opts.rules ?? { allowPrivate: true },
    retryScheduleMs: opts.schedule ?? [20, 20, 20],
    timeoutMs: opts.timeoutMs ?? 5000,
    // Long: the tests must be driven by wake-ups and the retry schedule, not by the poll.
    pollMs: 60_000,
    onOutcome: (o) => outcomes.push(o),
  });
  const seen: Attempt[] = [];
  attemptsOf.set(d, seen);
  d.on("attempted", (a) => seen.push(a));
  h.webhookWake.fn = () => d.wake();
  d.start();
  dispatcher = d;
  return d;
}

type Attempt = { deliveryId: number; msgId: string; outcome: string };
/** Every attempt each dispatcher recorded, from its start. */
const attemptsOf = new WeakMap<WebhookDispatcher, Attempt[]>();

const dispatcherAttempts = (d: WebhookDispatcher): Attempt[] => attemptsOf.get(d) ?? [];

/** Resolves with the first attempt matching `pred` the dispatcher recorded or will record. */
function attempted(d: WebhookDispatcher, pred: (a: Attempt) => boolean): Promise<Attempt> {
  const past = attemptsOf.get(d)?.find(pred);
  if (past) return Promise.resolve(past);
  return new Promise((resolve) => {
    const on = (a: Attempt) => {
      if (pred(a)) {
        d.off("attempted", on);
        resolve(a);
      }
    };
    d.on("attempted", on);
  });
}

async function register(path: string, url = `${receiver.url}${path}`): Promise<{ id: string; secret: string }> {
  const res = await h.app.request("/v1/webhooks", jsonRequest("POST", { url }));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function sendTest(endpointId: string): Promise<{ id: string; msgId: string }> {
  const res = await h.app.request(`/v1/webhooks/${endpointId}/test`, { method: "POST" });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; msgId: string };
}

async function deliveryOf(endpointId: string, id: string) {
  const page = (await (await h.app.request(`/v1/webhooks/${endpointId}/deliveries?limit=1000`)).json()) as {
    items: { id: string; status: string; attempts: number; lastStatus: number | null; lastError: string | null; lastResponse: string | null }[];
  };
  return page.items.find((d) => d.id === id)!;
}

describe(`webhook delivery (${describeDbKind()})`, () => {
  it("delivers a test event with the Standard Webhooks headers and a valid signature", async () => {
    const dispatched = startDispatcher();
    const ep = await register("/signed");
    receiver.answer = () => ({ status: 200, body: "x".repeat(10_000) });
    // Listening before the event exists: the attempt cannot be recorded before we listen.
    const recorded = attempted(dispatched, (a) => a.outcome === "delivered");
    const queued = await sendTest(ep.id);
    const got = await receiver.waitFor((r) => r.headers["webhook-id"] === queued.msgId);
    expect(got.url).toBe("/signed");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(Math.abs(Number(got.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifyWebhookSignature({ secret: ep.secret, headers: got.headers, body: got.body })).toEqual({
      ok: true,
      msgId: queued.msgId,
      timestamp: Number(got.headers["webhook-timestamp"]),
    });
    // A wrong secret fails: the check above can fail.
    expect(verifyWebhookSignature({ secret: "whsec_" + Buffer.alloc(32).toString("base64"), headers: got.headers, body: got.body }).ok).toBe(false);
    expect(JSON.parse(got.body)).toMatchObject({ type: "webhook.test", data: { endpointId: ep.id } });
    expect(String((await recorded).deliveryId)).toBe(queued.id);
    const d = await deliveryOf(ep.id, queued.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 1, lastStatus: 200, lastError: null });
    expect(d.lastResponse).toHaveLength(4096);
  });

  it("retries a non-2xx with the same webhook-id until it is accepted", async () => {
    const d = startDispatcher();
    const ep = await register("/flaky");
    let n = 0;
    receiver.answer = (r) => (r.url === "/flaky" && ++n <= 2 ? 503 : 200);
    const done = attempted(d, (a) => a.outcome === "delivered");
    const queued = await sendTest(ep.id);
    await done;
    const seen = receiver.requests.filter((r) => r.url === "/flaky");
    expect(seen.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(seen.map((r) => r.headers["webhook-id"]))).toEqual(new Set([queued.msgId]));
    expect(await deliveryOf(ep.id, queued.id)).toMatchObject({ status: "delivered", attempts: 3, lastStatus: 200 });
    expect(outcomes.slice(-3).map((o) => o.outcome)).toEqual(["retry", "retry", "delivered"]);
  });

  it("keeps order per endpoint: a later event waits while an earlier one is retried", async () => {
    const d = startDispatcher();
    const ep = await register("/ordered");
    let failures = 0;
    const firstMsg: { id?: string } = {};
    receiver.answer = (r) => (r.url === "/ordered" && r.headers["webhook-id"] === firstMsg.id && ++failures <= 3 ? 500 : 200);
    const a = await sendTest(ep.id);
    firstMsg.id = a.msgId;
    const b = await sendTest(ep.id);
    const c = await sendTest(ep.id);
    await receiver.waitFor((r) => r.headers["webhook-id"] === c.msgId);
    const order = receiver.requests.filter((r) => r.url === "/ordered").map((r) => `${r.headers["webhook-id"] === a.msgId ? "a" : r.headers["webhook-id"] === b.msgId ? "b" : "c"}${r.status}`);
    expect(order).toEqual(["a500", "a500", "a500", "a200", "b200", "c200"]);
    void d;
  });

  it("gives up after the schedule (failed), and a failed delivery no longer blocks the line; replay sends it again", async () => {
    const d = startDispatcher({ schedule: [10, 10] });
    const ep = await register("/down");
    const doomed: { id?: string } = {};
    receiver.answer = (r) => (r.url === "/down" && r.headers["webhook-id"] === doomed.id ? 500 : 200);
    const failed = attempted(d, (a) => a.outcome === "failed");
    const a = await sendTest(ep.id);
    doomed.id = a.msgId;
    const b = await sendTest(ep.id);
    await failed;
    await receiver.waitFor((r) => r.headers["webhook-id"] === b.msgId);
    expect(receiver.requests.filter((r) => r.headers["webhook-id"] === a.msgId)).toHaveLength(3);
    expect(await deliveryOf(ep.id, a.id)).toMatchObject({ status: "failed", attempts: 3, lastStatus: 500, lastError: "HTTP 500" });
    expect(outcomes.some((o) => o.outcome === "failed" && o.status === 500)).toBe(true);

    // The receiver is fixed: replaying the failed delivery sends the same message again.
    receiver.answer = () => 200;
    const res = await h.app.request(`/v1/webhooks/${ep.id}/deliveries/${a.id}/replay`, { method: "POST" });
    expect(res.status).toBe(202);
    const replay = (await res.json()) as { id: string; msgId: string };
    expect(replay.msgId).toBe(a.msgId);
    const again = await receiver.waitFor((r) => r.headers["webhook-id"] === a.msgId && r.status === 200);
    expect(verifyWebhookSignature({ secret: ep.secret, headers: again.headers, body: again.body }).ok).toBe(true);
  });

  it("a receiver that never answers is a retry after the timeout; a redirect is not followed", async () => {
    const d = startDispatcher({ timeoutMs: 300, schedule: [60_000] });
    const slow = await register("/slow");
    const moved = await register("/moved");
    receiver.answer = (r) => (r.url === "/slow" ? "hang" : r.url === "/moved" ? { status: 307, headers: { location: `${receiver.url}/elsewhere` } } : 200);
    const s = await sendTest(slow.id);
    const m = await sendTest(moved.id);
    const timedOut = attempted(d, (a) => String(a.deliveryId) === s.id);
    const redirected = attempted(d, (a) => String(a.deliveryId) === m.id);
    expect((await timedOut).outcome).toBe("retry");
    expect((await redirected).outcome).toBe("retry");
    expect(await deliveryOf(slow.id, s.id)).toMatchObject({ status: "pending", attempts: 1, lastStatus: null, lastError: "no answer within 300 ms" });
    expect(await deliveryOf(moved.id, m.id)).toMatchObject({ status: "pending", attempts: 1, lastStatus: 307, lastError: "HTTP 307" });
    expect(receiver.requests.some((r) => r.url === "/elsewhere")).toBe(false);
    // Not to be retried by the tests that follow.
    await h.app.request(`/v1/webhooks/${slow.id}`, { method: "DELETE" });
    await h.app.request(`/v1/webhooks/${moved.id}`, { method: "DELETE" });
  });

  it("a receiver that hangs holds up only its own line: another endpoint's events go meanwhile", async () => {
    const d = startDispatcher({ timeoutMs: 3000, schedule: [60_000] });
    const stuck = await register("/stuck");
    const other = await register("/other");
    receiver.answer = (r) => (r.url === "/stuck" ? "hang" : 200);
    const s = await sendTest(stuck.id);
    const o1 = await sendTest(other.id);
    const o2 = await sendTest(other.id);
    await receiver.waitFor((r) => r.headers["webhook-id"] === o2.msgId);
    // Both of the other endpoint's events were delivered while the stuck one had no answer yet.
    expect(receiver.requests.some((r) => r.headers["webhook-id"] === o1.msgId)).toBe(true);
    expect((dispatcherAttempts(d)).some((a) => String(a.deliveryId) === s.id)).toBe(false);
    await h.app.request(`/v1/webhooks/${stuck.id}`, { method: "DELETE" });
  });

  it("after a rotation each delivery carries two signatures: the new secret and the previous one verify it", async () => {
    startDispatcher();
    const ep = await register("/rotated");
    const rotated = (await (await h.app.request(`/v1/webhooks/${ep.id}/rotate-secret`, { method: "POST" })).json()) as { secret: string };
    const q = await sendTest(ep.id);
    const got = await receiver.waitFor((r) => r.headers["webhook-id"] === q.msgId);
    expect(got.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(verifyWebhookSignature({ secret: rotated.secret, headers: got.headers, body: got.body }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret: ep.secret, headers: got.headers, body: got.body }).ok).toBe(true);
  });

  it("verifiers we did not write accept the deliveries: the Standard Webhooks library, and docs/examples/WebhookVerifier.java", async () => {
    // Integrators check our signatures with their own code, as verifiers check our proofs: a
    // delivery only our own verifyWebhookSignature accepts would prove nothing. The spec's own
    // JavaScript library runs everywhere; the Java file of docs/webhooks.md runs where a JDK is
    // (EVIDENCE_TEST_TOOLS as for the PDF tools: =system requires it, =npm leaves it out).
    startDispatcher();
    const ep = await register("/outside");
    const rotated = (await (await h.app.request(`/v1/webhooks/${ep.id}/rotate-secret`, { method: "POST" })).json()) as { secret: string };
    const q = await sendTest(ep.id);
    const got = await receiver.waitFor((r) => r.headers["webhook-id"] === q.msgId);
    const headers = {
      "webhook-id": got.headers["webhook-id"]!,
      "webhook-timestamp": got.headers["webhook-timestamp"]!,
      "webhook-signature": got.headers["webhook-signature"]!,
    };
    const otherSecret = "whsec_" + Buffer.alloc(32, 9).toString("base64");
    const tampered = got.body.replace("webhook.test", "webhook.tesT");
    expect(tampered).not.toBe(got.body);

    for (const secret of [ep.secret, rotated.secret]) expect(new Webhook(secret).verify(got.body, headers)).toEqual(JSON.parse(got.body));
    expect(() => new Webhook(otherSecret).verify(got.body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(ep.secret).verify(tampered, headers)).toThrow(/No matching signature/);

    const javac = systemProgram("javac", "openjdk-17-jdk-headless");
    const javaBin = systemProgram("java", "openjdk-17-jdk-headless");
    if (javac === null || javaBin === null) return;
    const dir = mkdtempSync(join(tmpdir(), "webhook-java-"));
    try {
      await run(javac, ["-d", dir, fileURLToPath(new URL("../../docs/examples/WebhookVerifier.java", import.meta.url))]);
      const java = (...args: string[]) =>
        run(javaBin, ["-cp", dir, "WebhookVerifier", ...args]).then(
          (r) => ({ code: 0, out: r.stdout.trim() }),
          (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout.trim() }),
        );
      expect(await java()).toEqual({ code: 0, out: "reference vector: valid; tampered body: invalid" });
      const bodyFile = join(dir, "body.json");
      const check = (body: string, ...secrets: string[]) => {
        writeFileSync(bodyFile, body);
        return java(bodyFile, headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], ...secrets);
      };
      expect(await check(got.body, ep.secret)).toEqual({ code: 0, out: "valid" });
      expect(await check(got.body, rotated.secret)).toEqual({ code: 0, out: "valid" });
      expect(await check(got.body, otherSecret)).toEqual({ code: 1, out: "invalid" });
      expect(await check(tampered, ep.secret, rotated.secret)).toEqual({ code: 1, out: "invalid" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks the address again at delivery time, and connects to the address it checked", async () => {
    // Registered while private targets were allowed; the dispatcher no longer allows them.
    const strict = startDispatcher({ rules: { allowPrivate: false }, schedule: [60_000] });
    // https, so that the address (not the scheme) is what the dispatcher refuses.
    const ep = await register("/inward", `https://127.0.0.1:${receiver.port}/inward`);
    const q = await sendTest(ep.id);
    const refused = await attempted(strict, (a) => String(a.deliveryId) === q.id);
    expect(refused.outcome).toBe("retry");
    expect((await deliveryOf(ep.id, q.id)).lastError).toMatch(/^refused: .*127\.0\.0\.1/);
    expect(receiver.requests.some((r) => r.url === "/inward")).toBe(false);
    await h.app.request(`/v1/webhooks/${ep.id}`, { method: "DELETE" });
    await strict.stop();

    // A name that exists nowhere but in the dispatcher's resolver: the request reaches the
    // address the resolver gave (the socket's own lookup is pinned to it), named by its host.
    const resolve = async (host: string) => (host === "hooks.rebind.invalid" ? [{ address: "127.0.0.1", family: 4 }] : []);
    startDispatcher({ rules: { allowPrivate: true, resolve } });
    const named = await register("/named", `http://127.0.0.1:${receiver.port}/named`);
    // Point the stored URL at the name (the API would resolve it with the system resolver).
    await h.database.db.execute(
      (await import("drizzle-orm")).sql`update webhook_endpoints set url = ${`http://hooks.rebind.invalid:${receiver.port}/named`} where id = ${named.id}`,
    );
    const q2 = await sendTest(named.id);
    const got = await receiver.waitFor((r) => r.headers["webhook-id"] === q2.msgId);
    expect(got.headers.host).toBe(`hooks.rebind.invalid:${receiver.port}`);
  });

  it("the hourly sweep removes delivered and failed deliveries past retention, never pending ones", async () => {
    const ep = await register("/swept");
    const [a, b, c] = [await sendTest(ep.id), await sendTest(ep.id), await sendTest(ep.id)];
    const { sql } = await import("drizzle-orm");
    const db = h.database.db;
    await db.execute(sql`update webhook_deliveries set status = 'delivered', created_at = now() - interval '31 days' where id = ${Number(a.id)}`);
    await db.execute(sql`update webhook_deliveries set status = 'failed', created_at = now() - interval '31 days' where id = ${Number(b.id)}`);
    await db.execute(sql`update webhook_deliveries set created_at = now() - interval '31 days' where id = ${Number(c.id)}`);
    expect(await sweepWebhookDeliveries(db, new Date(Date.now() - 30 * 86_400_000))).toBe(2);
    const left = (await (await h.app.request(`/v1/webhooks/${ep.id}/deliveries`)).json()) as { items: { id: string; status: string }[] };
    expect(left.items.map((d) => [d.id, d.status])).toEqual([[c.id, "pending"]]);
    await h.app.request(`/v1/webhooks/${ep.id}`, { method: "DELETE" });
  });

  it("logged nothing unhandled", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
