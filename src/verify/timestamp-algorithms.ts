// The message-imprint hash algorithms the time-stamping authority accepts, by OID, with the
// imprint length each implies. SM3 (GB/T 32905, OID from GM/T 0006) is accepted: the TSA
// only copies the imprint, so it needs the OID and the length, not the hash itself.

export interface ImprintAlgorithm {
  /** Our name, as evidence meta spells it where it can. */
  name: "sha256" | "sha384" | "sha512" | "sm3";
  oid: string;
  /** Bytes of the hash value. */
  length: number;
}

export const IMPRINT_ALGORITHMS: readonly ImprintAlgorithm[] = [
  { name: "sha256", oid: "2.16.840.1.101.3.4.2.1", length: 32 },
  { name: "sha384", oid: "2.16.840.1.101.3.4.2.2", length: 48 },
  { name: "sha512", oid: "2.16.840.1.101.3.4.2.3", length: 64 },
  { name: "sm3", oid: "1.2.156.10197.1.401", length: 32 },
];

/** Names of algorithms a caller might send that we refuse, so the error can say what was sent. */
const REFUSED: Record<string, string> = {
  "1.3.14.3.2.26": "SHA-1 (broken: collisions are practical)",
  "1.2.840.113549.2.5": "MD5 (broken)",
  "2.16.840.1.101.3.4.2.4": "SHA-224",
  "2.16.840.1.101.3.4.2.8": "SHA3-256",
  "2.16.840.1.101.3.4.2.9": "SHA3-384",
  "2.16.840.1.101.3.4.2.10": "SHA3-512",
};

export function imprintAlgorithm(oid: string): ImprintAlgorithm | undefined {
  return IMPRINT_ALGORITHMS.find((a) => a.oid === oid);
}

export function describeRefused(oid: string): string {
  return REFUSED[oid] ?? `OID ${oid}`;
}

export const ACCEPTED_DESCRIPTION = "SHA-256, SHA-384, SHA-512 or SM3";

/**
 * The dotted form of a decoded OBJECT IDENTIFIER. asn1js prints an arc past 2^53 as "{hex}",
 * or nothing when it is the first one (a UUID OID, arc 2.25, has a 128-bit arc: our default
 * policy is one), so such OIDs are read again from their content octets with BigInt: base-128
 * digits, the first arc pair folded.
 */
export function oidText(node: { getValue(): string; valueBeforeDecodeView: Uint8Array; lenBlock: { length: number } }): string {
  const text = node.getValue();
  if (/^\d+(\.\d+)+$/.test(text)) return text;
  // The encoding as read (tag, length, content): the content is its last lenBlock.length octets.
  const whole = node.valueBeforeDecodeView;
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of whole.subarray(whole.length - node.lenBlock.length)) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const [first = 0n, ...rest] = arcs;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...rest].join(".");
}
