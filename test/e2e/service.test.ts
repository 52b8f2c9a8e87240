// End to end: the real service process with its own Hardhat node, on PostgreSQL when
// DATABASE_URL is set (PGlite otherwise), used as a platform would: the operator's bootstrap
// admin key creates a tenant and its API key, and the tenant submits with that key.
// 1,000 digests in; every proof out, verified offline, through POST /v1/verify (public, no
// key), and by the independent Python verifier against the chain; then each tampering
// rejected by both.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { offlineOk, verifyBundle } from "../../src/verify/index.ts";
import { freePort } from "../helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ApiCall, type ServiceProcess } from "../helpers/service.ts";

const run = promisify(execFile);
const PY = "test/independent/verify_bundle.py";

let service: ServiceProcess;
let database: TestDatabase | undefined;
let chainPort: number;
const dir = tempDir();

const digest = () => toHex(new Uint8Array(randomBytes(32)));

const TENANT = "platform-e2e";
/** Requests with the tenant's key; `anyone` sends none (public routes). */
let asTenant: ApiCall;
let anyone: ApiCall;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

async function python(bundle: unknown, rpc?: string): Promise<{ code: number; out: string }> {
  const file = join(dir, `bundle-${randomBytes(6).toString("hex")}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  try {
    const { stdout } = await run("python3", [PY, file, ...(rpc ? ["--rpc", rpc] : [])]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: e.stdout ?? "" };
  }
}

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
  chainPort = await freePort();
  service = await spawnService({
    DATA_DIR: dir,
    DATABASE_URL: database?.url,
    LOCAL_CHAIN_PORT: String(chainPort),
    BATCH_INTERVAL_MS: "300",
    // This file is one client sending thousands of requests a minute (1,000 proofs, each
    // polled until anchored, then verified): the per-key and per-address limits would
    // answer 429. The limits have their own tests (test/api/rate-limit.test.ts).
    RATE_LIMIT_PER_MINUTE: "0",
    PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
  });
  const tenant = await createTenant(service.url, readAdminKey(dir), TENANT);
  asTenant = apiClient(service.url, tenant.key);
  anyone = apiClient(service.url);
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await database?.close();
});

describe(`the running service (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  it("anchors a posted digest and serves a complete proof within 5 seconds", async () => {
    const started = Date.now();
    const { status, body } = await asTenant<{ id: string }>("POST", "/v1/evidence", { digest: digest() });
    expect(status).toBe(202);
    const proof = await waitFor("anchor", async () => {
      const p = (await asTenant<ProofBundleV1>("GET", `/v1/evidence/${body.id}/proof`)).body;
      return p.anchor ? p : null;
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(proof.anchor?.chainId).toBe(31337);
    // The service, not the client, says who submitted it: the key's tenant.
    expect(proof.evidence.meta.submitter).toBe(TENANT);
  });

  let bundles: ProofBundleV1[] = [];

  it("takes 1,000 digests and proves every one, offline, through the API and independently", async () => {
    // 900 through the batch endpoint and 100 one by one, all at once.
    const batchBodies = Array.from({ length: 9 }, () => ({ items: Array.from({ length: 100 }, () => ({ digest: digest(), caseId: "case-42", eventType: "signed" })) }));
    const [batchReplies, singleReplies] = await Promise.all([
      pool(batchBodies, 3, (b) => asTenant<{ items: { id: string }[] }>("POST", "/v1/evidence/batch", b)),
      pool(Array.from({ length: 100 }, () => digest()), 8, (d) =>
        asTenant<{ id: string }>("POST", "/v1/evidence", { digest: d, hashAlg: "sha3-256" }),
      ),
    ]);
    for (const r of [...batchReplies, ...singleReplies]) expect(r.status).toBe(202);
    const ids = [...batchReplies.flatMap((r) => r.body.items.map((i) => i.id)), ...singleReplies.map((r) => r.body.id)];
    expect(new Set(ids).size).toBe(1000);

    bundles = await pool(ids, 8, (id) =>
      waitFor(`anchor of ${id}`, async () => {
        const p = (await asTenant<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`)).body;
        return p.anchor ? p : null;
      }),
    );
    expect(bundles.filter((b) => b.evidence.meta.submitter !== TENANT)).toEqual([]);
    expect(new Set(bundles.map((b) => b.batch!.seq)).size).toBeGreaterThan(1);

    for (const b of bundles) {
      const offline = await verifyBundle(b);
      expect(offlineOk(offline), JSON.stringify(offline.checks)).toBe(true);
    }
    const verdicts = await pool(bundles, 8, (b) => anyone<{ valid: boolean; checks: { name: string; ok: boolean }[] }>("POST", "/v1/verify", b));
    const invalid = verdicts.filter((v) => v.status !== 200 || !v.body.valid);
    expect(invalid.map((v) => v.body)).toEqual([]);

    // The independent verifier (Python, written from the spec page alone) against the chain,
    // on one bundle from every batch.
    const onePerBatch = [...new Map(bundles.map((b) => [b.batch!.seq, b])).values()];
    for (const b of onePerBatch) {
      const r = await python(b, `http://127.0.0.1:${chainPort}`);
      expect(r.code, r.out).toBe(0);
    }
  });

  it("rejects every tampering, through the API and independently", async () => {
    const base = bundles.find((b) => b.batch!.size >= 4 && b.leaf!.index + 1 < b.batch!.size);
    expect(base).toBeDefined();
    const flip = (hex: string) => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");
    // The check that must catch each one. A size change can leave the recomputed root intact
    // (RFC 9162 paths of left-subtree leaves do not depend on the size); the contract's
    // record of the size catches it then (spec step 5).
    const cases: [string, (b: ProofBundleV1) => void, string[]][] = [
      ["salt", (b) => (b.evidence.salt = flip(b.evidence.salt)), ["leaf"]],
      ["digest", (b) => (b.evidence.digest = flip(b.evidence.digest)), ["leaf"]],
      ["a meta field", (b) => (b.evidence.meta.caseId = "case-43"), ["leaf"]],
      ["a path element", (b) => (b.batch!.path[0] = flip(b.batch!.path[0]!)), ["root"]],
      ["leaf index", (b) => (b.leaf!.index += 1), ["root"]],
      ["size", (b) => (b.batch!.size += 1), ["root", "contract"]],
      ["root", (b) => (b.batch!.root = flip(b.batch!.root)), ["root"]],
      ["tx hash", (b) => (b.anchor!.txHash = flip(b.anchor!.txHash)), ["transaction"]],
      ["chain id", (b) => (b.anchor!.chainId = 1), ["chain"]],
    ];
    for (const [what, tamper, checks] of cases) {
      const bundle = structuredClone(base!);
      tamper(bundle);
      const { body } = await anyone<{ valid: boolean; checks: { name: string; ok: boolean; skipped?: boolean }[] }>("POST", "/v1/verify", bundle);
      expect(body.valid, what).toBe(false);
      const failing = body.checks.find((c) => !c.ok && !c.skipped);
      expect(checks, what).toContain(failing?.name);
      const py = await python(bundle, `http://127.0.0.1:${chainPort}`);
      expect(py.code, `${what}: ${py.out}`).toBe(1);
    }
  });

  it("answers /readyz and shuts down cleanly on SIGINT, taking its chain with it", async () => {
    const ready = await anyone<{ status: string; chain: { chainId: number } }>("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.chain.chainId).toBe(31337);
    expect(await service.stop("SIGINT")).toBe(0);
    await expect(fetch(`http://127.0.0.1:${chainPort}`, { method: "POST" })).rejects.toThrow();
  });
});
