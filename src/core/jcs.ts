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
  assertJsonValue(value, [], new Set());
  const out = canonicalize(value);
  if (out === undefined) throw new InvariantError("canonicalize returned undefined for a checked value");
  return out;
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

// The JSON pointer of a value is built only when it is reported: this check runs over every
// member of every document signed or hashed (each receipt at ingest), which are all fine.
function fail(at: readonly (string | number)[], what: string): never {
  const path = at.map((t) => `/${typeof t === "number" ? t : escapePointer(t)}`).join("");
  throw new CoreError("invalid-json", `${path === "" ? "value" : path}: ${what} has no canonical JSON form`, { path });
}

/** `at`: the reference tokens down to `v` (pushed and popped as the walk goes). */
function assertJsonValue(v: unknown, at: (string | number)[], stack: Set<object>): void {
  switch (typeof v) {
    case "string":
      if (!isWellFormedString(v)) fail(at, "a string with a lone surrogate");
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(v)) fail(at, String(v));
      return;
    case "object":
      break;
    default:
      fail(at, typeof v === "undefined" ? "undefined" : `a ${typeof v}`);
  }
  if (v === null) return;
  if (stack.has(v)) fail(at, "a circular reference");
  stack.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      at.push(i);
      assertJsonValue(v[i], at, stack);
      at.pop();
    }
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) fail(at, "a non-plain object");
    for (const key of Object.keys(v)) {
      at.push(key);
      if (!isWellFormedString(key)) fail(at, "a key with a lone surrogate");
      assertJsonValue((v as Record<string, unknown>)[key], at, stack);
      at.pop();
    }
  }
  stack.delete(v);
}
