// Reports carry the RFC 3161 tokens over their batch roots (the second clock): the real app on
// a real chain, its sealed batches stamped by a real authority over HTTP (the service's own
// TimeStampAuthority, whose CA /.well-known/evidence-ca.pem publishes, as a second instance's
// /v1/tsa would answer). The report states each token, checked at generation, in English and
// Chinese; `evidence verify-report` checks it again against the CA the user trusts (the
// published one, or --tsa-ca), and says NOT VALID for a token over another hash or from an
// untrusted authority, COULD NOT VERIFY when the CA cannot be fetched. openssl ts -verify,
// where present, agrees with the pkijs checks.
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { runEvidence } from "../../src/cli/evidence.ts";
import { loadIdentity } from "../../src/pki/identity.ts";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { insertBatchTimestamp } from "../../src/store/timestamps.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { IMPRINT_ALGORITHMS } from "../../src/verify/timestamp-algorithms.ts";
import { BatchStamper } from "../../src/tsa/batch-stamper.ts";
import { buildTimeStampQuery, parseTimeStampQuery } from "../../src/tsa/query.ts";
import { checkToken, tokenOfResponse } from "../../src/verify/timestamp.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";
import { pdfPageTexts } from "../helpers/pdf-tools.ts";
import { tempDir } from "../helpers/service.ts";

const HAS_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

let h: ApiHarness & { node: LocalNode };
const dir = tempDir("report-stamps-");
let server: Server;
let tsaUrl: string;
/** The CA of another authority than the service's: its tokens are not trusted by the published CA. */
let otherCaPem: string;
let stampedSeqs: number[];
let liarSeq: number;

async function submit(caseId: string, n: number): Promise<number> {
  const items = Array.from({ length: n }, (_, i) => ({ digest: randomDigest(), caseId, eventType: `step-${i}` }));
  const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
  expect(res.status).toBe(202);
  const { items: got } = (await res.json()) as { items: { id: string }[] };
  await h.batcher.tick();
  const item = (await (await h.app.request(`/v1/evidence/${got[0]!.id}`)).json()) as { batch: { seq: number } };
  return item.batch.seq;
}

async function report(caseId: string, language: "en" | "zh-CN"): Promise<{ id: string; text: string; json: EvidenceReportV1 }> {
  const res = await h.rawApp.request("/v1/reports", jsonRequest("POST", { tenantId: TEST_TENANT, caseId, purpose: "test", requestedBy: "tester", language }, bearer(h.keys.admin)));
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const text = await (await h.rawApp.request(`/v1/reports/${id}`, { headers: bearer(h.keys.admin) })).text();
  return { id, text, json: JSON.parse(text) as EvidenceReportV1 };
}

/** The PDF's text, spaces collapsed (line breaks and runs of spaces differ between extractors). */
async function pdfText(id: string): Promise<string> {
  const res = await h.rawApp.request(`/v1/reports/${id}/pdf`, { headers: bearer(h.keys.admin) });
  expect(res.status).toBe(200);
  const file = join(dir, `${id}.pdf`);
  writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
  return (await pdfPageTexts(file)).join("\n").replace(/\s+/g, " ");
}
const pdfTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, iso.endsWith(".000Z") ? 19 : 23)}`;

/** The CLI in-process; the report's origin (http://localhost) is the app, unless `serviceDown`: then it is a real closed port 80. */
async function run(args: string[], serviceDown = false): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runEvidence(args, {
    env: {},
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    cwd: dir,
    fetch: ((url: string | URL, init?: RequestInit) =>
      new URL(String(url)).hostname === "localhost" && !serviceDown ? h.rawApp.request(String(url), init) : fetch(url, init)) as typeof fetch,
  });
  return { code, out, err };
}

function opensslVerify(tokenB64: string, rootHex: string, caPem: string): { status: number | null; text: string } {
  writeFileSync(join(dir, "batch.tst"), Buffer.from(tokenB64, "base64"));
  writeFileSync(join(dir, "ca-for-openssl.pem"), caPem);
  const v = spawnSync("openssl", ["ts", "-verify", "-token_in", "-in", join(dir, "batch.tst"), "-digest", rootHex.slice(2), "-CAfile", join(dir, "ca-for-openssl.pem")]);
  return { status: v.status, text: `${v.stdout}${v.stderr}` };
}

beforeAll(async () => {
  h = await apiHarnessOnChain();
  const tsa = h.deps.tsa!;
  let serial = 1;
  // The authority over HTTP, as the stamper meets any other.
  const port = await freePort();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      tsa
        .issue({ query: parseTimeStampQuery(new Uint8Array(Buffer.concat(chunks)), tsa.policy), serial: Uint8Array.of(serial++), genTime: new Date() })
        .then((body) => res.writeHead(200, { "content-type": "application/timestamp-reply" }).end(body))
        .catch((e: Error) => res.writeHead(500).end(e.message));
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  tsaUrl = `http://127.0.0.1:${port}/tsr`;

  // Case "stamped": two batches, each stamped through the real BatchStamper.
  stampedSeqs = [await submit("stamped", 2), await submit("stamped", 1)];
  const stamper = new BatchStamper({ db: h.database.db, url: tsaUrl, timeoutMs: 5000, retryMs: 60_000, log: h.log });
  expect(await stamper.runOnce()).toMatchObject({ failed: false });
  // Case "liar": its batch's kept token is over another hash, signed by the same authority
  // (the stamper would refuse it; written straight to the table, as a tampered row would be).
  liarSeq = await submit("liar", 1);
  const other = new Uint8Array(32).fill(7);
  const token = tokenOfResponse(
    await tsa.issue({ query: parseTimeStampQuery(buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, other, Uint8Array.of(1, 2, 3)), tsa.policy), serial: Uint8Array.of(99), genTime: new Date() }),
  );
  const info = await checkToken(token);
  expect(
    await insertBatchTimestamp(h.database.db, { batchSeq: liarSeq, createdAt: new Date(), tsaUrl, token, genTime: info.genTime, serialNumber: info.serialNumber, policy: info.policy, tsaName: info.signerName }),
  ).toBe(true);
  // Case "plain": a batch without a token.
  await submit("plain", 1);

  const other_ = await loadIdentity({ dir: join(dir, "other-pki"), name: { commonName: "other", organization: "Other TSA" } });
  otherCaPem = other_.caPem;
  writeFileSync(join(dir, "other-ca.pem"), otherCaPem);
  writeFileSync(join(dir, "keys.json"), await (await h.rawApp.request("/.well-known/evidence-keys.json")).text());
}, 120_000);
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await h?.close();
});

describe(`batch-root time-stamps in reports on ${describeDbKind()}`, () => {
  let good: { id: string; text: string; json: EvidenceReportV1 };

  it("a report states each event's batch token, checked at generation, beside the anchor's time", async () => {
    good = await report("stamped", "en");
    writeFileSync(join(dir, "good.json"), good.text);
    expect(good.json.verdict.ok, good.json.verdict.sentence).toBe(true);
    expect(good.json.events).toHaveLength(3);
    const caPem = await (await h.rawApp.request("/.well-known/evidence-ca.pem")).text();
    for (const e of good.json.events) {
      const s = e.verification.batchTimestamp!;
      expect(s, `event ${e.n}`).toMatchObject({ ok: true, tsa: tsaUrl, batchSeq: e.proof.batch!.seq, imprint: e.proof.batch!.root });
      expect(s.authority).toMatch(/Time-Stamping Authority/);
      expect(s.detail).toContain(`RFC 3161 time-stamp of the batch root: ${s.time} UTC by ${s.authority}`);
      expect(s.detail).toContain(`the anchor's block time is ${e.verification.anchoredAt} UTC`);
      // The token itself, checked here without the service: pkijs, and openssl where present.
      const info = await checkToken(new Uint8Array(Buffer.from(s.token, "base64")), { hashedMessage: Buffer.from(s.imprint.slice(2), "hex") });
      expect(info.genTime.toISOString()).toBe(s.time);
      if (HAS_OPENSSL) {
        const v = opensslVerify(s.token, s.imprint, caPem);
        expect(v.status, v.text).toBe(0);
        // …and openssl refuses it against another root.
        expect(opensslVerify(s.token, `0x${"00".repeat(32)}`, caPem).status).not.toBe(0);
      }
    }
    expect(new Set(good.json.events.map((e) => e.verification.batchTimestamp!.batchSeq))).toEqual(new Set(stampedSeqs));
  });

  it("the PDF has one line per event for the token, with its time and authority", async () => {
    const text = await pdfText(good.id);
    for (const e of good.json.events) {
      const s = e.verification.batchTimestamp!;
      expect(text, `event ${e.n}`).toContain(`RFC 3161 time-stamp of the batch root: ${pdfTime(s.time)} UTC by ${s.authority} ✓`);
    }
    expect(text.match(/RFC 3161 time-stamp of the batch root: /g)).toHaveLength(3);
  });

  it("says so in Chinese in a Chinese report, and in its PDF", async () => {
    const zh = await report("stamped", "zh-CN");
    const s = zh.json.events[0]!.verification.batchTimestamp!;
    expect(s.ok).toBe(true);
    expect(s.detail).toMatch(/^批次根的 RFC 3161 时间戳：.* UTC，由 .* 签发；其签名、签名证书哈希（ESSCertID）与消息印记（即批次根）均核验通过；链上锚定区块时间为 /);
    expect(await pdfText(zh.id)).toContain(`批次根的 RFC 3161 时间戳：${pdfTime(s.time)} UTC，由 ${s.authority} 签发 ✓`);
  });

  it("a batch without a token has null; a kept token over another hash fails the event's check and the report's verdict", async () => {
    const plain = await report("plain", "en");
    expect(plain.json.events[0]!.verification.batchTimestamp).toBeNull();
    expect(plain.json.verdict.ok).toBe(true);
    const liar = await report("liar", "en");
    writeFileSync(join(dir, "liar.json"), liar.text);
    const s = liar.json.events[0]!.verification.batchTimestamp!;
    expect(s).toMatchObject({ ok: false, batchSeq: liarSeq });
    expect(s.detail).toBe("RFC 3161 time-stamp of the batch root does NOT check out: the token's imprint is not the hash that was sent");
    expect(await pdfText(liar.id)).toContain("× RFC 3161 time-stamp of the batch root does NOT check out: the token's imprint is not the hash that was sent");
    expect(liar.json.verdict).toEqual({ ok: false, sentence: "NOT VERIFIED: the RFC 3161 time-stamp of the batch of event 1 of case liar (1 events) does not check out." });
  });

  it("verify-report checks each token against the published CA: ✓ with its time, exit 0", async () => {
    const r = await run(["verify-report", "good.json", "--rpc", h.node.url]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^tsa CA +http:\/\/localhost\/\.well-known\/evidence-ca\.pem$/m);
    const lines = r.out.split("\n").filter((l) => l.includes("time-stamp batch"));
    expect(lines).toHaveLength(2);
    const first = good.json.events[0]!.verification.batchTimestamp!;
    expect(r.out).toContain(`✓ time-stamp batch ${first.batchSeq} (event 1, 2)  ${first.time} (UTC) = `);
    expect(r.out).toMatch(/signature, ESSCertID, certificate path and imprint \(= batch root\) check out/);
    expect(r.out).toMatch(/^VALID: /m);
    const json = JSON.parse((await run(["verify-report", "good.json", "--rpc", h.node.url, "--json"])).out) as {
      verdict: string;
      batchTimestamps: { checked: { ok: boolean; batchSeq: number; events: number[] }[]; unchecked: string | null };
    };
    expect(json.verdict).toBe("valid");
    expect(json.batchTimestamps.unchecked).toBeNull();
    expect(json.batchTimestamps.checked.map((c) => [c.ok, c.batchSeq, c.events])).toEqual([
      [true, stampedSeqs[0], [1, 2]],
      [true, stampedSeqs[1], [3]],
    ]);
  });

  it("a token whose certificate another CA issued: NOT VALID (exit 1), both in pkijs and in openssl", async () => {
    const r = await run(["verify-report", "good.json", "--rpc", h.node.url, "--tsa-ca", "other-ca.pem"]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/✗ time-stamp batch \d+ \(event 1, 2\) .*does not lead to a CA you trust/);
    expect(r.out).toMatch(/^NOT VALID: the RFC 3161 time-stamp of the batch of event 1, 2, 3 did not verify: /m);
    if (HAS_OPENSSL) {
      const s = good.json.events[0]!.verification.batchTimestamp!;
      expect(opensslVerify(s.token, s.imprint, otherCaPem).status).not.toBe(0);
    }
  });

  it("a report holding a token over another hash: NOT VALID (exit 1) though its signature is good", async () => {
    const r = await run(["verify-report", "liar.json", "--rpc", h.node.url]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/✓ signature/);
    expect(r.out).toMatch(new RegExp(`✗ time-stamp batch ${liarSeq} \\(event 1\\) .*the token's imprint 0x0707.* is not the batch root 0x[0-9a-f]{64} of the event's proof`));
  });

  it("a tampered token (one byte): the signature and the token both fail, exit 1", async () => {
    const doc = JSON.parse(readFileSync(join(dir, "good.json"), "utf8")) as EvidenceReportV1;
    const s = doc.events[2]!.verification.batchTimestamp!;
    const der = Buffer.from(s.token, "base64");
    der[der.length - 40]! ^= 0x01; // inside the signature value, at the end of the SignedData
    s.token = der.toString("base64");
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(doc));
    const r = await run(["verify-report", "tampered.json", "--rpc", h.node.url]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/✗ signature/);
    expect(r.out).toMatch(/✗ time-stamp batch \d+ \(event 3\) /);
    expect(r.out).toMatch(/✓ time-stamp batch \d+ \(event 1, 2\) /);
  });

  it("the CA cannot be fetched: COULD NOT VERIFY (exit 3), never NOT VALID", async () => {
    const r = await run(["verify-report", "good.json", "--keys", "keys.json", "--rpc", h.node.url], true);
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.out).toMatch(/\? time-stamps could not be checked: cannot fetch the CA from http:\/\/localhost\/\.well-known\/evidence-ca\.pem/);
    expect(r.out).toMatch(/^COULD NOT VERIFY: the RFC 3161 time-stamps of the batch roots could not be checked/m);
    // Saved, it checks offline as well.
    writeFileSync(join(dir, "ca.pem"), await (await h.rawApp.request("/.well-known/evidence-ca.pem")).text());
    expect((await run(["verify-report", "good.json", "--keys", "keys.json", "--rpc", h.node.url, "--tsa-ca", "ca.pem"], true)).code).toBe(0);
    // A --tsa-ca file without a certificate is the user's mistake: exit 2, naming it.
    const wrong = await run(["verify-report", "good.json", "--keys", "keys.json", "--rpc", h.node.url, "--tsa-ca", "keys.json"], true);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--tsa-ca keys\.json: no PEM certificate in it/);
  });
});
