// PDF signatures (PAdES B-T) on a rendered report: pdfkit's bytes, the placeholder as an
// incremental update, the CMS from pkijs, the time-stamp from our own TSA or from an external
// one over HTTP. Judged twice: by poppler's pdfsig when it is installed, and always by the
// pkijs check (src/reports/pdf-verify.ts). One changed byte must make both say no.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueLeaf, issueRootCa, toPem } from "../../src/pki/certs.ts";
import { loadIdentity, type PkiIdentity } from "../../src/pki/identity.ts";
import { importPrivateKeyPem } from "../../src/pki/keys.ts";
import { x509 } from "../../src/pki/x509.ts";
import { addSignaturePlaceholder } from "../../src/reports/pdf-placeholder.ts";
import { ownTimestamper, remoteTimestamper, ReportPdfSigner } from "../../src/reports/pdf-sign.ts";
import { checkPdfSignature, PdfSignatureError, type PdfSignatureErrorCode } from "../../src/reports/pdf-verify.ts";
import { renderReportPdf } from "../../src/reports/pdf.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { parseTimeStampQuery } from "../../src/tsa/query.ts";
import { tempDir } from "../helpers/service.ts";
import { fixtureAnchoring, fixtureReport, SERVICE_URL, VERIFY_URL } from "./fixture.ts";
import { pdfsig, trustedByCa } from "./pdfsig.ts";

const OUT = fileURLToPath(new URL("../../test-results/reports/", import.meta.url));
const NAME = { commonName: "evidence.example.org", organization: "Evidence test" };

let dir: string;
let pki: PkiIdentity;
let unsigned: Uint8Array;
let signed: Uint8Array;
let signer: ReportPdfSigner;
const caDer = (p: PkiIdentity) => x509.PemConverter.decode(p.caPem).map((b) => new Uint8Array(b));

function save(name: string, pdf: Uint8Array): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, name);
  writeFileSync(file, pdf);
  return file;
}

/** The same PDF with the byte at `at` changed. */
function flip(pdf: Uint8Array, at: number, to?: number): Uint8Array {
  const out = new Uint8Array(pdf);
  out[at] = to ?? (out[at]! ^ 0x01);
  return out;
}

async function expectRefused(pdf: Uint8Array, code: PdfSignatureErrorCode): Promise<PdfSignatureError> {
  const err = await checkPdfSignature(pdf, { trusted: caDer(pki) }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PdfSignatureError);
  expect((err as PdfSignatureError).code, (err as Error).message).toBe(code);
  return err as PdfSignatureError;
}

beforeAll(async () => {
  dir = tempDir("pdf-sign-");
  pki = await loadIdentity({ dir: join(dir, "pki"), name: NAME });
  signer = new ReportPdfSigner(pki.document, ownTimestamper(new TimeStampAuthority(pki.tsa)));
  const report = fixtureReport();
  unsigned = await renderReportPdf(report, { anchoring: fixtureAnchoring(report), verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
  signed = await signer.sign(addSignaturePlaceholder(unsigned, signer.placeholder()));
});

describe("report PDF signatures (PAdES B-T)", () => {
  it("keep pdfkit's bytes as they were and append the signature as an incremental update", () => {
    expect(Buffer.from(signed.subarray(0, unsigned.length)).equals(Buffer.from(unsigned))).toBe(true);
    const tail = Buffer.from(signed.subarray(unsigned.length)).toString("latin1");
    expect(tail).toContain("/SubFilter /ETSI.CAdES.detached");
    expect(tail).toMatch(/\/ByteRange \[0 \d+ \d+ \d+ *\]/);
  });

  it("are valid and cover the whole document: pdfsig where installed, else the pkijs check", async () => {
    const res = await pdfsig(save("signed-report.pdf", signed));
    if (res !== null) {
      expect(res.validation, res.output).toBe("Signature is Valid.");
      expect(res.coverage, res.output).toBe("Total document signed");
      expect(res.signatureType).toBe("ETSI.CAdES.detached");
      // Self-issued: pdfsig knows no such CA unless given an NSS database that trusts it.
      expect(res.certificate).toMatch(/Certificate issuer isn't Trusted|Certificate is Trusted/);
    } else {
      // The same verdicts from the npm path: the signature verifies over every byte but /Contents.
      const t = await checkPdfSignature(signed);
      expect(t.byteRange[0]).toBe(0);
      expect(t.byteRange[2] + t.byteRange[3]).toBe(signed.length);
      expect(t.subFilter).toBe("ETSI.CAdES.detached");
      expect(t.chainsToTrusted).toBe(false);
    }
  });

  it("chain to our CA once it is trusted (pdfsig with an NSS database from certutil, else pkijs), and not without it", async () => {
    const file = save("signed-report.pdf", signed);
    const withCa = await trustedByCa(file, pki.caPem, join(dir, "trust-ca"));
    expect(withCa.valid, withCa.detail).toBe(true);
    expect(withCa.trusted, `${withCa.checker}: ${withCa.detail}`).toBe(true);
    const without = await trustedByCa(file, null, join(dir, "trust-none"));
    expect(without.checker).toBe(withCa.checker);
    expect(without.valid, without.detail).toBe(true);
    expect(without.trusted, `${without.checker}: ${without.detail}`).toBe(false);
  });

  it("hold for the pkijs check: whole file, digest, signature, signing certificate, time-stamp, chain", async () => {
    const t = await checkPdfSignature(signed, { trusted: caDer(pki) });
    expect(t.byteRange[0]).toBe(0);
    expect(t.byteRange[2] + t.byteRange[3]).toBe(signed.length);
    expect(t.subFilter).toBe("ETSI.CAdES.detached");
    expect(t.signer).toBe("CN=evidence.example.org Document Signing, O=Evidence test");
    expect(t.signatureAlgorithm).toBe("1.2.840.10045.4.3.2"); // ecdsa-with-SHA256
    expect(t.certificates).toHaveLength(2); // the signer and our root
    expect(t.timestamp.tsa).toBe("CN=evidence.example.org Time-Stamping Authority, O=Evidence test");
    expect(Math.abs(t.timestamp.genTime.getTime() - Date.now())).toBeLessThan(60_000);
    expect(t.timestamp.serialNumber).toMatch(/^[0-9a-f]{40}$/); // 20 bytes: never an evidence id
    expect(t.chainsToTrusted).toBe(true);
    // Another CA is not trusted for it.
    const other = await loadIdentity({ dir: join(dir, "other"), name: NAME });
    await expect(checkPdfSignature(signed, { trusted: caDer(other) })).rejects.toThrow(/does not chain to a trusted CA/);
  });

  it("fail after one byte of the signed range changes: pdfsig and the pkijs check", async () => {
    const { byteRange } = await checkPdfSignature(signed);
    const [, b, c] = byteRange;
    // A byte inside pdfkit's page content, one in the signature dictionary before /Contents,
    // and one in the incremental update's trailer after it.
    const places = { "page content": Math.floor(b / 3), "signature dictionary": b - 40, trailer: signed.length - 30 };
    for (const [where, at] of Object.entries(places)) {
      const changed = flip(signed, at, signed[at] === 0x20 ? 0x0a : 0x20);
      const res = await pdfsig(save(`changed-${where.replace(/ /g, "-")}.pdf`, changed));
      if (res !== null && res.validation !== null) expect(res.validation, `${where}\n${res.output}`).not.toBe("Signature is Valid.");
      await expect(checkPdfSignature(changed), where).rejects.toBeInstanceOf(PdfSignatureError);
    }
    const changed = flip(signed, Math.floor(b / 3));
    const res = await pdfsig(save("changed-one-byte.pdf", changed));
    if (res !== null) expect(res.validation, res.output).toBe("Digest Mismatch.");
    await expectRefused(changed, "digest");
    expect(c).toBeGreaterThan(b);
  });

  it("fail for the pkijs check when a byte of the CMS or of its padding in /Contents changes", async () => {
    const { byteRange } = await checkPdfSignature(signed);
    const start = byteRange[1] + 1;
    const hex = Buffer.from(signed.subarray(start, byteRange[2] - 1)).toString("latin1");
    const used = hex.replace(/0+$/, "").length;
    // pdfsig reads the CMS and ignores what follows it; we require zeros there.
    await expectRefused(flip(signed, start + used + 10, 0x31), "cms");
    // A digit inside the signing certificate (the ESSCertIDv2 no longer names it), and in the
    // signature value near the CMS's end (part of the time-stamp, whose imprint then fails).
    const inCert = flip(signed, start + 200, hex[200] === "0" ? 0x31 : 0x30);
    await expect(checkPdfSignature(inCert)).rejects.toBeInstanceOf(PdfSignatureError);
    const nearEnd = flip(signed, start + used - 20, hex[used - 20] === "0" ? 0x31 : 0x30);
    await expect(checkPdfSignature(nearEnd)).rejects.toBeInstanceOf(PdfSignatureError);
  });

  it("are refused without a time-stamp (B-B is not enough) and when something is appended", async () => {
    const bb = new ReportPdfSigner(pki.document, null);
    const noTs = await bb.sign(addSignaturePlaceholder(unsigned, bb.placeholder()));
    await expectRefused(noTs, "timestamp");
    const appended = Buffer.concat([signed, Buffer.from("\n% appended\n")]);
    await expectRefused(appended, "byte-range");
    await expectRefused(unsigned, "no-signature");
  });

  it("work with a configured RSA chain and an external TSA over HTTP (TSA_URL)", async () => {
    // A configured document certificate: RSA-2048 under a CA of its own, written as PEM files.
    const pem = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const rootKey = await importPrivateKeyPem(pem(), "root");
    const leafPem = pem();
    const leafKey = await importPrivateKeyPem(leafPem, "leaf");
    const name = { commonName: "Court Notary Ltd", organization: "Court Notary Ltd" };
    const root = await issueRootCa(rootKey, name);
    const leaf = await issueLeaf("document", leafKey, { cert: root, key: rootKey }, name);
    const conf = join(dir, "configured");
    mkdirSync(conf);
    writeFileSync(join(conf, "chain.pem"), toPem([leaf, root]));
    writeFileSync(join(conf, "key.pem"), leafPem);
    const configured = await loadIdentity({
      dir: join(conf, "pki"),
      name: NAME,
      document: { certFile: join(conf, "chain.pem"), keyFile: join(conf, "key.pem") },
    });
    expect(configured.document.source).toBe("configured");

    // The external authority: another identity's TSA behind a plain HTTP server.
    const external = await loadIdentity({ dir: join(dir, "external-tsa"), name: { commonName: "tsa.example.net", organization: "External TSA" } });
    const authority = new TimeStampAuthority(external.tsa);
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (ch: Buffer) => chunks.push(ch));
      req.on("end", () => {
        const query = parseTimeStampQuery(new Uint8Array(Buffer.concat(chunks)), authority.policy);
        authority.issue({ query, serial: new Uint8Array(randomBytes(16)), genTime: new Date() }).then((reply) => {
          res.writeHead(200, { "content-type": "application/timestamp-reply" }).end(Buffer.from(reply));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const rsa = new ReportPdfSigner(configured.document, remoteTimestamper(url, { timeoutMs: 5000 }));
      const pdf = await rsa.sign(addSignaturePlaceholder(unsigned, rsa.placeholder()));
      const trusted = [new Uint8Array(root.rawData), ...caDer(external)];
      const t = await checkPdfSignature(pdf, { trusted });
      expect(t.signer).toBe("CN=Court Notary Ltd Document Signing, O=Court Notary Ltd");
      expect(t.signatureAlgorithm).toBe("1.2.840.113549.1.1.11"); // sha256WithRSAEncryption
      expect(t.timestamp.tsa).toBe("CN=tsa.example.net Time-Stamping Authority, O=External TSA");
      expect(t.chainsToTrusted).toBe(true);
      const res = await pdfsig(save("signed-report-rsa.pdf", pdf));
      if (res !== null) {
        expect(res.validation, res.output).toBe("Signature is Valid.");
        expect(res.coverage, res.output).toBe("Total document signed");
      }
      const changed = flip(pdf, 1000);
      await expect(checkPdfSignature(changed, { trusted })).rejects.toThrow(/messageDigest/);
      const bad = await pdfsig(save("signed-report-rsa-changed.pdf", changed));
      if (bad !== null) expect(bad.validation, bad.output).toBe("Digest Mismatch.");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("take a few milliseconds to sign (hash, one signature, our own time-stamp)", async () => {
    const withPlaceholder = addSignaturePlaceholder(unsigned, signer.placeholder());
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await signer.sign(withPlaceholder);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const t0 = performance.now();
    addSignaturePlaceholder(unsigned, signer.placeholder());
    const placeholderMs = performance.now() - t0;
    console.log(
      `PDF of ${unsigned.length} bytes: placeholder ${placeholderMs.toFixed(1)} ms (worker); signing median ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms (last: CMS ${signer.lastTiming!.signMs.toFixed(1)} ms, time-stamp ${signer.lastTiming!.timestampMs.toFixed(1)} ms)`,
    );
    expect(times[10]).toBeLessThan(250);
  });
});
