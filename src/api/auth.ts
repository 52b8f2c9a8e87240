// Authentication and authorization, driven by the route registry (./operations.ts): the
// first middleware finds the operation being served; the second checks the bearer key and
// the caller's role against the operation's access rule and derives the caller's data
// scope. A key is never logged or echoed; only its public id is.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { parseKey } from "../auth/keys.ts";
import type { FailureTracker } from "../auth/failures.ts";
import { ServiceError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AccessService } from "../services/access.ts";
import { clientAddress } from "./client-address.ts";
import { scopeOf, type AppEnv } from "./context.ts";
import type { Operation } from "./operations.ts";

/** Sets c.var.operation to the registry entry of the route that will answer, if any. */
export function operationLookup(operations: Record<string, Operation>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const route = matchedRoutes(c).findLast((r) => r.method === method);
    if (route) {
      const key = `${route.method} ${route.path}`;
      const op = operations[key];
      // Every route has an entry (createApp checks at start); fail closed if one slipped by.
      if (!op) throw new Error(`route ${key} has no entry in the route registry`);
      c.set("operation", { key, op });
    }
    await next();
  };
}

export interface AuthDeps {
  access: AccessService;
  failures: FailureTracker;
  log: Logger;
  now?: () => Date;
  /** METRICS_TOKEN: admitted as the bearer on routes marked `metricsToken` (GET /metrics). */
  metricsToken?: string | undefined;
}

/**
 * Whether `token` is the metrics token, in time that does not depend on where they differ:
 * both are hashed first, so the comparison is of equal lengths whatever was sent.
 */
export function isMetricsToken(token: string | undefined, expected: string | undefined): boolean {
  if (token === undefined || expected === undefined) return false;
  const digest = (v: string) => createHash("sha256").update(v).digest();
  return timingSafeEqual(digest(token), digest(expected));
}

const BEARER_RE = /^Bearer +(\S+) *$/i;
const UNAUTHORIZED = 'Bearer realm="evidence"';

export function authenticate(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const op = c.get("operation")?.op;
    // Unknown routes fall through to the 404/405 handler; public routes need no key.
    if (!op || op.access === "public") return next();

    const address = clientAddress(c);
    const wait = deps.failures.blockedFor(address);
    if (wait > 0) {
      throw new ServiceError("too-many-requests", `too many failed authentications from this address; retry in ${wait} s`, {
        headers: { "retry-after": String(wait) },
      });
    }
    const header = c.req.header("authorization");
    const token = header === undefined ? undefined : BEARER_RE.exec(header)?.[1];
    // A scraper's token is no API key: it names no principal and gives no scope. Anything
    // else sent to such a route is checked as a key, and fails (and counts) as one.
    if (op.metricsToken && isMetricsToken(token, deps.metricsToken)) {
      await next();
      if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
      return;
    }
    const caller = token === undefined ? null : await deps.access.authenticate(token);
    if (!caller) {
      await recordFailure(deps, c, address, token);
      // One answer for a missing, malformed, unknown, revoked or expired key: no oracle.
      throw new ServiceError("unauthorized", "send a valid API key as 'Authorization: Bearer <key>'", {
        headers: { "www-authenticate": header === undefined ? UNAUTHORIZED : `${UNAUTHORIZED}, error="invalid_token"` },
      });
    }
    // A route the caller's role may not use says so. That tells nothing: which role may call
    // which route is public (the OpenAPI document's x-roles), and it is decided before any
    // data is read, so the answer is the same whatever exists. Data outside the caller's
    // scope is another matter: it answers 404, exactly as a thing that does not exist.
    if (!op.access.includes(caller.kind)) {
      const forWhom = `${op.access.join(", ")}${op.metricsToken ? ", or the metrics token" : ""}`;
      throw new ServiceError("forbidden", `this route exists, but a ${caller.kind} key may not use it; it is for: ${forWhom}`);
    }
    c.set("caller", caller);
    c.set("scope", scopeOf(caller, (deps.now ?? (() => new Date()))()));
    await next();
    // Tenant data must not be kept by shared caches or the browser.
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  };
}

async function recordFailure(deps: AuthDeps, c: Context, address: string, token: string | undefined): Promise<void> {
  const keyId = token === undefined ? undefined : parseKey(token);
  const verdict = deps.failures.record(address, keyId);
  deps.log.warn("authentication failed", {
    address,
    path: c.req.path,
    // The public id of a well-formed key, never the key; nothing of a malformed one.
    ...(keyId ? { keyId } : { credential: token === undefined ? "none" : "malformed" }),
  });
  if (verdict.burst) {
    await deps.access.recordFailureBurst(address, {
      failures: verdict.count,
      windowSeconds: deps.failures.windowMs / 1000,
      keyIds: verdict.keyIds,
    });
  }
}
