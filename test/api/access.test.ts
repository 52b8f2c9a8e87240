// Keys, principals and disclosures through the real app: one 401 for every bad key, keys
// shown once and never logged, revocation and disabling effective at once, strict bodies,
// disclosures granted and revoked by admins and owning tenants, and an audit entry for
// every change.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailureTracker } from "../../src/auth/failures.ts";
import { generateKey } from "../../src/auth/keys.ts";
import { queryRows } from "../../src/store/db.ts";
import { AccessService } from "../../src/services/access.ts";
import { silentLogger } from "../../src/log.ts";
import { apiHarness, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness;
let clock = new Date("2026-11-27T10:00:00Z");
let trackerNow = 0;
const failures = new FailureTracker({ burstThreshold: 5, blockThreshold: 1000, now: () => trackerNow });

beforeAll(async () => {
  // With the key cache on, as the service runs on its embedded database: every revocation,
  // disabling and expiry below must still take effect on the very next request. (The other
  // API tests run without it, as on PostgreSQL.)
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}`, now: () => clock, failures, cacheKeys: true });
});
afterAll(() => h?.close());

const admin = () => bearer(h.keys.admin);
const as = (key: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), ...bearer(key) } });
const auditActions = async () =>
  (await queryRows<{ action: string; target: string | null; actor: string }>(h.database.db, sql`select action, target, actor from audit_log order by seq`));

async function createTenant(id: string): Promise<string> {
  const res = await h.rawApp.request("/v1/tenants", as(h.keys.admin, jsonRequest("POST", { id, name: `Tenant ${id}` })));
  expect(res.status, await res.clone().text()).toBe(201);
  const key = await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", { principalId: id })));
  expect(key.status).toBe(201);
  return ((await key.json()) as { key: string }).key;
}

describe(`API keys on ${describeDbKind()}`, () => {
  it("answers every kind of bad key with the same 401", async () => {
    const revoked = await createTenant("t-revoked");
    const me = (await (await h.rawApp.request("/v1/me", as(revoked))).json()) as { keyId: string };
    expect((await h.rawApp.request(`/v1/keys/${me.keyId}/revoke`, as(h.keys.admin, { method: "POST" }))).status).toBe(200);

    const expiring = (
      (await (
        await h.rawApp.request(
          "/v1/keys",
          as(h.keys.admin, jsonRequest("POST", { principalId: TEST_TENANT, expiresAt: new Date(clock.getTime() + 60_000).toISOString() })),
        )
      ).json()) as { key: string }
    ).key;
    expect((await h.rawApp.request("/v1/me", as(expiring))).status).toBe(200);
    clock = new Date(clock.getTime() + 61_000);

    const wrongSecret = generateKey();
    const validKey = h.keys.tenant;
    const forged = `evk_${validKey.slice(4, 16)}_${wrongSecret.key.slice(17)}`; // a real id, another secret
    const bodies = new Set<string>();
    const cases: [string, Record<string, string>][] = [
      ["no header", {}],
      ["empty", { authorization: "" }],
      ["wrong scheme", { authorization: `Basic ${validKey}` }],
      ["malformed", { authorization: "Bearer not-a-key" }],
      ["bad checksum", { authorization: `Bearer ${validKey.slice(0, -1)}${validKey.endsWith("a") ? "b" : "a"}` }],
      ["unknown id", bearer(wrongSecret.key)],
      ["known id, wrong secret", bearer(forged)],
      ["revoked", bearer(revoked)],
      ["expired", bearer(expiring)],
    ];
    for (const [name, headers] of cases) {
      const res = await h.rawApp.request("/v1/evidence", { ...jsonRequest("POST", { digest: randomDigest() }), headers: { "content-type": "application/json", ...headers } });
      expect(res.status, name).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="evidence"/);
      bodies.add(await res.text());
    }
    expect(bodies.size, "one body for every failure").toBe(1);
    expect(JSON.parse([...bodies][0]!)).toMatchObject({ type: "urn:evidence:problem:unauthorized", status: 401 });
  });

  it("accepts the scheme name in any case and extra spaces, as RFC 9110 allows", async () => {
    for (const auth of [`bearer ${h.keys.tenant}`, `BEARER  ${h.keys.tenant}`]) {
      expect((await h.rawApp.request("/v1/me", { headers: { authorization: auth } })).status).toBe(200);
    }
  });

  it("never writes a key into a log line, only its public id", async () => {
    const key = await createTenant("t-logs");
    await h.rawApp.request("/v1/me", as(key));
    await h.rawApp.request("/v1/me", as(key.slice(0, -2) + "zz"));
    const text = h.log.lines.join("\n");
    const anyKey = /evk_[a-z2-7]{12}_[a-z2-7]{20,}/;
    expect(text).not.toMatch(anyKey);
    expect(text).toContain(key.slice(4, 16)); // the failed attempt is logged by key id
  });

  it("shows a key once: the 201 is not cacheable and listings hold no secret", async () => {
    const res = await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", { principalId: TEST_TENANT, label: "rotation" })));
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = (await res.json()) as { id: string; key: string; status: string; label: string };
    expect(created).toMatchObject({ status: "active", label: "rotation" });
    const list = await (await h.rawApp.request(`/v1/keys?principalId=${TEST_TENANT}`, as(h.keys.admin))).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.key.slice(17));
    const rows = await queryRows<{ secret_hash: Uint8Array }>(h.database.db, sql`select secret_hash from api_keys where id = ${created.id}`);
    expect(Buffer.from(rows[0]!.secret_hash).toString("utf8")).not.toContain(created.key.slice(17, 40));
  });

  it("replays a key creation under the same Idempotency-Key without the key, and stores the key nowhere", async () => {
    const body = { principalId: TEST_TENANT, label: "idempotent" };
    const headers = { "idempotency-key": '"key-create-1"' };
    const first = await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", body, headers)));
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string; key: string };
    const again = await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", body, headers)));
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const replayed = (await again.json()) as { id: string; key: string | null; keyShown: string };
    expect(replayed).toMatchObject({ id: created.id, key: null });
    expect(replayed.keyShown).toMatch(/only in the first response/);
    const stored = await queryRows<{ row: string }>(h.database.db, sql`select t::text as row from idempotency_keys t`);
    expect(stored.map((r) => r.row).join("\n")).not.toContain(created.key.slice(17));
    const keys = await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from api_keys where label = 'idempotent'`);
    expect(Number(keys[0]!.n)).toBe(1);
  });

  it("lets several keys of one principal work side by side, and revoking one stops only it, at once", async () => {
    const first = await createTenant("t-rotate");
    const second = (
      (await (await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", { principalId: "t-rotate" })))).json()) as {
        id: string;
        key: string;
      }
    );
    expect((await h.rawApp.request("/v1/me", as(first))).status).toBe(200);
    expect((await h.rawApp.request("/v1/me", as(second.key))).status).toBe(200);
    const firstId = first.slice(4, 16);
    const revoke = await h.rawApp.request(`/v1/keys/${firstId}/revoke`, as(h.keys.admin, { method: "POST" }));
    expect(await revoke.json()).toMatchObject({ id: firstId, status: "revoked" });
    expect((await h.rawApp.request("/v1/me", as(first))).status).toBe(401);
    expect((await h.rawApp.request("/v1/me", as(second.key))).status).toBe(200);
    // Revoking again changes nothing and logs nothing new.
    const before = (await auditActions()).length;
    expect((await h.rawApp.request(`/v1/keys/${firstId}/revoke`, as(h.keys.admin, { method: "POST" }))).status).toBe(200);
    expect((await auditActions()).length).toBe(before);
  });

  it("another instance's key cache notices a revocation within its KEY_CACHE_MS, not later", async () => {
    const key = await createTenant("t-elsewhere");
    // A second instance on the same database, caching keys for 2 s as on PostgreSQL.
    const other = new AccessService({ db: h.database.db, log: silentLogger, now: () => clock, cacheKeys: { ttlMs: 2000 } });
    expect(await other.authenticate(key)).toMatchObject({ principalId: "t-elsewhere" });
    const revoke = await h.rawApp.request(`/v1/keys/${key.slice(4, 16)}/revoke`, as(h.keys.admin, { method: "POST" }));
    expect(revoke.status).toBe(200);
    // This instance revoked it: refused here at once. The other still has it, for at most 2 s.
    expect((await h.rawApp.request("/v1/me", as(key))).status).toBe(401);
    clock = new Date(clock.getTime() + 1999);
    expect(await other.authenticate(key)).not.toBeNull();
    clock = new Date(clock.getTime() + 1);
    expect(await other.authenticate(key)).toBeNull();
    // And a key it never saw is read at once.
    const fresh = await createTenant("t-elsewhere-2");
    expect(await other.authenticate(fresh)).toMatchObject({ principalId: "t-elsewhere-2" });
  });

  it("refuses keys for principals that do not exist, the system tenant, or an expiry in the past", async () => {
    const cases: [unknown, string][] = [
      [{ principalId: "nobody-here" }, "/principalId"],
      [{ principalId: "system" }, "/principalId"],
      [{ principalId: TEST_TENANT, expiresAt: new Date(clock.getTime() - 1000).toISOString() }, "/expiresAt"],
      [{ principalId: TEST_TENANT, expiresAt: "tomorrow" }, "/expiresAt"],
      [{ principalId: TEST_TENANT, secretHash: "00" }, "/secretHash"],
    ];
    for (const [body, field] of cases) {
      const res = await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", body)));
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    }
  });
});

describe(`tenants and verifiers on ${describeDbKind()}`, () => {
  it("creates a tenant with a Location, refuses a taken id (409), a bad id and any field it does not know", async () => {
    const res = await h.rawApp.request("/v1/tenants", as(h.keys.admin, jsonRequest("POST", { id: "acme", name: "Acme 电子合同" })));
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/v1/tenants/acme");
    expect(await res.json()).toMatchObject({ id: "acme", kind: "tenant", name: "Acme 电子合同", status: "active", disabledAt: null });
    const again = await h.rawApp.request("/v1/tenants", as(h.keys.admin, jsonRequest("POST", { id: "acme", name: "again" })));
    expect(again.status).toBe(409);
    for (const [body, field] of [
      [{ id: "Acme", name: "x" }, "/id"],
      [{ id: "a b", name: "x" }, "/id"],
      [{ id: "ok-id", name: "" }, "/name"],
      [{ id: "ok-id", name: "x", status: "disabled" }, "/status"],
      [{ id: "ok-id", name: "x", kind: "admin" }, "/kind"],
    ] as const) {
      const r = await h.rawApp.request("/v1/tenants", as(h.keys.admin, jsonRequest("POST", body)));
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(((await r.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    }
    expect((await h.rawApp.request("/v1/tenants/ok-id", as(h.keys.admin))).status).toBe(404);
  });

  it("pages through tenants with a cursor", async () => {
    for (const id of ["page-1", "page-2", "page-3"]) {
      await h.rawApp.request("/v1/tenants", as(h.keys.admin, jsonRequest("POST", { id, name: id })));
    }
    const seen: string[] = [];
    let after = "";
    for (let i = 0; i < 100; i++) {
      const res = await h.rawApp.request(`/v1/tenants?limit=2${after ? `&after=${after}` : ""}`, as(h.keys.admin));
      const body = (await res.json()) as { items: { id: string }[]; next: string | null };
      seen.push(...body.items.map((t) => t.id));
      if (!body.next) break;
      after = body.next;
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(["page-1", "page-2", "page-3", TEST_TENANT]));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await h.rawApp.request("/v1/tenants?limit=0", as(h.keys.admin))).status).toBe(422);
  });

  it("disabling a tenant stops its keys at once; its evidence stays readable by admins", async () => {
    const key = await createTenant("t-disable");
    const submitted = (await (await h.rawApp.request("/v1/evidence", as(key, jsonRequest("POST", { digest: randomDigest() })))).json()) as { id: string };
    const res = await h.rawApp.request("/v1/tenants/t-disable/disable", as(h.keys.admin, { method: "POST" }));
    expect(await res.json()).toMatchObject({ id: "t-disable", status: "disabled" });
    expect((await h.rawApp.request("/v1/me", as(key))).status).toBe(401);
    expect((await h.rawApp.request(`/v1/evidence/${submitted.id}`, as(h.keys.admin))).status).toBe(200);
    // Keys cannot be made for a disabled principal.
    expect((await h.rawApp.request("/v1/keys", as(h.keys.admin, jsonRequest("POST", { principalId: "t-disable" })))).status).toBe(422);
  });

  it("stamps the submitting tenant into every proof, whatever the body says", async () => {
    const key = await createTenant("t-stamp");
    const forged = await h.rawApp.request("/v1/evidence", as(key, jsonRequest("POST", { digest: randomDigest(), submitter: TEST_TENANT })));
    expect(forged.status).toBe(422);
    const ok = (await (await h.rawApp.request("/v1/evidence", as(key, jsonRequest("POST", { digest: randomDigest() })))).json()) as { id: string };
    const proof = (await (await h.rawApp.request(`/v1/evidence/${ok.id}/proof`, as(key))).json()) as { evidence: { meta: { submitter: string } } };
    expect(proof.evidence.meta.submitter).toBe("t-stamp");
  });

  it("will not disable the last active admin", async () => {
    const res = await h.rawApp.request("/v1/verifiers", as(h.keys.admin, jsonRequest("POST", { id: "admin-check", name: "x" })));
    expect(res.status).toBe(201);
    const lone = await h.access.disablePrincipal({ id: "test" }, "admin", "admin").then(
      () => "disabled",
      (err: Error) => err.message,
    );
    expect(lone).toMatch(/last active admin/);
  });
});

describe(`disclosures on ${describeDbKind()}`, () => {
  it("a tenant discloses its own case to a court, which then reads it; revoking ends that at once", async () => {
    const courtKey = await h.principal("verifier", "court-a");
    const submitted = (await (await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: "c-77" }))).json()) as { id: string };
    expect((await h.rawApp.request(`/v1/evidence/${submitted.id}/proof`, as(courtKey))).status).toBe(404);
    const grant = await h.app.request("/v1/disclosures", jsonRequest("POST", { caseId: "c-77", verifierId: "court-a" }));
    expect(grant.status).toBe(201);
    const d = (await grant.json()) as { id: string; tenantId: string; status: string; grantedBy: string };
    expect(d).toMatchObject({ tenantId: TEST_TENANT, status: "active", grantedBy: TEST_TENANT });
    expect((await h.rawApp.request(`/v1/evidence/${submitted.id}/proof`, as(courtKey))).status).toBe(200);
    expect((await h.rawApp.request(`/v1/cases/${TEST_TENANT}/c-77/proofs`, as(courtKey))).status).toBe(200);
    // The court sees the disclosure but may not revoke it (403: its role may not).
    expect((await h.rawApp.request(`/v1/disclosures/${d.id}`, as(courtKey))).status).toBe(200);
    expect((await h.rawApp.request(`/v1/disclosures/${d.id}/revoke`, as(courtKey, { method: "POST" }))).status).toBe(403);
    const revoked = await h.app.request(`/v1/disclosures/${d.id}/revoke`, { method: "POST" });
    expect(await revoked.json()).toMatchObject({ status: "revoked", revokedBy: TEST_TENANT });
    expect((await h.rawApp.request(`/v1/evidence/${submitted.id}/proof`, as(courtKey))).status).toBe(404);
  });

  it("a tenant cannot disclose another tenant's case: answered as for a tenant that does not exist", async () => {
    await h.principal("verifier", "court-b");
    const other = await h.app.request("/v1/disclosures", jsonRequest("POST", { caseId: "x", tenantId: "acme", verifierId: "court-b" }));
    const none = await h.app.request("/v1/disclosures", jsonRequest("POST", { caseId: "x", tenantId: "no-such", verifierId: "court-b" }));
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual(await none.json());
  });

  it("an admin must name the tenant, and the verifier must exist", async () => {
    const noTenant = await h.rawApp.request("/v1/disclosures", as(h.keys.admin, jsonRequest("POST", { caseId: "x", verifierId: "court-b" })));
    expect(noTenant.status).toBe(422);
    const noVerifier = await h.rawApp.request(
      "/v1/disclosures",
      as(h.keys.admin, jsonRequest("POST", { caseId: "x", tenantId: TEST_TENANT, verifierId: "nobody" })),
    );
    expect(((await noVerifier.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe("/verifierId");
  });
});

describe(`the audit trail of access changes on ${describeDbKind()}`, () => {
  it("records each change with its actor and the key used", async () => {
    const before = (await auditActions()).length;
    await createTenant("t-audited");
    const entries = (await auditActions()).slice(before);
    expect(entries.map((e) => [e.action, e.target, e.actor])).toEqual([
      ["principal.created", "t-audited", "admin"],
      ["key.created", expect.stringMatching(/^[a-z2-7]{12}$/), "admin"],
    ]);
    const rows = await queryRows<{ details: Record<string, unknown> }>(h.database.db, sql`select details from audit_log order by seq desc limit 1`);
    expect(rows[0]!.details).toMatchObject({ principalId: "t-audited", viaKey: h.keys.admin.slice(4, 16) });
    expect(JSON.stringify(rows)).not.toContain(h.keys.admin);
  });

  it("records a burst of failed authentications once, then tells the address to back off", async () => {
    const count = async () => (await auditActions()).filter((e) => e.action === "auth.failure-burst").length;
    trackerNow += failures.windowMs; // a new window: earlier tests' failures are behind us
    const before = await count();
    for (let i = 0; i < failures.burstThreshold + 3; i++) {
      expect((await h.rawApp.request("/v1/me", { headers: bearer(generateKey().key) })).status).toBe(401);
    }
    expect(await count()).toBe(before + 1);
    const blocking = new FailureTracker({ burstThreshold: 2, blockThreshold: 3 });
    const strict = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}`, failures: blocking });
    try {
      for (let i = 0; i < 3; i++) expect((await strict.rawApp.request("/v1/me", { headers: bearer("junk") })).status).toBe(401);
      const blocked = await strict.rawApp.request("/v1/me", { headers: bearer(strict.keys.tenant) });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(blocked.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      await strict.close();
    }
  });

  it("marks authenticated answers as not cacheable", async () => {
    const res = await h.app.request("/v1/me");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ principalId: TEST_TENANT, kind: "tenant", keyId: h.keys.tenant.slice(4, 16) });
  });
});

describe(`ids and cursors no row could hold, on ${describeDbKind()}`, () => {
  // NUL and lone surrogates cannot reach PostgreSQL text: they must be answered, not thrown.
  it.each([
    ["GET", "/v1/cases/x/%00/proofs", 404],
    ["GET", "/v1/cases/%00/x/proofs", 404],
    ["GET", `/v1/cases/x/${"y".repeat(300)}/proofs`, 404],
    ["GET", "/v1/tenants/%00", 404],
    ["POST", "/v1/tenants/%00/disable", 404],
    ["GET", "/v1/verifiers/a%ED%A0%80", 404],
    ["POST", "/v1/keys/%00/revoke", 404],
    ["POST", "/v1/disclosures/%00/revoke", 404],
    ["GET", "/v1/tenants?after=%00", 422],
    ["GET", "/v1/keys?after=%00", 422],
    ["GET", "/v1/keys?principalId=%00", 422],
    ["GET", "/v1/disclosures?after=%00", 422],
    ["GET", "/v1/audit?after=-1", 422],
  ])("%s %s is %i", async (method, path, status) => {
    const res = await h.rawApp.request(path, { method, headers: bearer(h.keys.admin) });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe(`paging a case on ${describeDbKind()}`, () => {
  it("pages a visible case to an empty last page, and answers 404 for any other case with or without a cursor", async () => {
    await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items: [1, 2, 3].map(() => ({ digest: randomDigest(), caseId: "paged" })) }));
    const first = (await (await h.app.request(`/v1/cases/${TEST_TENANT}/paged/proofs?limit=2`)).json()) as { items: unknown[]; next: number };
    expect(first.items).toHaveLength(2);
    const second = (await (await h.app.request(`/v1/cases/${TEST_TENANT}/paged/proofs?limit=2&after=${first.next}`)).json()) as {
      items: unknown[];
      next: number | null;
    };
    expect(second).toMatchObject({ next: null });
    expect(second.items).toHaveLength(1);
    const beyond = await h.app.request(`/v1/cases/${TEST_TENANT}/paged/proofs?after=999999999`);
    expect(await beyond.json()).toMatchObject({ items: [], next: null });
    const other = await createTenant("t-pager");
    for (const path of [`/v1/cases/${TEST_TENANT}/paged/proofs?after=1`, `/v1/cases/${TEST_TENANT}/no-such/proofs?after=1`]) {
      expect((await h.rawApp.request(path, as(other))).status, path).toBe(404);
    }
  });
});
