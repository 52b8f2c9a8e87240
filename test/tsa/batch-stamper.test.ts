// The second clock over every batch: with an external authority configured, each sealed batch
// root gets an RFC 3161 token, kept once and shown by GET /v1/batches/:seq. The authorities
// here are local: our own TimeStampAuthority behind a small HTTP server, and, where Debian's
// binary is present, `openssl ts -reply` behind another. An authority that is down, answers
// an error or signs the wrong hash holds back nothing but its tokens, and the batches it
// missed are stamped once it is back.
import { execFile, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { loadIdentity } from "../../src/pki/identity.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { BatchStamper } from "../../src/tsa/batch-stamper.ts";
import { parseTimeStampQuery, type TimeStampQuery } from "../../src/tsa/query.ts";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { checkToken } from "../../src/verify/timestamp.ts";
import { batchesWithoutTimestamp, getBatchTimestamp, insertBatchTimestamp } from "../../src/store/timestamps.ts";
import { serve, type ServerType } from "@hono/node-server";
import { createApp } from "../../src/api/app.ts";
import { apiHarness, apiHarnessOnChain, jsonRequest, randomDigest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";
import { tempDir } from "../helpers/service.ts";

const HAS_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

let h: ApiHarness & { node: LocalNode };
let dir: string;
const servers: Server[] = [];
/** Our own authority over HTTP (what a second instance's TSA answers, without its API key). */
let ours: string;
let oursCa: string;
/** The same, but it signs the hash of something else. */
let liar: string;
/** Answers HTTP 503. */
let failing: string;

/** An HTTP server on a free port answering each query with `answer`. */
async function authority(answer: (query: Uint8Array) => Promise<{ status: number; body: Uint8Array }>): Promise<string> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      answer(new Uint8Array(Buffer.concat(chunks)))
        .then(({ status, body }) => res.writeHead(status, { "content-type": "application/timestamp-reply" }).end(body))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return `http://127.0.0.1:${port}/tsr`;
}

let serial = 1;
beforeAll(async () => {
  h = await apiHarnessOnChain();
  dir = tempDir("stamper-");
  const pki = await loadIdentity({ dir: join(dir, "pki"), name: { commonName: "external", organization: "Test TSA" } });
  oursCa = pki.caPem;
  const tsa = new TimeStampAuthority(pki.tsa, "1.2.3.4.1");
  // Serials with a zero byte first: DER wants it dropped, and openssl checks that it was.
  const issue = (query: TimeStampQuery) => tsa.issue({ query, serial: Uint8Array.of(0, serial++), genTime: new Date() });
  ours = await authority(async (q) => ({ status: 200, body: await issue(parseTimeStampQuery(q, tsa.policy)) }));
  liar = await authority(async (q) => {
    const query = parseTimeStampQuery(q, tsa.policy);
    const other = Uint8Array.from(query.hashedMessage, (b) => b ^ 0xff);
    const messageImprint = new pkijs.MessageImprint({
      hashAlgorithm: query.messageImprint.hashAlgorithm,
      hashedMessage: new asn1js.OctetString({ valueHex: other }),
    });
    return { status: 200, body: await issue({ ...query, messageImprint, hashedMessage: other }) };
  });
  failing = await authority(async () => ({ status: 503, body: new Uint8Array() }));
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  await h?.close();
});

async function sealOne(): Promise<number> {
  const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest() }));
  const { id } = (await res.json()) as { id: string };
  await h.batcher.tick();
  const item = (await (await h.app.request(`/v1/evidence/${id}`)).json()) as { batch: { seq: number } };
  return item.batch.seq;
}

const stamper = (url: string, retryMs = 60_000, authorization?: string) =>
  new BatchStamper({ db: h.database.db, url, authorization, timeoutMs: 2000, retryMs, log: h.log });

describe(`batch-root time-stamps on ${describeDbKind()}`, () => {
  it("keeps a checked token for every sealed batch, shown by GET /v1/batches/:seq", async () => {
    const seq = await sealOne();
    const r = await stamper(ours).runOnce();
    expect(r).toMatchObject({ failed: false });
    expect(r.stamped).toBeGreaterThanOrEqual(1);
    const view = (await (await h.app.request(`/v1/batches/${seq}`)).json()) as {
      root: string;
      status: string;
      timestamp: { tsa: string; genTime: string; token: string; policy: string; tsaName: string; serialNumber: string };
    };
    expect(view.status).toBe("anchored");
    expect(view.timestamp).toMatchObject({ tsa: ours, policy: "1.2.3.4.1", tsaName: "CN=external Time-Stamping Authority, O=Test TSA" });
    const token = new Uint8Array(Buffer.from(view.timestamp.token, "base64"));
    const info = await checkToken(token, { hashedMessage: Buffer.from(view.root.slice(2), "hex") });
    expect(info.genTime.toISOString()).toBe(view.timestamp.genTime);
    if (HAS_OPENSSL) {
      writeFileSync(join(dir, "batch.tst"), token);
      writeFileSync(join(dir, "ca.pem"), oursCa);
      const v = spawnSync("openssl", ["ts", "-verify", "-token_in", "-in", join(dir, "batch.tst"), "-digest", view.root.slice(2), "-CAfile", join(dir, "ca.pem")]);
      expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
    }
    // Once kept, never asked for again, and a second insert changes nothing.
    expect(await stamper(ours).runOnce()).toEqual({ stamped: 0, failed: false, more: false });
    const row = (await getBatchTimestamp(h.database.db, seq))!;
    expect(await insertBatchTimestamp(h.database.db, { ...row, token: new Uint8Array(3) })).toBe(false);
    expect((await getBatchTimestamp(h.database.db, seq))!.token).toEqual(row.token);
  });

  it("holds nothing back while the authority is down, refuses a token over the wrong hash, and catches up when it is back", async () => {
    const down = `http://127.0.0.1:${await freePort()}/tsr`;
    for (const [url, reason] of [
      [down, /request failed|no answer/],
      [failing, /HTTP 503/],
      [liar, /imprint is not the hash that was sent/],
    ] as const) {
      const s = stamper(url);
      const seq = await sealOne();
      // Sealing and anchoring went on regardless.
      const view = (await (await h.app.request(`/v1/batches/${seq}`)).json()) as { status: string; timestamp: unknown };
      expect(view).toMatchObject({ status: "anchored", timestamp: null });
      expect(await s.runOnce()).toMatchObject({ stamped: 0, failed: true });
      expect(s.problems().join()).toMatch(reason);
      expect(await getBatchTimestamp(h.database.db, seq)).toBeNull();
    }
    const missed = await batchesWithoutTimestamp(h.database.db, { limit: 100 });
    expect(missed).toHaveLength(3);
    const back = stamper(ours);
    expect(await back.runOnce()).toEqual({ stamped: 3, failed: false, more: false });
    expect(back.problems()).toEqual([]);
    expect(await batchesWithoutTimestamp(h.database.db, { limit: 100 })).toEqual([]);
  });

  it("runs on its own timer: a sealed batch is stamped without anyone asking, and stop() waits for the pass", async () => {
    const s = stamper(ours, 100);
    s.start();
    const seq = await sealOne();
    s.wake();
    const deadline = Date.now() + 10_000;
    while ((await getBatchTimestamp(h.database.db, seq)) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    expect(await getBatchTimestamp(h.database.db, seq)).not.toBeNull();
  });

  it("backs off while the authority fails: sealed batches do not make it ask again before the wait is over", async () => {
    let asked = 0;
    const counting = await authority(async () => {
      asked++;
      return { status: 500, body: new Uint8Array() };
    });
    await sealOne(); // something to ask about, whatever the earlier tests left
    const s = stamper(counting, 5_000);
    s.start();
    const deadline = Date.now() + 5_000;
    while (asked === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) {
      await sealOne();
      s.wake();
    }
    await new Promise((r) => setTimeout(r, 300));
    await s.stop();
    expect(asked).toBe(1);
    expect(s.problems().join()).toMatch(/HTTP 500/);
    // Caught up by a working authority, so the next tests start with nothing waiting.
    expect(await stamper(ours).runOnce()).toEqual({ stamped: 6, failed: false, more: false });
  });

  it("takes tokens from a second instance's POST /v1/tsa, with its tenant key as TSA_AUTHORIZATION", async () => {
    const other = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
    const pki = await loadIdentity({ dir: join(dir, "second-pki"), name: { commonName: "second", organization: "Evidence" } });
    const app = createApp({ ...other.deps, tsa: new TimeStampAuthority(pki.tsa), pki });
    const port = await freePort();
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${port}/v1/tsa`;
      const seq = await sealOne();
      // Without the key the instance refuses (401): a failure like any other, retried later.
      expect(await stamper(url).runOnce()).toMatchObject({ stamped: 0, failed: true });
      expect(await stamper(url, 60_000, `Bearer ${other.keys.tenant}`).runOnce()).toMatchObject({ stamped: 1, failed: false });
      const row = (await getBatchTimestamp(h.database.db, seq))!;
      expect(row.tsaName).toBe("CN=second Time-Stamping Authority, O=Evidence");
      // The root is now evidence of the second instance's tenant too, its id the token's serial.
      const root = (await (await h.app.request(`/v1/batches/${seq}`)).json()) as { root: string };
      const found = (await (await other.app.request(`/v1/evidence?digest=${root.root}`)).json()) as { items: { id: string }[] };
      expect(found.items.map((i) => i.id.replaceAll("-", ""))).toEqual([row.serialNumber.padStart(32, "0")]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await other.close();
    }
  });

  it("takes tokens from an outside authority of another make: openssl ts -reply (another identity and policy without it)", async () => {
    if (!HAS_OPENSSL) {
      // No Debian openssl on this machine: the same steps against an authority of another
      // identity and policy, so that what is kept is checked as the outside one's.
      const pki = await loadIdentity({ dir: join(dir, "fallback-pki"), name: { commonName: "fallback", organization: "Test TSA" } });
      const other = new TimeStampAuthority(pki.tsa, "1.2.3.4.2");
      const url = await authority(async (q) => ({
        status: 200,
        body: await other.issue({ query: parseTimeStampQuery(q, other.policy), serial: Uint8Array.of(serial++), genTime: new Date() }),
      }));
      const seq = await sealOne();
      expect(await stamper(url).runOnce()).toMatchObject({ stamped: 1, failed: false });
      expect(await getBatchTimestamp(h.database.db, seq)).toMatchObject({ policy: "1.2.3.4.2", tsaUrl: url });
      expect(unhandled(h.log)).toEqual([]);
      return;
    }
    const pki = await loadIdentity({ dir: join(dir, "openssl-pki"), name: { commonName: "openssl", organization: "Test TSA" } });
    writeFileSync(join(dir, "serial"), "01\n");
    writeFileSync(
      join(dir, "tsa.cnf"),
      [
        "[ tsa ]",
        "default_tsa = tsa_config1",
        "[ tsa_config1 ]",
        `serial = ${join(dir, "serial")}`,
        "crypto_device = builtin",
        `signer_cert = ${pki.tsa.certFile}`,
        `signer_key = ${pki.tsa.keyFile}`,
        "signer_digest = sha256",
        "default_policy = 1.2.3.4.2",
        "digests = sha256, sha384, sha512",
        "accuracy = secs:1",
        "ordering = no",
        "tsa_name = yes",
        "ess_cert_id_alg = sha256",
        "",
      ].join("\n"),
    );
    let n = 0;
    const url = await authority(async (q) => {
      const qf = join(dir, `q${++n}.tsq`);
      writeFileSync(qf, q);
      await promisify(execFile)("openssl", ["ts", "-reply", "-config", join(dir, "tsa.cnf"), "-queryfile", qf, "-out", `${qf}.tsr`]);
      return { status: 200, body: new Uint8Array(readFileSync(`${qf}.tsr`)) };
    });
    const seq = await sealOne();
    expect(await stamper(url).runOnce()).toMatchObject({ stamped: 1, failed: false });
    expect(await getBatchTimestamp(h.database.db, seq)).toMatchObject({ policy: "1.2.3.4.2", tsaUrl: url });
    expect(unhandled(h.log)).toEqual([]);
  });
});
