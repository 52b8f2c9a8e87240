// Reading an RFC 3161 TimeStampReq from the wire: DER only, every field checked, and each
// refusal naming the field and why. The bytes are attacker-controlled: nothing here trusts a
// length or a tag it has not checked.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { fromBER } from "../verify/timestamp.ts";
import { ACCEPTED_DESCRIPTION, describeRefused, imprintAlgorithm, oidText, type ImprintAlgorithm } from "../verify/timestamp-algorithms.ts";

export interface TimeStampQuery {
  algorithm: ImprintAlgorithm;
  /** The imprint as sent: copied into the token unchanged (RFC 3161 §2.4.2). */
  messageImprint: pkijs.MessageImprint;
  hashedMessage: Uint8Array;
  nonce: asn1js.Integer | undefined;
  certReq: boolean;
  reqPolicy: string | undefined;
}

/**
 * A query we refuse. `field` names the TimeStampReq field (RFC 3161 §2.4.1 names) as a JSON
 * pointer over the structure, "/messageImprint/hashAlgorithm", as every other route names a
 * body field; "" is the body as a whole.
 */
export class TimeStampQueryError extends Error {
  override name = "TimeStampQueryError";
  readonly field: string;
  constructor(field: string, reason: string) {
    super(reason);
    this.field = field;
  }
}

/** Longest nonce accepted: RFC 3161 sets no bound; 64 bits is usual (openssl), 256 is plenty. */
const MAX_NONCE_BYTES = 32;

/**
 * Parses and checks a DER TimeStampReq. `policy` is the TSA's policy OID: a request naming
 * another is refused (RFC 3161 §2.4.2, unacceptedPolicy).
 */
export function parseTimeStampQuery(der: Uint8Array, policy: string): TimeStampQuery {
  if (der.length === 0) throw new TimeStampQueryError("", "the body is empty; send a DER TimeStampReq (openssl ts -query)");
  const asn1 = fromBER(der);
  if (asn1.offset === -1) throw new TimeStampQueryError("", `not DER: ${asn1.error || "cannot be parsed"}`);
  if (asn1.offset !== der.length) throw new TimeStampQueryError("", `${der.length - asn1.offset} bytes follow the TimeStampReq`);
  let req: pkijs.TimeStampReq;
  try {
    req = new pkijs.TimeStampReq({ schema: asn1.result });
  } catch (err) {
    throw new TimeStampQueryError("", `not a TimeStampReq (RFC 3161 §2.4.1): ${(err as Error).message}`);
  }
  if (req.version !== 1) throw new TimeStampQueryError("/version", `must be 1, got ${req.version}`);
  const oid = req.messageImprint.hashAlgorithm.algorithmId;
  const algorithm = imprintAlgorithm(oid);
  if (!algorithm) {
    throw new TimeStampQueryError("/messageImprint/hashAlgorithm", `${describeRefused(oid)} is not accepted; use ${ACCEPTED_DESCRIPTION}`);
  }
  const params = req.messageImprint.hashAlgorithm.algorithmParams as asn1js.AsnType | undefined;
  if (params !== undefined && !(params instanceof asn1js.Null)) {
    throw new TimeStampQueryError("/messageImprint/hashAlgorithm/parameters", "must be absent or NULL");
  }
  const hashedMessage = req.messageImprint.hashedMessage.valueBlock.valueHexView;
  if (hashedMessage.length !== algorithm.length) {
    throw new TimeStampQueryError(
      "/messageImprint/hashedMessage",
      `a ${algorithm.name} hash is ${algorithm.length} bytes, got ${hashedMessage.length}`,
    );
  }
  // Read from the ASN.1 node: pkijs keeps asn1js' text, which garbles arcs past 2^53.
  const policyNode = (asn1.result as asn1js.Sequence).valueBlock.value.find((v) => v instanceof asn1js.ObjectIdentifier);
  const reqPolicy = policyNode ? oidText(policyNode as asn1js.ObjectIdentifier) : undefined;
  if (reqPolicy !== undefined && reqPolicy !== policy) {
    throw new TimeStampQueryError("/reqPolicy", `this authority issues under policy ${policy} only, not ${reqPolicy}`);
  }
  if (req.nonce !== undefined) {
    const n = req.nonce.valueBlock.valueHexView;
    if (n.length > MAX_NONCE_BYTES) throw new TimeStampQueryError("/nonce", `at most ${MAX_NONCE_BYTES} bytes, got ${n.length}`);
  }
  if (req.extensions !== undefined && req.extensions.length > 0) {
    throw new TimeStampQueryError("/extensions", `no extension is supported (got ${req.extensions.map((e) => e.extnID).join(", ")})`);
  }
  return {
    algorithm,
    messageImprint: req.messageImprint,
    hashedMessage: new Uint8Array(hashedMessage),
    nonce: req.nonce,
    certReq: req.certReq ?? false,
    reqPolicy,
  };
}

/** A DER TimeStampReq, as a client (the batch stamper) sends it. */
export function buildTimeStampQuery(algorithm: ImprintAlgorithm, hashedMessage: Uint8Array, nonce: Uint8Array): Uint8Array {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: algorithm.oid }),
      hashedMessage: new asn1js.OctetString({ valueHex: hashedMessage }),
    }),
    nonce: positiveInteger(nonce),
    certReq: true,
  });
  return new Uint8Array(req.toSchema().toBER(false));
}

/**
 * An INTEGER holding `bytes` as an unsigned big-endian number, in DER's minimal form: leading
 * zero bytes dropped (a UUID may start with one; openssl refuses the padding), and one 0 byte
 * put back when the top bit is set, so it stays positive.
 */
export function positiveInteger(bytes: Uint8Array): asn1js.Integer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const value = trimmed[0] !== undefined && trimmed[0] >= 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
  return new asn1js.Integer({ valueHex: value.length === 0 ? Uint8Array.of(0) : value });
}

export { fromBER } from "../verify/timestamp.ts";
