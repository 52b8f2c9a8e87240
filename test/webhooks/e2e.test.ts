// Webhooks end to end: the real app, database, batcher and a real Hardhat node; a real receiver
// on 127.0.0.1 registered through the API. Items of two tenants go into several batches; the
// receiver is killed mid-stream (server closed, sockets destroyed) while more batches anchor,
// and brought back on the same port. Every evidence.anchored event must arrive (deduped by
// webhook-id: at least once), in batch order per endpoint, signed, listing exactly that
// tenant's items of that batch; then report.created, and evidence.reanchored after a reorg
// (evm_snapshot / evm_revert). Waits on events only: requests arriving, attempts recorded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// As an integrator checks them: through the typed client's re-export.
import { verifyWebhookSignature } from "../../src/client/index.ts";
import { WebhookDispatcher } from "../../src/webhooks/dispatcher.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, rpc, TEST_TENANT, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

interface AnchoredEvent {
  type: string;
  timestamp: string;
  data: {
    tenantId: string;
    batch: { seq: number; root: string; size: number };
    anchor: { chainId: number; contract: string; txHash: string; blockNumber: number; blockHash: string; confirmedAt: string };
    items: { count: number; evidenceIds: string[]; truncated: boolean; list: string };
  };
}

const CASE = "wh-case-1";
let h: ApiHarness & { node: LocalNode };
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher;
let tenantB: string;
const secrets: Record<"a" | "b", string> = { a: "", b: "" };
/** Per batch seq: the ids each tenant submitted into it. */
const submitted = new Map<number, { a: string[]; b: string[] }>();
const connectionErrors: string[] = [];

beforeAll(async () => {
  h = await apiHarnessOnChain({ webhookAllowPrivate: true });
  tenantB = await h.principal("tenant", "tenant-wh-b");
  receiver = await startReceiver();
  dispatcher = new WebhookDispatcher({
    db: h.database.db,
    log: h.log,
    rules: { allowPrivate: true },
    // Fast, and long enough in all (about 40 s) to outlast the outage below.
    retryScheduleMs: [20, 50, 100, 200, 400, ...Array<number>(40).fill(1000)],
    timeoutMs: 5000,
    pollMs: 60_000,
  });
  dispatcher.on("attempted", (a) => {
    if (a.outcome === "retry" && a.status === undefined) connectionErrors.push(a.msgId);
  });
  h.webhookWake.fn = () => dispatcher.wake();
  h.batcher.on("anchored", () => dispatcher.wake());
  dispatcher.start();
}, 60_000);

afterAll(async () => {
  await dispatcher?.stop();
  await receiver?.close();
  await h?.close();
});

async function register(key: string, path: string, eventTypes?: string[]): Promise<string> {
  const res = await h.rawApp.request("/v1/webhooks", jsonRequest("POST", { url: `${receiver.url}${path}`, ...(eventTypes ? { eventTypes } : {}) }, bearer(key)));
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

async function submit(key: string, n: number): Promise<string[]> {
  const res = await h.rawApp.request(
    "/v1/evidence/batch",
    jsonRequest("POST", { items: Array.from({ length: n }, () => ({ digest: randomDigest(), caseId: CASE })) }, bearer(key)),
  );
  expect(res.status).toBe(202);
  return ((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id);
}

/** One batch: `a` items of TEST_TENANT and `b` of tenant B, sealed and anchored (automine, 1 confirmation). */
async function batch(a: number, b: number): Promise<number> {
  const ids = { a: await submit(h.keys.tenant, a), b: b > 0 ? await submit(tenantB, b) : [] };
  const anchored = new Promise<number>((resolve) => h.batcher.once("anchored", (c) => resolve(c.batchSeq)));
  await h.batcher.tick();
  const seq = await anchored;
  submitted.set(seq, ids);
  return seq;
}

const eventsAt = (path: string) => receiver.requests.filter((r) => r.url === path && r.status === 200);
const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as AnchoredEvent;

/** Resolves once `path` has received (with a 200) events for every batch in `seqs`. */
function allArrived(path: string, type: string, seqs: number[]): Promise<void> {
  const has = () => {
    const got = new Set(eventsAt(path).map(bodyOf).filter((e) => e.type === type).map((e) => e.data.batch.seq));
    return seqs.every((s) => got.has(s));
  };
  return receiver.waitFor(() => has()).then(() => undefined);
}

describe(`webhooks end to end (${describeDbKind()})`, () => {
  it("delivers every evidence.anchored event across a receiver outage: signed, in order, one per batch and tenant", async () => {
    secrets.a = await register(h.keys.tenant, "/a");
    secrets.b = await register(tenantB, "/b", ["evidence.anchored"]);

    const before = [await batch(3, 2), await batch(1, 0), await batch(4, 1)];
    await allArrived("/a", "evidence.anchored", before);

    // The receiver dies mid-stream; batches keep being anchored meanwhile.
    await receiver.close();
    const during = [await batch(2, 1), await batch(5, 0), await batch(1, 3)];
    // The dispatcher found it down (a connection error, no HTTP status) before it comes back.
    await new Promise<void>((resolve) => {
      if (connectionErrors.length > 0) return resolve();
      const on = (a: { outcome: string; status?: number }) => {
        if (a.outcome === "retry" && a.status === undefined) {
          dispatcher.off("attempted", on);
          resolve();
        }
      };
      dispatcher.on("attempted", on);
    });
    await receiver.reopen();
    const after = [await batch(2, 2)];
    const all = [...before, ...during, ...after];
    await allArrived("/a", "evidence.anchored", all);
    await allArrived("/b", "evidence.anchored", all.filter((s) => submitted.get(s)!.b.length > 0));

    for (const [path, who, secret] of [
      ["/a", "a", secrets.a],
      ["/b", "b", secrets.b],
    ] as const) {
      const got = eventsAt(path);
      // Every request carries a valid signature; a redelivery repeats its webhook-id and body.
      const byId = new Map<string, string>();
      for (const r of got) {
        const v = verifyWebhookSignature({ secret, headers: r.headers, body: r.body });
        expect(v.ok, `${path}: ${JSON.stringify(v)}`).toBe(true);
        const id = r.headers["webhook-id"]!;
        if (byId.has(id)) expect(r.body).toBe(byId.get(id));
        byId.set(id, r.body);
      }
      // Deduped by webhook-id, the events came in batch order (first arrival of each).
      const firsts = [...byId.values()].map((b) => JSON.parse(b) as AnchoredEvent).filter((e) => e.type === "evidence.anchored");
      const seqs = firsts.map((e) => e.data.batch.seq);
      const expected = all.filter((s) => submitted.get(s)![who].length > 0);
      expect(seqs).toEqual(expected);
      // Each lists exactly that tenant's items of that batch, and names the batch and anchor.
      for (const e of firsts) {
        const mine = submitted.get(e.data.batch.seq)![who];
        expect(e.data.tenantId).toBe(who === "a" ? TEST_TENANT : "tenant-wh-b");
        expect(e.data.items).toMatchObject({ count: mine.length, truncated: false, list: `/v1/batches/${e.data.batch.seq}/evidence` });
        expect([...e.data.items.evidenceIds].sort()).toEqual([...mine].sort());
        expect(e.data.batch.root).toMatch(/^0x[0-9a-f]{64}$/);
        expect(e.data.anchor).toMatchObject({ chainId: 31337, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
        const batchView = (await (await h.rawApp.request(`/v1/batches/${e.data.batch.seq}`, { headers: bearer(who === "a" ? h.keys.tenant : tenantB) })).json()) as {
          root: string;
          anchor: { txHash: string };
        };
        expect(batchView.root).toBe(e.data.batch.root);
        expect(batchView.anchor.txHash).toBe(e.data.anchor.txHash);
      }
    }
    // The outage was real: something was refused a connection, and then delivered.
    expect(connectionErrors.length).toBeGreaterThan(0);
    expect(connectionErrors.every((id) => eventsAt("/a").concat(eventsAt("/b")).some((r) => r.headers["webhook-id"] === id))).toBe(true);
  });

  it("the ids an event lists are readable in full from the batch's evidence list, by their owner only", async () => {
    const seq = [...submitted.keys()].find((s) => submitted.get(s)!.a.length >= 4)!;
    const page1 = (await (await h.app.request(`/v1/batches/${seq}/evidence?limit=2`)).json()) as { items: { id: string; leafIndex: number }[]; next: string };
    const page2 = (await (await h.app.request(`/v1/batches/${seq}/evidence?after=${page1.next}&limit=1000`)).json()) as { items: { id: string }[]; next: null };
    expect([...page1.items, ...page2.items].map((i) => i.id).sort()).toEqual([...submitted.get(seq)!.a].sort());
    expect(page2.next).toBeNull();
    const onlyA = [...submitted.keys()].find((s) => submitted.get(s)!.b.length === 0)!;
    expect((await h.rawApp.request(`/v1/batches/${onlyA}/evidence`, { headers: bearer(tenantB) })).status).toBe(404);
  });

  it("sends report.created to the tenant whose case the report covers", async () => {
    const res = await h.rawApp.request(
      "/v1/reports",
      jsonRequest("POST", { tenantId: TEST_TENANT, caseId: CASE, purpose: "webhook test", requestedBy: "e2e" }, bearer(h.keys.admin)),
    );
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const got = await receiver.waitFor((r) => r.url === "/a" && r.status === 200 && (JSON.parse(r.body) as { type: string }).type === "report.created");
    expect(verifyWebhookSignature({ secret: secrets.a, headers: got.headers, body: got.body }).ok).toBe(true);
    expect(JSON.parse(got.body)).toMatchObject({ data: { reportId: id, tenantId: TEST_TENANT, caseId: CASE, links: { report: `/v1/reports/${id}` } } });
    // Tenant B subscribed to evidence.anchored only.
    expect(eventsAt("/b").some((r) => r.body.includes("report.created"))).toBe(false);
  });

  it("sends evidence.reanchored when a batch whose anchor a reorg took is anchored again", async () => {
    const snapshot = await rpc<string>(h.node.url, "evm_snapshot");
    const seq = await batch(2, 0);
    await allArrived("/a", "evidence.anchored", [seq]);
    const first = eventsAt("/a").map(bodyOf).find((e) => e.type === "evidence.anchored" && e.data.batch.seq === seq)!;

    await rpc(h.node.url, "evm_revert", [snapshot]);
    await rpc(h.node.url, "hardhat_dropTransaction", [first.data.anchor.txHash]).catch(() => {});
    await rpc(h.node.url, "evm_mine");
    // The next chain step finds the anchor's block gone, withdraws it and anchors the batch again.
    const again = new Promise<number>((resolve) => h.batcher.on("anchored", (c) => c.batchSeq === seq && resolve(c.batchSeq)));
    await h.batcher.tick();
    await again;
    await allArrived("/a", "evidence.reanchored", [seq]);
    const re = eventsAt("/a").map(bodyOf).find((e) => e.type === "evidence.reanchored")!;
    expect(re.data.batch).toEqual(first.data.batch);
    expect(re.data.items.evidenceIds.sort()).toEqual([...submitted.get(seq)!.a].sort());
    expect(re.data.anchor.blockHash).not.toBe(first.data.anchor.blockHash);
  });

  it("logged nothing unhandled", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
