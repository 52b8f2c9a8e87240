// Running poppler's `pdfsig` on a signed PDF and reading its verdict lines. pdfsig exits 0
// whatever it finds, so the words are what count. Null when pdfsig is not installed (or
// EVIDENCE_TEST_TOOLS=npm): the pkijs check (src/reports/pdf-verify.ts) runs either way.
// trustedByCa: pdfsig with an NSS database from certutil where both exist, else pkijs.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { issueRootCa } from "../../src/pki/certs.ts";
import { importPrivateKeyPem } from "../../src/pki/keys.ts";
import { x509 } from "../../src/pki/x509.ts";
import { checkPdfSignature, PdfSignatureError } from "../../src/reports/pdf-verify.ts";
import { systemProgram } from "../helpers/pdf-tools.ts";

const run = promisify(execFile);

export interface PdfsigResult {
  output: string;
  /** "Signature is Valid.", "Digest Mismatch.", ... */
  validation: string | null;
  /** "Total document signed" or "not total document signed". */
  coverage: string | null;
  certificate: string | null;
  signedRanges: string | null;
  signatureType: string | null;
}

export function pdfsigPath(): string | null {
  return systemProgram("pdfsig");
}

/**
 * `nssdir`: an NSS database that trusts a CA (see trustingNssDb). No -no-ocsp: with it
 * pdfsig 22.12 reports "Unknown issue with Certificate" even for a trusted chain; our test
 * certificates name no OCSP responder, so nothing is asked over the network anyway.
 */
export async function pdfsig(file: string, nssdir?: string): Promise<PdfsigResult | null> {
  const bin = pdfsigPath();
  if (bin === null) return null;
  const { stdout, stderr } = await run(bin, [...(nssdir ? ["-nssdir", `sql:${nssdir}`] : []), file]).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? "", stderr: err.stderr ?? "" }));
  const output = `${stdout}${stderr}`;
  const line = (re: RegExp) => re.exec(output)?.[1]?.trim() ?? null;
  return {
    output,
    validation: line(/Signature Validation:\s*(.+)/),
    coverage: line(/^\s*-\s*((?:not )?total document signed)/im),
    certificate: line(/Certificate Validation:\s*(.+)/),
    signedRanges: line(/Signed Ranges:\s*(.+)/),
    signatureType: line(/Signature Type:\s*(.+)/),
  };
}

/**
 * A new NSS database (in `dir`) trusting the CA in `caPemFile` for signatures, as a clerk
 * would make one with certutil (libnss3-tools); null when certutil is not installed.
 */
export async function trustingNssDb(dir: string, caPemFile: string): Promise<string | null> {
  const certutil = systemProgram("certutil", "libnss3-tools");
  if (certutil === null || pdfsigPath() === null) return null;
  await run(certutil, ["-N", "-d", `sql:${dir}`, "--empty-password"]);
  // "C,C,C": a trusted issuer for TLS, e-mail/document signatures (what pdfsig checks) and code.
  await run(certutil, ["-A", "-d", `sql:${dir}`, "-n", "evidence-ca", "-t", "C,C,C", "-i", caPemFile]);
  return dir;
}

export interface TrustedByCaResult {
  /** Which checker judged: poppler's pdfsig with an NSS database, or the pkijs check. */
  checker: "pdfsig+certutil" | "pkijs";
  /** The signature verifies over the whole file. */
  valid: boolean;
  /** The signing certificate (and, for pkijs, the TSA certificate too) chains to the CA. */
  trusted: boolean;
  detail: string;
}

/**
 * Whether `pdfFile`'s signature verifies and chains to the CA in `caPem` (e.g. from
 * /.well-known/evidence-ca.pem): pdfsig with an NSS database trusting it when pdfsig and
 * certutil are installed (as a clerk would check it), else the pkijs check with that CA as
 * the only trust anchor, which judges the same property (and the TSA certificate's chain too).
 * `caPem` null: no CA trusted (an empty NSS database, or a chain check with no anchor that
 * matches), so the caller can show the answer depends on the CA.
 */
export async function trustedByCa(pdfFile: string, caPem: string | null, workDir: string): Promise<TrustedByCaResult> {
  mkdirSync(workDir, { recursive: true });
  const certutil = systemProgram("certutil", "libnss3-tools");
  if (certutil !== null && pdfsigPath() !== null) {
    const db = join(workDir, "nssdb");
    mkdirSync(db);
    if (caPem === null) await run(certutil, ["-N", "-d", `sql:${db}`, "--empty-password"]);
    else {
      const caFile = join(workDir, "ca.pem");
      writeFileSync(caFile, caPem);
      await trustingNssDb(db, caFile);
    }
    const res = (await pdfsig(pdfFile, db))!;
    return { checker: "pdfsig+certutil", valid: res.validation === "Signature is Valid." && res.coverage === "Total document signed", trusted: res.certificate === "Certificate is Trusted.", detail: res.output };
  }
  const pdf = new Uint8Array(readFileSync(pdfFile));
  // No CA: an unrelated self-signed CA stands in, so the chain is judged and must fail.
  const anchors = caPem === null ? [await unrelatedCa()] : x509.PemConverter.decode(caPem).map((b) => new Uint8Array(b));
  try {
    const facts = await checkPdfSignature(pdf, { trusted: anchors });
    return { checker: "pkijs", valid: true, trusted: facts.chainsToTrusted, detail: `signed by ${facts.signer}, time-stamped by ${facts.timestamp.tsa}` };
  } catch (err) {
    if (!(err instanceof PdfSignatureError)) throw err;
    // The chain is judged last: a certificate error after that means valid but untrusted.
    return { checker: "pkijs", valid: err.code === "certificate" && /does not chain to a trusted CA/.test(err.message), trusted: false, detail: err.message };
  }
}

async function unrelatedCa(): Promise<Uint8Array> {
  const key = await importPrivateKeyPem(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "unrelated");
  const ca = await issueRootCa(key, { commonName: "Unrelated CA", organization: "Nobody" });
  return new Uint8Array(ca.rawData);
}
