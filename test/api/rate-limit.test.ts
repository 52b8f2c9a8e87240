// The rate limiter on a small app: a stand-in for auth sets c.var.caller (or not, for public
// requests), and the client address comes from a fake Node socket, as @hono/node-server
// hands it over. Each test builds its own limiter, so no counter is shared between tests.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/api/context.ts";
import { onError } from "../../src/api/problem.ts";
import { rateLimit, type RateLimitOptions } from "../../src/api/rate-limit.ts";
import { ServiceError, problemType } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";

function harness(opts: RateLimitOptions): { app: Hono<AppEnv>; runs: () => number } {
  let runs = 0;
  const app = new Hono<AppEnv>();
  // Stand-in for auth: x-test-key names the key (and its principal) of an authenticated caller.
  app.use(async (c, next) => {
    const keyId = c.req.header("x-test-key");
    if (keyId) c.set("caller", { principalId: c.req.header("x-test-principal") ?? `p-${keyId}`, kind: "tenant", keyId });
    await next();
  });
  app.use(rateLimit(opts));
  app.get("/thing", (c) => {
    runs++;
    return c.json({ ok: true });
  });
  app.get("/broken", () => {
    runs++;
    throw new ServiceError("not-found", "nothing here");
  });
  app.onError(onError(silentLogger));
  return { app, runs: () => runs };
}

/** A request as @hono/node-server delivers it: the peer address on c.env.incoming.socket. */
function send(app: Hono<AppEnv>, opts: { key?: string; principal?: string; from?: string; path?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.key) headers["x-test-key"] = opts.key;
  if (opts.principal) headers["x-test-principal"] = opts.principal;
  const env = { incoming: { socket: { remoteAddress: opts.from ?? "192.0.2.1" } } };
  return Promise.resolve(app.request(opts.path ?? "/thing", { headers }, env));
}

async function sendMany(n: number, app: Hono<AppEnv>, opts: Parameters<typeof send>[1] = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await send(app, opts)).status);
  return statuses;
}

async function expectLimited(res: Response, limit: number): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as { type: string; status: number; detail: string };
  expect(body.type).toBe(problemType("too-many-requests"));
  expect(body.status).toBe(429);
  expect(body.detail).toContain(`more than ${limit} requests a minute`);
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  expect(res.headers.get("ratelimit")).toMatch(new RegExp(`^limit=${limit}, remaining=0, reset=\\d+$`));
  expect(res.headers.get("ratelimit-policy")).toBe(`${limit};w=60`);
}

describe("rate limiter", () => {
  it("answers the N+1-th request of a key in a minute with 429 problem+json and Retry-After", async () => {
    const { app, runs } = harness({ perKeyPerMinute: 3, publicPerMinute: 100 });
    for (let i = 1; i <= 3; i++) {
      const res = await send(app, { key: "k1" });
      expect(res.status).toBe(200);
      // reset: seconds left in the key's window, which opened with its first request.
      expect(res.headers.get("ratelimit")).toMatch(new RegExp(`^limit=3, remaining=${3 - i}, reset=(59|60)$`));
      expect(res.headers.get("ratelimit-policy")).toBe("3;w=60");
      expect(res.headers.get("retry-after")).toBeNull();
    }
    await expectLimited(await send(app, { key: "k1" }), 3);
    await expectLimited(await send(app, { key: "k1" }), 3);
    // The handler did not run for the refused requests.
    expect(runs()).toBe(3);
  });

  it("counts each key on its own: other keys, even of the same principal, are unaffected", async () => {
    const { app } = harness({ perKeyPerMinute: 2, publicPerMinute: 100 });
    expect(await sendMany(3, app, { key: "a", principal: "p1" })).toEqual([200, 200, 429]);
    expect(await sendMany(2, app, { key: "b", principal: "p1" })).toEqual([200, 200]);
    expect(await sendMany(2, app, { key: "c", principal: "p2" })).toEqual([200, 200]);
    // Public requests from the same address have their own budget, not the keys'.
    expect((await send(app)).status).toBe(200);
  });

  it("limits requests without a key per client address, with the public limit", async () => {
    const { app } = harness({ perKeyPerMinute: 100, publicPerMinute: 2 });
    expect(await sendMany(2, app, { from: "203.0.113.7" })).toEqual([200, 200]);
    await expectLimited(await send(app, { from: "203.0.113.7" }), 2);
    expect(await sendMany(2, app, { from: "203.0.113.8" })).toEqual([200, 200]);
    // An authenticated caller at the limited address is counted by its key instead.
    expect((await send(app, { from: "203.0.113.7", key: "k" })).status).toBe(200);
  });

  it("puts the headers on error responses too, and counts them", async () => {
    const { app } = harness({ perKeyPerMinute: 2, publicPerMinute: 100 });
    const res = await send(app, { key: "k", path: "/broken" });
    expect(res.status).toBe(404);
    expect(res.headers.get("ratelimit")).toMatch(/^limit=2, remaining=1, reset=(59|60)$/);
    expect((await send(app, { key: "k", path: "/broken" })).status).toBe(404);
    await expectLimited(await send(app, { key: "k" }), 2);
  });

  it("does not limit when a limit is 0", async () => {
    const keyed = harness({ perKeyPerMinute: 0, publicPerMinute: 2 });
    const statuses = await sendMany(50, keyed.app, { key: "k" });
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await send(keyed.app, { key: "k" })).headers.get("ratelimit")).toBeNull();
    expect(await sendMany(3, keyed.app)).toEqual([200, 200, 429]);

    const open = harness({ perKeyPerMinute: 2, publicPerMinute: 0 });
    expect((await sendMany(50, open.app)).every((s) => s === 200)).toBe(true);
    expect(await sendMany(3, open.app, { key: "k" })).toEqual([200, 200, 429]);

    const none = harness({ perKeyPerMinute: 0, publicPerMinute: 0 });
    expect((await sendMany(50, none.app, { key: "k" })).every((s) => s === 200)).toBe(true);
    expect((await send(none.app)).headers.get("ratelimit-policy")).toBeNull();
    expect(none.runs()).toBe(51);
  });

  it("refuses limits that are not integers ≥ 0", () => {
    expect(() => rateLimit({ perKeyPerMinute: -1, publicPerMinute: 1 })).toThrow(/perKeyPerMinute/);
    expect(() => rateLimit({ perKeyPerMinute: 1, publicPerMinute: 1.5 })).toThrow(/publicPerMinute/);
    expect(() => rateLimit({ perKeyPerMinute: Number.NaN, publicPerMinute: 1 })).toThrow(RangeError);
  });

  it("leaves no timer that keeps the process alive", () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const limiters = [rateLimit({ perKeyPerMinute: 5, publicPerMinute: 5 }), rateLimit({ perKeyPerMinute: 5, publicPerMinute: 0 })];
    expect(limiters).toHaveLength(2);
    // Unreferenced timers are not active resources: these would not hold the event loop open.
    expect(timers()).toBe(before);
  });
});
