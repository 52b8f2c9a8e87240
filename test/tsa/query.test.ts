// Reading a TimeStampReq from the wire is parsing attacker-controlled bytes: whatever arrives,
// the parser answers a query or a TimeStampQueryError naming a field, never anything else (an
// exception from deep inside asn1js would be a 500). Also the two small encoders around it:
// INTEGERs in DER's minimal positive form, and policy OIDs with arcs past 2^53.
import * as asn1js from "asn1js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IMPRINT_ALGORITHMS, oidText } from "../../src/verify/timestamp-algorithms.ts";
import { DEFAULT_TSA_POLICY } from "../../src/tsa/authority.ts";
import { buildTimeStampQuery, parseTimeStampQuery, positiveInteger, TimeStampQueryError } from "../../src/tsa/query.ts";

const RUNS = process.env.CI ? 2000 : 200;

function parsesOrNamesAField(bytes: Uint8Array): void {
  try {
    const q = parseTimeStampQuery(bytes, DEFAULT_TSA_POLICY);
    expect(q.hashedMessage.length).toBe(q.algorithm.length);
  } catch (err) {
    if (!(err instanceof TimeStampQueryError)) throw err;
    expect(err.field).toMatch(/^(|\/version|\/messageImprint\/[a-zA-Z/]+|\/reqPolicy|\/nonce|\/extensions)$/);
  }
}

describe("parseTimeStampQuery on hostile input", () => {
  it("answers random bytes with a field error", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => parsesOrNamesAField(b)), { numRuns: RUNS });
  });

  it("answers every mutation of a good query with a query or a field error", () => {
    const good = buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, new Uint8Array(32).fill(0xab), Uint8Array.of(0x80, 1, 2, 3, 4, 5, 6, 7));
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(good.length), (at, xor, cut) => {
        const changed = Uint8Array.from(good);
        changed[at]! ^= xor;
        parsesOrNamesAField(changed);
        parsesOrNamesAField(good.subarray(0, cut));
      }),
      { numRuns: RUNS },
    );
  });

  it("reads back what the builder wrote, for every accepted algorithm", () => {
    for (const alg of IMPRINT_ALGORITHMS) {
      const q = parseTimeStampQuery(buildTimeStampQuery(alg, new Uint8Array(alg.length).fill(3), Uint8Array.of(9)), DEFAULT_TSA_POLICY);
      expect(q).toMatchObject({ algorithm: alg, certReq: true, reqPolicy: undefined });
    }
  });
});

describe("positiveInteger", () => {
  it.each([
    ["00", "020100"],
    ["0000", "020100"],
    ["7f", "02017f"],
    ["80", "02020080"],
    ["0080", "02020080"],
    ["000001", "020101"],
    ["01a23db74f45", "020601a23db74f45"],
  ])("%s is encoded as %s", (hex, der) => {
    expect(Buffer.from(positiveInteger(Buffer.from(hex, "hex")).toBER(false)).toString("hex")).toBe(der);
  });
});

describe("oidText", () => {
  it("reads OIDs of any arc size as they were written", () => {
    fc.assert(
      fc.property(fc.constantFrom(0n, 1n, 2n), fc.array(fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }), { minLength: 1, maxLength: 6 }), (first, rest) => {
        // The first two arcs share one number, which asn1js itself cannot encode past 2^53.
        const second = first < 2n ? rest[0]! % 40n : rest[0]! % (1n << 40n);
        const text = [first, second, ...rest.slice(1)].join(".");
        const node = asn1js.fromBER(new asn1js.ObjectIdentifier({ value: text }).toBER(false)).result as asn1js.ObjectIdentifier;
        expect(oidText(node)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});
