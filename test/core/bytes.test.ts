// Unit tests of src/core/bytes.ts.
import { describe, expect, it } from "vitest";
import { bytesEqual, concatBytes, fromHex, isHex, isWellFormedString, toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";

describe("hex", () => {
  it("encodes lowercase with 0x", () => {
    expect(toHex(Uint8Array.of(0, 1, 0xab, 0xff))).toBe("0x0001abff");
    expect(toHex(new Uint8Array(0))).toBe("0x");
  });

  it("decodes either case by default, and round-trips", () => {
    expect(fromHex("0x0001ABff")).toEqual(Uint8Array.of(0, 1, 0xab, 0xff));
    expect(fromHex("0x")).toEqual(new Uint8Array(0));
    // Every digit in both cases, against Node's own decoder.
    const digits = "0123456789abcdefABCDEF";
    const all = Array.from(digits, (a) => Array.from(digits, (b) => a + b).join("")).join("");
    expect(fromHex("0x" + all)).toEqual(new Uint8Array(Buffer.from(all, "hex")));
    const b = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(b))).toEqual(b);
  });

  it("rejects what is not 0x-hex of the requested shape", () => {
    for (const [s, len, lower] of [
      ["0001", undefined, false],
      ["0X00", undefined, false],
      ["0x0", undefined, false],
      ["0xzz", undefined, false],
      ["0x00", 2, false],
      ["0xAB", 1, true],
    ] as const) {
      expect(() => fromHex(s, len, { lowercaseOnly: lower }), s).toThrow(CoreError);
      expect(isHex(s, len, { lowercaseOnly: lower })).toBe(false);
    }
    expect(() => fromHex("0xAB", 1, { lowercaseOnly: true })).toThrow("expected 0x followed by 2 lowercase hex digits");
    try {
      fromHex("0x12", 32);
    } catch (e) {
      expect((e as CoreError).code).toBe("invalid-hex");
    }
  });

  it("isHex checks type, prefix, length and case", () => {
    expect(isHex("0x" + "ab".repeat(32), 32, { lowercaseOnly: true })).toBe(true);
    expect(isHex(42)).toBe(false);
    expect(isHex("0x")).toBe(true);
    expect(isHex("0x", 0)).toBe(true);
  });
});

describe("concat and equality", () => {
  it("concatenates in order", () => {
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });
  it("compares bytes", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
  it("detects lone surrogates", () => {
    expect(isWellFormedString("a\u{1F600}é")).toBe(true);
    expect(isWellFormedString("a\uD83D")).toBe(false);
    expect(isWellFormedString("\uDE00a")).toBe(false);
  });
});
