// PDF signatures of evidence reports, PAdES baseline B-T (ETSI EN 319 142-1): a detached CMS
// SignedData (pkijs) over the PDF's ByteRange, signed by the service's X.509 document-signing
// certificate with the signed attributes PAdES asks for (contentType, messageDigest,
// signing-certificate-v2; no signingTime, which PAdES puts in the dictionary's /M), and an
// RFC 3161 signature time-stamp over the signature value as an unsigned attribute. The
// placeholder comes from pdf-placeholder.ts (in the PDF worker); @signpdf/signpdf fills in the
// ByteRange and /Contents. Nothing here writes DER by hand: pkijs and asn1js build it all.
import { createHash, randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { SignPdf } from "@signpdf/signpdf";
import { Signer as SignpdfSigner } from "@signpdf/utils";
import { signerInfo as cmsSignerInfo, signingCertificateV2 } from "../pki/cms.ts";
import type { CertifiedKey } from "../pki/identity.ts";
import "../pki/keys.ts"; // sets the WebCrypto engine pkijs signs with
import { IMPRINT_ALGORITHMS } from "../verify/timestamp-algorithms.ts";
import type { TimeStampAuthority } from "../tsa/authority.ts";
import { requestTimestamp } from "../tsa/client.ts";
import { buildTimeStampQuery, parseTimeStampQuery } from "../tsa/query.ts";
import type { PlaceholderOptions } from "./pdf-placeholder.ts";

export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  signatureTimeStampToken: "1.2.840.113549.1.9.16.2.14",
} as const;

/**
 * Gets an RFC 3161 TimeStampToken (ContentInfo DER) over a SHA-256 hash. For a PAdES B-T
 * signature the hash is that of the CMS signature value (RFC 3161 Appendix A).
 */
export type Timestamper = (sha256Hash: Uint8Array) => Promise<Uint8Array>;

/**
 * The service's own authority, in process. The serial is 20 random bytes (RFC 3161's 160-bit
 * limit): tokens of POST /v1/tsa carry a 16-byte evidence id instead, so the two never meet.
 */
export function ownTimestamper(tsa: TimeStampAuthority): Timestamper {
  return async (hash) => {
    const query = parseTimeStampQuery(buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, hash, new Uint8Array(randomBytes(8))), tsa.policy);
    const serial = new Uint8Array(randomBytes(20));
    serial[0] = (serial[0]! & 0x7f) | 0x01;
    const token = await tsa.token({ query, serial, genTime: new Date() });
    return new Uint8Array(token.toSchema().toBER(false));
  };
}

/**
 * An external authority (TSA_URL, with TSA_AUTHORIZATION when it wants one): the token is
 * checked (signature, imprint, nonce, time) before use.
 */
export function remoteTimestamper(url: string, opts: { timeoutMs: number; authorization?: string | undefined }): Timestamper {
  return async (hash) => (await requestTimestamp(url, hash, opts)).token;
}

/** The first authority that answers: TSA_URL's, then our own when it fails. */
export function firstOf(timestampers: Timestamper[], onFallback?: (err: Error) => void): Timestamper {
  return async (hash) => {
    let last: Error | undefined;
    for (const t of timestampers) {
      try {
        return await t(hash);
      } catch (err) {
        last = err as Error;
        onFallback?.(last);
      }
    }
    throw last ?? new Error("no time-stamping authority is configured");
  };
}

export interface SignedPdfTiming {
  /** SHA-256 of the signed ranges and the CMS signature, in ms. */
  signMs: number;
  /** Waiting for the signature time-stamp, in ms. */
  timestampMs: number;
}

/**
 * Signs report PDFs under one document-signing certificate. `timestamper` makes the signature
 * B-T; the certificate's chain goes into the CMS so that a reader can build the path to the
 * CA it is told to trust (/.well-known/evidence-ca.pem).
 */
export class ReportPdfSigner {
  readonly signer: CertifiedKey;
  readonly #timestamper: Timestamper | null;
  readonly #cert: pkijs.Certificate;
  readonly #certs: pkijs.Certificate[];
  readonly #signingCertificateV2: pkijs.Attribute;
  /** Bytes /Contents reserves: the certificates, a token carrying the TSA's chain, and the rest. */
  readonly signatureLength: number;
  /** SHA-256 of the certificate, AB:CD:… as `openssl x509 -fingerprint -sha256` and readers show it. */
  readonly fingerprint: string;
  /** How long the last signature took (for logs and the tests' measurements). */
  lastTiming: SignedPdfTiming | undefined;

  /** `timestamper` null: no signature time-stamp (PAdES B-B), for an instance without a TSA. */
  constructor(signer: CertifiedKey, timestamper: Timestamper | null, opts: { tsaCertBytes?: number } = {}) {
    this.signer = signer;
    this.#timestamper = timestamper;
    this.#cert = pkijs.Certificate.fromBER(signer.cert.rawData);
    this.#certs = [this.#cert, ...signer.chain.map((c) => pkijs.Certificate.fromBER(c.rawData))];
    this.#signingCertificateV2 = signingCertificateV2(this.#cert, new Uint8Array(signer.cert.rawData));
    this.fingerprint = Buffer.from(sha256(new Uint8Array(signer.cert.rawData))).toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1:");
    const ours = [signer.cert, ...signer.chain].reduce((n, c) => n + c.rawData.byteLength, 0);
    // An external authority's chain is unknown in advance: 8 KiB covers a token with three
    // RSA-4096 certificates; 4 KiB more for attributes, signature and an RSA key's length.
    this.signatureLength = ours + (opts.tsaCertBytes ?? 8192) + 4096;
  }

  /** The dictionary's entries for the placeholder the worker adds. */
  placeholder(now = new Date()): PlaceholderOptions {
    const cn = this.#cert.subject.typesAndValues.find((t) => t.type === "2.5.4.3")?.value.valueBlock.value ?? "Evidence service";
    return {
      signatureLength: this.signatureLength,
      name: String(cn),
      reason: "Evidence report issued by the evidence service; any change to this file invalidates this signature",
      location: "Evidence service",
      contactInfo: "",
      signingTime: now,
    };
  }

  /** Fills the placeholder of `pdf` with the CMS signature over everything but /Contents. */
  async sign(pdf: Uint8Array): Promise<Uint8Array> {
    const cms = (covered: Uint8Array) => this.cms(covered);
    const adapter = new (class extends SignpdfSigner {
      override async sign(covered: Buffer): Promise<Buffer> {
        return Buffer.from(await cms(covered));
      }
    })();
    const out = await new SignPdf().sign(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength), adapter);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** The DER ContentInfo (SignedData, detached) over `covered`, the ByteRange's bytes. */
  async cms(covered: Uint8Array): Promise<Uint8Array> {
    const t0 = performance.now();
    const signedData = new pkijs.SignedData({
      version: 1,
      // Detached: the signed content is the PDF's ByteRange, not carried here.
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      signerInfos: [cmsSignerInfo(this.#cert, this.#signingCertificateV2, OID.data, sha256(covered))],
      certificates: this.#certs,
    });
    await signedData.sign(this.signer.key.privateKey, 0, "SHA-256");
    const signerInfo = signedData.signerInfos[0]!;
    const t1 = performance.now();
    // PAdES B-T: the time-stamp covers the signature value, so it proves the signature
    // existed at its genTime.
    if (this.#timestamper) {
      const token = await this.#timestamper(sha256(new Uint8Array(signerInfo.signature.valueBlock.valueHexView)));
      const parsed = asn1js.fromBER(token);
      if (parsed.offset === -1) throw new Error("the time-stamping authority's token is not DER");
      signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
        type: 1,
        attributes: [new pkijs.Attribute({ type: OID.signatureTimeStampToken, values: [parsed.result] })],
      });
    }
    const t2 = performance.now();
    const ci = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
    const der = new Uint8Array(ci.toSchema().toBER(false));
    this.lastTiming = { signMs: t1 - t0, timestampMs: t2 - t1 };
    return der;
  }
}


function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
