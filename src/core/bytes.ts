// Byte strings: 0x-hex <-> Uint8Array, concatenation, equality, shape checks.
import { CoreError } from "./errors.ts";

const HEX_DIGITS = "0123456789abcdef";
// One table lookup per byte: toHex runs for every path element of every bundle.
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);

// Value of each hex digit by char code ("0"-"9", "a"-"f", "A"-"F"); other entries unused.
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUE[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}

export interface HexOptions {
  /** Reject A-F. Proof bundles are lowercase by spec; API inputs may use either case. */
  lowercaseOnly?: boolean;
}

/** "0x" followed by lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = "0x";
  for (let i = 0; i < b.length; i++) s += BYTE_TO_HEX[b[i]!]!;
  return s;
}

/** Human description of the accepted shape, used verbatim in error messages. */
export function hexShape(byteLength?: number, opts?: HexOptions): string {
  const kind = opts?.lowercaseOnly ? "lowercase hex digits" : "hex digits";
  return byteLength === undefined
    ? `0x followed by an even number of ${kind}`
    : `0x followed by ${byteLength * 2} ${kind}`;
}

/** True when `s` is "0x" + hex (of exactly `byteLength` bytes if given). */
export function isHex(s: unknown, byteLength?: number, opts?: HexOptions): s is string {
  if (typeof s !== "string" || !s.startsWith("0x")) return false;
  const digits = s.length - 2;
  if (digits % 2 !== 0) return false;
  if (byteLength !== undefined && digits !== byteLength * 2) return false;
  const re = opts?.lowercaseOnly ? /^[0-9a-f]*$/ : /^[0-9a-fA-F]*$/;
  return re.test(s.slice(2));
}

/**
 * Decodes "0x"-prefixed hex. Requires the prefix and an even number of digits; when
 * `byteLength` is given the result must have exactly that many bytes.
 * Throws CoreError "invalid-hex" otherwise.
 */
export function fromHex(s: string, byteLength?: number, opts?: HexOptions): Uint8Array {
  if (!isHex(s, byteLength, opts)) {
    throw new CoreError("invalid-hex", `expected ${hexShape(byteLength, opts)}`);
  }
  const out = new Uint8Array((s.length - 2) / 2);
  // Digits already checked by isHex: one table lookup per digit, no substring per byte.
  for (let i = 0, j = 2; i < out.length; i++, j += 2) out[i] = (HEX_VALUE[s.charCodeAt(j)]! << 4) | HEX_VALUE[s.charCodeAt(j + 1)]!;
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality. Not constant-time: everything compared here is public. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws CoreError "invalid-length" unless `b` is a Uint8Array of exactly `length` bytes. */
export function assertLength(b: Uint8Array, length: number, what: string): void {
  if (!(b instanceof Uint8Array)) throw new CoreError("invalid-argument", `${what}: expected a Uint8Array`);
  if (b.length !== length) throw new CoreError("invalid-length", `${what} is ${b.length} bytes, want ${length}`);
}

/** UTF-8 encoding (TextEncoder exists in Node and browsers alike). */
export function utf8(s: string): Uint8Array {
  return UTF8.encode(s);
}

const UTF8 = new TextEncoder();

/** True when `s` has no lone UTF-16 surrogate, i.e. it has a UTF-8 encoding. */
export function isWellFormedString(s: string): boolean {
  // The built-in (ES2024) where there is one: it runs for every meta value and every member
  // of every signed document, and the regular expression costs several times more.
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !LONE_SURROGATE_RE.test(s);
}

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
