// Running poppler's `pdfsig` on a signed PDF and reading its verdict lines. pdfsig exits 0
// whatever it finds, so the words are what count. Null when pdfsig is not installed (or
// EVIDENCE_TEST_TOOLS=npm): the pkijs check (src/reports/pdf-verify.ts) runs either way.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
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
