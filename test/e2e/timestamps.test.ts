// RFC 3161 end to end, two real services: A is the time-stamping authority (POST /v1/tsa, its
// certificates self-issued on first start), B seals and anchors with TSA_URL pointing at A
// (with a tenant key of A as TSA_AUTHORIZATION), so every batch root of B gets a token from
// A. While A is down, B seals and anchors as ever and says in /readyz why tokens wait; once A
// is back on the same data dir (same certificates), the batch it missed gets its token.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { checkToken } from "../../src/verify/timestamp.ts";
import { freePort, startTestChain } from "../helpers/chain.ts";
import {
  anchoringEnv,
  apiClient,
  createPrincipal,
  readAdminKey,
  spawnService,
  tempDir,
  waitFor,
  type ApiCall,
  type ServiceProcess,
} from "../helpers/service.ts";

const HAS_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

const dirA = tempDir("evidence-tsa-a-");
const dirB = tempDir("evidence-tsa-b-");
let chainA: LocalNode;
let chainB: LocalNode;
let portA: number;
let a: ServiceProcess | undefined;
let b: ServiceProcess | undefined;
let tenantOfA: string;
let bAsTenant: ApiCall;
let bAsAdmin: ApiCall;

const startA = async () =>
  spawnService(anchoringEnv({ dataDir: join(dirA, "data"), nodeUrl: chainA.url }, { PORT: String(portA) }));

interface BatchView {
  root: string;
  status: string;
  timestamp: { tsa: string; genTime: string; token: string; tsaName: string } | null;
}

/** Submits a digest to B and waits until its batch is anchored; returns the batch seq. */
async function anchoredOnB(): Promise<number> {
  const digest = "0x" + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  const sent = await bAsTenant<{ id: string }>("POST", "/v1/evidence", { digest });
  expect(sent.status).toBe(202);
  return waitFor("the item anchored on B", async () => {
    const item = await bAsTenant<{ status: string; batch: { seq: number } | null }>("GET", `/v1/evidence/${sent.body.id}`);
    return item.body.status === "anchored" ? item.body.batch!.seq : undefined;
  });
}

beforeAll(async () => {
  [chainA, chainB, portA] = await Promise.all([startTestChain(), startTestChain(), freePort()]);
  a = await startA();
  tenantOfA = (await createPrincipal(a.url, readAdminKey(join(dirA, "data")), "tenant", "batch-roots-of-b")).key;
  b = await spawnService(
    anchoringEnv(
      { dataDir: join(dirB, "data"), nodeUrl: chainB.url },
      { TSA_URL: `${a.url}/v1/tsa`, TSA_AUTHORIZATION: `Bearer ${tenantOfA}`, TSA_RETRY_MS: "200", TSA_TIMEOUT_MS: "2000" },
    ),
  );
  const adminB = readAdminKey(join(dirB, "data"));
  bAsAdmin = apiClient(b.url, adminB);
  bAsTenant = apiClient(b.url, (await createPrincipal(b.url, adminB, "tenant", "platform")).key);
}, 240_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([chainA?.stop(), chainB?.stop()]);
});

describe("TSA_URL: another instance time-stamps every batch root", () => {
  it("keeps A's token over each of B's batch roots, checkable with A's published CA", async () => {
    const seq = await anchoredOnB();
    const view = await waitFor("the batch's token", async () => {
      const r = await bAsAdmin<BatchView>("GET", `/v1/batches/${seq}`);
      return r.body.timestamp ? r.body : undefined;
    });
    expect(view.timestamp!.tsa).toBe(`${a!.url}/v1/tsa`);
    expect(view.timestamp!.tsaName).toBe("CN=Evidence service Time-Stamping Authority, O=Evidence service");
    const token = new Uint8Array(Buffer.from(view.timestamp!.token, "base64"));
    const info = await checkToken(token, { hashedMessage: Buffer.from(view.root.slice(2), "hex") });
    expect(info.genTime.toISOString()).toBe(view.timestamp!.genTime);

    // The two services have identities of their own; A's CA vouches for the token.
    const caA = await (await fetch(`${a!.url}/.well-known/evidence-ca.pem`)).text();
    const caB = await (await fetch(`${b!.url}/.well-known/evidence-ca.pem`)).text();
    expect(caA).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(caA).not.toBe(caB);
    if (HAS_OPENSSL) {
      writeFileSync(join(dirA, "ca.pem"), caA);
      writeFileSync(join(dirA, "batch.tst"), token);
      const v = spawnSync("openssl", ["ts", "-verify", "-token_in", "-in", join(dirA, "batch.tst"), "-digest", view.root.slice(2), "-CAfile", join(dirA, "ca.pem")]);
      expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
    }
  });

  it("seals and anchors while A is down, says why tokens wait, and catches up when A is back", async () => {
    await a!.stop();
    const seq = await anchoredOnB();
    const ready = await waitFor("readyz to name the held-back tokens", async () => {
      const r = await fetch(`${b!.url}/readyz`);
      const body = (await r.json()) as { status: string; reasons?: string[] };
      return body.reasons?.some((x) => /batch time-stamps/.test(x)) ? { status: r.status, body } : undefined;
    });
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe("degraded");
    expect((await bAsAdmin<BatchView>("GET", `/v1/batches/${seq}`)).body).toMatchObject({ status: "anchored", timestamp: null });

    a = await startA();
    const view = await waitFor(
      "the missed batch's token",
      async () => {
        const r = await bAsAdmin<BatchView>("GET", `/v1/batches/${seq}`);
        return r.body.timestamp ? r.body : undefined;
      },
      60_000,
    );
    await checkToken(new Uint8Array(Buffer.from(view.timestamp!.token, "base64")), { hashedMessage: Buffer.from(view.root.slice(2), "hex") });
  });
});
