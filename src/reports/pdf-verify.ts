// Checking a report PDF's signature without poppler: what `pdfsig` checks, and more, with
// pkijs and node:crypto. The ByteRange must cover the whole file but the /Contents hex; the
// CMS must be one detached SignedData whose messageDigest is SHA-256 of those bytes, whose
// signature over the signed attributes verifies with the signing certificate, bound to that
// certificate by signing-certificate-v2, carrying an RFC 3161 time-stamp over the signature
// value; optionally each certificate must chain to a trusted CA. The file is
// attacker-controlled: every offset is checked before it is used.
import { createHash, createPublicKey, verify as cryptoVerify } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import "../pki/keys.ts"; // sets the WebCrypto engine pkijs and @peculiar/x509 use
import { x509 } from "../pki/x509.ts";
import { checkToken } from "../verify/timestamp.ts";
import { OID } from "./pdf-sign.ts";

export type PdfSignatureErrorCode =
  | "no-signature"
  | "byte-range"
  | "cms"
  | "digest"
  | "signature"
  | "certificate"
  | "timestamp";

export class PdfSignatureError extends Error {
  override name = "PdfSignatureError";
  readonly code: PdfSignatureErrorCode;
  constructor(code: PdfSignatureErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface PdfSignatureFacts {
  byteRange: [number, number, number, number];
  subFilter: string;
  /** The signing certificate's subject, RFC 4514-ish, and its DER. */
  signer: string;
  signerCert: Uint8Array;
  /** Every certificate the CMS carries, the signer first. */
  certificates: Uint8Array[];
  signatureAlgorithm: string;
  /** The claimed signing time (/M of the signature dictionary), as written. */
  claimedTime: string | null;
  timestamp: { genTime: Date; tsa: string; serialNumber: string; policy: string };
  /** True when `trusted` was given and both the signer and the TSA chain to one of them. */
  chainsToTrusted: boolean;
}

const HASH_BY_OID: Record<string, string> = { "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" };
/** Longest /Contents accepted: 1 MiB of hex. A report signature is ~3-13 KiB. */
const MAX_CONTENTS_HEX = 1 << 20;

const fail = (code: PdfSignatureErrorCode, msg: string): never => {
  throw new PdfSignatureError(code, msg);
};

/**
 * Checks the one signature of a report PDF. `trusted`: DER CA certificates (e.g. from
 * /.well-known/evidence-ca.pem) the signing and TSA certificates must chain to; without it the
 * chain is not judged (`chainsToTrusted` false), as pdfsig says "issuer isn't trusted".
 */
export async function checkPdfSignature(pdf: Uint8Array, opts: { trusted?: Uint8Array[] } = {}): Promise<PdfSignatureFacts> {
  const text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString("latin1");
  const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  if (ranges.length === 0) fail("no-signature", "the PDF has no signature (no /ByteRange)");
  // A report carries exactly one signature; a second one is someone else's update.
  if (ranges.length > 1) fail("byte-range", `the PDF has ${ranges.length} signatures; a report has one`);
  const m = ranges[0]!;
  const br = [m[1], m[2], m[3], m[4]].map((s) => Number(s)) as [number, number, number, number];
  const [a, b, c, d] = br;
  if (a !== 0) fail("byte-range", `the signed range starts at byte ${a}, not at the start of the file`);
  if (!(b > 0 && c > b && c + d === pdf.length)) {
    fail("byte-range", `the ByteRange [${br.join(" ")}] does not cover the whole file of ${pdf.length} bytes but the signature`);
  }
  const gap = text.slice(b, c);
  if (!/^<[0-9a-fA-F]*>$/.test(gap)) fail("byte-range", "the bytes left out of the signed range are not just the /Contents hex string");
  if (gap.length - 2 > MAX_CONTENTS_HEX || (gap.length - 2) % 2 !== 0) fail("byte-range", "the /Contents hex string has an odd or excessive length");
  // The signature dictionary holds the ByteRange; its /Contents must be the gap it names.
  const dictStart = text.lastIndexOf("<<", m.index);
  const dict = text.slice(dictStart, c + 200);
  const contentsAt = dict.indexOf("/Contents");
  if (contentsAt === -1 || dictStart + dict.indexOf("<", contentsAt) !== b) fail("byte-range", "the signature's /Contents is not the range left out");
  const subFilter = /\/SubFilter\s*\/([A-Za-z0-9.]+)/.exec(dict)?.[1] ?? fail("cms", "the signature dictionary has no /SubFilter");
  if (subFilter !== "ETSI.CAdES.detached") fail("cms", `the signature is ${subFilter}, not ETSI.CAdES.detached (PAdES)`);
  const claimedTime = /\/M\s*\(([^)]*)\)/.exec(dict)?.[1] ?? null;

  const covered = Buffer.concat([pdf.subarray(0, b), pdf.subarray(c, c + d)]);
  const contents = Buffer.from(gap.slice(1, -1), "hex");
  const asn1 = asn1js.fromBER(contents);
  if (asn1.offset === -1) fail("cms", `the /Contents is not DER: ${asn1.result.error}`);
  // What follows the DER is padding the signer left: it must be zeros, so that no byte of
  // the file changes unnoticed (pdfsig ignores it).
  if (contents.subarray(asn1.offset).some((v) => v !== 0)) fail("cms", "bytes other than zero padding follow the CMS in /Contents");

  let sd: pkijs.SignedData;
  try {
    const ci = new pkijs.ContentInfo({ schema: asn1.result });
    if (ci.contentType !== OID.signedData) fail("cms", `the CMS is not SignedData (${ci.contentType})`);
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    if (err instanceof PdfSignatureError) throw err;
    throw new PdfSignatureError("cms", `the /Contents is not a CMS SignedData: ${(err as Error).message}`, { cause: err });
  }
  if (sd.encapContentInfo.eContent) fail("cms", "the CMS carries content; a PDF signature is detached");
  if (sd.signerInfos.length !== 1) fail("cms", `the CMS has ${sd.signerInfos.length} signers; a report has one`);
  const si = sd.signerInfos[0]!;
  const certs = (sd.certificates ?? []).filter((x): x is pkijs.Certificate => x instanceof pkijs.Certificate);
  const sid = si.sid;
  if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return fail("cms", "the signer is not named by issuer and serial number");
  const signer = certs.find((x) => x.issuer.isEqual(sid.issuer) && x.serialNumber.isEqual(sid.serialNumber)) ?? fail("certificate", "the CMS does not carry the signing certificate");
  const signerDer = new Uint8Array(signer.toSchema().toBER(false));

  // Signed attributes: what PAdES B-B asks for.
  const attrs = si.signedAttrs?.attributes ?? fail("cms", "the signature has no signed attributes");
  const attr = (oid: string) => attrs.filter((x) => x.type === oid);
  const digestAlg = si.digestAlgorithm.algorithmId;
  const hash = HASH_BY_OID[digestAlg] ?? fail("cms", `the digest algorithm ${digestAlg} is not SHA-2`);
  const ct = attr(OID.contentType);
  if (ct.length !== 1 || !(ct[0]!.values[0] instanceof asn1js.ObjectIdentifier) || ct[0]!.values[0].valueBlock.toString() !== OID.data) {
    fail("cms", "the contentType attribute is missing or is not id-data");
  }
  const md = attr(OID.messageDigest);
  if (md.length !== 1 || !(md[0]!.values[0] instanceof asn1js.OctetString)) return fail("cms", "the messageDigest attribute is missing");
  const digest = createHash(hash).update(covered).digest();
  if (!digest.equals(Buffer.from(md[0]!.values[0].valueBlock.valueHexView))) {
    fail("digest", "the messageDigest is not the hash of the signed bytes: the document was changed after it was signed");
  }
  const scv2 = attr(OID.signingCertificateV2);
  if (scv2.length !== 1) fail("cms", "the signing-certificate-v2 attribute (required by PAdES) is missing");
  if (!equal(essCertHash(scv2[0]!.values[0]), createHash("sha256").update(signerDer).digest())) {
    fail("certificate", "signing-certificate-v2 names another certificate than the one carried");
  }
  if (attr(OID.signingTime).length > 0) fail("cms", "the CMS has a signingTime attribute, which PAdES leaves to the dictionary's /M");

  // The signature over the signed attributes, as a DER SET OF (RFC 5652 §5.4).
  const signedBytes = new Uint8Array(si.signedAttrs!.encodedValue);
  signedBytes[0] = 0x31;
  const spki = createPublicKey({ key: Buffer.from(signer.subjectPublicKeyInfo.toSchema().toBER(false)), format: "der", type: "spki" });
  const signature = new Uint8Array(si.signature.valueBlock.valueHexView);
  let ok = false;
  try {
    ok = cryptoVerify(hash, signedBytes, spki, signature);
  } catch {
    ok = false;
  }
  if (!ok) fail("signature", "the signature does not verify with the signing certificate's key");

  // The signature time-stamp: one token whose imprint is the hash of the signature value.
  const ts = (si.unsignedAttrs?.attributes ?? []).filter((x) => x.type === OID.signatureTimeStampToken);
  if (ts.length !== 1 || ts[0]!.values.length !== 1) fail("timestamp", "the signature has no signature time-stamp (PAdES B-T)");
  const tokenDer = new Uint8Array(ts[0]!.values[0]!.toBER(false));
  let token: Awaited<ReturnType<typeof checkToken>>;
  try {
    token = await checkToken(tokenDer, { hashedMessage: new Uint8Array(createHash("sha256").update(signature).digest()) });
  } catch (err) {
    throw new PdfSignatureError("timestamp", `the signature time-stamp does not hold: ${(err as Error).message}`, { cause: err });
  }

  const certificates = certs.map((x) => new Uint8Array(x.toSchema().toBER(false)));
  let chainsToTrusted = false;
  if (opts.trusted) {
    const tokenCerts = tokenCertificates(tokenDer);
    await chainTo(signerDer, [...certificates, ...tokenCerts], opts.trusted, "the signing certificate");
    await chainTo(token.signerCert, [...tokenCerts, ...certificates], opts.trusted, "the time-stamping certificate");
    chainsToTrusted = true;
  }
  return {
    byteRange: br,
    subFilter,
    signer: nameOf(signer.subject),
    signerCert: signerDer,
    certificates,
    signatureAlgorithm: si.signatureAlgorithm.algorithmId,
    claimedTime,
    timestamp: { genTime: token.genTime, tsa: token.signerName, serialNumber: token.serialNumber, policy: token.policy },
    chainsToTrusted,
  };
}

/** The first ESSCertIDv2's hash (SHA-256 when no algorithm is named, the DER default). */
function essCertHash(value: unknown): Uint8Array {
  try {
    const certs = (value as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const first = certs.valueBlock.value[0] as asn1js.Sequence;
    const parts = first.valueBlock.value;
    if (parts[0] instanceof asn1js.Sequence) fail("certificate", "signing-certificate-v2 uses a hash other than the default SHA-256");
    return new Uint8Array((parts[0] as asn1js.OctetString).valueBlock.valueHexView);
  } catch (err) {
    if (err instanceof PdfSignatureError) throw err;
    return fail("certificate", "signing-certificate-v2 cannot be read");
  }
}

function tokenCertificates(tokenDer: Uint8Array): Uint8Array[] {
  const ci = pkijs.ContentInfo.fromBER(tokenDer);
  const sd = new pkijs.SignedData({ schema: ci.content });
  return (sd.certificates ?? []).filter((x): x is pkijs.Certificate => x instanceof pkijs.Certificate).map((x) => new Uint8Array(x.toSchema().toBER(false)));
}

/** Walks issuer links from `leaf` through `pool` until a trusted certificate signed the last one. */
async function chainTo(leaf: Uint8Array, pool: Uint8Array[], trusted: Uint8Array[], what: string): Promise<void> {
  const anchors = trusted.map((t) => new x509.X509Certificate(t as Uint8Array<ArrayBuffer>));
  const others = pool.map((p) => new x509.X509Certificate(p as Uint8Array<ArrayBuffer>));
  let cert = new x509.X509Certificate(leaf as Uint8Array<ArrayBuffer>);
  for (let depth = 0; depth < 8; depth++) {
    for (const anchor of anchors) {
      if (anchor.subject === cert.issuer && (await cert.verify({ publicKey: anchor.publicKey, signatureOnly: true }))) return;
    }
    if (anchors.some((a) => a.equal(cert))) return;
    const issuer = others.find((o) => o.subject === cert.issuer && !o.equal(cert));
    if (!issuer || !(await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }))) break;
    cert = issuer;
  }
  fail("certificate", `${what} does not chain to a trusted CA`);
}

function nameOf(name: pkijs.RelativeDistinguishedNames): string {
  const short: Record<string, string> = { "2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C" };
  return name.typesAndValues.map((t) => `${short[t.type] ?? t.type}=${t.value.valueBlock.value}`).join(", ");
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
