// The CMS signer information both of our signatures carry (the RFC 3161 token's and the PDF's
// CAdES one): signed by one certificate, named by issuer and serial number, over the signed
// attributes contentType, messageDigest and signing-certificate-v2 (RFC 5035: the SHA-256 of
// the signing certificate, so the signature cannot be re-attributed to another certificate
// with the same key). Built with pkijs; the caller signs it.
import { createHash } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { OID } from "../verify/timestamp.ts";

/** The signing-certificate-v2 attribute (ESSCertIDv2 with SHA-256, the default) of `cert`, whose DER is `der`. */
export function signingCertificateV2(cert: pkijs.Certificate, der: Uint8Array): pkijs.Attribute {
  const issuerSerial = new asn1js.Sequence({
    value: [new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: cert.issuer })] }).toSchema(), cert.serialNumber],
  });
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: sha256(der) }), issuerSerial] });
  return new pkijs.Attribute({
    type: OID.signingCertificateV2,
    values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
  });
}

/** A SignerInfo by `cert` over content of type `contentType` whose SHA-256 is `digest`; `ess` from signingCertificateV2. */
export function signerInfo(cert: pkijs.Certificate, ess: pkijs.Attribute, contentType: string, digest: Uint8Array): pkijs.SignerInfo {
  return new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({
      type: 0,
      // In DER order (by encoding: each is longer than the one before).
      attributes: [
        new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: contentType })] }),
        new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
        ess,
      ],
    }),
  });
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
