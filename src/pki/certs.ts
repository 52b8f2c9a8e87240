// Certificates of the service's X.509 identity: issuing the self-issued root CA and the two
// end-entity certificates under it (document signing, time-stamping), reading a configured
// PEM chain, and the checks a configured certificate must pass before it is used.
import { randomBytes } from "node:crypto";
import { x509 } from "./x509.ts";
import type { PkiKey } from "./keys.ts";

export const EKU_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";
export const EKU_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
/** id-kp-documentSigning (RFC 9336). */
export const EKU_DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36";

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** What the certificates say of whom they belong to; the CN gets " Root CA", " TSA"... appended. */
export interface IdentityName {
  /** e.g. "evidence.example.com": the PUBLIC_URL's host, or "Evidence service". */
  commonName: string;
  organization: string;
}

function dn(name: IdentityName, role: string): string {
  // Commas and the like in a host name would break the RFC 4514 string: they cannot occur in
  // a host, and the organisation is ours; still, escape them.
  const esc = (v: string) => v.replace(/[,+"\\<>;=]/g, (ch) => `\\${ch}`);
  return `CN=${esc(`${name.commonName} ${role}`)}, O=${esc(name.organization)}`;
}

/** A positive 16-byte serial: RFC 5280 asks for at most 20 octets, unpredictable for a CA. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString("hex");
}

/** The self-issued root: signs only certificates (and CRLs), valid 20 years. */
export async function issueRootCa(key: PkiKey, name: IdentityName, now = new Date()): Promise<x509.X509Certificate> {
  const subject = dn(name, "Root CA");
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 20 * YEAR_MS),
    publicKey: key.publicKey,
    signingKey: key.privateKey,
    signingAlgorithm: key.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
    ],
  });
}

export type LeafRole = "tsa" | "document";

/**
 * An end-entity certificate under `ca`, valid 10 years (never past the CA's own end).
 * - "tsa": RFC 3161 §2.3 wants the timeStamping extended key usage alone, marked critical.
 * - "document": for PDF signatures (PAdES). NSS, behind poppler's pdfsig and Firefox, checks a
 *   signer's EKU for email protection; document signing (RFC 9336) names the real purpose.
 */
export async function issueLeaf(
  role: LeafRole,
  key: PkiKey,
  ca: { cert: x509.X509Certificate; key: PkiKey },
  name: IdentityName,
  now = new Date(),
): Promise<x509.X509Certificate> {
  const notAfter = new Date(Math.min(now.getTime() + 10 * YEAR_MS, ca.cert.notAfter.getTime()));
  const usage =
    role === "tsa"
      ? [new x509.ExtendedKeyUsageExtension([EKU_TIME_STAMPING], true)]
      : [new x509.ExtendedKeyUsageExtension([EKU_DOCUMENT_SIGNING, EKU_EMAIL_PROTECTION], false)];
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: dn(name, role === "tsa" ? "Time-Stamping Authority" : "Document Signing"),
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    publicKey: key.publicKey,
    signingKey: ca.key.privateKey,
    signingAlgorithm: ca.key.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      ...usage,
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
}

/** Every certificate in a PEM text, in order (a chain file: the end entity first). */
export function parsePemChain(pem: string, source: string): x509.X509Certificate[] {
  let certs: x509.X509Certificate[];
  try {
    certs = x509.PemConverter.decodeWithHeaders(pem)
      .filter((b) => b.type === "CERTIFICATE")
      .map((b) => new x509.X509Certificate(b.rawData));
  } catch (err) {
    throw new Error(`${source} is not a PEM certificate chain: ${(err as Error).message}`);
  }
  if (certs.length === 0) throw new Error(`${source} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  return certs;
}

export function toPem(certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => c.toString("pem")).join("\n") + "\n";
}

/**
 * The checks a configured certificate must pass before the service signs under it: it holds
 * the configured key, is valid now, and (for a TSA) carries the critical timeStamping EKU that
 * RFC 3161 clients (openssl ts -verify among them) insist on. Returns a reason, or null.
 */
export function unusableReason(role: LeafRole, cert: x509.X509Certificate, key: PkiKey, now = new Date()): string | null {
  if (!sameBytes(new Uint8Array(cert.publicKey.rawData), key.spki)) return "the certificate does not hold the configured private key";
  if (now < cert.notBefore) return `the certificate is not valid before ${cert.notBefore.toISOString()}`;
  if (now > cert.notAfter) return `the certificate expired on ${cert.notAfter.toISOString()}`;
  if (role === "tsa") {
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    if (!eku) return "the certificate has no extended key usage; a TSA certificate needs timeStamping, marked critical";
    if (!eku.critical) return "the certificate's extended key usage is not marked critical (RFC 3161 §2.3)";
    if (eku.usages.length !== 1 || eku.usages[0] !== EKU_TIME_STAMPING) {
      return "the certificate's extended key usage must be timeStamping (1.3.6.1.5.5.7.3.8) alone (RFC 3161 §2.3)";
    }
  }
  return null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
