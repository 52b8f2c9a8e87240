// Who may do what, on the real service process over real HTTP, tried the way a new operator
// would with curl: the first start prints the admin key once and saves it 0600, later
// starts print none, and no key reaches a log line; two tenants and two verifiers created
// through the API see only what is theirs or disclosed to them (everything else is the same
// 404 as an id that does not exist); a disclosure with an expiry stops working by itself;
// a revoked key is refused at once; and an audit row edited in the database is named by
// GET /v1/audit/verify. On PostgreSQL when DATABASE_URL is set, PGlite otherwise.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/auth/keys.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { HARDHAT_DEV_KEY } from "../../src/config.ts";
import { createDb } from "../../src/store/db.ts";
import { offlineOk, verifyBundle } from "../../src/verify/index.ts";
import { startTestChain } from "../helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import {
  apiClient,
  BOOTSTRAP_BLOCK_RE,
  createPrincipal,
  KEY_LIKE_RE,
  printedAdminKey,
  readAdminKey,
  spawnService,
  tempDir,
  waitFor,
  type ApiCall,
  type CreatedPrincipal,
  type ServiceProcess,
} from "../helpers/service.ts";

const dir = tempDir("evidence-access-");
let chain: LocalNode;
let database: TestDatabase | undefined;
/** Every process started on `dir`, in order; the last one is the one running. */
const starts: ServiceProcess[] = [];
const service = () => starts.at(-1)!;

let adminKey: string;
let tenantA: CreatedPrincipal;
let tenantB: CreatedPrincipal;
let court1: CreatedPrincipal;
let court2: CreatedPrincipal;
/** Every secret handed out or tried, for the log scan at the end. */
const secrets: string[] = [];
/** The public id of the key revoked below: its refusal must be logged by this id alone. */
let revokedKeyId: string;

/** Requests to the service running now, with `key` as the bearer token (none when undefined). */
const as =
  (key: string | undefined): ApiCall =>
  (method, path, body, headers) =>
    apiClient(service().url, key)(method, path, body, headers);

const digest = () => "0x" + randomBytes(32).toString("hex");

/** The parts of a problem+json 404 that do not name the path asked for. */
const problem = (body: { type: string; title: string; status: number; detail: string }) => ({
  type: body.type,
  title: body.title,
  status: body.status,
  detail: body.detail,
});

async function start(): Promise<ServiceProcess> {
  const s = await spawnService({
    DATA_DIR: dir,
    DATABASE_URL: database?.url,
    CHAIN_RPC_URL: chain.url,
    ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY,
    BATCH_INTERVAL_MS: "200",
    // Every request is logged at debug level: the most lines a key could slip into.
    LOG_LEVEL: "debug",
  });
  starts.push(s);
  return s;
}

async function restart(): Promise<void> {
  expect(await service().stop("SIGINT")).toBe(0);
  await start();
}

/** Submits one item of `caseId` as the tenant holding `key`; returns its id. */
async function submit(key: string, caseId: string): Promise<{ id: string; digest: string }> {
  const d = digest();
  const r = await as(key)<{ id: string }>("POST", "/v1/evidence", { digest: d, caseId, eventType: "signed" });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return { id: r.body.id, digest: d };
}

async function anchored(key: string, id: string): Promise<ProofBundleV1> {
  return waitFor(`anchor of ${id}`, async () => {
    const p = await as(key)<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`);
    return p.status === 200 && p.body.anchor ? p.body : null;
  });
}

/** Tenant A's items: two in case-a-1, one in case-a-2; tenant B's: one in case-b-1. */
const items = {} as Record<"a1" | "a1b" | "a2" | "b1", { id: string; digest: string }>;
let batchOfA1: number;

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
  chain = await startTestChain();
  await start();
});

afterAll(async () => {
  await service()?.stop("SIGKILL");
  await chain?.stop();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`access control in the running service (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  it("prints the admin key once on the first start and saves it to DATA_DIR/admin.key, mode 0600", async () => {
    adminKey = await printedAdminKey(service());
    secrets.push(adminKey);
    const file = join(dir, "admin.key");
    expect(BOOTSTRAP_BLOCK_RE.exec(service().output())?.[2]).toBe(file);
    expect(readFileSync(file, "utf8")).toBe(`${adminKey}\n`);
    expect(readAdminKey(dir)).toBe(adminKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect((await as(adminKey)("GET", "/v1/me")).body).toMatchObject({ principalId: "admin", kind: "admin" });
    const anonymous = await as(undefined)("GET", "/v1/me");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toBe("application/problem+json");
  });

  it("lets the admin create two tenants and two verifiers with a key each", async () => {
    tenantA = await createPrincipal(service().url, adminKey, "tenant", "platform-a");
    tenantB = await createPrincipal(service().url, adminKey, "tenant", "platform-b");
    court1 = await createPrincipal(service().url, adminKey, "verifier", "court-1");
    court2 = await createPrincipal(service().url, adminKey, "verifier", "court-2");
    secrets.push(tenantA.key, tenantB.key, court1.key, court2.key);
    for (const [p, kind] of [[tenantA, "tenant"], [tenantB, "tenant"], [court1, "verifier"], [court2, "verifier"]] as const) {
      expect((await as(p.key)("GET", "/v1/me")).body).toEqual({ principalId: p.id, kind, keyId: p.keyId });
    }
    // Only admins manage principals: a tenant asking is told its role may not (403).
    expect((await as(tenantA.key)("POST", "/v1/tenants", { id: "platform-x", name: "x" })).status).toBe(403);

    items.a1 = await submit(tenantA.key, "case-a-1");
    items.a1b = await submit(tenantA.key, "case-a-1");
    items.a2 = await submit(tenantA.key, "case-a-2");
    const proof = await anchored(tenantA.key, items.a1.id);
    await anchored(tenantA.key, items.a1b.id);
    batchOfA1 = proof.batch!.seq;
    expect(proof.evidence.meta.submitter).toBe("platform-a");
    // B submits only once A's items are sealed: A's batch then holds nothing of B's.
    items.b1 = await submit(tenantB.key, "case-b-1");
  });

  it("answers a tenant's reads of another tenant's data with the 404 of an id that does not exist", async () => {
    const a = as(tenantA.key);
    const b = as(tenantB.key);
    const reads: [string, string][] = [
      [`/v1/evidence/${items.a1.id}`, `/v1/evidence/${randomUUID()}`],
      [`/v1/evidence/${items.a1.id}/proof`, `/v1/evidence/${randomUUID()}/proof`],
      ["/v1/cases/platform-a/case-a-1/proofs", "/v1/cases/platform-a/no-such-case/proofs"],
      [`/v1/batches/${batchOfA1}`, "/v1/batches/999999"],
    ];
    for (const [path, missing] of reads) {
      expect((await a("GET", path)).status, `A reads its own ${path}`).toBe(200);
      const theirs = await b("GET", path);
      const nothing = await b("GET", missing);
      expect(theirs.status, `B reads ${path}`).toBe(404);
      expect(theirs.headers.get("content-type")).toBe("application/problem+json");
      expect(problem(theirs.body), path).toEqual(problem(nothing.body));
    }
    // A lookup by digest finds only the caller's own items.
    expect((await a("GET", `/v1/evidence?digest=${items.a1.digest}`)).body.items).toHaveLength(1);
    expect((await b("GET", `/v1/evidence?digest=${items.a1.digest}`)).body).toEqual({ items: [] });
    // B can neither disclose A's case nor read it through the case route with B's own id.
    expect((await b("POST", "/v1/disclosures", { caseId: "case-a-1", tenantId: "platform-a", verifierId: "court-1" })).status).toBe(404);
    expect((await b("GET", "/v1/cases/platform-b/case-a-1/proofs")).status).toBe(404);
    expect((await b("GET", "/v1/cases/platform-b/case-b-1/proofs")).status).toBe(200);
  });

  it("lets a verifier read a case only once it is disclosed to it", async () => {
    const c1 = as(court1.key);
    const c2 = as(court2.key);
    const proofPath = `/v1/evidence/${items.a1.id}/proof`;
    const casePath = "/v1/cases/platform-a/case-a-1/proofs";
    expect((await c1("GET", proofPath)).status).toBe(404);
    expect((await c1("GET", casePath)).status).toBe(404);

    const granted = await as(adminKey)("POST", "/v1/disclosures", { caseId: "case-a-1", tenantId: "platform-a", verifierId: "court-1" });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);

    const proof = await c1<ProofBundleV1>("GET", proofPath);
    expect(proof.status).toBe(200);
    expect(proof.body.evidence.digest).toBe(items.a1.digest);
    expect(offlineOk(await verifyBundle(proof.body))).toBe(true);
    const all = await c1<{ items: { id: string; proof: ProofBundleV1 }[] }>("GET", casePath);
    expect(all.status).toBe(200);
    expect(all.body.items.map((i) => i.id)).toEqual([items.a1.id, items.a1b.id]);

    // The disclosure is this case of this tenant to this verifier, and nothing more.
    expect((await c2("GET", proofPath)).status).toBe(404);
    expect((await c2("GET", casePath)).status).toBe(404);
    expect((await c1("GET", `/v1/evidence/${items.a2.id}/proof`)).status).toBe(404);
    expect((await c1("GET", "/v1/cases/platform-a/case-a-2/proofs")).status).toBe(404);
    expect((await c1("GET", `/v1/evidence/${items.b1.id}/proof`)).status).toBe(404);
    expect((await c1("GET", "/v1/cases/platform-b/case-b-1/proofs")).status).toBe(404);
    // Verifiers read proofs, not the items' records: their role may not use that route.
    expect((await c1("GET", `/v1/evidence/${items.a1.id}`)).status).toBe(403);
  });

  it("stops honouring a disclosure when it expires, without a restart", async () => {
    const c2 = as(court2.key);
    const casePath = "/v1/cases/platform-a/case-a-2/proofs";
    const pid = service().proc.pid;
    const expiresAt = new Date(Date.now() + 4000);
    // Granted by the owning platform itself, for its own case.
    const granted = await as(tenantA.key)<{ id: string; status: string }>("POST", "/v1/disclosures", {
      caseId: "case-a-2",
      verifierId: "court-2",
      expiresAt: expiresAt.toISOString(),
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    const before = await c2("GET", casePath);
    expect(Date.now(), "the machine was too slow to read before the expiry").toBeLessThan(expiresAt.getTime());
    expect(before.status).toBe(200);

    // Polling is the only way to see an expiry from outside.
    await waitFor("the disclosure to expire", async () => (await c2("GET", casePath)).status === 404, 20_000);
    // Our clock read after the answer is no earlier than the server's when it decided.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect((await c2("GET", `/v1/evidence/${items.a2.id}/proof`)).status).toBe(404);
    expect((await as(adminKey)("GET", `/v1/disclosures/${granted.body.id}`)).body.status).toBe("expired");
    expect(service().proc.pid).toBe(pid);
    expect(service().proc.exitCode).toBeNull();
  });

  it("refuses a revoked key at once, with the same 401 as an unknown key", async () => {
    const second = await as(adminKey)<{ id: string; key: string }>("POST", "/v1/keys", { principalId: "platform-b", label: "rotation" });
    expect(second.status).toBe(201);
    secrets.push(second.body.key);
    revokedKeyId = second.body.id;
    const rotated = as(second.body.key);
    expect((await rotated("GET", "/v1/me")).status).toBe(200);

    expect((await as(adminKey)("POST", `/v1/keys/${second.body.id}/revoke`)).status).toBe(200);
    const refused = await rotated("POST", "/v1/evidence", { digest: digest() });
    expect(refused.status).toBe(401);
    const unknown = generateKey().key;
    secrets.push(unknown);
    const alsoRefused = await as(unknown)("POST", "/v1/evidence", { digest: digest() });
    expect(alsoRefused.status).toBe(401);
    expect(refused.body).toEqual(alsoRefused.body);
    // A near miss of a real key: malformed (its checksum fails), and refused the same way.
    const nearMiss = adminKey.slice(0, -1) + (adminKey.endsWith("a") ? "b" : "a");
    secrets.push(nearMiss);
    expect((await as(nearMiss)("GET", "/v1/me")).status).toBe(401);
    // The tenant's other key is untouched.
    expect((await as(tenantB.key)("GET", "/v1/me")).status).toBe(200);
  });

  it("names the audit row that was edited in the database", async () => {
    const admin = () => as(adminKey);
    const intact = await admin()("GET", "/v1/audit/verify");
    expect(intact.status).toBe(200);
    expect(intact.body).toMatchObject({ valid: true, firstBroken: null });

    const log = await admin()<{ items: { seq: number; action: string; details: Record<string, unknown> }[] }>("GET", "/v1/audit?limit=1000");
    const grant = log.body.items.find((e) => e.action === "disclosure.granted" && e.details.verifierId === "court-1");
    expect(grant?.details).toMatchObject({ tenantId: "platform-a", caseId: "case-a-1" });
    const seq = grant!.seq;
    expect(intact.body.entries).toBeGreaterThan(seq + 1); // mid-chain: entries follow it
    // Rewrite history: claim the case went to the other court.
    const edit = sql`update audit_log set details = jsonb_set(details, '{verifierId}', '"court-2"') where seq = ${seq}`;
    if (database) {
      // PostgreSQL: edited behind the running service's back.
      await database.db.execute(edit);
    } else {
      // PGlite: one process at a time, so stop the service, edit its data dir, start it again.
      expect(await service().stop("SIGINT")).toBe(0);
      const db = await createDb({ dataDir: join(dir, "pglite") });
      try {
        await db.db.execute(edit);
      } finally {
        await db.close();
      }
      await start();
    }
    const broken = await admin()("GET", "/v1/audit/verify");
    expect(broken.status).toBe(200);
    expect(broken.body.valid).toBe(false);
    expect(broken.body.firstBroken.seq, JSON.stringify(broken.body.firstBroken)).toBe(seq);
  });

  it("prints no key on a later start of the same DATA_DIR, and admin.key still opens the API", async () => {
    // The PGlite run has restarted already (to edit the audit row); the PostgreSQL one has not.
    if (starts.length === 1) await restart();
    const later = service();
    expect(readAdminKey(dir)).toBe(adminKey);
    expect((await as(readAdminKey(dir))("GET", "/v1/me")).body).toMatchObject({ principalId: "admin" });
    expect((await as(tenantA.key)("GET", `/v1/evidence/${items.a1.id}`)).status).toBe(200);
    // Stopped, so its output is complete.
    expect(await later.stop("SIGINT")).toBe(0);
    expect(later.output()).toContain("listening on");
    // The banner says what it is bound to (the helper binds 127.0.0.1), not only a URL.
    expect(later.output()).toMatch(/\n {2}bound to: 127\.0\.0\.1:\d+ only\n/);
    expect(later.output()).not.toContain("first start");
    expect(later.output().match(KEY_LIKE_RE)).toBeNull();
  });

  it("never writes a key to a log line", async () => {
    for (const s of starts) await s.stop("SIGINT");
    const first = starts[0]!.output();
    const block = BOOTSTRAP_BLOCK_RE.exec(first)![0];
    // The one place a key may appear: the bootstrap block, once.
    const outputs = [first.replace(block, ""), ...starts.slice(1).map((s) => s.output())];
    const all = outputs.join("\n");
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) {
      // The secret part alone (after "evk_<id>_") must not be there either.
      expect(all.includes(secret.slice(17)), `a key (id ${secret.slice(4, 16)}) was written to the output`).toBe(false);
    }
    expect(all.match(KEY_LIKE_RE)).toBeNull();
    // What was scanned is the real log: JSON lines, among them the refused revoked key by its public id.
    const lines = all.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.some((l) => l.includes('"msg":"authentication failed"') && l.includes(revokedKeyId))).toBe(true);
  });
});
