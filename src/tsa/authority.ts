// The service as an RFC 3161 time-stamping authority: a checked query in, a TimeStampResp out,
// its token a CMS SignedData over a TSTInfo, signed by the TSA certificate with the ESSCertIDv2
// attribute (RFC 5816) binding the signature to that certificate. pkijs and asn1js build every
// structure; nothing here writes DER by hand.
import { createHash } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { CertifiedKey } from "../pki/identity.ts";
import "../pki/keys.ts"; // sets the WebCrypto engine pkijs signs with
import { positiveInteger, type TimeStampQuery } from "./query.ts";
import { OID } from "../verify/timestamp.ts";
import { signerInfo, signingCertificateV2 } from "../pki/cms.ts";

/**
 * The policy the tokens are issued under when TSA_POLICY_OID does not name one: a UUID OID
 * (ITU-T X.667, arc 2.25), ours without registering anything. docs/timestamps.md says what it
 * promises.
 */
export const DEFAULT_TSA_POLICY = "2.25.118409227025116390991590385201113723273";

export { OID };

export interface IssueInput {
  query: TimeStampQuery;
  /** The token's serial number, as unsigned big-endian bytes: the evidence id's 16 bytes. */
  serial: Uint8Array;
  genTime: Date;
}

export class TimeStampAuthority {
  readonly signer: CertifiedKey;
  readonly policy: string;
  /** The certificates a token carries when the query asks for them (certReq). */
  readonly #certs: pkijs.Certificate[];
  readonly #signer: pkijs.Certificate;
  readonly #signingCertificateV2: pkijs.Attribute;

  constructor(signer: CertifiedKey, policy: string = DEFAULT_TSA_POLICY) {
    this.signer = signer;
    this.policy = policy;
    this.#signer = pkijs.Certificate.fromBER(signer.cert.rawData);
    this.#certs = [this.#signer, ...signer.chain.map((c) => pkijs.Certificate.fromBER(c.rawData))];
    this.#signingCertificateV2 = signingCertificateV2(this.#signer, new Uint8Array(signer.cert.rawData));
  }

  /** A granted TimeStampResp (DER) over the query's imprint. */
  async issue(input: IssueInput): Promise<Uint8Array> {
    const token = await this.token(input);
    const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }), timeStampToken: token });
    return new Uint8Array(resp.toSchema().toBER(false));
  }

  /** The TimeStampToken alone (a ContentInfo holding SignedData). */
  async token({ query, serial, genTime }: IssueInput): Promise<pkijs.ContentInfo> {
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: query.messageImprint,
      serialNumber: positiveInteger(serial),
      genTime,
      // The time comes from this host's clock, kept by NTP: within a second is what we claim.
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(query.nonce ? { nonce: query.nonce } : {}),
      tsa: new pkijs.GeneralName({ type: 4, value: this.#signer.subject }),
    });
    const content = new Uint8Array(tstInfo.toSchema().toBER(false));
    const signedData = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: OID.tstInfo,
        eContent: new asn1js.OctetString({ valueHex: content }),
      }),
      signerInfos: [signerInfo(this.#signer, this.#signingCertificateV2, OID.tstInfo, sha256(content))],
      ...(query.certReq ? { certificates: this.#certs } : {}),
    });
    // With signed attributes present, pkijs signs their DER SET (RFC 5652 §5.4), not `content`.
    await signedData.sign(this.signer.key.privateKey, 0, "SHA-256");
    return new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  }
}


function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
