// Error classes of the core: a caller's mistake (CoreError, stable codes) vs. a bug of ours (InvariantError).

/** Stable identifiers callers may branch on (the API maps them to problem+json). */
export type CoreErrorCode =
  | "invalid-hex" // a string is not the expected 0x-prefixed hex
  | "invalid-length" // a byte string has the wrong length
  | "invalid-argument" // a number or value outside what the function accepts
  | "invalid-meta" // evidence meta violates the format or its limits
  | "invalid-json" // a value that has no canonical JSON form (undefined, NaN, cycles…)
  | "unsupported-algorithm" // a hash algorithm this build cannot compute
  | "index-out-of-range" // Merkle leaf index >= tree size
  | "wrong-proof-size" // inclusion path length differs from what RFC 9162 implies
  | "invalid-bundle" // a proof bundle violates evidence-proof/v1 (see `path`)
  | "malformed-json"; // text that is not JSON at all

/** The caller passed something wrong; the message says what and why. */
export class CoreError extends Error {
  override name = "CoreError";
  readonly code: CoreErrorCode;
  /** JSON pointer of the offending field, when the input is a JSON document (e.g. "/batch/path/2"). */
  readonly path?: string;

  constructor(code: CoreErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.path !== undefined) this.path = options.path;
  }
}

/** Something that cannot happen unless our own code (or stored data it relies on) is wrong. */
export class InvariantError extends Error {
  override name = "InvariantError";
}
