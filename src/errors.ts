// The service's error vocabulary: one base class with a stable code, and the one mapping
// from those codes to RFC 9457 problem details. Routes throw; src/api/problem.ts renders.

/** Stable problem codes. The `type` URI of each is `urn:evidence:problem:<code>`. */
export const PROBLEMS = {
  "validation-failed": { status: 422, title: "The request did not pass validation" },
  "malformed-json": { status: 400, title: "The request body is not valid JSON" },
  "unsupported-media-type": { status: 415, title: "The request body must be application/json" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "unauthorized": { status: 401, title: "A valid API key is required" },
  "forbidden": { status: 403, title: "This key may not use this route" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "conflict": { status: 409, title: "The resource already exists" },
  "idempotency-key-in-use": { status: 409, title: "A request with this Idempotency-Key is still being processed" },
  "idempotency-key-reused": { status: 422, title: "This Idempotency-Key was used with a different request" },
  "too-many-requests": { status: 429, title: "Too many requests" },
  "service-unavailable": { status: 503, title: "A dependency of the service is unavailable" },
  "internal-error": { status: 500, title: "Internal server error" },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

/** One field that failed validation and why: a JSON pointer into the body, or the name of a query parameter. */
export interface FieldError {
  field: string;
  reason: string;
}

export function problemType(code: ProblemCode): string {
  return `urn:evidence:problem:${code}`;
}

/** An error the client can act on, or an honest 5xx. Carries everything the response needs. */
export class ServiceError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Response headers the problem needs (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ProblemCode,
    detail: string,
    opts: { errors?: FieldError[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ServiceError";
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }
}

export const notFound = (what: string) => new ServiceError("not-found", `${what} was not found`);

export function validationFailed(errors: FieldError[]): ServiceError {
  const first = errors[0];
  const detail = first
    ? `${first.field || "(body)"}: ${first.reason}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "invalid request";
  return new ServiceError("validation-failed", detail, { errors });
}
