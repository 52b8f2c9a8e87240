// The one place errors become responses: RFC 9457 application/problem+json bodies with a
// stable `type`, the field errors when there are any, and no internals on a 5xx.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PROBLEMS, ServiceError, problemType, type FieldError, type ProblemCode } from "../errors.ts";
import { errorFields, type Logger } from "../log.ts";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
}

export function problemResponse(
  c: Context,
  code: ProblemCode,
  detail: string,
  extra: { errors?: FieldError[] | undefined; headers?: Record<string, string> } = {},
): Response {
  const { status, title } = PROBLEMS[code];
  // The raw (still percent-encoded) path: `instance` is a URI reference, and c.req.path is decoded.
  const body: ProblemBody = { type: problemType(code), title, status, detail, instance: new URL(c.req.url).pathname };
  if (extra.errors?.length) body.errors = extra.errors;
  return c.body(JSON.stringify(body), status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    ...extra.headers,
  });
}

/** Hono `onError`: known errors keep their status; anything else is logged and hidden. */
export function onError(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ServiceError) {
      return problemResponse(c, err.code, err.message, {
        errors: err.errors,
        ...(err.headers ? { headers: err.headers } : {}),
      });
    }
    // No stack for database errors: drizzle's message (repeated in the stack) holds the parameters.
    const fields = errorFields(err);
    log.error("unhandled error", { ...fields, requestId: c.get("requestId"), method: c.req.method, path: c.req.path });
    return problemResponse(c, "internal-error", "an unexpected error occurred; it has been logged");
  };
}

/**
 * Hono `notFound`: a path that exists under other methods is a 405 with an `Allow` header
 * (RFC 9110 15.5.6); anything else a 404. `routes` is the app's own route table.
 */
export function onNotFound(routes: () => readonly { method: string; path: string }[]) {
  return (c: Context): Response => {
    const allowed = allowedMethods(routes(), c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      const allow = allowed.join(", ");
      return problemResponse(c, "method-not-allowed", `${c.req.method} is not allowed here; allowed: ${allow}`, {
        headers: { allow },
      });
    }
    return notFoundResponse(c);
  };
}

/** The answer for a route that does not exist. */
export function notFoundResponse(c: Context): Response {
  return problemResponse(c, "not-found", `no route for ${c.req.method} ${c.req.path}`);
}

function allowedMethods(routes: readonly { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL") continue; // middleware, not an endpoint
    const pattern = r.path
      .split("/")
      .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    if (new RegExp(`^${pattern}/?$`).test(path)) methods.add(r.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
