// The Idempotency-Key middleware on a small app: a stand-in for the operation lookup and auth
// (it sets c.var.operation and c.var.caller, as the real ones do), the real middleware over a
// real database, and a handler that inserts a row per run, so "ran again" and "stored
// nothing new" are counted in the database. Runs on PGlite or PostgreSQL (DATABASE_URL).
import { randomUUID } from "node:crypto";
import { eq, like, sql } from "drizzle-orm";
import { Hono, type MiddlewareHandler } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { readBody } from "../../src/api/body.ts";
import type { AppEnv } from "../../src/api/context.ts";
import { idempotency, parseIdempotencyKey, requestFingerprint, type IdempotencyDeps } from "../../src/api/idempotency.ts";
import { TAGS, type Operation } from "../../src/api/operations.ts";
import { onError, onNotFound } from "../../src/api/problem.ts";
import { problemType } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { findIdempotencyKey, sweepIdempotencyKeys } from "../../src/store/idempotency.ts";
import { idempotencyKeys, principals } from "../../src/store/schema.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";

const LIMIT = 256;
const TTL_MS = 60 * 60 * 1000;
const STALE_MS = 60 * 1000;

const op = (extra: Partial<Operation>): Operation => ({ operationId: "test", tags: [TAGS.EVIDENCE], summary: "test", access: ["tenant"], responses: {}, ...extra });
const OPS: Record<string, Operation> = {
  "POST /things": op({ bodyLimit: LIMIT, idempotent: true }),
  "POST /things/fail": op({ bodyLimit: LIMIT, idempotent: true }),
  "POST /other": op({ bodyLimit: LIMIT, idempotent: true }),
  "POST /anchor": op({ idempotent: true }),
  "POST /plain": op({ bodyLimit: LIMIT }),
};

const ThingSchema = z.strictObject({ name: z.string().min(1) });

interface Recorded {
  level: "warn" | "error";
  msg: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(): Logger & { lines: Recorded[] } {
  const lines: Recorded[] = [];
  return {
    lines,
    debug() {},
    info() {},
    warn: (msg, fields) => void lines.push({ level: "warn", msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => void lines.push({ level: "error", msg, ...(fields ? { fields } : {}) }),
  };
}

/** A promise the test resolves itself. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase();
});

afterAll(async () => {
  await database?.close();
});

interface Harness {
  app: Hono<AppEnv>;
  log: ReturnType<typeof recordingLogger>;
  /** The injected clock; tests move it. */
  clock: { now: Date };
  /** When set, the handler announces it has started and then waits for `release`. */
  gate?: { entered: () => void; release: Promise<void> } | undefined;
}

function harness(opts: Partial<Pick<IdempotencyDeps, "ttlMs" | "staleAfterMs">> = {}): Harness {
  const log = recordingLogger();
  const h: Harness = { app: new Hono<AppEnv>(), log, clock: { now: new Date("2026-03-01T10:00:00.000Z") } };
  const { app } = h;
  // Stand-in for the operation lookup and auth that run before these middlewares in the app.
  app.use(async (c, next) => {
    const key = `${c.req.method} ${c.req.path}`;
    const found = OPS[key];
    if (found) c.set("operation", { key, op: found });
    const principal = c.req.header("x-test-principal");
    if (principal) c.set("caller", { principalId: principal, kind: "tenant", keyId: `key-${principal}` });
    await next();
  });
  app.use(idempotency({ db: database.db, log, now: () => h.clock.now, ttlMs: TTL_MS, staleAfterMs: STALE_MS, ...opts }));

  const create: MiddlewareHandler<AppEnv> = async (c) => {
    const { name } = await readBody(c, ThingSchema, LIMIT);
    if (h.gate) {
      h.gate.entered();
      await h.gate.release;
    }
    // A fresh id per run: a replay shows the first run's id, a second run a new one.
    const id = randomUUID();
    await database.db.insert(principals).values({
      id,
      kind: "tenant",
      name: `${c.var.caller!.principalId}/${name}`,
      status: "active",
      createdAt: new Date(),
    });
    c.header("location", `/things/${id}`);
    c.header("x-not-kept", "1");
    return c.json({ id, name }, 201);
  };
  app.post("/things", create);
  app.post("/other", create);
  app.post("/plain", create);
  app.post("/things/fail", async (c) => {
    await readBody(c, ThingSchema, LIMIT);
    await database.db.insert(principals).values({
      id: randomUUID(),
      kind: "tenant",
      name: `${c.var.caller!.principalId}/failed`,
      status: "active",
      createdAt: new Date(),
    });
    throw new Error("the handler broke after writing");
  });
  app.post("/anchor", async (c) => {
    const id = randomUUID();
    await database.db.insert(principals).values({
      id,
      kind: "tenant",
      name: `${c.var.caller!.principalId}/anchor`,
      status: "active",
      createdAt: new Date(),
    });
    return c.json({ id }, 200);
  });
  app.onError(onError(log));
  app.notFound(onNotFound(() => app.routes));
  return h;
}

/** A principal id of its own per test, so counts never see another test's rows. */
const newCaller = () => `p-${randomUUID()}`;

function post(
  h: Harness,
  path: string,
  opts: { principal: string; key?: string; body?: unknown; raw?: RequestInit["body"]; type?: string },
): Promise<Response> {
  const headers: Record<string, string> = { "x-test-principal": opts.principal, "content-type": opts.type ?? "application/json" };
  if (opts.key !== undefined) headers["idempotency-key"] = opts.key;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return Promise.resolve(h.app.request(path, { method: "POST", headers, ...(body === undefined ? {} : { body }) }));
}

/** How many times the handler ran for this principal, and how many records it has. */
async function counts(principal: string): Promise<{ runs: number; records: number }> {
  const [runs] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(principals)
    .where(like(principals.name, `${principal}/%`));
  const [records] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.principalId, principal));
  return { runs: Number(runs!.n), records: Number(records!.n) };
}

async function expectProblem(res: Response, status: number, code: string): Promise<{ detail: string; errors?: { field: string; reason: string }[] }> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as { type: string; detail: string; errors?: { field: string; reason: string }[] };
  expect(body.type).toBe(problemType(code as never));
  return body;
}

describe(`Idempotency-Key middleware on ${describeDbKind()}`, () => {
  it("replays the first response byte for byte and stores nothing new", async () => {
    const h = harness();
    const p = newCaller();
    const key = `"${randomUUID()}"`;

    const first = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    const firstText = await first.text();
    expect(first.status, firstText).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
    const record = await findIdempotencyKey(database.db, p, key.slice(1, -1));
    expect(record?.state).toBe("done");

    for (let i = 0; i < 2; i++) {
      const again = await post(h, "/things", { principal: p, key, body: { name: "a" } });
      expect(again.status).toBe(201);
      expect(await again.text()).toBe(firstText);
      expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
      expect(again.headers.get("location")).toBe(first.headers.get("location"));
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      // Only the headers that matter are kept, not everything the handler set.
      expect(again.headers.get("x-not-kept")).toBeNull();
    }
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
    expect(await findIdempotencyKey(database.db, p, key.slice(1, -1))).toEqual(record);
  });

  it("answers 422 for the same key with another body, or on another route, and runs nothing", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    expect((await post(h, "/things", { principal: p, key, body: { name: "a" } })).status).toBe(201);

    const other = await post(h, "/things", { principal: p, key, body: { name: "b" } });
    const problem = await expectProblem(other, 422, "idempotency-key-reused");
    expect(problem.detail).toMatch(/Idempotency-Key/);
    // Same bytes, another path: the path is part of the fingerprint.
    await expectProblem(await post(h, "/other", { principal: p, key, body: { name: "a" } }), 422, "idempotency-key-reused");
    // Even whitespace is a different body: the fingerprint is over the raw bytes.
    await expectProblem(await post(h, "/things", { principal: p, key, raw: '{"name": "a"}' }), 422, "idempotency-key-reused");
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
  });

  it("answers 409 to a duplicate that arrives while the first is still running", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    const entered = deferred();
    const release = deferred();
    h.gate = { entered: entered.resolve, release: release.promise };

    const first = post(h, "/things", { principal: p, key, body: { name: "a" } });
    await entered.promise;
    expect((await findIdempotencyKey(database.db, p, key))?.state).toBe("in-progress");

    const duplicate = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    await expectProblem(duplicate, 409, "idempotency-key-in-use");
    // A different body while the first runs is a reuse, not a wait.
    await expectProblem(await post(h, "/things", { principal: p, key, body: { name: "b" } }), 422, "idempotency-key-reused");

    h.gate = undefined;
    release.resolve();
    const done = await first;
    const doneText = await done.text();
    expect(done.status).toBe(201);
    const replayed = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(await replayed.text()).toBe(doneText);
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
  });

  it("scopes keys per principal: the same key from two principals runs twice", async () => {
    const h = harness();
    const [a, b] = [newCaller(), newCaller()];
    const key = "shared-key-1";
    const ra = await post(h, "/things", { principal: a, key, body: { name: "x" } });
    const rb = await post(h, "/things", { principal: b, key, body: { name: "x" } });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    const [ja, jb] = (await Promise.all([ra.json(), rb.json()])) as { id: string }[];
    expect(ja!.id).not.toBe(jb!.id);
    expect(await counts(a)).toEqual({ runs: 1, records: 1 });
    expect(await counts(b)).toEqual({ runs: 1, records: 1 });
  });

  it("does not burn the key on a failed attempt: a corrected retry with it runs", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();

    const invalid = await post(h, "/things", { principal: p, key, body: { name: "" } });
    const problem = await expectProblem(invalid, 422, "validation-failed");
    expect(problem.errors?.[0]?.field).toBe("/name");
    await expectProblem(await post(h, "/things", { principal: p, key, raw: "{not json" }), 400, "malformed-json");
    await expectProblem(await post(h, "/things", { principal: p, key, raw: "name=a", type: "text/plain" }), 415, "unsupported-media-type");
    expect(await counts(p)).toEqual({ runs: 0, records: 0 });

    const corrected = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get("idempotent-replayed")).toBeNull();
    const again = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
  });

  it("releases the claim when the handler throws (a 500), so a retry runs again", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    await expectProblem(await post(h, "/things/fail", { principal: p, key, body: { name: "a" } }), 500, "internal-error");
    await expectProblem(await post(h, "/things/fail", { principal: p, key, body: { name: "a" } }), 500, "internal-error");
    expect(await counts(p)).toEqual({ runs: 2, records: 0 });
  });

  it.each([
    ['""', /empty/],
    ['"unterminated', /closing quote/],
    ['"a" "b"', /after the closing quote/],
    ['"a\\x"', /backslash/],
    ['"caf\u00e9"', /printable ASCII/],
    ["two words", /single token/],
    ['"a", "b"', /after the closing quote/],
    ["a,b", /single token/],
    [`"${"k".repeat(256)}"`, /at most 255/],
    ["k".repeat(256), /at most 255/],
  ])("refuses the malformed key %j with 422 naming Idempotency-Key", async (value, reason) => {
    const h = harness();
    const p = newCaller();
    const res = await post(h, "/things", { principal: p, key: value, body: { name: "a" } });
    const problem = await expectProblem(res, 422, "validation-failed");
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors![0]!.field).toBe("Idempotency-Key");
    expect(problem.errors![0]!.reason).toMatch(reason);
    expect(await counts(p)).toEqual({ runs: 0, records: 0 });
  });

  it("parses sf-strings with escapes and, leniently, bare tokens", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(parseIdempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(parseIdempotencyKey('"a \\"quoted\\" \\\\ key"')).toBe('a "quoted" \\ key');
    expect(parseIdempotencyKey(`"${"k".repeat(255)}"`)).toHaveLength(255);
    expect(parseIdempotencyKey("  token:/*  ")).toBe("token:/*");
    // The quoted and the bare spelling of a key are the same key.
    expect(parseIdempotencyKey('"abc"')).toBe(parseIdempotencyKey("abc"));
  });

  it("treats the quoted and the bare spelling of a key as the same key", async () => {
    const h = harness();
    const p = newCaller();
    expect((await post(h, "/things", { principal: p, key: '"same-key"', body: { name: "a" } })).status).toBe(201);
    const again = await post(h, "/things", { principal: p, key: "same-key", body: { name: "a" } });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("ignores the header on operations that are not idempotent, and passes requests without it", async () => {
    const h = harness();
    const p = newCaller();
    // Not even validated there: a malformed key on /plain is not an error.
    for (const key of ["plain-key", "plain-key", "not a valid key"]) {
      const res = await post(h, "/plain", { principal: p, key, body: { name: "a" } });
      expect(res.status).toBe(201);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
    }
    for (let i = 0; i < 2; i++) expect((await post(h, "/things", { principal: p, body: { name: "a" } })).status).toBe(201);
    expect(await counts(p)).toEqual({ runs: 5, records: 0 });
  });

  it("treats a record older than the TTL as absent, and the sweep deletes it", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    const first = await (await post(h, "/things", { principal: p, key, body: { name: "a" } })).json();

    h.clock.now = new Date(h.clock.now.getTime() + TTL_MS - 1);
    const within = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(within.headers.get("idempotent-replayed")).toBe("true");
    expect(await within.json()).toEqual(first);

    h.clock.now = new Date(h.clock.now.getTime() + 2);
    const after = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(after.status).toBe(201);
    expect(after.headers.get("idempotent-replayed")).toBeNull();
    expect(await after.json()).not.toEqual(first);
    expect(await counts(p)).toEqual({ runs: 2, records: 1 });
    // And an expired key may be used with another body.
    h.clock.now = new Date(h.clock.now.getTime() + TTL_MS + 1);
    expect((await post(h, "/things", { principal: p, key, body: { name: "b" } })).status).toBe(201);

    const record = await findIdempotencyKey(database.db, p, key);
    // Other tests' records are older and go too; only this one's is looked at.
    await sweepIdempotencyKeys(database.db, record!.createdAt);
    expect(await findIdempotencyKey(database.db, p, key)).toEqual(record);
    expect(await sweepIdempotencyKeys(database.db, new Date(record!.createdAt.getTime() + 1))).toBeGreaterThanOrEqual(1);
    expect(await findIdempotencyKey(database.db, p, key)).toBeNull();
    expect(await counts(p)).toEqual({ runs: 3, records: 0 });
  });

  it("takes over a claim abandoned for longer than staleAfterMs; the late first run does not overwrite it", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    const entered = deferred();
    const release = deferred();
    h.gate = { entered: entered.resolve, release: release.promise };
    const slow = post(h, "/things", { principal: p, key, body: { name: "a" } });
    await entered.promise;
    h.gate = undefined;

    h.clock.now = new Date(h.clock.now.getTime() + STALE_MS);
    await expectProblem(await post(h, "/things", { principal: p, key, body: { name: "a" } }), 409, "idempotency-key-in-use");

    h.clock.now = new Date(h.clock.now.getTime() + 1);
    const retry = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    const retryText = await retry.text();
    expect(retry.status).toBe(201);
    expect(h.log.lines.map((l) => l.msg)).toContain("took over an abandoned idempotency claim");

    release.resolve();
    expect((await slow).status).toBe(201);
    expect(h.log.lines.map((l) => l.msg)).toContain("idempotency claim was taken over before the request finished");
    const replayed = await post(h, "/things", { principal: p, key, body: { name: "a" } });
    expect(await replayed.text()).toBe(retryText);
    // The risk the takeover takes, made visible: the slow first run also created its row.
    expect(await counts(p)).toEqual({ runs: 2, records: 1 });
  });

  it("answers 413 to a body over the limit and stores nothing; 415 comes first", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    const big = JSON.stringify({ name: "x".repeat(LIMIT) });
    await expectProblem(await post(h, "/things", { principal: p, key, raw: big }), 413, "payload-too-large");
    await expectProblem(await post(h, "/things", { principal: p, key, raw: big, type: "text/plain" }), 415, "unsupported-media-type");
    expect(await counts(p)).toEqual({ runs: 0, records: 0 });
  });

  it("stops reading a chunked body as soon as it passes the limit", async () => {
    const h = harness();
    const p = newCaller();
    let pulls = 0;
    const cancelled = deferred();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(100).fill(0x20));
      },
      cancel: () => cancelled.resolve(),
    });
    const res = await h.app.request("/things", {
      method: "POST",
      headers: { "x-test-principal": p, "content-type": "application/json", "idempotency-key": "chunked" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectProblem(res, 413, "payload-too-large");
    await cancelled.promise;
    // An endless stream: the reader stopped after the chunk that passed 256 bytes.
    expect(pulls).toBeLessThan(10);
    expect(await counts(p)).toEqual({ runs: 0, records: 0 });
  });

  it("fingerprints operations without a body by method and path alone", async () => {
    const h = harness();
    const p = newCaller();
    const key = randomUUID();
    const first = await post(h, "/anchor", { principal: p, key });
    const firstText = await first.text();
    expect(first.status).toBe(200);
    const again = await post(h, "/anchor", { principal: p, key });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstText);
    expect(await counts(p)).toEqual({ runs: 1, records: 1 });
    const record = await findIdempotencyKey(database.db, p, key);
    expect(record?.fingerprint).toEqual(requestFingerprint("POST", "/anchor", new Uint8Array()));
  });

  it("keeps fingerprints of different requests apart", () => {
    const body = new TextEncoder().encode("{}");
    const prints = [
      requestFingerprint("POST", "/things", body),
      requestFingerprint("POST", "/things/", body),
      requestFingerprint("PUT", "/things", body),
      requestFingerprint("POST", "/things", new Uint8Array()),
      requestFingerprint("POST", "/thing", new TextEncoder().encode("s{}")),
    ];
    expect(new Set(prints.map((b) => Buffer.from(b).toString("hex"))).size).toBe(prints.length);
  });
});
