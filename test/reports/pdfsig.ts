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

export async function pdfsig(file: string): Promise<PdfsigResult | null> {
  const bin = pdfsigPath();
  if (bin === null) return null;
  // -no-ocsp: the certificates have no responder, and tests must not reach the network.
  const { stdout, stderr } = await run(bin, ["-no-ocsp", file]).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? "", stderr: err.stderr ?? "" }));
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
