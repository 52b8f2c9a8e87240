// RFC 8785 (JCS) canonical JSON, strict about what counts as a JSON value.
import canonicalize from "canonicalize";
import { isWellFormedString } from "./bytes.ts";
import { CoreError, InvariantError } from "./errors.ts";

/**
 * RFC 8785 canonical form of a JSON value.
 * Requires plain JSON data: null, booleans, finite numbers, well-formed strings, arrays and
 * plain objects. Unlike JSON.stringify, `undefined` members, functions, bigints, NaN, Dates,
 * class instances and cycles are rejected with CoreError "invalid-json" instead of being
 * silently dropped or converted: what gets hashed must be exactly what the caller meant.
 */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value, "", new Set());
  const out = canonicalize(value);
  if (out === undefined) throw new InvariantError("canonicalize returned undefined for a checked value");
  return out;
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

function fail(path: string, what: string): never {
  throw new CoreError("invalid-json", `${path === "" ? "value" : path}: ${what} has no canonical JSON form`, { path });
}

function assertJsonValue(v: unknown, path: string, stack: Set<object>): void {
  switch (typeof v) {
    case "string":
      if (!isWellFormedString(v)) fail(path, "a string with a lone surrogate");
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(v)) fail(path, String(v));
      return;
    case "object":
      break;
    default:
      fail(path, typeof v === "undefined" ? "undefined" : `a ${typeof v}`);
  }
  if (v === null) return;
  if (stack.has(v)) fail(path, "a circular reference");
  stack.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) assertJsonValue(v[i], `${path}/${i}`, stack);
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) fail(path, "a non-plain object");
    for (const key of Object.keys(v)) {
      const kp = `${path}/${escapePointer(key)}`;
      if (!isWellFormedString(key)) fail(kp, "a key with a lone surrogate");
      assertJsonValue((v as Record<string, unknown>)[key], kp, stack);
    }
  }
  stack.delete(v);
}
