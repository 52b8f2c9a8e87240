// POST /v1/tsa through the real app over HTTP: a query made by `openssl ts -query`, sent with
// curl, verified by `openssl ts -verify` against the published CA (and a tampered token
// refused), and in every run also checked with pkijs (signature over the signed attributes,
// ESSCertIDv2 hash of the TSA certificate, imprint, chain to the CA) so the test never depends
// on Debian's binaries. The imprint is the tenant's evidence, anchored, its proof valid; the
// token's serial number is its id. Refused queries answer problem+json and store nothing.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { x509 } from "../../src/pki/x509.ts";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { loadIdentity, type PkiIdentity } from "../../src/pki/identity.ts";
import { IMPRINT_ALGORITHMS } from "../../src/verify/timestamp-algorithms.ts";
import { DEFAULT_TSA_POLICY, TimeStampAuthority } from "../../src/tsa/authority.ts";
import { buildTimeStampQuery } from "../../src/tsa/query.ts";
import { checkToken, tokenOfResponse } from "../../src/verify/timestamp.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { apiHarnessOnChain, bearer, unhandled, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";
import { tempDir } from "../helpers/service.ts";

const HAS_OPENSSL = spawnSync("openssl", ["version"]).status === 0;
const HAS_CURL = spawnSync("curl", ["--version"]).status === 0;

let h: ApiHarness & { node: LocalNode };
let pki: PkiIdentity;
let server: ServerType;
let base: string;
let dir: string;

beforeAll(async () => {
  h = await apiHarnessOnChain();
  dir = tempDir("tsa-");
  pki = await loadIdentity({ dir: join(dir, "pki"), name: { commonName: "tsa-test", organization: "Evidence test" } });
  const app = createApp({ ...h.deps, tsa: new TimeStampAuthority(pki.tsa), pki });
  const port = await freePort();
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve(s));
  });
  base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, "ca.pem"), await (await fetch(`${base}/.well-known/evidence-ca.pem`)).text());
}, 60_000);
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await h?.close();
});

const tsaPost = (body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/tsa`, {
    method: "POST",
    headers: { "content-type": "application/timestamp-query", ...bearer(h.keys.tenant), ...headers },
    body: body as Uint8Array<ArrayBuffer>,
  });

const sha = (alg: string, data: Uint8Array | string) => new Uint8Array(createHash(alg).update(data).digest());

/** A query for `file`: made by openssl when it is here (the outside client), else by us. */
function queryFor(file: string, nonce = true): Uint8Array {
  if (HAS_OPENSSL) {
    return new Uint8Array(execFileSync("openssl", ["ts", "-query", "-data", file, "-sha256", "-cert", ...(nonce ? [] : ["-no_nonce"])]));
  }
  return buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, sha("sha256", readFileSync(file)), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
}

/** Checks with pkijs alone what openssl ts -verify checks, and that the signer chains to the published CA. */
async function checkedWithPkijs(reply: Uint8Array, imprint: Uint8Array) {
  const info = await checkToken(tokenOfResponse(reply), { hashedMessage: imprint });
  const signer = new x509.X509Certificate(info.signerCert);
  const [ca] = x509.PemConverter.decode(readFileSync(join(dir, "ca.pem"), "utf8")).map((d) => new x509.X509Certificate(d));
  expect(await signer.verify({ publicKey: ca!.publicKey, signatureOnly: true })).toBe(true);
  const eku = signer.getExtension(x509.ExtendedKeyUsageExtension)!;
  expect(eku.critical).toBe(true);
  expect(eku.usages).toEqual(["1.3.6.1.5.5.7.3.8"]);
  return info;
}

/** The reply with one byte of the signature's last bytes changed. */
function tampered(reply: Uint8Array): Uint8Array {
  const t = Uint8Array.from(reply);
  t[t.length - 3]! ^= 0x01;
  return t;
}

describe(`POST /v1/tsa on ${describeDbKind()}`, () => {
  it("answers a query from openssl ts with a token that openssl ts -verify and pkijs accept, and a tampered one they refuse", async () => {
    const doc = join(dir, "contract.pdf");
    writeFileSync(doc, "电子合同 — the document itself never leaves the platform");
    const query = queryFor(doc);
    writeFileSync(join(dir, "q.tsq"), query);
    let reply: Uint8Array;
    if (HAS_CURL) {
      // The pipeline a platform would run: curl posts the query file as it is. (Not
      // execFileSync: the server answering it runs on this process' event loop.)
      const { stdout } = await promisify(execFile)(
        "curl",
        ["-sS", "--fail-with-body", "-H", "content-type: application/timestamp-query", "-H", `authorization: Bearer ${h.keys.tenant}`,
          "--data-binary", `@${join(dir, "q.tsq")}`, `${base}/v1/tsa`],
        { encoding: "buffer" },
      );
      reply = new Uint8Array(stdout);
    } else {
      const res = await tsaPost(query);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/timestamp-reply");
      reply = new Uint8Array(await res.arrayBuffer());
    }
    writeFileSync(join(dir, "r.tsr"), reply);
    writeFileSync(join(dir, "bad.tsr"), tampered(reply));

    const info = await checkedWithPkijs(reply, sha("sha256", readFileSync(doc)));
    expect(info.algorithm.name).toBe("sha256");
    await expect(checkToken(tokenOfResponse(tampered(reply)), { hashedMessage: info.hashedMessage })).rejects.toThrow(/signature/);

    if (HAS_OPENSSL) {
      const ok = spawnSync("openssl", ["ts", "-verify", "-in", join(dir, "r.tsr"), "-queryfile", join(dir, "q.tsq"), "-CAfile", join(dir, "ca.pem")]);
      expect(ok.stdout.toString(), ok.stderr.toString()).toContain("Verification: OK");
      expect(ok.status).toBe(0);
      const byData = spawnSync("openssl", ["ts", "-verify", "-in", join(dir, "r.tsr"), "-data", doc, "-CAfile", join(dir, "ca.pem")]);
      expect(byData.status, byData.stderr.toString()).toBe(0);
      const bad = spawnSync("openssl", ["ts", "-verify", "-in", join(dir, "bad.tsr"), "-queryfile", join(dir, "q.tsq"), "-CAfile", join(dir, "ca.pem")]);
      expect(bad.status).not.toBe(0);
      expect(bad.stdout.toString()).not.toContain("Verification: OK");
      // Another document does not verify against the token either.
      writeFileSync(join(dir, "other.pdf"), "another document");
      const other = spawnSync("openssl", ["ts", "-verify", "-in", join(dir, "r.tsr"), "-data", join(dir, "other.pdf"), "-CAfile", join(dir, "ca.pem")]);
      expect(other.status).not.toBe(0);
    }
  });

  it("stores the imprint as the tenant's evidence, links it by the serial number, and anchors it", async () => {
    const imprint = sha("sha256", "a document to time-stamp " + Math.random());
    const res = await tsaPost(buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, imprint, Uint8Array.of(0x80, 1, 2, 3)));
    expect(res.status).toBe(200);
    const id = res.headers.get("evidence-id")!;
    expect(res.headers.get("link")).toBe(`</v1/evidence/${id}>; rel="related"`);
    const info = await checkedWithPkijs(new Uint8Array(await res.arrayBuffer()), imprint);
    expect(info.serialNumber.padStart(32, "0")).toBe(id.replaceAll("-", ""));
    // Our policy is a UUID OID (a 128-bit arc): read back whole, not as asn1js' "{hex}".
    expect(info.policy).toBe(DEFAULT_TSA_POLICY);
    expect(info.nonce && Buffer.from(info.nonce).toString("hex")).toMatch(/^0*80010203$/);

    const item = (await (await h.app.request(`/v1/evidence/${id}`)).json()) as Record<string, unknown>;
    expect(item).toMatchObject({ digest: "0x" + Buffer.from(imprint).toString("hex"), hashAlg: "sha256", eventType: "rfc3161-timestamp" });
    expect(new Date(item.receivedAt as string).getTime()).toBe(info.genTime.getTime());

    await h.batcher.tick();
    const bundle = await (await h.app.request(`/v1/evidence/${id}/proof`)).json();
    const verdict = await verifyBundle(bundle, { chain: jsonRpcReader(h.node.url), documentDigest: "0x" + Buffer.from(imprint).toString("hex") });
    expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verdict.valid).toBe(true);
    // And with the independent verifier (Python, stdlib only), against the same chain.
    writeFileSync(join(dir, "tsa-proof.json"), JSON.stringify(bundle));
    const script = join(import.meta.dirname, "..", "independent", "verify_bundle.py");
    const independent = await promisify(execFile)("python3", ["-I", "-S", script, join(dir, "tsa-proof.json"), "--rpc", h.node.url], { encoding: "utf8" });
    // It exits 0 (execFile would reject otherwise) with every step OK, none skipped or failed.
    expect(independent.stdout).not.toMatch(/: (FAIL|SKIP) /);
    expect(independent.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(5);
  });

  it.each([
    ["sha384", 48, "sha256", "rfc3161-timestamp:sha256-of-sha384"],
    ["sha512", 64, "sha256", "rfc3161-timestamp:sha256-of-sha512"],
    ["sm3", 32, "sm3", "rfc3161-timestamp"],
  ] as const)("accepts a %s imprint (%i bytes), stored with hashAlg %s", async (name, length, hashAlg, eventType) => {
    const algorithm = IMPRINT_ALGORITHMS.find((a) => a.name === name)!;
    const imprint = sha(name === "sm3" ? "sm3" : name, "document " + name);
    expect(imprint.length).toBe(length);
    const res = await tsaPost(buildTimeStampQuery(algorithm, imprint, Uint8Array.of(9)));
    expect(res.status).toBe(200);
    const info = await checkedWithPkijs(new Uint8Array(await res.arrayBuffer()), imprint);
    expect(info.algorithm.oid).toBe(algorithm.oid);
    const item = (await (await h.app.request(`/v1/evidence/${res.headers.get("evidence-id")}`)).json()) as Record<string, unknown>;
    const digest = length === 32 ? imprint : sha("sha256", imprint);
    expect(item).toMatchObject({ digest: "0x" + Buffer.from(digest).toString("hex"), hashAlg, eventType });
  });

  it("accepts a query that names its policy", async () => {
    const q = new pkijs.TimeStampReq({
      version: 1,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: IMPRINT_ALGORITHMS[0]!.oid }),
        hashedMessage: new asn1js.OctetString({ valueHex: sha("sha256", "named policy") }),
      }),
      reqPolicy: DEFAULT_TSA_POLICY,
      certReq: true,
    });
    const res = await tsaPost(new Uint8Array(q.toSchema().toBER(false)));
    expect(res.status).toBe(200);
    expect((await checkedWithPkijs(new Uint8Array(await res.arrayBuffer()), sha("sha256", "named policy"))).policy).toBe(DEFAULT_TSA_POLICY);
  });

  it("accepts SHA-512 and SM3 queries too: openssl's when it is here, and always our own builder's", async () => {
    const data = readFileSync(join(dir, "contract.pdf"));
    for (const name of ["sha512", "sm3"] as const) {
      const algorithm = IMPRINT_ALGORITHMS.find((a) => a.name === name)!;
      const res = await tsaPost(buildTimeStampQuery(algorithm, sha(name, data), Uint8Array.of(7)));
      expect(res.status, name).toBe(200);
      const info = await checkedWithPkijs(new Uint8Array(await res.arrayBuffer()), sha(name, data));
      expect(info.algorithm.name).toBe(name);
    }
    if (!HAS_OPENSSL) return; // the outside client's queries, where Debian's openssl is installed
    for (const alg of ["-sha512", "-sm3"]) {
      const made = spawnSync("openssl", ["ts", "-query", "-data", join(dir, "contract.pdf"), alg, "-cert"]);
      if (made.status !== 0) continue; // an OpenSSL build without SM3
      const res = await tsaPost(new Uint8Array(made.stdout));
      expect(res.status, alg).toBe(200);
      writeFileSync(join(dir, `r${alg}.tsr`), new Uint8Array(await res.arrayBuffer()));
      const v = spawnSync("openssl", ["ts", "-verify", "-in", join(dir, `r${alg}.tsr`), "-data", join(dir, "contract.pdf"), alg, "-CAfile", join(dir, "ca.pem")]);
      expect(v.status, `${alg}: ${v.stdout}${v.stderr}`).toBe(0);
    }
  });

  describe("refuses, with problem+json naming the field, and stores nothing", () => {
    const imprint = sha("sha256", "x");
    const sha256 = IMPRINT_ALGORITHMS[0]!;
    /** A TimeStampReq built field by field, for the cases our builder would never make. */
    const rawQuery = (fields: { version?: number; oid?: string; hash?: Uint8Array; policy?: string; nonce?: Uint8Array }) =>
      new Uint8Array(
        new pkijs.TimeStampReq({
          version: fields.version ?? 1,
          messageImprint: new pkijs.MessageImprint({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: fields.oid ?? sha256.oid }),
            hashedMessage: new asn1js.OctetString({ valueHex: fields.hash ?? imprint }),
          }),
          ...(fields.policy ? { reqPolicy: fields.policy } : {}),
          ...(fields.nonce ? { nonce: new asn1js.Integer({ valueHex: fields.nonce }) } : {}),
        })
          .toSchema()
          .toBER(false),
      );

    it.each([
      ["SHA-1", rawQuery({ oid: "1.3.14.3.2.26", hash: new Uint8Array(20) }), 422, "/messageImprint/hashAlgorithm", /SHA-1.*not accepted.*SHA-256, SHA-384, SHA-512 or SM3/],
      ["an unknown algorithm", rawQuery({ oid: "1.2.3.4" }), 422, "/messageImprint/hashAlgorithm", /OID 1\.2\.3\.4 is not accepted/],
      ["a short SHA-256 imprint", rawQuery({ hash: new Uint8Array(31) }), 422, "/messageImprint/hashedMessage", /32 bytes, got 31/],
      ["a SHA-512 OID with 32 bytes", rawQuery({ oid: "2.16.840.1.101.3.4.2.3" }), 422, "/messageImprint/hashedMessage", /64 bytes, got 32/],
      ["version 2", rawQuery({ version: 2 }), 422, "/version", /must be 1/],
      ["another policy", rawQuery({ policy: "1.2.3.4.5" }), 422, "/reqPolicy", /policy 2\.25\.118409227025116390991590385201113723273 only, not 1\.2\.3\.4\.5/],
      ["another UUID policy", rawQuery({ policy: "2.25.1" + "0".repeat(37) }), 422, "/reqPolicy", /not 2\.25\.10{37}$/],
      ["a 33-byte nonce", rawQuery({ nonce: new Uint8Array(33).fill(1) }), 422, "/nonce", /at most 32 bytes/],
      ["JSON", new TextEncoder().encode('{"digest":"0x00"}'), 422, "", /not DER|not a TimeStampReq/],
      ["an empty body", new Uint8Array(), 422, "", /empty/],
      ["trailing bytes", Uint8Array.from([...rawQuery({}), 0, 0]), 422, "", /2 bytes follow/],
    ] as const)("%s", async (_name, body, status, field, reason) => {
      const before = await h.countEvidence();
      const res = await tsaPost(body);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as { errors: { field: string; reason: string }[] };
      expect(problem.errors[0]!.field).toBe(field);
      expect(problem.errors[0]!.reason).toMatch(reason);
      expect(await h.countEvidence()).toBe(before);
    });

    it("the wrong media type (415), a body too large (413), no key (401), a verifier's key (403)", async () => {
      const before = await h.countEvidence();
      const query = rawQuery({});
      const wrongType = await tsaPost(query, { "content-type": "application/octet-stream" });
      expect(wrongType.status).toBe(415);
      expect(((await wrongType.json()) as { detail: string }).detail).toMatch(/application\/timestamp-query/);
      expect((await tsaPost(new Uint8Array(5000))).status).toBe(413);
      const noKey = await fetch(`${base}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: query });
      expect(noKey.status).toBe(401);
      const verifier = await h.principal("verifier", "v-tsa");
      expect((await tsaPost(query, bearer(verifier))).status).toBe(403);
      expect(await h.countEvidence()).toBe(before);
    });
  });

  it("publishes the CA and the TSA certificate as PEM", async () => {
    const ca = await fetch(`${base}/.well-known/evidence-ca.pem`);
    expect(ca.status).toBe(200);
    expect(ca.headers.get("content-type")).toBe("application/x-pem-file");
    const [root] = x509.PemConverter.decode(await ca.text()).map((d) => new x509.X509Certificate(d));
    expect(root!.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    const tsa = await fetch(`${base}/.well-known/evidence-tsa.pem`);
    const [leaf, issuer] = x509.PemConverter.decode(await tsa.text()).map((d) => new x509.X509Certificate(d));
    expect(leaf!.getExtension(x509.ExtendedKeyUsageExtension)?.critical).toBe(true);
    expect(issuer!.equal(root!)).toBe(true);
    expect(unhandled(h.log)).toEqual([]);
  });
});
