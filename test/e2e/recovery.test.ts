// Failure and recovery of the real service process: killed with SIGKILL while digests pour
// in, then restarted (every acknowledged digest must end up anchored, each batch exactly
// once); and a chain that goes away and comes back empty (digests still accepted meanwhile,
// everything re-anchored, and no served proof ever failing verification). A tenant created
// with the first start's admin key submits and reads throughout, with one API key that must
// keep working across the restart.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { anchorInterface } from "../../src/chain/contract.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestChain } from "../helpers/chain.ts";
import { anchoringEnv, apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ApiCall, type ServiceProcess } from "../helpers/service.ts";

let node: LocalNode;
let chainPort: number;
let database: TestDatabase | undefined;
let service: ServiceProcess | undefined;
const dir = tempDir();
/** Keys from the first start (the database keeps them across restarts). */
let adminKey: string | undefined;
let tenantKey: string | undefined;

const digest = () => toHex(new Uint8Array(randomBytes(32)));

async function start(): Promise<ServiceProcess> {
  const s = await spawnService(anchoringEnv({ dataDir: dir, nodeUrl: node.url, databaseUrl: database?.url }));
  adminKey ??= readAdminKey(dir);
  tenantKey ??= (await createTenant(s.url, adminKey, "platform-recovery")).key;
  return s;
}

/** The tenant's requests to the service running now. */
const tenant: ApiCall = (method, path, body) => apiClient(service!.url, tenantKey)(method, path, body);

const post = (path: string, body: unknown) => tenant("POST", path, body);

async function proof(id: string): Promise<ProofBundleV1> {
  const res = await tenant<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`);
  expect(res.status).toBe(200);
  return res.body;
}

async function contractCount(contract: string): Promise<number> {
  const iface = anchorInterface();
  const data = await jsonRpcReader(node.url).call(contract, iface.encodeFunctionData("count"));
  return Number(iface.decodeFunctionResult("count", data)[0]);
}

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
  node = await startTestChain();
  chainPort = Number(new URL(node.url).port);
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await node?.stop();
  await database?.close();
});

describe(`recovery (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  const acknowledged: string[] = [];

  it("loses no acknowledged digest and anchors no batch twice when killed mid-stream", async () => {
    service = await start();
    // Submit steadily from several clients; kill the process once 300 are acknowledged.
    let killed = false;
    const client = async () => {
      while (!killed) {
        try {
          const r = await post("/v1/evidence/batch", { items: Array.from({ length: 10 }, () => ({ digest: digest() })) });
          if (r.status === 202) acknowledged.push(...r.body.items.map((i: { id: string }) => i.id));
        } catch {
          return; // the process is gone: requests in flight get no answer, and count for nothing
        }
        if (acknowledged.length >= 300 && !killed) {
          killed = true;
          service!.proc.kill("SIGKILL");
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await service.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    service = await start();
    const reader = jsonRpcReader(node.url);
    const bundles = [];
    for (const id of acknowledged) {
      const b = await waitFor(`anchor of ${id}`, async () => {
        const p = await proof(id);
        return p.anchor ? p : null;
      });
      bundles.push(b);
    }
    for (const b of bundles) {
      const r = await verifyBundle(b, { chain: reader });
      expect(r.valid, JSON.stringify(r.checks.filter((c) => !c.ok))).toBe(true);
    }
    // Exactly one anchor per batch: the contract holds as many roots as there are batches.
    const seqs = new Set(bundles.map((b) => b.batch!.seq));
    let batches = 0;
    // As the admin: a tenant sees only batches holding its own items, and the service's own
    // evidence (audit-log heads) is anchored in batches of its own too.
    const admin = apiClient(service.url, adminKey);
    while ((await admin("GET", `/v1/batches/${batches}`)).status === 200) batches++;
    expect(batches).toBeGreaterThanOrEqual(seqs.size);
    expect(await contractCount(bundles[0]!.anchor!.contract)).toBe(batches);
  }, 180_000);

  it("keeps accepting digests while the chain is down, and re-anchors everything on a chain that came back empty", async () => {
    const before = (await post("/v1/evidence", { digest: digest() })).body.id as string;
    const anchoredBefore = await waitFor("first anchor", async () => ((await proof(before)).anchor ? proof(before) : null));

    await node.stop();
    const during: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await post("/v1/evidence", { digest: digest() });
      expect(r.status).toBe(202);
      during.push(r.body.id);
    }
    node = await startTestChain(chainPort); // same port, empty chain

    const reader = jsonRpcReader(node.url);
    const ids = [before, ...during, ...acknowledged.slice(0, 20)];
    const dead: string[] = [];
    for (const id of ids) {
      await waitFor(`re-anchor of ${id}`, async () => {
        const p = await proof(id);
        if (!p.anchor) return null;
        // Any proof the service serves must verify against the chain as it is now.
        const r = await verifyBundle(p, { chain: reader });
        if (!r.valid) dead.push(`${id}: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
        return r.valid;
      }, 60_000);
    }
    expect(dead).toEqual([]);
    const after = await proof(before);
    expect(after.anchor!.blockHash).not.toBe(anchoredBefore.anchor!.blockHash);
  }, 180_000);
});
