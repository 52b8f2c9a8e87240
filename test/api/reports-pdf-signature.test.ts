// The report PDF served by the real app is signed (PAdES B-T) with the service's X.509
// document certificate and time-stamped by its own TSA: pdfsig (when installed) and the pkijs
// check both say valid over the whole file, and both refuse it after one byte changes. The
// JSON report says which key signs what. Real database, real Hardhat chain, real identity.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { loadIdentity, type PkiIdentity } from "../../src/pki/identity.ts";
import { x509 } from "../../src/pki/x509.ts";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { checkPdfSignature, PdfSignatureError } from "../../src/reports/pdf-verify.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";
import { tempDir } from "../helpers/service.ts";
import { pdfsig, trustedByCa } from "../reports/pdfsig.ts";

const CASE = "签名-PDF-2026-9";

let h: ApiHarness;
let app: ReturnType<typeof createApp>;
let pki: PkiIdentity;
let dir: string;
let pdf: Uint8Array;
let report: EvidenceReportV1;
let fetchMs: number;

const admin = () => bearer(h.keys.admin);

beforeAll(async () => {
  h = await apiHarnessOnChain();
  dir = tempDir("report-pdf-sig-");
  pki = await loadIdentity({ dir: join(dir, "pki"), name: { commonName: "evidence.test", organization: "Evidence test" } });
  // As src/service.ts wires it: the identity and our own TSA handed to createApp.
  app = createApp({ ...h.deps, pki, tsa: new TimeStampAuthority(pki.tsa) });
  const items = ["uploaded", "signed"].map((eventType) => ({ digest: randomDigest(), caseId: CASE, eventType }));
  expect((await app.request("/v1/evidence/batch", jsonRequest("POST", { items }, bearer(h.keys.tenant)))).status).toBe(202);
  await h.batcher.tick();
  const res = await app.request("/v1/reports", jsonRequest("POST", { tenantId: TEST_TENANT, caseId: CASE, purpose: "PDF signature test", requestedBy: "Clerk Li" }, admin()));
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as { links: { json: string; pdf: string } };
  report = (await (await app.request(created.links.json, { headers: admin() })).json()) as EvidenceReportV1;
  const t0 = performance.now();
  const got = await app.request(created.links.pdf, { headers: admin() });
  fetchMs = performance.now() - t0;
  expect(got.status).toBe(200);
  expect(got.headers.get("content-type")).toBe("application/pdf");
  pdf = new Uint8Array(await got.arrayBuffer());
});
afterAll(() => h?.close());

const trusted = () => x509.PemConverter.decode(pki.caPem).map((b) => new Uint8Array(b));

describe(`the report PDF's signature through the app on ${describeDbKind()}`, () => {
  it("is valid over the whole file for pdfsig (when installed) and for the pkijs check", async () => {
    const file = join(dir, "report.pdf");
    writeFileSync(file, pdf);
    const res = await pdfsig(file);
    if (res !== null) {
      expect(res.validation, res.output).toBe("Signature is Valid.");
      expect(res.coverage, res.output).toBe("Total document signed");
      expect(res.output).toContain("Signer Certificate Common Name: evidence.test Document Signing");
    }
    const t = await checkPdfSignature(pdf, { trusted: trusted() });
    expect(t.signer).toBe("CN=evidence.test Document Signing, O=Evidence test");
    expect(t.timestamp.tsa).toBe("CN=evidence.test Time-Stamping Authority, O=Evidence test");
    expect(t.chainsToTrusted).toBe(true);
    console.log(`GET /pdf (render in the worker, sign here): ${fetchMs.toFixed(0)} ms for ${pdf.length} bytes`);
  });

  it("the published CA certificate is the one it chains to", async () => {
    const res = await app.request("/.well-known/evidence-ca.pem");
    expect(res.status).toBe(200);
    const published = x509.PemConverter.decode(await res.text()).map((b) => new Uint8Array(b));
    expect((await checkPdfSignature(pdf, { trusted: published })).chainsToTrusted).toBe(true);
  });

  it("is trusted once the published CA is: pdfsig with an NSS database from certutil where installed, else pkijs", async () => {
    const caPem = await (await app.request("/.well-known/evidence-ca.pem")).text();
    const file = join(dir, "report-trust.pdf");
    writeFileSync(file, pdf);
    const withCa = await trustedByCa(file, caPem, join(dir, "trust-published"));
    expect(withCa.valid, withCa.detail).toBe(true);
    expect(withCa.trusted, `${withCa.checker}: ${withCa.detail}`).toBe(true);
    const without = await trustedByCa(file, null, join(dir, "trust-none"));
    expect(without.valid, without.detail).toBe(true);
    expect(without.trusted, `${without.checker}: ${without.detail}`).toBe(false);
  });

  it("is refused by both after one byte of the file changes", async () => {
    const changed = new Uint8Array(pdf);
    const at = Math.floor(pdf.length / 4);
    changed[at] = changed[at]! ^ 0x01;
    const file = join(dir, "report-changed.pdf");
    writeFileSync(file, changed);
    const res = await pdfsig(file);
    if (res !== null) expect(res.validation, res.output).toBe("Digest Mismatch.");
    const err = await checkPdfSignature(changed, { trusted: trusted() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PdfSignatureError);
    expect((err as PdfSignatureError).code).toBe("digest");
  });

  it("the JSON report says which key signs what: Ed25519 for the JSON, the X.509 certificate for the PDF", async () => {
    const sentence = report.statement.at(-1)!;
    expect(sentence).toContain(report.keys.kid);
    const fingerprint = (await new x509.X509Certificate(pki.document.cert.rawData).getThumbprint("SHA-256")) as ArrayBuffer;
    const hex = Buffer.from(fingerprint).toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1:");
    expect(sentence).toContain(hex);
    expect(sentence).toContain(pki.document.cert.subject);
    expect(sentence).toMatch(/\/\.well-known\/evidence-ca\.pem/);
  });

  it("the same report is served from the cache with the same signed bytes", async () => {
    const again = new Uint8Array(await (await app.request(`/v1/reports/${report.id}/pdf`, { headers: admin() })).arrayBuffer());
    expect(Buffer.from(again).equals(Buffer.from(pdf))).toBe(true);
  });
});
