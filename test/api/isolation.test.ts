// Isolation, generated from the app's own route table: every route × every kind of caller,
// with data of two tenants and verifiers with a live, a missing and an expired disclosure.
// Each route needs an entry in CASES saying who may use it and how to call it: a new route
// without one fails the first test. What a caller may not see must answer 404 exactly as a
// thing that does not exist does (same body but for the path), so a 404 tells nothing. A role
// a route is not for gets 403 whatever the data (the tables below say 404 for both; the role
// check turns those into 403, and the test checks the 403 body names no data).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";
import { IMPRINT_ALGORITHMS } from "../../src/verify/timestamp-algorithms.ts";
import { buildTimeStampQuery } from "../../src/tsa/query.ts";
import { OPERATIONS, type Role } from "../../src/api/operations.ts";

const CALLERS = ["anonymous", "tenantA", "tenantB", "verifierLive", "verifierNone", "verifierExpired", "admin"] as const;
type Who = (typeof CALLERS)[number];
const ROLE_OF: Record<Exclude<Who, "anonymous">, Role> = {
  tenantA: "tenant",
  tenantB: "tenant",
  verifierLive: "verifier",
  verifierNone: "verifier",
  verifierExpired: "verifier",
  admin: "admin",
};
/** ok: 2xx; noneOfA: 200 with a list holding nothing of tenant A's; or the exact status. */
type Outcome = "ok" | "noneOfA" | 401 | 403 | 404;

interface Fixtures {
  tenantA: string;
  tenantB: string;
  caseA: string;
  evidenceA: string;
  digestA: string;
  batchA: number;
  proofA: unknown;
  /** A report on tenant A's case A, made by an admin. */
  reportA: string;
  disclosureLive: string;
  spareVerifier: string;
  /** Creates throwaway things, so state-changing routes can run once per caller. */
  freshTenant(): Promise<string>;
  freshVerifier(): Promise<string>;
  freshKey(): Promise<string>;
  freshDisclosure(): Promise<string>;
  /** Tenant A's webhook endpoint, and a delivery (a queued test event) of it. */
  webhookA: string;
  webhookDeliveryA: string;
  freshWebhook(): Promise<string>;
}

interface Call {
  path: string;
  init?: RequestInit;
}

interface RouteCase {
  /** The request, built from fixtures. */
  call(fx: Fixtures): Promise<Call> | Call;
  /** The same request naming things that do not exist (for routes that name a thing). */
  missing?(fx: Fixtures): Call;
  expect: Record<Who, Outcome>;
}

const NO_UUID = "00000000-0000-4000-8000-000000000000";
let seq = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

// Shorthands for the common access patterns.
const PUBLIC: Record<Who, Outcome> = Object.fromEntries(CALLERS.map((w) => [w, "ok"])) as Record<Who, Outcome>;
const ADMIN_ONLY: Record<Who, Outcome> = {
  anonymous: 401,
  tenantA: 404,
  tenantB: 404,
  verifierLive: 404,
  verifierNone: 404,
  verifierExpired: 404,
  admin: "ok",
};
const ANY_KEY: Record<Who, Outcome> = { ...PUBLIC, anonymous: 401 };
const SUBMIT: Record<Who, Outcome> = { ...ADMIN_ONLY, tenantA: "ok", tenantB: "ok", admin: 404 };
/** Tenant A's own thing: A and admins see it; nobody else. */
const OWNED: Record<Who, Outcome> = { ...ADMIN_ONLY, tenantA: "ok" };
/** Tenant A's webhook endpoints: A alone (a role the routes do not admit gets their 404, admins too). */
const WEBHOOK_OWNED: Record<Who, Outcome> = { ...OWNED, admin: 404 };
/** Tenant A's proofs: also the verifier with a live disclosure. */
const DISCLOSED: Record<Who, Outcome> = { ...OWNED, verifierLive: "ok" };

const post = (path: string, body?: unknown): Call => ({ path, init: body === undefined ? { method: "POST" } : jsonRequest("POST", body) });

const CASES: Record<string, RouteCase> = {
  "GET /healthz": { call: () => ({ path: "/healthz" }), expect: PUBLIC },
  "GET /readyz": { call: () => ({ path: "/readyz" }), expect: PUBLIC },
  "GET /openapi.json": { call: () => ({ path: "/openapi.json" }), expect: PUBLIC },
  "GET /metrics": { call: () => ({ path: "/metrics" }), expect: ADMIN_ONLY },
  "GET /.well-known/evidence-keys.json": { call: () => ({ path: "/.well-known/evidence-keys.json" }), expect: PUBLIC },
  "GET /.well-known/evidence-ca.pem": { call: () => ({ path: "/.well-known/evidence-ca.pem" }), expect: PUBLIC },
  "GET /.well-known/evidence-tsa.pem": { call: () => ({ path: "/.well-known/evidence-tsa.pem" }), expect: PUBLIC },
  "POST /v1/verify": { call: (fx) => post("/v1/verify", fx.proofA), expect: PUBLIC },
  "POST /v1/chain/rpc": { call: () => post("/v1/chain/rpc", { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), expect: PUBLIC },
  "GET /verify": { call: () => ({ path: "/verify" }), expect: PUBLIC },
  "GET /verify/:file": { call: () => ({ path: "/verify/verify.js" }), missing: () => ({ path: "/verify/nothing.js" }), expect: PUBLIC },
  "GET /docs": { call: () => ({ path: "/docs" }), expect: PUBLIC },
  "GET /docs/:file": { call: () => ({ path: "/docs/start.js" }), missing: () => ({ path: "/docs/package.json" }), expect: PUBLIC },
  "GET /v1/me": { call: () => ({ path: "/v1/me" }), expect: ANY_KEY },
  "POST /v1/evidence": { call: () => post("/v1/evidence", { digest: randomDigest() }), expect: SUBMIT },
  "POST /v1/evidence/batch": { call: () => post("/v1/evidence/batch", { items: [{ digest: randomDigest() }] }), expect: SUBMIT },
  "POST /v1/tsa": {
    call: () => ({
      path: "/v1/tsa",
      init: { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, new Uint8Array(32).fill(1), Uint8Array.of(1)) as Uint8Array<ArrayBuffer> },
    }),
    expect: SUBMIT,
  },
  "GET /v1/evidence": {
    call: (fx) => ({ path: `/v1/evidence?digest=${fx.digestA}` }),
    expect: { ...ADMIN_ONLY, tenantA: "ok", tenantB: "noneOfA" },
  },
  "GET /v1/evidence/:id": {
    call: (fx) => ({ path: `/v1/evidence/${fx.evidenceA}` }),
    missing: () => ({ path: `/v1/evidence/${NO_UUID}` }),
    expect: OWNED,
  },
  "GET /v1/evidence/:id/proof": {
    call: (fx) => ({ path: `/v1/evidence/${fx.evidenceA}/proof` }),
    missing: () => ({ path: `/v1/evidence/${NO_UUID}/proof` }),
    expect: DISCLOSED,
  },
  "GET /v1/batches/:seq": {
    call: (fx) => ({ path: `/v1/batches/${fx.batchA}` }),
    missing: () => ({ path: `/v1/batches/999999` }),
    expect: OWNED,
  },
  "GET /v1/batches/:seq/evidence": {
    call: (fx) => ({ path: `/v1/batches/${fx.batchA}/evidence` }),
    missing: () => ({ path: `/v1/batches/999999/evidence` }),
    expect: OWNED,
  },
  "POST /v1/webhooks": { call: () => post("/v1/webhooks", { url: "https://93.184.215.14/isolation" }), expect: SUBMIT },
  "GET /v1/webhooks": { call: () => ({ path: "/v1/webhooks" }), expect: { ...WEBHOOK_OWNED, tenantB: "noneOfA" } },
  "GET /v1/webhooks/:id": {
    call: (fx) => ({ path: `/v1/webhooks/${fx.webhookA}` }),
    missing: () => ({ path: `/v1/webhooks/${NO_UUID}` }),
    expect: WEBHOOK_OWNED,
  },
  "DELETE /v1/webhooks/:id": {
    call: async (fx) => ({ path: `/v1/webhooks/${await fx.freshWebhook()}`, init: { method: "DELETE" } }),
    missing: () => ({ path: `/v1/webhooks/${NO_UUID}`, init: { method: "DELETE" } }),
    expect: WEBHOOK_OWNED,
  },
  "POST /v1/webhooks/:id/rotate-secret": {
    call: (fx) => post(`/v1/webhooks/${fx.webhookA}/rotate-secret`),
    missing: () => post(`/v1/webhooks/${NO_UUID}/rotate-secret`),
    expect: WEBHOOK_OWNED,
  },
  "POST /v1/webhooks/:id/test": {
    call: (fx) => post(`/v1/webhooks/${fx.webhookA}/test`),
    missing: () => post(`/v1/webhooks/${NO_UUID}/test`),
    expect: WEBHOOK_OWNED,
  },
  "GET /v1/webhooks/:id/deliveries": {
    call: (fx) => ({ path: `/v1/webhooks/${fx.webhookA}/deliveries` }),
    missing: () => ({ path: `/v1/webhooks/${NO_UUID}/deliveries` }),
    expect: WEBHOOK_OWNED,
  },
  "POST /v1/webhooks/:id/deliveries/:deliveryId/replay": {
    call: (fx) => post(`/v1/webhooks/${fx.webhookA}/deliveries/${fx.webhookDeliveryA}/replay`),
    missing: () => post(`/v1/webhooks/${NO_UUID}/deliveries/1/replay`),
    expect: WEBHOOK_OWNED,
  },
  "GET /v1/cases/:caseId": {
    // Tenant B names tenant A's case: a 404, exactly as for a case A does not have.
    call: (fx) => ({ path: `/v1/cases/${encodeURIComponent(fx.caseA)}?tenantId=${fx.tenantA}` }),
    missing: (fx) => ({ path: `/v1/cases/no-such-case?tenantId=${fx.tenantA}` }),
    expect: DISCLOSED,
  },
  "GET /v1/cases/:tenantId/:caseId/proofs": {
    call: (fx) => ({ path: `/v1/cases/${fx.tenantA}/${encodeURIComponent(fx.caseA)}/proofs` }),
    missing: (fx) => ({ path: `/v1/cases/${fx.tenantA}/no-such-case/proofs` }),
    expect: DISCLOSED,
  },
  "POST /v1/tenants": { call: () => post("/v1/tenants", { id: unique("t"), name: "T" }), expect: ADMIN_ONLY },
  "GET /v1/tenants": { call: () => ({ path: "/v1/tenants" }), expect: ADMIN_ONLY },
  "GET /v1/tenants/:id": {
    call: (fx) => ({ path: `/v1/tenants/${fx.tenantA}` }),
    missing: () => ({ path: "/v1/tenants/no-such-tenant" }),
    expect: ADMIN_ONLY,
  },
  "POST /v1/tenants/:id/disable": {
    call: async (fx) => post(`/v1/tenants/${await fx.freshTenant()}/disable`),
    missing: () => post("/v1/tenants/no-such-tenant/disable"),
    expect: ADMIN_ONLY,
  },
  "POST /v1/verifiers": { call: () => post("/v1/verifiers", { id: unique("v"), name: "V" }), expect: ADMIN_ONLY },
  "GET /v1/verifiers": { call: () => ({ path: "/v1/verifiers" }), expect: ADMIN_ONLY },
  "GET /v1/verifiers/:id": {
    call: (fx) => ({ path: `/v1/verifiers/${fx.spareVerifier}` }),
    missing: () => ({ path: "/v1/verifiers/no-such-verifier" }),
    expect: ADMIN_ONLY,
  },
  "POST /v1/verifiers/:id/disable": {
    call: async (fx) => post(`/v1/verifiers/${await fx.freshVerifier()}/disable`),
    missing: () => post("/v1/verifiers/no-such-verifier/disable"),
    expect: ADMIN_ONLY,
  },
  "POST /v1/keys": { call: async (fx) => post("/v1/keys", { principalId: await fx.freshTenant() }), expect: ADMIN_ONLY },
  "GET /v1/keys": { call: () => ({ path: "/v1/keys" }), expect: ADMIN_ONLY },
  "POST /v1/keys/:id/revoke": {
    call: async (fx) => post(`/v1/keys/${await fx.freshKey()}/revoke`),
    missing: () => post("/v1/keys/aaaaaaaaaaaa/revoke"),
    expect: ADMIN_ONLY,
  },
  "POST /v1/disclosures": {
    call: (fx) => post("/v1/disclosures", { caseId: fx.caseA, tenantId: fx.tenantA, verifierId: fx.spareVerifier }),
    // Naming a tenant that does not exist is what naming another tenant must look like.
    missing: (fx) => post("/v1/disclosures", { caseId: fx.caseA, tenantId: "no-such-tenant", verifierId: fx.spareVerifier }),
    expect: OWNED,
  },
  "GET /v1/disclosures": {
    call: () => ({ path: "/v1/disclosures" }),
    expect: { ...ANY_KEY, tenantB: "noneOfA", verifierNone: "noneOfA" },
  },
  "GET /v1/disclosures/:id": {
    call: (fx) => ({ path: `/v1/disclosures/${fx.disclosureLive}` }),
    missing: () => ({ path: `/v1/disclosures/${NO_UUID}` }),
    expect: { ...OWNED, verifierLive: "ok" },
  },
  "POST /v1/disclosures/:id/revoke": {
    call: async (fx) => post(`/v1/disclosures/${await fx.freshDisclosure()}/revoke`),
    missing: () => post(`/v1/disclosures/${NO_UUID}/revoke`),
    expect: OWNED,
  },
  "GET /v1/audit": { call: () => ({ path: "/v1/audit" }), expect: ADMIN_ONLY },
  "GET /v1/audit/verify": { call: () => ({ path: "/v1/audit/verify" }), expect: ADMIN_ONLY },
  "POST /v1/audit/anchor": { call: () => post("/v1/audit/anchor"), expect: ADMIN_ONLY },
  "POST /v1/reports": {
    call: (fx) => post("/v1/reports", { tenantId: fx.tenantA, caseId: fx.caseA, purpose: "isolation", requestedBy: "test" }),
    missing: (fx) => post("/v1/reports", { tenantId: fx.tenantA, caseId: "no-such-case", purpose: "isolation", requestedBy: "test" }),
    expect: { ...ADMIN_ONLY, verifierLive: "ok" },
  },
  "GET /v1/reports/:id": { call: (fx) => ({ path: `/v1/reports/${fx.reportA}` }), missing: () => ({ path: `/v1/reports/${NO_UUID}` }), expect: DISCLOSED },
  "GET /v1/reports/:id/pdf": { call: (fx) => ({ path: `/v1/reports/${fx.reportA}/pdf` }), missing: () => ({ path: `/v1/reports/${NO_UUID}/pdf` }), expect: DISCLOSED },
  "GET /v1/reports/:id/proof": { call: (fx) => ({ path: `/v1/reports/${fx.reportA}/proof` }), missing: () => ({ path: `/v1/reports/${NO_UUID}/proof` }), expect: DISCLOSED },
};

let h: ApiHarness & { node: LocalNode };
let fx: Fixtures;
const keys = {} as Record<Exclude<Who, "anonymous">, string>;
let clock = new Date("2026-11-27T10:00:00Z");

beforeAll(async () => {
  h = await apiHarnessOnChain({ now: () => clock });
  keys.admin = h.keys.admin;
  keys.tenantA = h.keys.tenant;
  keys.tenantB = await h.principal("tenant", "tenant-b");
  keys.verifierLive = await h.principal("verifier", "court-live");
  keys.verifierNone = await h.principal("verifier", "court-none");
  keys.verifierExpired = await h.principal("verifier", "court-expired");
  const admin = { id: "test" };
  await h.access.createPrincipal(admin, "verifier", { id: "court-spare", name: "spare" });

  const caseA = "案件 A/1"; // a slash and CJK: the case id travels URL-encoded
  const submitted = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: caseA }));
  const receiptA = (await submitted.json()) as { id: string };
  await h.batcher.tick(); // A's batch holds only A's item
  await h.rawApp.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: caseA }, bearer(keys.tenantB)));
  await h.batcher.tick();
  const evidenceA = (await (await h.app.request(`/v1/evidence/${receiptA.id}`)).json()) as { digest: string; batch: { seq: number } };
  const proofA = await (await h.app.request(`/v1/evidence/${receiptA.id}/proof`)).json();

  const scope = { role: "tenant" as const, tenantId: TEST_TENANT };
  const live = await h.access.grantDisclosure(admin, scope, { caseId: caseA, verifierId: "court-live" });
  await h.access.grantDisclosure(admin, scope, {
    caseId: caseA,
    verifierId: "court-expired",
    expiresAt: new Date(clock.getTime() + 3_600_000),
  });
  // A disclosure of the same case id by tenant B gives court-none nothing of A's.
  await h.access.grantDisclosure(admin, { role: "tenant", tenantId: "tenant-b" }, { caseId: caseA, verifierId: "court-none" });
  clock = new Date(clock.getTime() + 2 * 3_600_000); // court-expired's disclosure is now past

  const reportRes = await h.rawApp.request(
    "/v1/reports",
    jsonRequest("POST", { tenantId: TEST_TENANT, caseId: caseA, purpose: "isolation fixture", requestedBy: "test" }, { authorization: `Bearer ${h.keys.admin}` }),
  );
  expect(reportRes.status).toBe(201);
  const reportA = ((await reportRes.json()) as { id: string }).id;
  const webhookA = await h.webhooks.create(TEST_TENANT, { url: "https://93.184.215.14/a" });
  const webhookDeliveryA = await h.webhooks.test(TEST_TENANT, webhookA.id);
  fx = {
    webhookA: webhookA.id,
    webhookDeliveryA: webhookDeliveryA.id,
    freshWebhook: async () => (await h.webhooks.create(TEST_TENANT, { url: "https://93.184.215.14/fresh" })).id,
    reportA,
    tenantA: TEST_TENANT,
    tenantB: "tenant-b",
    caseA,
    evidenceA: receiptA.id,
    digestA: evidenceA.digest,
    batchA: evidenceA.batch.seq,
    proofA,
    disclosureLive: live.id,
    spareVerifier: "court-spare",
    freshTenant: async () => (await h.access.createPrincipal(admin, "tenant", { id: unique("tf"), name: "fresh" })).id,
    freshVerifier: async () => (await h.access.createPrincipal(admin, "verifier", { id: unique("vf"), name: "fresh" })).id,
    freshKey: async () => (await h.access.createKey(admin, { principalId: await fx.freshTenant() })).id,
    freshDisclosure: async () =>
      (await h.access.grantDisclosure(admin, scope, { caseId: caseA, verifierId: "court-spare" })).id,
  };
});
afterAll(() => h?.close());

async function send(who: Who, call: Call): Promise<Response> {
  const headers = new Headers(call.init?.headers);
  if (who !== "anonymous") headers.set("authorization", `Bearer ${keys[who]}`);
  return h.rawApp.request(call.path, { ...call.init, headers });
}

/** A 404 body with the request path taken out, for comparing two 404s. */
async function shape404(res: Response, path: string): Promise<unknown> {
  const body = (await res.json()) as Record<string, unknown>;
  const pathname = new URL(path, "http://x").pathname;
  return { ...body, instance: "<path>", detail: String(body.detail).replace(decodeURIComponent(pathname), "<path>") };
}

describe(`access to every route, by every kind of caller, on ${describeDbKind()}`, () => {
  it("has an access expectation for every route of the app, and none for a route that is gone", () => {
    const routes = h.rawApp.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    const missing = routes.filter((r) => !(r in CASES));
    expect(missing, "routes with no entry in CASES: say who may call them").toEqual([]);
    expect(Object.keys(CASES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  for (const route of Object.keys(CASES)) {
    it(`${route}`, async () => {
      const c = CASES[route]!;
      const failures: string[] = [];
      for (const who of CALLERS) {
        const call = await c.call(fx);
        const res = await send(who, call);
        // A role the route is not for: 403, before any data is looked at.
        const access = OPERATIONS[route]!.access;
        const role = who === "anonymous" ? undefined : ROLE_OF[who];
        const roleRefused = role !== undefined && access !== "public" && !access.includes(role);
        if (roleRefused && c.expect[who] === "ok") failures.push(`${who}: the table says ok, but the registry does not allow ${role}`);
        const want = roleRefused ? 403 : c.expect[who];
        const got = res.status;
        const ok = want === "ok" ? got >= 200 && got < 300 : want === "noneOfA" ? got === 200 : got === want;
        if (!ok) {
          failures.push(`${who}: expected ${want}, got ${got} ${await res.text()}`);
          continue;
        }
        if (want === "noneOfA") {
          const body = (await res.json()) as { items: { tenantId?: string; submitter?: string }[] };
          const leaked = body.items.filter((i) => (i.tenantId ?? i.submitter) === fx.tenantA);
          if (leaked.length > 0) failures.push(`${who}: sees tenant A's ${JSON.stringify(leaked)}`);
        } else if (want === 404) {
          // Not visible must look exactly like not there.
          const theirs = await shape404(res, call.path);
          const nothing = c.missing?.(fx);
          const baseline = nothing ? await send(who, nothing) : await send(who, { path: "/v1/no-such-route", init: { method: call.init?.method ?? "GET" } });
          const expected = await shape404(baseline, nothing?.path ?? "/v1/no-such-route");
          if (JSON.stringify(theirs) !== JSON.stringify(expected)) {
            failures.push(`${who}: 404 differs from not-there: ${JSON.stringify(theirs)} vs ${JSON.stringify(expected)}`);
          }
        } else if (want === 403) {
          const body = (await res.json()) as { code?: string; detail?: string };
          // The same words for every call of this route by this role: nothing of the data.
          const forWhom = `${(access as readonly string[]).join(", ")}${OPERATIONS[route]!.metricsToken ? ", or the metrics token" : ""}`;
          expect(body.detail).toBe(`this route exists, but a ${role} key may not use it; it is for: ${forWhom}`);
        } else if (want === 401) {
          expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="evidence"/);
        }
        expect(res.headers.get("content-type") ?? "").not.toBe("");
      }
      expect(failures).toEqual([]);
    });
  }

  it("stops an expired disclosure without a restart: the same verifier read the case before the clock passed it", async () => {
    const exp = new Date(clock.getTime() + 60_000);
    await h.access.grantDisclosure({ id: "test" }, { role: "tenant", tenantId: TEST_TENANT }, {
      caseId: fx.caseA,
      verifierId: "court-spare",
      expiresAt: exp,
    });
    const spareKey = (await h.access.createKey({ id: "test" }, { principalId: "court-spare" })).key;
    const path = `/v1/evidence/${fx.evidenceA}/proof`;
    expect((await h.rawApp.request(path, { headers: bearer(spareKey) })).status).toBe(200);
    clock = new Date(exp.getTime() + 1);
    // court-spare may still hold other live disclosures of this case made by other tests: revoke them.
    const mine = (await (await h.rawApp.request("/v1/disclosures?limit=1000", { headers: bearer(spareKey) })).json()) as {
      items: { id: string; status: string }[];
    };
    for (const d of mine.items.filter((d) => d.status === "active")) {
      await h.rawApp.request(`/v1/disclosures/${d.id}/revoke`, { method: "POST", headers: bearer(keys.admin) });
    }
    expect((await h.rawApp.request(path, { headers: bearer(spareKey) })).status).toBe(404);
  });
});
