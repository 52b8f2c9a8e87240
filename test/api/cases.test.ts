// GET /v1/cases/:caseId through the real app, on a real Hardhat node: a case's hash-linked
// timeline for each kind of caller (a platform its own cases, a verifier disclosed ones, an
// admin any, naming the tenant), statuses moving pending → batched → anchored as the real
// Batcher ticks, proofs of chained items verifying, and a timeline broken by deleting an
// event's row from the database saying so, naming the missing hash. PGlite or PostgreSQL.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TIMELINE_EVENTS } from "../../src/api/cases.ts";
import { CaseTimelineSchema } from "../../src/api/schemas.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { evidence } from "../../src/store/schema.ts";
import {
  apiHarnessOnChain,
  bearer,
  jsonRequest,
  randomDigest,
  rpc,
  TEST_TENANT,
  unhandled,
  type ApiHarness,
} from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

interface Receipt {
  id: string;
  leafHash: string;
  receivedAt: string;
}
type Timeline = ReturnType<typeof CaseTimelineSchema.parse>;

const CASE = "合同 2026/7"; // CJK, a space and a slash: the case id travels URL-encoded
const casePath = (caseId: string, tenantId?: string) =>
  `/v1/cases/${encodeURIComponent(caseId)}${tenantId === undefined ? "" : `?tenantId=${encodeURIComponent(tenantId)}`}`;

let h: ApiHarness & { node: LocalNode };
const keys = {} as Record<"tenantA" | "tenantB" | "verifierLive" | "verifierNone" | "admin", string>;
/** Tenant A's events of CASE, in submission order. */
let receipts: Receipt[] = [];
let receiptB: Receipt;

beforeAll(async () => {
  // Two confirmations: one tick leaves a batch "batched", a mined block and a tick "anchored".
  h = await apiHarnessOnChain({ confirmations: 2 });
  keys.tenantA = h.keys.tenant;
  keys.admin = h.keys.admin;
  keys.tenantB = await h.principal("tenant", "tenant-b");
  keys.verifierLive = await h.principal("verifier", "court-live");
  keys.verifierNone = await h.principal("verifier", "court-none");
  const admin = { id: "test" };
  await h.access.grantDisclosure(admin, { role: "tenant", tenantId: TEST_TENANT }, { caseId: CASE, verifierId: "court-live" });
  // Tenant B's case of the same name is disclosed to the other court: it gives it nothing of A's.
  await h.access.grantDisclosure(admin, { role: "tenant", tenantId: "tenant-b" }, { caseId: CASE, verifierId: "court-none" });

  const one = async (body: object, key = keys.tenantA) => {
    const res = await h.rawApp.request("/v1/evidence", jsonRequest("POST", body, bearer(key)));
    expect(res.status).toBe(202);
    return (await res.json()) as Receipt;
  };
  receipts.push(await one({ digest: randomDigest(), caseId: CASE, eventType: "created", occurredAt: "2026-11-27T10:00:00+08:00" }));
  const batch = await h.rawApp.request(
    "/v1/evidence/batch",
    jsonRequest("POST", { items: [
      { digest: randomDigest(), caseId: CASE, eventType: "signed-a" },
      { digest: randomDigest(), caseId: "another-case" },
      { digest: randomDigest(), caseId: CASE, eventType: "signed-b" },
    ] }, bearer(keys.tenantA)),
  );
  expect(batch.status).toBe(202);
  const items = ((await batch.json()) as { items: Receipt[] }).items;
  receipts.push(items[0]!, items[2]!);
  receiptB = await one({ digest: randomDigest(), caseId: CASE, eventType: "b-only" }, keys.tenantB);
  receipts.push(await one({ digest: randomDigest(), caseId: CASE, eventType: "archived" }));
});
afterAll(() => h?.close());

async function get(path: string, key: string): Promise<{ status: number; body: any }> {
  const res = await h.rawApp.request(path, { headers: bearer(key) });
  return { status: res.status, body: await res.json() };
}

async function timeline(path: string, key: string): Promise<Timeline> {
  const { status, body } = await get(path, key);
  expect(status, JSON.stringify(body)).toBe(200);
  const parsed = CaseTimelineSchema.safeParse(body);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  return parsed.data!;
}

/** A 404 with its path taken out, to compare with the 404 of a case that does not exist. */
const shape404 = (body: Record<string, unknown>) => ({ ...body, instance: "<path>" });

describe(`GET /v1/cases/:caseId on ${describeDbKind()}`, () => {
  it("shows a platform its own case: every event in arrival order, each linked to the one before", async () => {
    const t = await timeline(casePath(CASE), keys.tenantA);
    expect(t.tenantId).toBe(TEST_TENANT);
    expect(t.caseId).toBe(CASE);
    expect(t.events.map((e) => e.n)).toEqual([1, 2, 3, 4]);
    expect(t.events.map((e) => e.evidenceId)).toEqual(receipts.map((r) => r.id));
    expect(t.events.map((e) => e.eventType)).toEqual(["created", "signed-a", "signed-b", "archived"]);
    expect(t.events.map((e) => e.occurredAt)).toEqual(["2026-11-27T10:00:00+08:00", null, null, null]);
    expect(t.events.map((e) => e.leafHash)).toEqual(receipts.map((r) => r.leafHash));
    expect(t.events.map((e) => e.receivedAt)).toEqual(receipts.map((r) => r.receivedAt));
    expect(t.events.map((e) => e.prev)).toEqual([null, ...receipts.slice(0, 3).map((r) => r.leafHash)]);
    expect(t.events.every((e) => e.status === "pending" && e.anchoredAt === null)).toBe(true);
    expect(t.events.map((e) => e.link)).toEqual([
      { ok: true, detail: "the first event of the case: no prev" },
      { ok: true, detail: "prev is the leaf hash of event 1" },
      { ok: true, detail: "prev is the leaf hash of event 2" },
      { ok: true, detail: "prev is the leaf hash of event 3" },
    ]);
    expect(t.timeline).toEqual({ ok: true, detail: "all 4 events link to the one before: none is missing or out of order" });
    // Naming itself is the same as not naming a tenant.
    expect(await timeline(casePath(CASE, TEST_TENANT), keys.tenantA)).toEqual(t);
  });

  it("keeps tenants apart: another tenant's case of the same name is its own, and naming another tenant is a 404", async () => {
    const b = await timeline(casePath(CASE), keys.tenantB);
    expect(b.tenantId).toBe("tenant-b");
    expect(b.events.map((e) => [e.evidenceId, e.prev, e.link.ok])).toEqual([[receiptB.id, null, true]]);
    const missing = await get(casePath("no-such-case"), keys.tenantA);
    expect(missing.status).toBe(404);
    for (const [path, key] of [
      [casePath(CASE, "tenant-b"), keys.tenantA],
      [casePath(CASE, TEST_TENANT), keys.tenantB],
      [casePath(CASE, "no-such-tenant"), keys.tenantA],
      [casePath(CASE, "Not A Tenant!"), keys.tenantA],
    ] as const) {
      const res = await get(path, key);
      expect(res.status, path).toBe(404);
      expect(shape404(res.body)).toEqual(shape404(missing.body));
    }
  });

  it("shows a verifier a disclosed case when it names the tenant, and nothing else", async () => {
    const own = await timeline(casePath(CASE), keys.tenantA);
    expect(await timeline(casePath(CASE, TEST_TENANT), keys.verifierLive)).toEqual(own);
    const noTenant = await get(casePath(CASE), keys.verifierLive);
    expect(noTenant.status).toBe(422);
    expect(noTenant.body.errors).toEqual([{ field: "tenantId", reason: expect.stringContaining("required") }]);
    const missing = await get(casePath("no-such-case", TEST_TENANT), keys.verifierLive);
    expect(missing.status).toBe(404);
    // Not disclosed: tenant B's case to court-live, tenant A's case to court-none (it holds B's).
    for (const [path, key] of [
      [casePath(CASE, "tenant-b"), keys.verifierLive],
      [casePath("another-case", TEST_TENANT), keys.verifierLive],
      [casePath(CASE, TEST_TENANT), keys.verifierNone],
    ] as const) {
      const res = await get(path, key);
      expect(res.status, path).toBe(404);
      expect(shape404(res.body)).toEqual(shape404(missing.body));
    }
    expect((await timeline(casePath(CASE, "tenant-b"), keys.verifierNone)).events.map((e) => e.evidenceId)).toEqual([receiptB.id]);
  });

  it("shows an admin any case, given the tenant", async () => {
    expect(await timeline(casePath(CASE, TEST_TENANT), keys.admin)).toEqual(await timeline(casePath(CASE), keys.tenantA));
    expect((await timeline(casePath(CASE, "tenant-b"), keys.admin)).events).toHaveLength(1);
    const noTenant = await get(casePath(CASE), keys.admin);
    expect(noTenant.status).toBe(422);
    expect(noTenant.body.errors[0].field).toBe("tenantId");
    expect((await get(casePath("no-such-case", TEST_TENANT), keys.admin)).status).toBe(404);
  });

  it("follows the batcher: pending → batched → anchored, with the block's time; a new event is pending", async () => {
    await h.batcher.tick();
    const batched = await timeline(casePath(CASE), keys.tenantA);
    expect(batched.events.map((e) => [e.status, e.anchoredAt])).toEqual(Array(4).fill(["batched", null]));

    await rpc(h.node.url, "evm_mine");
    await h.batcher.tick();
    const anchored = await timeline(casePath(CASE), keys.tenantA);
    expect(anchored.events.every((e) => e.status === "anchored")).toBe(true);
    const view = (await (await h.app.request(`/v1/evidence/${receipts[0]!.id}`)).json()) as { anchor: { blockTimestamp: number } };
    const blockTime = new Date(view.anchor.blockTimestamp * 1000).toISOString();
    expect(anchored.events.map((e) => e.anchoredAt)).toEqual(Array(4).fill(blockTime));
    expect(anchored.timeline.ok).toBe(true);

    const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: CASE, eventType: "appeal" }));
    const late = (await res.json()) as Receipt;
    receipts.push(late);
    const after = await timeline(casePath(CASE), keys.tenantA);
    expect(after.events).toHaveLength(5);
    expect(after.events[4]).toMatchObject({ n: 5, evidenceId: late.id, status: "pending", anchoredAt: null, prev: receipts[3]!.leafHash, link: { ok: true } });
    expect(after.events.slice(0, 4).every((e) => e.status === "anchored")).toBe(true);
    expect(after.timeline.ok).toBe(true);
  });

  it("anchors prev with the rest of the meta: a chained item's proof verifies, and without its prev it does not", async () => {
    // receipts[2] was anchored above; its prev is receipts[1].
    const proof = (await (await h.app.request(`/v1/evidence/${receipts[2]!.id}/proof`)).json()) as ProofBundleV1;
    expect(proof.evidence.meta.prev).toBe(receipts[1]!.leafHash);
    expect(proof.anchor).not.toBeNull();
    const verdict = (await (await h.app.request("/v1/verify", jsonRequest("POST", proof))).json()) as {
      valid: boolean;
      checks: { name: string; ok: boolean }[];
    };
    expect(verdict.valid).toBe(true);
    expect(verdict.checks.find((c) => c.name === "leaf")?.ok).toBe(true);
    const { prev: _prev, ...withoutPrev } = proof.evidence.meta;
    const edited = { ...proof, evidence: { ...proof.evidence, meta: withoutPrev } };
    const refused = (await (await h.app.request("/v1/verify", jsonRequest("POST", edited))).json()) as typeof verdict;
    expect(refused.valid).toBe(false);
    expect(refused.checks.find((c) => c.name === "leaf")?.ok).toBe(false);
  });

  it("says a timeline is broken when an event's row is deleted, naming the missing hash", async () => {
    const broken = "case-to-break";
    const res = await h.app.request(
      "/v1/evidence/batch",
      jsonRequest("POST", { items: [1, 2, 3, 4].map((i) => ({ digest: randomDigest(), caseId: broken, eventType: `step-${i}` })) }),
    );
    const items = ((await res.json()) as { items: Receipt[] }).items;
    expect((await timeline(casePath(broken), keys.tenantA)).timeline.ok).toBe(true);

    // Someone with database access removes the second event.
    await h.database.db.delete(evidence).where(eq(evidence.id, items[1]!.id));
    const t = await timeline(casePath(broken), keys.tenantA);
    expect(t.events.map((e) => e.evidenceId)).toEqual([items[0]!.id, items[2]!.id, items[3]!.id]);
    expect(t.events.map((e) => e.link.ok)).toEqual([true, false, true]);
    const missing = items[1]!.leafHash;
    expect(t.events[1]!.prev).toBe(missing);
    expect(t.events[1]!.link.detail).toBe(
      `event 2: prev ${missing} is not the previous event's leaf hash ${items[0]!.leafHash}: no event shown has that leaf hash: an event is missing`,
    );
    expect(t.timeline.ok).toBe(false);
    expect(t.timeline.detail).toContain(missing);
    expect(t.timeline.detail).toMatch(/^1 of 3 links are broken \(event 2\)/);
    // The verifier and the admin see the same verdict.
    expect((await timeline(casePath(broken, TEST_TENANT), keys.admin)).timeline).toEqual(t.timeline);
  });

  it(`answers a case of exactly ${MAX_TIMELINE_EVENTS} events, and 422 past that`, async () => {
    const tenant = "tenant-big";
    const key = await h.principal("tenant", tenant);
    const big = "case-big";
    await h.ingest.submit(tenant, Array.from({ length: MAX_TIMELINE_EVENTS }, () => ({ digest: randomDigest(), caseId: big })));
    const t = await timeline(casePath(big), key);
    expect(t.events).toHaveLength(MAX_TIMELINE_EVENTS);
    expect(t.timeline.ok).toBe(true);
    await h.ingest.submit(tenant, [{ digest: randomDigest(), caseId: big }]);
    const res = await get(casePath(big), key);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: "caseId", reason: expect.stringContaining("/proofs") }]);
  }, 60_000);

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
