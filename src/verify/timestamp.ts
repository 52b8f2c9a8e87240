// Reading and checking an RFC 3161 time-stamp token with pkijs: the response status, the
// signature over the signed attributes, the messageDigest of the TSTInfo, the ESSCertIDv2
// (or v1) hash of the signing certificate, the imprint, and the nonce. Used for tokens an
// external authority sends us (batch roots), by `evidence verify-report`, and by the tests of
// our own. It lives with the verifier (Node only: the page does not import it) so that the
// CLI checks tokens without the service's authority or keys.
import { createHash, createPublicKey, verify as cryptoVerify, webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { imprintAlgorithm, oidText, type ImprintAlgorithm } from "./timestamp-algorithms.ts";

// pkijs verifies with node's WebCrypto (src/pki/keys.ts sets the same engine for signing).
pkijs.setEngine("node", new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as pkijs.CryptoEngineParameters["crypto"] }));

/** The object identifiers of RFC 3161 and CMS that tokens use. */
export const OID = {
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

/** asn1js.fromBER that never throws (it does on some malformed input): the error as text. */
export function fromBER(der: Uint8Array): { offset: number; result: asn1js.AsnType; error: string } {
  try {
    const r = asn1js.fromBER(der);
    return { offset: r.offset, result: r.result, error: r.result.error };
  } catch (err) {
    return { offset: -1, result: new asn1js.Primitive(), error: (err as Error).message };
  }
}

export interface TokenInfo {
  /** The TimeStampToken (ContentInfo) DER, what is kept. */
  token: Uint8Array;
  genTime: Date;
  /** The serial number, as unsigned hex (no 0x). */
  serialNumber: string;
  policy: string;
  algorithm: ImprintAlgorithm;
  hashedMessage: Uint8Array;
  nonce: Uint8Array | undefined;
  /** The certificate that signed the token (DER), and its subject in RFC 4514-ish form. */
  signerCert: Uint8Array;
  signerName: string;
}

const HASH_BY_OID: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** ECDSA with SHA-2, and RSA PKCS#1 v1.5 (named by the key alone, or with SHA-2). */
const SIGNATURE_OIDS = new Set([
  "1.2.840.10045.4.3.2",
  "1.2.840.10045.4.3.3",
  "1.2.840.10045.4.3.4",
  "1.2.840.113549.1.1.1",
  "1.2.840.113549.1.1.11",
  "1.2.840.113549.1.1.12",
  "1.2.840.113549.1.1.13",
]);

export class TimeStampTokenError extends Error {
  override name = "TimeStampTokenError";
}

const fail = (msg: string): never => {
  throw new TimeStampTokenError(msg);
};

/** Parses a DER TimeStampResp; returns its token (DER) when the status is granted, else throws saying why. */
export function tokenOfResponse(der: Uint8Array): Uint8Array {
  const asn1 = fromBER(der);
  if (asn1.offset === -1 || asn1.offset !== der.length) fail("the reply is not one DER TimeStampResp");
  let resp: pkijs.TimeStampResp;
  try {
    resp = new pkijs.TimeStampResp({ schema: asn1.result });
  } catch (err) {
    return fail(`the reply is not a TimeStampResp: ${(err as Error).message}`);
  }
  const status = resp.status.status;
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join("; ");
    fail(`the authority refused (status ${status}${text ? `: ${text}` : ""}${resp.status.failInfo ? `, failInfo ${bitsOf(resp.status.failInfo)}` : ""})`);
  }
  if (!resp.timeStampToken) fail("the reply grants a token but carries none");
  return new Uint8Array(resp.timeStampToken!.toSchema().toBER(false));
}

/**
 * Checks a TimeStampToken (ContentInfo DER). `expect.hashedMessage`/`expect.nonce`, when
 * given, must match. `signerCert` is needed when the token does not carry its certificate.
 * Certificate path validation is the caller's business (it depends on whom they trust).
 */
export async function checkToken(
  token: Uint8Array,
  expect: { hashedMessage?: Uint8Array; nonce?: Uint8Array; signerCert?: Uint8Array } = {},
): Promise<TokenInfo> {
  const asn1 = fromBER(token);
  if (asn1.offset === -1 || asn1.offset !== token.length) fail("the token is not one DER ContentInfo");
  const ci = new pkijs.ContentInfo({ schema: asn1.result });
  if (ci.contentType !== OID.signedData) fail(`the token is not SignedData (content type ${ci.contentType})`);
  const sd = new pkijs.SignedData({ schema: ci.content });
  if (sd.encapContentInfo.eContentType !== OID.tstInfo) fail(`the token does not hold a TSTInfo (${sd.encapContentInfo.eContentType})`);
  const eContent = sd.encapContentInfo.eContent;
  if (!eContent) return fail("the token has no TSTInfo content");
  const content = octets(eContent);
  const tst = pkijs.TSTInfo.fromBER(content);
  // The policy from the ASN.1 node: pkijs keeps asn1js' text, which garbles arcs past 2^53.
  const policyNode = (asn1js.fromBER(content).result as asn1js.Sequence).valueBlock.value[1];
  const policy = policyNode instanceof asn1js.ObjectIdentifier ? oidText(policyNode) : tst.policy;
  const signerInfo = sd.signerInfos[0];
  if (!signerInfo || sd.signerInfos.length !== 1) fail("a token has exactly one signer");
  const attrs = signerInfo!.signedAttrs?.attributes ?? fail("the token has no signed attributes");

  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const signer = expect.signerCert ? pkijs.Certificate.fromBER(expect.signerCert) : findSigner(certs, signerInfo!.sid);
  if (!signer) fail("the token does not carry the certificate that signed it");
  const signerDer = new Uint8Array(signer!.toSchema().toBER(false));

  // The signature over the signed attributes, and their messageDigest against the TSTInfo.
  // (pkijs' SignedData.verify wants the time-stamped data itself for a TSTInfo; we have only
  // its imprint, so the signature is checked here with node:crypto.)
  const digestAlg = new pkijs.AlgorithmIdentifier(signerInfo!.digestAlgorithm).algorithmId;
  const nodeAlg = HASH_BY_OID[digestAlg] ?? fail(`the token's digest algorithm ${digestAlg} is not supported`);
  const signedBytes = new Uint8Array(signerInfo!.signedAttrs!.encodedValue);
  signedBytes[0] = 0x31; // signed as a SET OF (RFC 5652 §5.4), stored as [0] IMPLICIT
  const sigAlg = signerInfo!.signatureAlgorithm.algorithmId;
  if (!SIGNATURE_OIDS.has(sigAlg)) fail(`the token's signature algorithm ${sigAlg} is not supported`);
  const spki = createPublicKey({ key: Buffer.from(signer!.subjectPublicKeyInfo.toSchema().toBER(false)), format: "der", type: "spki" });
  const signature = new Uint8Array(signerInfo!.signature.valueBlock.valueHexView);
  if (!cryptoVerify(nodeAlg, signedBytes, spki, signature)) fail("the signature over the signed attributes does not verify");
  const digestAttr = attrs.find((a) => a.type === OID.messageDigest);
  if (!digestAttr) fail("the token has no messageDigest attribute");
  if (!equal(octets(digestAttr!.values[0]), createHash(nodeAlg).update(content).digest())) fail("the messageDigest attribute does not match the TSTInfo");

  // ESSCertIDv2 (RFC 5816), or the older ESSCertID with SHA-1: the signer's certificate hash.
  const v2 = attrs.find((a) => a.type === OID.signingCertificateV2);
  const v1 = attrs.find((a) => a.type === "1.2.840.113549.1.9.16.2.12");
  if (!v2 && !v1) fail("the token has neither ESSCertIDv2 nor ESSCertID: the signing certificate is not bound");
  const certId = (v2 ?? v1)!.values[0] as asn1js.Sequence;
  const first = (certId.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
  const parts = first.valueBlock.value;
  let alg = v2 ? "sha256" : "sha1";
  let hashAt = 0;
  if (v2 && parts[0] instanceof asn1js.Sequence) {
    const id = new pkijs.AlgorithmIdentifier({ schema: parts[0] }).algorithmId;
    alg = HASH_BY_OID[id] ?? fail(`ESSCertIDv2 uses an unknown hash ${id}`);
    hashAt = 1;
  }
  if (!equal(octets(parts[hashAt]!), createHash(alg).update(signerDer).digest())) fail("the ESSCertID hash does not match the signing certificate");

  const algorithm = imprintAlgorithm(tst.messageImprint.hashAlgorithm.algorithmId) ?? fail(`the imprint algorithm ${tst.messageImprint.hashAlgorithm.algorithmId} is unknown`);
  const hashedMessage = new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (expect.hashedMessage && !equal(hashedMessage, expect.hashedMessage)) fail("the token's imprint is not the hash that was sent");
  const nonce = tst.nonce ? new Uint8Array(tst.nonce.valueBlock.valueHexView) : undefined;
  if (expect.nonce && (!nonce || !equal(stripZero(nonce), stripZero(expect.nonce)))) fail("the token's nonce is not the one that was sent");
  return {
    token,
    genTime: tst.genTime,
    serialNumber: Buffer.from(stripZero(new Uint8Array(tst.serialNumber.valueBlock.valueHexView))).toString("hex"),
    policy,
    algorithm,
    hashedMessage,
    nonce,
    signerCert: signerDer,
    signerName: signer!.subject.typesAndValues.map((t) => `${shortName(t.type)}=${t.value.valueBlock.value}`).join(", "),
  };
}

function findSigner(certs: pkijs.Certificate[], sid: unknown): pkijs.Certificate | undefined {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  }
  // subjectKeyIdentifier: pkijs gives the [0] OCTET STRING
  const keyId = sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive ? octets(sid) : undefined;
  return certs.find((c) => {
    const ski = c.extensions?.find((e) => e.extnID === "2.5.29.14");
    return keyId !== undefined && ski?.parsedValue instanceof asn1js.OctetString && equal(octets(ski.parsedValue), keyId);
  });
}

function octets(v: unknown): Uint8Array {
  if (v instanceof asn1js.OctetString) {
    // A constructed OCTET STRING (BER) keeps its pieces in value; DER ones hold valueHex.
    return v.valueBlock.isConstructed
      ? Uint8Array.from(Buffer.concat(v.valueBlock.value.map((p) => octets(p))))
      : new Uint8Array(v.valueBlock.valueHexView);
  }
  if (v instanceof asn1js.Primitive) return new Uint8Array(v.valueBlock.valueHexView);
  return fail("expected an OCTET STRING");
}

function stripZero(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function bitsOf(bits: asn1js.BitString): string {
  return Buffer.from(bits.valueBlock.valueHexView).toString("hex");
}

function shortName(oid: string): string {
  return { "2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C" }[oid] ?? oid;
}
