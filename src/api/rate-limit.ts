// Per-key request limits (hono-rate-limiter): a fixed one-minute window per API key, and per
// client address for requests without one. Over the limit is a 429 problem+json with
// Retry-After; every counted response carries the draft-7 RateLimit and RateLimit-Policy headers.
//
// The counters live in this process's memory. That is enough for what the limit is for (one
// key or address must not swamp the service) and costs no database write per request, but
// each instance counts alone: behind N instances a client gets up to N times the limit, and
// a restart forgets the window. A shared store (hono-rate-limiter has Redis and unstorage
// ones) would make the limit global when the service runs as several instances.
import type { Context, MiddlewareHandler } from "hono";
import { MemoryStore, rateLimiter } from "hono-rate-limiter";
import { clientAddress } from "./client-address.ts";
import type { AppEnv } from "./context.ts";
import { problemResponse } from "./problem.ts";

export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimitOptions {
  /** Requests per minute for each API key; 0: no limit. */
  perKeyPerMinute: number;
  /** Requests per minute for each client address on requests without a key; 0: no limit. */
  publicPerMinute: number;
}

/**
 * Must run after auth, which sets c.var.caller. Requires both limits to be integers ≥ 0
 * (throws a RangeError otherwise).
 */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<AppEnv> {
  for (const [name, value] of Object.entries(opts)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be an integer ≥ 0, got ${value}`);
  }
  // No store at all, so no timer either.
  if (opts.perKeyPerMinute === 0 && opts.publicPerMinute === 0) return (_c, next) => next();

  const limitOf = (c: Context<AppEnv>) => (c.var.caller ? opts.perKeyPerMinute : opts.publicPerMinute);
  // The key id, not the principal: each of a principal's keys has its own budget, and a key id
  // is public (safe to keep in memory and to log). Addresses are only the socket's peer.
  const bucketOf = (c: Context<AppEnv>) => (c.var.caller ? `key:${c.var.caller.keyId}` : `addr:${clientAddress(c)}`);

  const store = new MemoryStore<AppEnv>();
  const limiter = rateLimiter<AppEnv>({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: limitOf,
    keyGenerator: bucketOf,
    skip: (c) => limitOf(c) === 0,
    standardHeaders: "draft-7",
    store,
    handler: (c) => {
      const resetAt = store.get(bucketOf(c))?.resetTime?.getTime() ?? Date.now() + RATE_LIMIT_WINDOW_MS;
      // At least 1: "Retry-After: 0" invites an immediate retry that lands in the same window.
      const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
      const who = c.var.caller ? "this API key" : "this address";
      return problemResponse(c, "too-many-requests", `more than ${limitOf(c)} requests a minute from ${who}; retry in ${seconds} s`, {
        headers: { "retry-after": String(seconds) },
      });
    },
  });
  // The store's window timer (started by rateLimiter above) only sweeps old counters; it must
  // not keep a finished process, or a test run, alive. hono-rate-limiter unrefs it itself
  // today; this keeps it so should that change.
  (store.interval as { unref?: () => void } | undefined)?.unref?.();
  return limiter;
}
