// Property tests (fast-check) of the whole HTTP surface: every route of the real app, taken from
// the route registry so that a new route is fuzzed without anyone adding it here, called by every
// kind of caller (anonymous; garbage, near-valid and oddly spaced Authorization headers; revoked,
// expired and disabled keys; two tenants; a verifier with a disclosure and one without; admin)
// with random and near-valid path parameters, query strings, bodies (mass-assignment fields, raw
// bytes, wrong content types, sizes at the limit) and Idempotency-Keys (valid, invalid, reused).
// Whatever arrives:
//   - never a 5xx, never a crash, nothing logged as an unhandled error;
//   - every non-2xx is application/problem+json with type, title and status = the HTTP status;
//   - the answer is the one the registry implies: 401 for a bad key (the same 401 for every bad
//     key), 403 for a role the route does not admit, 404 for another tenant's thing, and only
//     statuses the registry (so the OpenAPI document) lists for the route;
//   - nothing from a rejected request is stored: row counts of every table before and after
//     every request (the one thing a rejected request may add, the audit entry of a burst of
//     failed authentications, is predicted exactly); an accepted request changes exactly what
//     it should;
//   - no full API key in any response but the 201 of POST /v1/keys, in any log line, or in any
//     table; no Authorization credential echoed anywhere.
//
// FC_RUNS (default 200) sets the runs of each property (a quarter of it for each per-route one);
// the default run of this file takes about 20 s on PGlite or PostgreSQL. The long run the security docs promise is bounded by time instead:
//
//   FUZZ_SECONDS=600 npx vitest run test/api/fuzz.test.ts
//
// It shares the 600 s among the properties, keeps going past a failed check (each distinct
// failure is collected and reported when its property ends, not just the first one), and prints
// how many requests were made and which statuses came back.
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { Hono } from "hono";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERIFY_BODY } from "../../src/api/limits.ts";
import { OPERATIONS, type Operation, type Role } from "../../src/api/operations.ts";
import { FailureTracker } from "../../src/auth/failures.ts";
import { generateKey } from "../../src/auth/keys.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { queryRows } from "../../src/store/db.ts";
import {
  apiHarness,
  apiHarnessOnChain,
  bearer,
  jsonRequest,
  randomDigest,
  TEST_TENANT,
  unhandled,
  type ApiHarness,
} from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

// ---- how long

const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
const FUZZ_SECONDS = process.env.FUZZ_SECONDS === undefined ? 0 : Number(process.env.FUZZ_SECONDS);
if (!(FUZZ_SECONDS >= 0)) throw new Error(`FUZZ_SECONDS must be a number of seconds, got "${process.env.FUZZ_SECONDS}"`);
/** The time-bounded run: properties share FUZZ_SECONDS and collect failures instead of stopping. */
const LONG = FUZZ_SECONDS > 0;
// Each property gets at most its share of FUZZ_SECONDS; the margin covers setup, shrinking and
// the last request in flight.
const TEST_TIMEOUT = LONG ? (FUZZ_SECONDS + 300) * 1000 : 60_000;
// One property per route (about 30 of them): fewer runs each than the body-focused properties,
// which go deeper, so that the default run stays quick.
const ROUTE_RUNS = Math.max(1, Math.round(NUM_RUNS / 4));

let propertiesLeft = 0;
let deadline: number | undefined;
/** In-flight predicates: an interrupted property's last run must end before the next starts. */
const running = new Set<Promise<void>>();

function runParameters(runs: number): fc.Parameters<unknown> {
  if (!LONG) return { numRuns: runs };
  deadline ??= Date.now() + FUZZ_SECONDS * 1000;
  const share = Math.max(1000, (deadline - Date.now()) / Math.max(1, propertiesLeft));
  return { numRuns: Number.MAX_SAFE_INTEGER, plugins: [fc.interruptAfterTimeLimit(share)] };
}

/** A property over one record of inputs whose runs are tracked (see `running`). */
function prop<T>(arb: fc.Arbitrary<T>, run: (input: T) => Promise<void>): fc.IAsyncPropertyWithHooks<[T]> {
  return fc.asyncProperty(arb, (input) => {
    const p = run(input);
    running.add(p);
    const done = () => void running.delete(p);
    p.then(done, done);
    return p;
  });
}

/** Registers a property test; counted at collection so the long run can share its time. */
function property(name: string, build: () => fc.IAsyncPropertyWithHooks<any>, runs = NUM_RUNS): void {
  propertiesLeft++;
  it(
    name,
    async () => {
      const from = findingCounts();
      try {
        await fc.assert(build(), runParameters(runs));
      } finally {
        propertiesLeft--;
        // An interrupted run keeps going in the background: let it finish before anything else.
        await Promise.allSettled([...running]);
      }
      expect(findingsSince(from), "distinct failures (see the examples)").toEqual([]);
    },
    TEST_TIMEOUT,
  );
}

// ---- what went wrong, and how much was sent

const stats = { requests: 0, started: Date.now(), byStatus: new Map<number, number>(), byRoute: new Map<string, Map<number, number>>() };
/** Distinct failures of the long run: how often each was seen, and the first example. */
const findings = new Map<string, { count: number; example: string }>();
const findingCounts = () => new Map([...findings].map(([sig, f]) => [sig, f.count]));
/** The failures seen since `before` was taken (all of them without it). */
function findingsSince(before = new Map<string, number>()): string[] {
  return [...findings.entries()]
    .filter(([sig, f]) => f.count > (before.get(sig) ?? 0))
    .map(([sig, f]) => `${f.count - (before.get(sig) ?? 0)}× ${sig}\n    e.g. ${f.example}`);
}
function countStatus(route: string, status: number): void {
  stats.requests++;
  stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
  const r = stats.byRoute.get(route) ?? new Map<number, number>();
  r.set(status, (r.get(status) ?? 0) + 1);
  stats.byRoute.set(route, r);
}

/** A failed check: fatal at once by default (fast-check shrinks it); collected in the long run. */
function report(violations: { sig: string; what: string }[], context: string): void {
  if (violations.length === 0) return;
  if (!LONG) throw new Error(`${violations.map((v) => v.what).join("\n")}\n  request: ${context}`);
  for (const v of violations) {
    const f = findings.get(v.sig);
    if (f) f.count++;
    else findings.set(v.sig, { count: 1, example: `${v.what} — ${context}` });
  }
}

// ---- the cast

const TENANT_B = "tenant-b";
const VERIFIER = "court-live";
const VERIFIER_NONE = "court-none";
const SPARE_VERIFIER = "court-spare";
const GONE_TENANT = "tenant-gone";
const ADMIN = "admin";
const CASE_A = "案件 A/1"; // a slash and CJK: the case id travels URL-encoded
const CASE_B = "case-b";
const NO_UUID = "00000000-0000-4000-8000-000000000000";
/** Principals the fixtures depend on: never disabled by a generated request. */
const PROTECTED = new Set([TEST_TENANT, TENANT_B, VERIFIER, VERIFIER_NONE, SPARE_VERIFIER, ADMIN, "system"]);

const KEYED = ["tenantA", "tenantB", "verifier", "verifierNone", "admin", "revoked", "expired", "disabled"] as const;
type Keyed = (typeof KEYED)[number];
type Who = Keyed | "anonymous" | "garbage";
type Keys = Record<Keyed, string>;
/** Who a valid key belongs to; revoked, expired and disabled keys belong to nobody. */
const PRINCIPALS: Partial<Record<Who, { id: string; role: Role }>> = {
  tenantA: { id: TEST_TENANT, role: "tenant" },
  tenantB: { id: TENANT_B, role: "tenant" },
  verifier: { id: VERIFIER, role: "verifier" },
  verifierNone: { id: VERIFIER_NONE, role: "verifier" },
  admin: { id: ADMIN, role: "admin" },
};

interface Caller {
  who: Who;
  header?: string;
}

// ---- arbitraries: text, JSON, digests

/** Any UTF-16 code unit sequence: lone surrogates, NUL, JSON-pointer specials included. */
const anyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom("\u0000", "/", "~", '"', "\\", "%", " ", "\n") },
);
const anyString = fc.string({ unit: anyChar, maxLength: 40 });
const json = fc.jsonValue({ maxDepth: 3, stringUnit: anyChar });
/** What a header value may hold (Latin-1 without controls but tab); fetch trims the ends. */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
).map((c) => String.fromCharCode(c));
const headerString = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

const hexDigits = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: n, maxLength: n });
const digestLike = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null).map(() => randomDigest()) },
  { weight: 2, arbitrary: hexDigits(64).map((h) => "0x" + h) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 70 }).chain((n) => hexDigits(n)).map((h) => "0x" + h) },
  { weight: 1, arbitrary: hexDigits(64) },
  { weight: 1, arbitrary: anyString },
  { weight: 1, arbitrary: json },
);
const rfc3339 = fc
  .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
/** Text that is often valid for caseId/eventType/names, sometimes not (NUL, surrogates, length). */
const text = (max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: anyChar, minLength: 1, maxLength: Math.min(max, 40) }) },
    { weight: 1, arbitrary: fc.string({ unit: anyChar, minLength: max - 2, maxLength: max + 2 }) },
  );
const occurredAt = fc.oneof(
  rfc3339,
  rfc3339.map((s) => s.replace("Z", "+05:30")),
  fc.tuple(rfc3339, fc.integer({ min: 1, max: 1500 })).map(([s, n]) => s.replace(/\.\d+Z$/, "." + "7".repeat(n) + "Z")),
  anyString,
);

/** A null-prototype copy, so that "__proto__" becomes a real key of the JSON. */
function withField(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = Object.assign(Object.create(null) as Record<string, unknown>, obj);
  out[key] = value;
  return out;
}

/** Fields the service sets itself: a request naming any of them must be refused. */
const MASS_ASSIGNMENT = [
  "submitter", "status", "id", "createdAt", "kind", "tenantId", "receivedAt", "leafHash", "salt", "meta", "revokedAt",
  "revokedBy", "disabledAt", "grantedBy", "createdBy", "key", "secretHash", "lastUsedAt", "principalId", "__proto__",
  "constructor", "a/b~c",
];

/**
 * A plausible object; then, often, exactly one field corrupted, dropped, or a field added that
 * the caller may not set (mass assignment).
 */
function nearValid(base: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[]): fc.Arbitrary<unknown> {
  const extra = MASS_ASSIGNMENT.filter((f) => !fields.includes(f));
  return base.chain((obj) =>
    fc
      .option(
        fc.oneof(
          fc.tuple(fc.constantFrom(...fields), fc.oneof(json, anyString, digestLike)).map(([k, v]) => withField(obj, k, v)),
          fc.tuple(fc.oneof(fc.constantFrom(...extra), anyString), fc.oneof(json, anyString, fc.constantFrom(TEST_TENANT, TENANT_B, "admin", "active"))).map(([k, v]) => withField(obj, k, v)),
          fc.constantFrom(...fields).map((k) => {
            const out = withField(obj, k, undefined);
            delete out[k];
            return out;
          }),
        ),
        { freq: 2 },
      )
      .map((changed) => changed ?? obj),
  );
}

const itemLike = nearValid(
  fc.record(
    {
      digest: fc.oneof({ weight: 5, arbitrary: digestLike.filter((d) => typeof d === "string" && /^0x[0-9a-f]{64}$/i.test(d)) }, { weight: 1, arbitrary: digestLike }),
      hashAlg: fc.constantFrom("sha256", "sha3-256", "sm3"),
      caseId: text(256),
      eventType: text(64),
      occurredAt,
    },
    { requiredKeys: ["digest"] },
  ),
  ["digest", "hashAlg", "caseId", "eventType", "occurredAt"],
);
const batchLike = fc.oneof(
  { weight: 4, arbitrary: fc.record({ items: fc.array(itemLike, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ items: json }) },
  { weight: 1, arbitrary: fc.array(itemLike, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ items: fc.array(itemLike, { maxLength: 2 }), submitter: fc.constantFrom(TENANT_B, "admin") }) },
);

/** JSON-RPC requests to the relay: the six reads with plausible parameters, and writes it must refuse. */
const rpcParam = fc.oneof(digestLike, fc.constantFrom("latest", "pending", "0x0", "0x1", "0x10", "0xffffffffffffffff", "0x", "0x01", true, false, null));
const rpcLike = nearValid(
  fc.record({
    jsonrpc: fc.constant("2.0"),
    id: fc.oneof(fc.nat(), fc.constant(null), fc.string({ maxLength: 8 })),
    method: fc.constantFrom(
      "eth_chainId", "eth_blockNumber", "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getBlockByNumber", "eth_call",
      "eth_sendRawTransaction", "eth_accounts", "hardhat_reset", "evm_mine", "debug_traceTransaction",
    ),
    params: fc.oneof(
      fc.array(rpcParam, { maxLength: 3 }),
      fc.tuple(rpcParam, fc.constant(false)),
      fc.tuple(fc.record({ to: fc.constantFrom("0x5fbdb2315678afecb367f032d93f642f64180aa3", "0x" + "00".repeat(20), "0x12"), data: fc.constantFrom("0x", "0xcf4ff901" + "00".repeat(32), "0xzz") }), fc.constantFrom("latest", "0x1")),
    ),
  }),
  ["jsonrpc", "id", "method", "params"],
);
/** Report requests: real tenants and cases mostly, evidence ids of every kind. */
const reportLike = (fx: Fixtures) =>
  nearValid(
    fc.record(
      {
        tenantId: fc.constantFrom(TEST_TENANT, TENANT_B, "no-such-tenant"),
        caseId: fc.oneof(fc.constantFrom(CASE_A, CASE_B), text(256)),
        evidenceIds: fc.array(fc.constantFrom(...fx.evidence.map((e) => e.value)), { minLength: 1, maxLength: 3 }),
        purpose: text(1000),
        requestedBy: text(200),
      },
      { requiredKeys: ["tenantId", "purpose", "requestedBy"] },
    ),
    ["tenantId", "caseId", "evidenceIds", "purpose", "requestedBy"],
  );
/** Principal ids: fresh valid ones mostly, taken ones, invalid ones. */
const principalIdLike = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/).map((s) => `fz-${s}`) },
  { weight: 1, arbitrary: fc.constantFrom(TEST_TENANT, TENANT_B, SPARE_VERIFIER, ADMIN, "system", GONE_TENANT) },
  { weight: 1, arbitrary: fc.constantFrom("", "A", "-x", "x".repeat(64), "x".repeat(65), "é", "a b", "a/b", "fz-\u0000", "ADMIN", "..") },
  { weight: 1, arbitrary: anyString },
  { weight: 1, arbitrary: json },
);
/** Times around now: past, near future, far future, nonsense. */
const expiryLike = fc.oneof(
  fc.integer({ min: -10 * 86_400_000, max: 400 * 86_400_000 }).map((ms) => new Date(clocks.main.now.getTime() + ms).toISOString()),
  rfc3339,
  fc.constantFrom("2026-13-01T00:00:00Z", "2030-02-30T00:00:00Z", "2030-01-01T23:59:60Z", "2030-01-01", "tomorrow", "", "9".repeat(70)),
  anyString,
);
const principalBody = nearValid(fc.record({ id: principalIdLike, name: text(200) }), ["id", "name"]);
/** Webhook registrations: public targets (a literal address, nothing resolved or sent) and every kind refused. */
const webhookBody = nearValid(
  fc.record(
    {
      url: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("https://93.184.215.14/fz", "https://[2606:4700:4700::1111]/hook") },
        { weight: 3, arbitrary: fc.constantFrom("http://93.184.215.14/", "https://127.0.0.1/", "https://[::1]/", "https://[::ffff:10.0.0.1]/", "https://169.254.169.254/", "https://localhost/", "https://fz.invalid/", "ftp://93.184.215.14/", "https://u:p@93.184.215.14/") },
        { weight: 1, arbitrary: text(2048) },
      ),
      description: text(500),
      eventTypes: fc.array(fc.constantFrom("evidence.anchored", "evidence.reanchored", "report.created", "webhook.test", "x"), { maxLength: 4 }),
    },
    { requiredKeys: ["url"] },
  ),
  ["url", "description", "eventTypes"],
);
/** Mostly principals that exist, so that requests get past validation and do something. */
const existing = (...ids: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 2, arbitrary: principalIdLike });
const keyBody = nearValid(
  fc.record({ principalId: existing(TEST_TENANT, TENANT_B, SPARE_VERIFIER, VERIFIER_NONE, ADMIN, GONE_TENANT, "system"), label: text(100), expiresAt: expiryLike }, { requiredKeys: ["principalId"] }),
  ["principalId", "label", "expiresAt"],
);
// Never names the fixture verifiers: a disclosure to them would change what they may see.
const disclosureBody = nearValid(
  fc.record(
    {
      caseId: fc.oneof(fc.constantFrom(CASE_A, CASE_B), text(256)),
      tenantId: existing(TEST_TENANT, TENANT_B, GONE_TENANT, SPARE_VERIFIER),
      verifierId: existing(SPARE_VERIFIER, SPARE_VERIFIER, TEST_TENANT, ADMIN).filter((v) => v !== VERIFIER && v !== VERIFIER_NONE),
      expiresAt: expiryLike,
    },
    { requiredKeys: ["caseId", "verifierId"] },
  ),
  ["caseId", "tenantId", "verifierId", "expiresAt"],
);

/** All JSON-pointer-ish paths of a value, as key arrays. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function mutate(bundle: ProofBundleV1, pick: number, replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(bundle) as unknown;
  const all = paths(copy).slice(1);
  const path = all[pick % all.length]!;
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (remove && !Array.isArray(parent)) delete parent[key];
  else parent[key] = replacement;
  return copy;
}

const mutatedBundle = (fx: Fixtures) =>
  fc
    .tuple(fc.boolean(), fc.nat(), fc.oneof(json, digestLike, fc.integer(), fc.double()), fc.boolean())
    .map(([useAnchored, pick, replacement, remove]) => mutate(useAnchored ? fx.anchored : fx.pending, pick, replacement, remove));

// ---- arbitraries: bodies on the wire

interface Body {
  bytes: Uint8Array;
  contentType: string | null;
  contentLength?: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const CONTENT_TYPES = [
  "text/plain", "", "application/json; charset=utf-8", "application/x+json", "multipart/form-data", "application/problem+json",
  "APPLICATION/JSON", "application/jsonx", "text/json", "application/json;", "application/x-www-form-urlencoded",
  "application/json, text/plain", "application/json; charset=utf-16",
];
/** Bodies no route expects: empty, BOM, UTF-16, deep nesting, invalid UTF-8, odd JSON. */
const ODD_BODIES: readonly Uint8Array[] = [
  new Uint8Array(),
  utf8("\uFEFF{}"),
  new Uint8Array(Buffer.from('{"digest":"0x00"}', "utf16le")),
  utf8("[".repeat(50_000) + "]".repeat(50_000)),
  new Uint8Array([...utf8('{"digest":"'), 0xff, 0xfe, ...utf8('"}')]),
  utf8('{"digest": 1e999}'),
  utf8('{"a":1,"a":2}'),
  utf8("null"),
  utf8("[]"),
  utf8('"text"'),
  utf8("0"),
  utf8('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}'),
  utf8(`{"digest":"0x${"a".repeat(64)}"}}}`),
  utf8('{"digest":"\\u0000","caseId":"\\u0000","id":"\\u0000","name":"\\u0000"}'),
  utf8('{"caseId":"\\ud800","name":"\\udfff"}'),
];
/** A JSON body of exactly `size` bytes. */
const padded = (size: number) => utf8(`{"pad":"${"a".repeat(size - 10)}"}`);

function wire(shaped: fc.Arbitrary<unknown>, limit: number | undefined): fc.Arbitrary<Body> {
  const payloads: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 12, arbitrary: shaped.map((v) => utf8(JSON.stringify(v) ?? "null")) },
    { weight: 2, arbitrary: json.map((v) => utf8(JSON.stringify(v))) },
    { weight: 1, arbitrary: shaped.map((v) => utf8((JSON.stringify(v) ?? "").slice(0, -1))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: anyString.map(utf8) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_BODIES) },
  ];
  // Right at the limit and one byte over (the batch route's 24 MiB only through Content-Length).
  if (limit !== undefined && limit <= VERIFY_BODY) payloads.push({ weight: 1, arbitrary: fc.constantFrom(limit, limit + 1).map(padded) });
  return fc.record({
    bytes: fc.oneof(...payloads),
    contentType: fc.oneof({ weight: 10, arbitrary: fc.constant("application/json") }, { weight: 2, arbitrary: fc.constantFrom<string | null>(...CONTENT_TYPES, null) }),
    // Rarely, a Content-Length that is not the body's: over the limit, negative, not a number.
    contentLength: fc.oneof(
      { weight: 11, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom("0", "-1", "abc", "1e9", String((limit ?? 16_384) + 1), "99999999999999999999") },
    ),
  });
}

// ---- arbitraries: callers

const FLIP_CHARS = [..."abcdefghijklmnopqrstuvwxyz234567ABZ019_-!"];
function flip(key: string, at: number, to: string): string {
  const i = at % key.length;
  const ch = key[i] === to ? (to === "a" ? "b" : "a") : to;
  return key.slice(0, i) + ch + key.slice(i + 1);
}
const b32 = (n: number) => fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz234567"), minLength: n, maxLength: n });
/** A key in the right format with a correct checksum that no one was ever given. */
const unknownKey = fc.uint8Array({ minLength: 40, maxLength: 40 }).map((bytes) => {
  let at = 0;
  return generateKey((n) => bytes.slice(at, (at += n))).key;
});

/** Authorization headers no one can be authenticated with. */
function garbageHeader(keys: Keys): fc.Arbitrary<string> {
  const key = fc.constantFrom(...Object.values(keys));
  return fc.oneof(
    headerString(100),
    headerString(100).map((s) => `Bearer ${s}`),
    fc.tuple(key, fc.nat(), fc.constantFrom(...FLIP_CHARS)).map(([k, i, c]) => `Bearer ${flip(k, i, c)}`),
    key.map((k) => `Bearer ${k.slice(0, -1)}`),
    key.map((k) => `Bearer ${k}a`),
    key.map((k) => `Bearer ${k.toUpperCase()}`),
    fc.tuple(fc.constantFrom("Basic ", "Token ", "Bearer:", "Bearer", "Bearer\t", "Digest ", "Bearer Bearer ", "Bearer =", "", "Bearer\u00a0"), key).map(([s, k]) => s + k),
    fc.tuple(key, key).map(([a, b]) => `Bearer ${a} ${b}`),
    key.map((k) => `Bearer ${k}, Bearer ${k}`),
    fc.tuple(fc.integer({ min: 2, max: 20 }), headerString(30)).map(([n, t]) => `Bearer${" ".repeat(n)}${t}x`),
    fc.integer({ min: 1_000, max: 200_000 }).map((n) => `Bearer ${"a".repeat(n)}`),
    fc.integer({ min: 100, max: 20_000 }).map((n) => `Bearer evk_${"a".repeat(n)}`),
    fc.tuple(b32(12), b32(52), b32(7)).map(([i, s, c]) => `Bearer evk_${i}_${s}${c}`),
    unknownKey.map((k) => `Bearer ${k}`),
  );
}

/** The ways a valid key may be presented (RFC 6750: case-insensitive scheme, 1*SP). */
const presented = (key: string) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(`Bearer ${key}`) }, fc.constantFrom(`bearer ${key}`, `BEARER ${key}`, `Bearer    ${key}`, `Bearer ${key}   `));

function callerArb(keys: Keys, only?: readonly Who[]): fc.Arbitrary<Caller> {
  const all: { who: Who; weight: number; arbitrary: fc.Arbitrary<Caller> }[] = [
    { who: "anonymous", weight: 2, arbitrary: fc.constant<Caller>({ who: "anonymous" }) },
    { who: "garbage", weight: 2, arbitrary: garbageHeader(keys).map((header): Caller => ({ who: "garbage", header })) },
    ...KEYED.map((who) => ({ who, weight: PRINCIPALS[who] ? 3 : 1, arbitrary: presented(keys[who]).map((header): Caller => ({ who, header })) })),
  ];
  return fc.oneof(...all.filter((a) => !only || only.includes(a.who)).map(({ weight, arbitrary }) => ({ weight, arbitrary })));
}

/** Callers a route admits (all valid keys for a public route). */
function admitted(op: Operation): Who[] {
  return (Object.keys(PRINCIPALS) as Who[]).filter((w) => op.access === "public" || op.access.includes(PRINCIPALS[w]!.role));
}

// ---- arbitraries: Idempotency-Key

interface Idem {
  header: string;
  /** The key the header carries, when it is a valid one. */
  key?: string;
}
/** A few keys used over and over, so that retries and reuse with other requests happen. */
const IDEM_POOL = ["fz-retry-1", "fz-retry-2", "fz-retry-3"];
const idemToken = fc.stringMatching(/^[!#-+\-.0-9A-Z[\]^_`a-z{|}~:;<=>?@/]{1,40}$/);
const invalidIdem = fc.oneof(
  fc.constantFrom("", '""', '"', '"open', "a b", "a,b", 'a"b', "a\\b", '"a"b', '"\\x"', "é", "x".repeat(256), `"${"x".repeat(256)}"`, '"tab\there"'),
  fc.tuple(idemToken, idemToken).map(([a, b]) => `${a} ${b}`),
  fc.tuple(idemToken, idemToken).map(([a, b]) => `${a},${b}`),
);
const idemArb: fc.Arbitrary<Idem | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.uuid().map((k) => ({ header: k, key: k })) },
  { weight: 2, arbitrary: fc.constantFrom(...IDEM_POOL).map((k) => ({ header: k, key: k })) },
  { weight: 1, arbitrary: fc.constantFrom(...IDEM_POOL).map((k) => ({ header: `"${k}"`, key: k })) },
  { weight: 1, arbitrary: fc.constantFrom({ header: '"q\\"uote"', key: 'q"uote' }, { header: '"back\\\\slash"', key: "back\\slash" }, { header: `"${"k".repeat(255)}"`, key: "k".repeat(255) }) },
  { weight: 1, arbitrary: idemToken.map((k) => ({ header: k, key: k })) },
  { weight: 2, arbitrary: invalidIdem.map((header) => ({ header })) },
);

// ---- arbitraries: paths and query strings

/** A path segment: uuids, numbers, dots, percent-encoding, long, unicode, arbitrary text. */
const segment = fc
  .oneof(
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.slice(0, -1) + "g") },
    { weight: 1, arbitrary: fc.integer({ min: -10, max: 2 ** 53 + 10 }).map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "", ".", "..", "%2e%2e", "%", "%2", "%zz", "%00", "a%00b", "%2F", "%ED%A0%80", "%C0%AF", "%FF", "1e3", "0x10", "-0", "1.0",
        "%20", "null", "undefined", "__proto__", "constructor", "system", "evk_aaaaaaaaaaaa",
      ),
    },
    { weight: 3, arbitrary: anyString.map((s) => encodeURIComponent(s.toWellFormed())) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 10 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,20}$/) },
    { weight: 1, arbitrary: fc.integer({ min: 256, max: 5000 }).map((n) => "x".repeat(n)) },
  )
  .filter((s) => !PROTECTED.has(s));

interface Thing {
  value: string;
  /** Which non-admin callers may see it. */
  visible: readonly Who[];
}
/** Path parameters, or something to create first (so it can be changed by the request). */
type ParamsSpec = { values: Record<string, string>; visible?: readonly Who[] } | { fresh: Fresh };
type Fresh = "tenant" | "verifier" | "key" | "disclosureA" | "disclosureB" | "webhookA" | "webhookB";

const known = (name: string, things: readonly Thing[]): fc.Arbitrary<ParamsSpec> =>
  fc.constantFrom(...things).map((t) => ({ values: { [name]: encodeURIComponent(t.value) }, visible: t.visible }));
const named = (name: string, ids: readonly string[]): fc.Arbitrary<ParamsSpec> =>
  fc.constantFrom(...ids).map((id) => ({ values: { [name]: encodeURIComponent(id) } }));
const fresh = (...kinds: Fresh[]): fc.Arbitrary<ParamsSpec> => fc.constantFrom(...kinds).map((kind) => ({ fresh: kind }));

interface RouteInputs {
  /** Real things to name in the path (the properties add random segments on their own). */
  params?: (fx: Fixtures) => fc.Arbitrary<ParamsSpec>;
  /** A near-valid request body, before wire() garbles it. */
  body?: (fx: Fixtures) => fc.Arbitrary<unknown>;
}

/** What to put into each route: needed for every route with path parameters or a body. */
const ROUTE_INPUTS: Record<string, RouteInputs> = {
  "POST /v1/verify": { body: (fx) => fc.oneof({ weight: 3, arbitrary: mutatedBundle(fx) }, { weight: 1, arbitrary: json }) },
  "POST /v1/chain/rpc": { body: () => fc.oneof({ weight: 4, arbitrary: rpcLike }, { weight: 1, arbitrary: json }) },
  "GET /verify/:file": { params: () => fc.constantFrom("verify.js", "verify.css", "index.html", "favicon.svg").map((file) => ({ values: { file } })) },
  "GET /docs/:file": { params: () => fc.constantFrom("swagger-ui-bundle.js", "swagger-ui.css", "start.js", "index.html", "package.json").map((file) => ({ values: { file } })) },
  "POST /v1/evidence": { body: () => fc.oneof({ weight: 4, arbitrary: itemLike }, { weight: 1, arbitrary: json }) },
  "POST /v1/evidence/batch": { body: () => fc.oneof({ weight: 4, arbitrary: batchLike }, { weight: 1, arbitrary: json }) },
  "POST /v1/reports": { body: (fx) => fc.oneof({ weight: 4, arbitrary: reportLike(fx) }, { weight: 1, arbitrary: json }) },
  // JSON and garbage, refused (415, 413, 422); DER queries are fuzzed in test/tsa/query.test.ts.
  "POST /v1/tsa": { body: () => json },
  "GET /v1/reports/:id": { params: (fx) => known("id", fx.reports) },
  "GET /v1/reports/:id/pdf": { params: (fx) => known("id", fx.reports) },
  "GET /v1/reports/:id/proof": { params: (fx) => known("id", fx.reports) },
  "GET /v1/evidence/:id": { params: (fx) => known("id", fx.evidence) },
  "GET /v1/evidence/:id/proof": { params: (fx) => known("id", fx.evidence) },
  "GET /v1/batches/:seq": { params: (fx) => known("seq", fx.batches) },
  // Who may see a case here depends on the tenantId query too: no `visible`; the markers
  // check still catches any of another tenant's items in an answer.
  "GET /v1/cases/:caseId": {
    params: (fx) =>
      fc.oneof(
        fc.constantFrom(...new Set(fx.cases.map((c) => c.caseId))).map((caseId) => ({ values: { caseId: encodeURIComponent(caseId) } })),
        segment.map((caseId) => ({ values: { caseId } })),
      ),
  },
  "GET /v1/cases/:tenantId/:caseId/proofs": {
    params: (fx) =>
      fc.oneof(
        fc.constantFrom(...fx.cases).map((c) => ({ values: { tenantId: encodeURIComponent(c.tenantId), caseId: encodeURIComponent(c.caseId) }, visible: c.visible })),
        // Not known to be empty: the fuzzing itself submits evidence under random case ids.
        fc.tuple(fc.constantFrom(TEST_TENANT, TENANT_B, "system"), segment).map(([tenantId, caseId]) => ({ values: { tenantId, caseId } })),
      ),
  },
  "POST /v1/tenants": { body: () => principalBody },
  "GET /v1/tenants/:id": { params: () => named("id", [...PROTECTED, GONE_TENANT]) },
  // Fresh tenants to disable, and ids of other kinds (404 here), never a fixture tenant.
  "POST /v1/tenants/:id/disable": { params: () => fc.oneof(fresh("tenant"), named("id", [VERIFIER, SPARE_VERIFIER, ADMIN, "system", GONE_TENANT])) },
  "POST /v1/verifiers": { body: () => principalBody },
  "GET /v1/verifiers/:id": { params: () => named("id", [...PROTECTED]) },
  "POST /v1/verifiers/:id/disable": { params: () => fc.oneof(fresh("verifier"), named("id", [TEST_TENANT, TENANT_B, ADMIN, "system"])) },
  "POST /v1/keys": { body: () => keyBody },
  "POST /v1/keys/:id/revoke": { params: (fx) => fc.oneof(fresh("key"), named("id", [fx.revokedKeyId, fx.expiredKeyId, "aaaaaaaaaaaa", "AAAAAAAAAAAA"])) },
  "POST /v1/disclosures": { body: () => disclosureBody },
  "GET /v1/disclosures/:id": { params: (fx) => known("id", fx.disclosures) },
  "POST /v1/disclosures/:id/revoke": { params: (fx) => fc.oneof(fresh("disclosureA", "disclosureB"), known("id", fx.disclosures.filter((d) => !d.visible.includes("verifier")))) },
  "GET /v1/batches/:seq/evidence": { params: (fx) => known("seq", fx.batches) },
  "POST /v1/webhooks": { body: () => fc.oneof({ weight: 4, arbitrary: webhookBody }, { weight: 1, arbitrary: json }) },
  "GET /v1/webhooks/:id": { params: (fx) => known("id", fx.webhooks) },
  // Fresh endpoints to delete, and the fixtures' only where the caller may not (404).
  "DELETE /v1/webhooks/:id": { params: (fx) => fc.oneof(fresh("webhookA", "webhookB"), known("id", fx.webhooks)) },
  "POST /v1/webhooks/:id/rotate-secret": { params: (fx) => known("id", fx.webhooks) },
  "POST /v1/webhooks/:id/test": { params: (fx) => known("id", fx.webhooks) },
  "GET /v1/webhooks/:id/deliveries": { params: (fx) => known("id", fx.webhooks) },
  "POST /v1/webhooks/:id/deliveries/:deliveryId/replay": {
    params: (fx) =>
      fc.constantFrom(...fx.webhookDeliveries).map((d) => ({ values: { id: d.endpoint, deliveryId: d.value }, visible: d.visible })),
  },
};

/** Values for each query parameter the registry declares (random extras go to every route). */
const QUERY_VALUES: Record<string, (fx: Fixtures) => fc.Arbitrary<string>> = {
  after: () =>
    fc.oneof(
      anyString,
      fc.uuid(),
      fc.nat().map(String),
      fc.constantFrom("", "0", "-1", "1e3", "\u0000", "a".repeat(257), "9".repeat(20), TEST_TENANT, "zzzz"),
    ),
  limit: () => fc.oneof(fc.integer({ min: -5, max: 1005 }).map(String), fc.constantFrom("", "0", "1000", "1001", "01", "1.5", "1e3", " 5", "abc", "99999", "\u0000", "0x10")),
  digest: (fx) => fc.oneof(digestLike.map((d) => (typeof d === "string" ? d : JSON.stringify(d))), fc.constantFrom(...fx.digests)),
  documentDigest: (fx) => fc.oneof(digestLike.map((d) => (typeof d === "string" ? d : JSON.stringify(d))), fc.constantFrom(...fx.digests)),
  principalId: () => fc.oneof(principalIdLike.map((p) => (typeof p === "string" ? p : JSON.stringify(p))), fc.constantFrom(...PROTECTED)),
  tenantId: () => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(TEST_TENANT, TENANT_B, GONE_TENANT, VERIFIER, ADMIN, "system") }, { weight: 1, arbitrary: anyString }),
};

const queryNames = (op: Operation) => (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);

/** "?…" with the declared parameters (random values, encoded or raw) and random extras, or "". */
function queryArb(op: Operation, fx: Fixtures): fc.Arbitrary<string> {
  const declared = queryNames(op).map((name) => ({ weight: 3, arbitrary: QUERY_VALUES[name]!(fx).map((v) => [name, v] as const) }));
  const extra = {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom("after", "limit", "digest", "principalId", "x", "__proto__", "constructor", ""), anyString).map(([n, v]) => [n, v] as const),
  };
  const encode = (s: string, raw: boolean) => (raw ? s.replaceAll("#", "%23") : encodeURIComponent(s.toWellFormed()));
  const pairs = fc.array(fc.tuple(fc.oneof(...declared, extra), fc.nat(7)), { minLength: 1, maxLength: 3 }).map((ps) =>
    "?" + ps.map(([[n, v], r]) => `${encode(n, r === 0)}=${encode(v, r === 0)}`).join("&"),
  );
  return fc.oneof({ weight: 4, arbitrary: fc.constant("") }, { weight: 5, arbitrary: pairs }, { weight: 1, arbitrary: fc.constantFrom("?", "?&", "?=", "?limit", "?after=&limit=", "?limit=1&limit=2") });
}

const templateParams = (template: string) => [...template.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
const fill = (template: string, values: Record<string, string>) => template.replace(/:([A-Za-z]+)/g, (_, n: string) => values[n] ?? "");

function paramsArb(key: string, template: string, fx: Fixtures): fc.Arbitrary<ParamsSpec> {
  const names = templateParams(template);
  if (names.length === 0) return fc.constant({ values: {} });
  const pool = ROUTE_INPUTS[key]?.params;
  if (!pool) throw new Error(`${key} has path parameters but no generator in ROUTE_INPUTS`);
  const random = fc.tuple(...names.map(() => segment)).map((segs): ParamsSpec => ({ values: Object.fromEntries(names.map((n, i) => [n, segs[i]!])) }));
  return fc.oneof({ weight: 3, arbitrary: pool(fx) }, { weight: 2, arbitrary: random });
}

function bodyArbFor(key: string, op: Operation, method: string, fx: Fixtures): fc.Arbitrary<Body | undefined> {
  if (method === "GET" || method === "HEAD") return fc.constant(undefined);
  if (op.bodyLimit !== undefined) {
    const shaped = ROUTE_INPUTS[key]?.body;
    if (!shaped) throw new Error(`${key} reads a body but has no body generator in ROUTE_INPUTS`);
    // Now and then a body that is valid as it stands, so that the route gets to do its work.
    const valid = VALID_BODIES[key];
    const exact = valid ? fc.constant(null).map((): Body => ({ bytes: utf8(JSON.stringify(valid.body()) ?? ""), contentType: "application/json" })) : wire(shaped(fx), op.bodyLimit);
    return fc.oneof({ weight: 4, arbitrary: wire(shaped(fx), op.bodyLimit) }, { weight: 1, arbitrary: exact });
  }
  // A route that reads no body must ignore one.
  return fc.option(wire(json, 16_384), { freq: 3 }).map((b) => b ?? undefined);
}

interface RouteRequest {
  caller: Caller;
  params: ParamsSpec;
  query: string;
  body: Body | undefined;
  idem: Idem | undefined;
  /** Send it twice: a client's retry. */
  repeat: boolean;
}

function routeRequestArb(key: string, fx: Fixtures, keys: Keys): fc.Arbitrary<RouteRequest> {
  const op = OPERATIONS[key]!;
  const [method, template] = key.split(" ") as [string, string];
  return fc.record({
    caller: fc.oneof({ weight: 3, arbitrary: callerArb(keys, admitted(op)) }, { weight: 2, arbitrary: callerArb(keys) }),
    params: paramsArb(key, template, fx),
    query: queryArb(op, fx),
    body: bodyArbFor(key, op, method, fx),
    idem: idemArb,
    repeat: fc.nat(7).map((n) => n === 0),
  });
}

// ---- what each accepted request may change

type Counts = Record<string, number>;
/**
 * For every route that can change something: the row-count changes of a 2xx (not replayed),
 * given its JSON answer and the changes observed (for idempotent state changes: did this call
 * change the state). "audit_log" counts entries other than failed-authentication bursts.
 */
const EFFECTS: Record<string, (answer: any, observed: Counts) => Counts> = {
  "POST /v1/verify": () => ({}),
  "POST /v1/chain/rpc": () => ({}),
  "POST /v1/evidence": () => ({ evidence: 1 }),
  "POST /v1/evidence/batch": (a: { items: unknown[] }) => ({ evidence: a.items.length }),
  "POST /v1/tenants": () => ({ principals: 1, "principals:active": 1, audit_log: 1 }),
  "POST /v1/verifiers": () => ({ principals: 1, "principals:active": 1, audit_log: 1 }),
  "POST /v1/tenants/:id/disable": (_, o) => once("principals:active", o),
  "POST /v1/verifiers/:id/disable": (_, o) => once("principals:active", o),
  "POST /v1/keys": () => ({ api_keys: 1, "api_keys:unrevoked": 1, audit_log: 1 }),
  "POST /v1/keys/:id/revoke": (_, o) => once("api_keys:unrevoked", o),
  "POST /v1/disclosures": () => ({ disclosures: 1, "disclosures:unrevoked": 1, audit_log: 1 }),
  "POST /v1/disclosures/:id/revoke": (_, o) => once("disclosures:unrevoked", o),
  // And a report.created delivery to each endpoint of the tenant (the fuzzing registers some).
  "POST /v1/reports": (_, o) => ({ reports: 1, evidence: 1, audit_log: 1, webhook_deliveries: Math.max(0, o.webhook_deliveries ?? 0) }),
  "POST /v1/tsa": () => ({ evidence: 1 }),
  "POST /v1/audit/anchor": (a: { anchored: { created: boolean } | null }): Counts => (a.anchored?.created ? { evidence: 1, audit_anchors: 1 } : {}),
};
const WEBHOOK_EFFECTS: Record<string, (answer: any, observed: Counts) => Counts> = {
  "POST /v1/webhooks": () => ({ webhook_endpoints: 1, audit_log: 1 }),
  // Its deliveries go with it.
  "DELETE /v1/webhooks/:id": (_, o) => ({ webhook_endpoints: -1, audit_log: 1, webhook_deliveries: Math.min(0, o.webhook_deliveries ?? 0) }),
  "POST /v1/webhooks/:id/rotate-secret": () => ({ audit_log: 1 }),
  "POST /v1/webhooks/:id/test": () => ({ webhook_deliveries: 1 }),
  "POST /v1/webhooks/:id/deliveries/:deliveryId/replay": () => ({ webhook_deliveries: 1 }),
};
Object.assign(EFFECTS, WEBHOOK_EFFECTS);
/**
 * A tenant has at most MAX_ENDPOINTS_PER_TENANT endpoints: before a request that may register
 * one, clear what the fuzzing registered (never the fixtures), once a tenant has 10.
 */
async function pruneWebhooks(h: ApiHarness): Promise<void> {
  await h.database.db.execute(
    sql`delete from webhook_endpoints w where w.url not like ${"%/fixture"}
        and (select count(*) from webhook_endpoints o where o.tenant_id = w.tenant_id) >= 10`,
  );
}
/** An idempotent switch (disable, revoke): at most one thing switched, audited iff it was. */
function once(counter: string, observed: Counts): Counts {
  const switched = observed[counter] === -1 ? 1 : 0;
  return { [counter]: -switched, audit_log: switched };
}

/** A valid body for each idempotent route: duplicates of it must run exactly once. */
const VALID_BODIES: Record<string, { as: Who; body: () => unknown }> = {
  "POST /v1/evidence": { as: "tenantA", body: () => ({ digest: randomDigest() }) },
  "POST /v1/evidence/batch": { as: "tenantB", body: () => ({ items: [{ digest: randomDigest() }, { digest: randomDigest(), caseId: "fz-case" }] }) },
  "POST /v1/tenants": { as: "admin", body: () => ({ id: unique("fz-t"), name: "T" }) },
  "POST /v1/verifiers": { as: "admin", body: () => ({ id: unique("fz-v"), name: "V" }) },
  "POST /v1/keys": { as: "admin", body: () => ({ principalId: TENANT_B, label: "concurrent" }) },
  "POST /v1/disclosures": { as: "tenantA", body: () => ({ caseId: CASE_A, verifierId: SPARE_VERIFIER }) },
  "POST /v1/audit/anchor": { as: "admin", body: () => undefined },
  "POST /v1/reports": { as: "admin", body: () => ({ tenantId: TEST_TENANT, caseId: CASE_A, purpose: "fuzz", requestedBy: "fuzz" }) },
  "POST /v1/webhooks": { as: "tenantB", body: () => ({ url: "https://93.184.215.14/fz" }) },
};

let uniqueSeq = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${(uniqueSeq++).toString(36)}`;

/** Fields of a body a zod schema does not know (strict schemas must refuse them). */
function unknownFields(schema: z.ZodType | undefined, value: unknown, at = ""): string[] {
  const def = (schema as { _zod?: { def?: Record<string, any> } } | undefined)?._zod?.def;
  if (!def) return [];
  switch (def.type) {
    case "object": {
      if (!value || typeof value !== "object" || Array.isArray(value)) return [];
      const out: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (!Object.hasOwn(def.shape, k)) out.push(`${at}/${k}`);
        else out.push(...unknownFields(def.shape[k], v, `${at}/${k}`));
      }
      return out;
    }
    case "array":
      return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(def.element, v, `${at}/${i}`)) : [];
    case "optional":
    case "nullable":
      return unknownFields(def.innerType, value, at);
    default:
      return [];
  }
}

// ---- routing, as the app's router sees it

/** A router with the registry's routes and nothing else: which route (if any) a request hits. */
const probe = new Hono();
for (const key of Object.keys(OPERATIONS)) {
  const [m, t] = key.split(" ") as [string, string];
  probe.on(m, t, (c) => c.text(key));
}
probe.all("/v1/*", (c) => c.text("/v1/*", 404));
const ROUTE_METHODS = [...new Set(Object.keys(OPERATIONS).map((k) => k.split(" ")[0]!))];

interface Match {
  key: string | undefined;
  /** Under /v1/* (rate limited). */
  v1: boolean;
  /** For a path no route of this method has: the methods that have one (the 405's Allow). */
  allow: string[];
}

async function routeOf(method: string, url: string): Promise<Match> {
  const hit = async (m: string, u: string) => {
    const res = await probe.request(u, { method: m });
    return { status: res.status, text: await res.text() };
  };
  const first = await hit(method === "HEAD" ? "GET" : method, url);
  if (first.status === 200) return { key: first.text, v1: first.text.split(" ")[1]!.startsWith("/v1/"), allow: [] };
  // As the 404/405 handler does: a trailing slash is forgiven when looking for other methods.
  const u = new URL(url);
  const stripped = new URL(u);
  stripped.pathname = u.pathname.replace(/\/$/, "");
  const allow = new Set<string>();
  for (const m of ROUTE_METHODS) {
    if ((await hit(m, u.href)).status === 200 || (await hit(m, stripped.href)).status === 200) allow.add(m);
  }
  if (allow.has("GET")) allow.add("HEAD");
  return { key: undefined, v1: first.text === "/v1/*", allow: [...allow].sort() };
}

// ---- the harness and the checks on every request

const BURST = 10;
const BLOCK = 30;
const WINDOW_MS = 60_000;
const clocks = { main: { now: new Date() }, limited: { now: new Date() } };

const FULL_KEY = /evk_[a-z2-7]{12}_[a-z2-7]{59}/gi;
const PARAM_NAMES = new Set([...Object.values(OPERATIONS).flatMap((op) => (op.parameters ?? []).map((p) => p.name)), "Idempotency-Key"]);

interface Req {
  method: string;
  /** Path and query, exactly as sent. */
  path: string;
  caller: Caller;
  body?: Body | undefined;
  idem?: Idem | undefined;
  /** Who may see the thing the path names (undefined: not known). */
  visible?: readonly Who[] | undefined;
}

interface Outcome {
  status: number;
  text: string;
  json: unknown;
  replayed: boolean;
  route: string | undefined;
}

interface Marker {
  text: string;
  what: string;
  visible: readonly Who[];
}

interface Fixtures {
  evidence: Thing[];
  reports: Thing[];
  batches: Thing[];
  cases: { tenantId: string; caseId: string; visible: readonly Who[] }[];
  disclosures: Thing[];
  webhooks: Thing[];
  /** Deliveries (a test event each) and the endpoint each belongs to. */
  webhookDeliveries: (Thing & { endpoint: string })[];
  digests: string[];
  revokedKeyId: string;
  expiredKeyId: string;
  anchored: ProofBundleV1;
  pending: ProofBundleV1;
  markers: Marker[];
}

const show = (s: string, n = 200) => JSON.stringify(s.length > n ? `${s.slice(0, n)}…(${s.length})` : s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const tryDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * One harness and what the test knows of its state: the failed-authentication tracker's
 * count (to predict bursts and blocks), the Idempotency-Key records (to predict replays and
 * refusals), the rate limiter's counters.
 */
class Fuzzer {
  readonly tracker: FailureTracker;
  #trackerNow = 0;
  #failures = 0;
  #blockedAnswers = 0;
  readonly #idem = new Map<string, { fingerprint: string; status: number; body: string }>();
  readonly #buckets = new Map<string, number>();
  readonly #unauthorized = new Map<boolean, string>();
  #count = sql`select 1`;
  tables: string[] = [];
  h!: ApiHarness;
  keys!: Keys;

  readonly name: string;
  readonly opts: { markers?: Marker[]; visibility: boolean; rateLimits?: { perKeyPerMinute: number; publicPerMinute: number } };

  constructor(name: string, opts: Fuzzer["opts"]) {
    this.name = name;
    this.opts = opts;
    this.tracker = new FailureTracker({ windowMs: WINDOW_MS, burstThreshold: BURST, blockThreshold: BLOCK, now: () => this.#trackerNow });
  }

  async init(h: ApiHarness, keys: Keys): Promise<void> {
    this.h = h;
    this.keys = keys;
    const rows = await queryRows<{ name: string }>(
      h.database.db,
      // Tables, not partitions: a partition's rows are counted in its table's.
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
    );
    this.tables = rows.map((r) => r.name);
    for (const t of ["evidence", "principals", "api_keys", "disclosures", "idempotency_keys", "audit_log", "audit_anchors"]) {
      if (!this.tables.includes(t)) throw new Error(`table ${t} is gone: update the fuzz test's snapshot`);
    }
    const counts = this.tables.map((t) =>
      t === "audit_log"
        ? `(select count(*) from audit_log where action <> 'auth.failure-burst')::int as "audit_log"`
        : `(select count(*) from "${t}")::int as "${t}"`,
    );
    counts.push(
      `(select count(*) from audit_log where action = 'auth.failure-burst')::int as "audit_log:burst"`,
      `(select count(*) from principals where status = 'active')::int as "principals:active"`,
      `(select count(*) from api_keys where revoked_at is null)::int as "api_keys:unrevoked"`,
      `(select count(*) from disclosures where revoked_at is null)::int as "disclosures:unrevoked"`,
    );
    this.#count = sql.raw(`select ${counts.join(", ")}`);
    this.rollTrackerWindow();
  }

  /** Row counts of every table (and of active/unrevoked rows). */
  async snapshot(): Promise<Counts> {
    const [row] = await queryRows<Counts>(this.h.database.db, this.#count);
    return row!;
  }

  /** The tracker's next window: the test's failure count starts from zero again. */
  rollTrackerWindow(): void {
    this.#trackerNow += WINDOW_MS;
    this.#failures = 0;
    this.#blockedAnswers = 0;
  }

  /** Creates what a ParamsSpec asks to be created, so that the request can change it. */
  async resolve(spec: ParamsSpec): Promise<{ values: Record<string, string>; visible?: readonly Who[] }> {
    if (!("fresh" in spec)) return spec;
    const actor = { id: "fuzz" };
    const id = unique("fz");
    const { access } = this.h;
    switch (spec.fresh) {
      case "tenant":
      case "verifier":
        await access.createPrincipal(actor, spec.fresh, { id, name: "fresh" });
        return { values: { id } };
      case "key":
        await access.createPrincipal(actor, "tenant", { id, name: "fresh" });
        return { values: { id: (await access.createKey(actor, { principalId: id })).id } };
      case "disclosureA":
      case "disclosureB": {
        const [tenantId, caseId, who] = spec.fresh === "disclosureA" ? [TEST_TENANT, CASE_A, "tenantA" as const] : [TENANT_B, CASE_B, "tenantB" as const];
        const d = await access.grantDisclosure(actor, { role: "tenant", tenantId }, { caseId, verifierId: SPARE_VERIFIER });
        return { values: { id: d.id }, visible: [who] };
      }
      case "webhookA":
      case "webhookB": {
        const [tenantId, who] = spec.fresh === "webhookA" ? [TEST_TENANT, "tenantA" as const] : [TENANT_B, "tenantB" as const];
        await pruneWebhooks(this.h);
        const w = await this.h.webhooks.create(tenantId, { url: "https://93.184.215.14/fresh" });
        return { values: { id: w.id }, visible: [who] };
      }
    }
  }

  /** Sends a generated request for route `key`, and a retry when it asks for one. */
  async sendRoute(key: string, r: RouteRequest): Promise<void> {
    const [method, template] = key.split(" ") as [string, string];
    const params = await this.resolve(r.params);
    if (key === "POST /v1/webhooks") await pruneWebhooks(this.h);
    const req: Req = { method, path: fill(template, params.values) + r.query, caller: r.caller, body: r.body, idem: r.idem, visible: params.visible };
    await this.send(req);
    if (r.repeat) await this.send(req);
  }

  /**
   * Sends one request and checks everything that must hold of its answer and of the database
   * around it. `concurrent`: other requests run at the same time, so the caller compares
   * row counts and Idempotency-Key outcomes itself.
   */
  async send(req: Req, mode: { concurrent?: boolean } = {}): Promise<Outcome> {
    const { h } = this;
    const headers = new Headers();
    if (req.caller.header !== undefined) headers.set("authorization", req.caller.header);
    if (req.body && req.body.contentType !== null) headers.set("content-type", req.body.contentType);
    if (req.body?.contentLength !== undefined) headers.set("content-length", req.body.contentLength);
    if (req.idem) headers.set("idempotency-key", req.idem.header);
    const request = new Request(`http://localhost${req.path}`, { method: req.method, headers, ...(req.body ? { body: req.body.bytes } : {}) });
    const url = new URL(request.url);
    const bodyText = req.body ? decode(req.body.bytes) : "";
    const match = await routeOf(req.method, request.url);
    const op = match.key ? OPERATIONS[match.key] : undefined;
    const principal = PRINCIPALS[req.caller.who];
    const context = () =>
      `${req.method} ${show(req.path, 300)} as ${req.caller.who}${req.caller.header !== undefined ? ` (${show(req.caller.header, 100)})` : ""}` +
      `${req.body ? ` body ${show(bodyText)} (${req.body.contentType ?? "no content-type"}${req.body.contentLength ? `, content-length ${req.body.contentLength}` : ""})` : ""}` +
      `${req.idem ? ` Idempotency-Key ${show(req.idem.header, 60)}` : ""}`;

    const before = mode.concurrent ? undefined : await this.snapshot();
    const lines0 = h.log.lines.length;
    const errors0 = h.log.errors.length;
    const blocked = this.#failures >= BLOCK;
    const violations: { sig: string; what: string }[] = [];
    const where = `${req.method} ${match.key?.split(" ")[1] ?? "(no route)"}`;

    let res: Response;
    try {
      res = await h.rawApp.request(request);
    } catch (err) {
      report([{ sig: `${where}: the app threw`, what: `the app threw instead of answering: ${String(err)}` }], context());
      return { status: 0, text: "", json: undefined, replayed: false, route: match.key };
    }
    const text = req.method === "HEAD" ? "" : await res.text();
    const status = res.status;
    const check = (ok: boolean, what: string, sig = what) => {
      if (!ok) violations.push({ sig: `${where} → ${status}: ${sig}`, what: `${what} (got ${status} ${show(text, 300)})` });
    };
    const newErrors = h.log.errors.slice(errors0);
    const newLines = h.log.lines.slice(lines0);
    // Checked below; dropping them keeps a long run's memory flat (concurrent requests share them).
    if (!mode.concurrent) h.log.lines.length = lines0;

    // -- no 5xx, nothing unhandled
    const errorText = newErrors.map((e) => `${e.msg}: ${String(e.fields?.error ?? "")}`).join("; ");
    check(status >= 200 && status < 500, `a ${status}${errorText ? `, logged: ${errorText}` : ""}`, `${status >= 500 ? "5xx" : "status"} ${normalise(errorText)}`);
    check(newErrors.length === 0, `logged as an error: ${errorText}`, `logged as an error: ${normalise(errorText)}`);

    // -- the shape of every answer
    let answer: unknown;
    const ok2xx = status >= 200 && status < 300;
    if (!ok2xx) {
      check(res.headers.get("content-type") === "application/problem+json", `content-type ${res.headers.get("content-type")} on an error`, "error is not problem+json");
      if (req.method !== "HEAD") {
        try {
          answer = JSON.parse(text);
        } catch {
          check(false, "the problem body is not JSON");
        }
        const p = (answer ?? {}) as Record<string, unknown>;
        check(typeof p.type === "string" && /^urn:evidence:problem:[a-z-]+$/.test(p.type), "problem type missing or malformed");
        check(typeof p.title === "string" && p.title.length > 0, "problem title missing");
        check(p.status === status, "problem status differs from the HTTP status");
        check(typeof p.detail === "string", "problem detail missing");
        if (p.type === "urn:evidence:problem:validation-failed") check(Array.isArray(p.errors) && p.errors.length > 0, "a validation failure names no field");
        if (p.errors !== undefined) {
          const errs = Array.isArray(p.errors) ? (p.errors as { field?: unknown; reason?: unknown }[]) : [];
          check(Array.isArray(p.errors), "problem errors is not a list");
          for (const e of errs) {
            const field = typeof e.field === "string" ? e.field : undefined;
            check(field !== undefined && (field === "" || field.startsWith("/") || PARAM_NAMES.has(field)), `field ${JSON.stringify(e.field)} is neither a JSON pointer nor a parameter`, "a field error names no pointer or parameter");
            check(typeof e.reason === "string" && e.reason.length > 0, "a field error gives no reason");
          }
        }
      }
      if (status === 401 && req.method !== "HEAD") {
        const challenge = res.headers.get("www-authenticate") ?? "";
        check(challenge.startsWith('Bearer realm="evidence"'), `401 with WWW-Authenticate ${JSON.stringify(challenge)}`, "401 without a Bearer challenge");
        // One answer for every bad key: nothing tells a revoked key from an unknown one.
        const shape = JSON.stringify({ ...(answer as object), instance: undefined }) + challenge;
        const hasHeader = req.caller.header !== undefined;
        const first = this.#unauthorized.get(hasHeader);
        if (first === undefined) this.#unauthorized.set(hasHeader, shape);
        else check(first === shape, `this 401 differs from an earlier one: ${shape} vs ${first}`, "401s differ (an oracle)");
      }
      if (status === 429) check(/^[1-9]\d*$/.test(res.headers.get("retry-after") ?? ""), "429 without a Retry-After of 1 s or more");
      if (status === 405) check(res.headers.get("allow") === match.allow.join(", "), `405 with Allow ${res.headers.get("allow")}, expected ${match.allow.join(", ")}`, "405 with the wrong Allow");
    } else if (status === 204) {
      check(req.method === "OPTIONS" && url.pathname === "/v1/verify", "a 204 other than the CORS preflight of POST /v1/verify");
      check(text === "", "a 204 with a body");
    } else if (url.pathname === "/metrics") {
      // The Prometheus text format, not JSON.
      check(res.headers.get("content-type") === "text/plain; version=0.0.4; charset=utf-8", `content-type ${res.headers.get("content-type")} on /metrics`, "metrics not in the text format");
    } else if (req.method !== "HEAD" && !url.pathname.startsWith("/verify") && !url.pathname.startsWith("/docs") && !url.pathname.endsWith("/pdf") && !url.pathname.endsWith(".pem") && url.pathname !== "/v1/tsa") {
      check(/^application\/json/.test(res.headers.get("content-type") ?? ""), `content-type ${res.headers.get("content-type")} on a success`, "success is not JSON");
      try {
        answer = JSON.parse(text);
      } catch {
        check(false, "the success body is not JSON");
      }
    }
    const replayed = res.headers.get("idempotent-replayed") === "true";

    // -- the answer the registry implies
    const isPublic = op?.access === "public";
    const admits = op !== undefined && (op.access === "public" || (principal !== undefined && op.access.includes(principal.role)));
    const rate = this.#rateLimit(match, op, principal, blocked, req);
    if (status === 429 && rate.mayLimit && !(op && !isPublic && blocked)) {
      // Over the limit: nothing else to expect of this answer.
    } else {
      check(status !== 429 || (op !== undefined && !isPublic && blocked), "429 though neither blocked nor over a rate limit", "unexpected 429");
      if (op && match.key) {
        if (!isPublic && blocked) check(status === 429, `the address has failed ${BLOCK} times this window: expected 429`, "not blocked after too many failures");
        else if (!isPublic && !principal) check(status === 401, "no valid key: expected 401");
        else if (!admits) check(status === 403, "a role the route does not admit: expected 403");
        else {
          const documented = new Set([...Object.keys(op.responses).map(Number), ...(isPublic ? [] : [401, 429])]);
          check(documented.has(status), `${status} is not among the statuses the registry lists for ${match.key} (${[...documented].join(", ")})`, `undocumented status ${status}`);
          if (!mode.concurrent && op.idempotent && req.idem && principal) this.#checkIdempotency(req, url, op, principal.id, status, text, replayed, answer, check);
          if (this.opts.visibility && req.visible && principal && principal.role !== "admin" && !req.visible.includes(req.caller.who)) {
            check(!ok2xx, "another tenant's, or an undisclosed, thing answered with a success", "out-of-scope thing visible");
            if (url.search === "") check(status === 404, "out of scope: expected 404, as for a thing that does not exist", "out of scope but not 404");
          }
          if (ok2xx && !isPublic && op.request && req.body) {
            let sent: unknown;
            try {
              sent = JSON.parse(bodyText);
            } catch {
              sent = undefined;
            }
            const extra = unknownFields(op.request, sent);
            check(extra.length === 0, `accepted a body with fields the schema does not have: ${extra.join(", ")}`, "mass assignment accepted");
          }
        }
      } else if (req.method === "OPTIONS" && url.pathname === "/v1/verify") {
        check(status === 204, "the CORS preflight of POST /v1/verify: expected 204");
      } else if (match.allow.length > 0 && !match.allow.includes(req.method)) {
        check(status === 405, `no ${req.method} here, but ${match.allow.join(", ")}: expected 405`);
      } else {
        check(status === 404, "no such route: expected 404");
      }
    }

    // -- secrets: no key but the new one in POST /v1/keys' 201, no credential echoed
    const sentOpen = `${request.url}\n${tryDecode(request.url)}\n${bodyText}`.toLowerCase();
    const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    const newKey = match.key === "POST /v1/keys" && status === 201 ? (answer as { key?: string } | undefined)?.key : undefined;
    for (const k of `${text}\n${headerText}`.match(FULL_KEY) ?? []) {
      check(k === newKey || sentOpen.includes(k.toLowerCase()), `a full API key in the response: ${k.slice(0, 20)}…`, "API key in a response");
    }
    for (const line of newLines) {
      for (const k of line.match(FULL_KEY) ?? []) check(sentOpen.includes(k.toLowerCase()), `a full API key in a log line: ${show(line)}`, "API key in a log line");
    }
    for (const word of (req.caller.header ?? "").split(/[\s,]+/)) {
      if (word.length < 16 || sentOpen.includes(word.toLowerCase())) continue;
      check(!text.includes(word) && !headerText.includes(word), "the Authorization credential is echoed in the response", "credential echoed in a response");
      check(!newLines.some((l) => l.includes(word)), "the Authorization credential is in a log line", "credential in a log line");
    }

    // -- another tenant's things: not in any answer to anyone who may not see them
    if (this.opts.markers && match.key !== "POST /v1/verify" && principal?.role !== "admin") {
      const seen = text.toLowerCase();
      for (const m of this.opts.markers) {
        if (principal && m.visible.includes(req.caller.who)) continue;
        check(!seen.includes(m.text) || sentOpen.includes(m.text), `the answer holds ${m.what}`, `leaks ${m.what}`);
      }
    }

    // -- what is stored
    const authFailure = status === 401;
    if (before) {
      const after = await this.snapshot();
      const observed: Counts = Object.fromEntries(Object.keys(after).map((t) => [t, after[t]! - (before[t] ?? 0)]));
      const expected: Counts = {};
      if (ok2xx && match.key && !replayed) {
        for (const [t, n] of Object.entries(EFFECTS[match.key]?.(answer, observed) ?? {})) expected[t] = (expected[t] ?? 0) + n;
        if (op?.idempotent && req.idem?.key !== undefined && principal) expected.idempotency_keys = 1;
      }
      // The one trace a rejected request may leave: the burst's audit entry, at the BURST-th failure.
      if (authFailure && this.#failures + 1 === BURST) expected["audit_log:burst"] = 1;
      const wrong = Object.keys(observed).filter((t) => observed[t] !== (expected[t] ?? 0));
      check(
        wrong.length === 0,
        `${ok2xx ? "accepted" : "rejected"}, and ${wrong.map((t) => `${t} changed by ${observed[t]} (expected ${expected[t] ?? 0})`).join(", ")}`,
        `${ok2xx ? "accepted request changed" : "rejected request stored"} ${wrong.join(", ")}`,
      );
    }

    // -- what the test now knows of the service's state
    if (authFailure) this.#failures++;
    if (status === 429 && blocked && ++this.#blockedAnswers >= 3) this.rollTrackerWindow();
    if (ok2xx && !replayed && op?.idempotent && req.idem?.key !== undefined && principal) {
      // A replay answers what the registry says it keeps (a new key is not kept: see replayAs).
      this.#idem.set(`${principal.id}\n${req.idem.key}`, { fingerprint: fingerprint(req, url, op), status, body: op.replayAs ? op.replayAs(text) : text });
    }
    countStatus(match.key ?? "(no route)", status);
    report(violations, context());
    return { status, text, json: answer, replayed, route: match.key };
  }

  #checkIdempotency(
    req: Req,
    url: URL,
    op: Operation,
    principalId: string,
    status: number,
    text: string,
    replayed: boolean,
    answer: unknown,
    check: (ok: boolean, what: string, sig?: string) => void,
  ): void {
    const type = (answer as { type?: string } | undefined)?.type;
    if (req.idem!.key === undefined) {
      const field = (answer as { errors?: { field: string }[] } | undefined)?.errors?.[0]?.field;
      check(status === 422 && field === "Idempotency-Key", "an invalid Idempotency-Key: expected 422 naming the header", "invalid Idempotency-Key not refused");
      return;
    }
    const stored = this.#idem.get(`${principalId}\n${req.idem!.key}`);
    // Media type and size are checked before the key is looked up.
    const early = status === 413 || status === 415;
    if (!stored) {
      check(!replayed, "replayed a response no request with this key received", "replay without a record");
    } else if (stored.fingerprint === fingerprint(req, url, op)) {
      check(early || (replayed && status === stored.status && text === stored.body), "a retry with the same key and request: expected the first response, replayed byte for byte", "retry not replayed");
    } else {
      check(early || (status === 422 && type === "urn:evidence:problem:idempotency-key-reused"), "the same key with another request: expected 422 idempotency-key-reused", "key reuse not refused");
    }
  }

  /** Whether the rate limiter counts this request, and whether it may already refuse it. */
  #rateLimit(match: Match, op: Operation | undefined, principal: { id: string } | undefined, blocked: boolean, req: Req): { mayLimit: boolean } {
    const limits = this.opts.rateLimits;
    if (!limits || !match.v1) return { mayLimit: false };
    let bucket: string;
    let limit: number;
    if (!op || op.access === "public") {
      bucket = "address";
      limit = limits.publicPerMinute;
    } else if (!blocked && principal && op.access.includes(PRINCIPALS[req.caller.who]!.role)) {
      bucket = `key:${this.keys[req.caller.who as Keyed].slice(4, 16)}`;
      limit = limits.perKeyPerMinute;
    } else {
      return { mayLimit: false }; // answered by auth before the limiter
    }
    if (limit === 0) return { mayLimit: false };
    const n = (this.#buckets.get(bucket) ?? 0) + 1;
    this.#buckets.set(bucket, n);
    // The service's window may have restarted since (fewer refusals), never the other way.
    return { mayLimit: n > limit };
  }
}

/** What the service fingerprints a request by: method, path, and the body if the route reads one. */
function fingerprint(req: Req, url: URL, op: Operation | undefined): string {
  const body = op?.bodyLimit !== undefined && req.body ? Buffer.from(req.body.bytes).toString("hex") : "";
  return `${req.method}\n${url.pathname}\n${body}`;
}

/** An error message with its particulars (quoted values, numbers) taken out, to group findings. */
function normalise(s: string): string {
  return s.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, "N").slice(0, 160);
}

/** The cast every harness needs: tenant B, verifiers, a disabled tenant, revoked and expired keys. */
async function castOf(h: ApiHarness, clock: { now: Date }): Promise<{ keys: Keys; revokedKeyId: string; expiredKeyId: string }> {
  const actor = { id: "fuzz-setup" };
  const keys = { tenantA: h.keys.tenant, admin: h.keys.admin } as Keys;
  keys.tenantB = await h.principal("tenant", TENANT_B);
  keys.verifier = await h.principal("verifier", VERIFIER);
  keys.verifierNone = await h.principal("verifier", VERIFIER_NONE);
  await h.access.createPrincipal(actor, "verifier", { id: SPARE_VERIFIER, name: "spare" });
  keys.disabled = await h.principal("tenant", GONE_TENANT);
  await h.access.disablePrincipal(actor, "tenant", GONE_TENANT);
  const revoked = await h.access.createKey(actor, { principalId: TENANT_B });
  await h.access.revokeKey(actor, revoked.id);
  keys.revoked = revoked.key;
  // A key that works now and expires in a minute; then the harness clock passes it.
  const expiring = await h.access.createKey(actor, { principalId: TEST_TENANT, expiresAt: new Date(clock.now.getTime() + 60_000) });
  keys.expired = expiring.key;
  expect((await h.rawApp.request("/v1/me", { headers: bearer(keys.expired) })).status).toBe(200);
  clock.now = new Date(clock.now.getTime() + 120_000);
  expect((await h.rawApp.request("/v1/me", { headers: bearer(keys.expired) })).status).toBe(401);
  return { keys, revokedKeyId: revoked.id, expiredKeyId: expiring.id };
}

/** Rows of any table whose text holds a full API key. */
async function keysAtRest(f: Fuzzer): Promise<string[]> {
  const out: string[] = [];
  for (const t of f.tables) {
    const rows = await queryRows<{ row: string }>(f.h.database.db, sql.raw(`select t::text as row from "${t}" t where t::text ~* 'evk_[a-z2-7]{12}_[a-z2-7]{59}'`));
    for (const r of rows.slice(0, 3)) out.push(`${t}: key ${r.row.match(FULL_KEY)![0].slice(0, 20)}… in row ${show(r.row.replace(FULL_KEY, "<KEY>"), 140)}`);
    if (rows.length > 3) out.push(`${t}: and ${rows.length - 3} more rows`);
  }
  return out;
}

// ---- the properties

describe(`fuzzing the HTTP API on ${describeDbKind()} (${LONG ? `${FUZZ_SECONDS} s in all` : `${NUM_RUNS} runs per property`})`, () => {
  let h: ApiHarness & { node: LocalNode };
  let fx: Fixtures;
  const main = new Fuzzer("main", { visibility: true });

  beforeAll(async () => {
    h = await apiHarnessOnChain({ now: () => clocks.main.now, failures: main.tracker });
    const cast = await castOf(h, clocks.main);
    const keys = cast.keys;

    // Tenant A's and tenant B's evidence in separate batches, some of each still pending; both
    // have a case named CASE_A, and the verifier is shown only A's.
    const submit = async (key: string, items: object[]) => {
      const res = await h.rawApp.request("/v1/evidence/batch", jsonRequest("POST", { items }, bearer(key)));
      expect(res.status).toBe(202);
      return ((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id);
    };
    const d = Array.from({ length: 6 }, () => randomDigest());
    const [a1, a2] = await submit(keys.tenantA, [{ digest: d[0], caseId: CASE_A }, { digest: d[1] }]);
    await h.batcher.tick();
    const [b1, b2] = await submit(keys.tenantB, [{ digest: d[2], caseId: CASE_B }, { digest: d[3], caseId: CASE_A }]);
    await h.batcher.tick();
    const [a3] = await submit(keys.tenantA, [{ digest: d[4], caseId: CASE_A }]);
    const [b3] = await submit(keys.tenantB, [{ digest: d[5] }]);
    const batchOf = async (id: string) =>
      ((await (await h.rawApp.request(`/v1/evidence/${id}`, { headers: bearer(h.keys.admin) })).json()) as { batch: { seq: number } }).batch.seq;
    const proof = async (id: string) => (await (await h.rawApp.request(`/v1/evidence/${id}/proof`, { headers: bearer(keys.tenantA) })).json()) as ProofBundleV1;
    const A: Who[] = ["tenantA"];
    const B: Who[] = ["tenantB"];
    const AV: Who[] = ["tenantA", "verifier"];
    const evidence: Thing[] = [
      { value: a1!, visible: AV },
      { value: a2!, visible: A },
      { value: a3!, visible: AV },
      { value: b1!, visible: B },
      { value: b2!, visible: B },
      { value: b3!, visible: B },
      { value: a1!.toUpperCase(), visible: AV },
      { value: NO_UUID, visible: [] },
    ];
    const tenantScope = (tenantId: string) => ({ role: "tenant" as const, tenantId });
    const live = await h.access.grantDisclosure({ id: "fuzz-setup" }, tenantScope(TEST_TENANT), { caseId: CASE_A, verifierId: VERIFIER });
    const ofB = await h.access.grantDisclosure({ id: "fuzz-setup" }, tenantScope(TENANT_B), { caseId: CASE_B, verifierId: SPARE_VERIFIER });
    const digestOf = (i: number) => d[i]!.slice(2);
    const report = async (tenantId: string, caseId: string) => {
      const res = await h.rawApp.request("/v1/reports", jsonRequest("POST", { tenantId, caseId, purpose: "fuzz fixture", requestedBy: "fuzz" }, bearer(h.keys.admin)));
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const reportA = await report(TEST_TENANT, CASE_A);
    const reportB = await report(TENANT_B, CASE_B);
    // A webhook endpoint of each tenant, with a queued test event (nothing sends it here).
    const webhookA = await h.webhooks.create(TEST_TENANT, { url: "https://93.184.215.14/a/fixture" });
    const webhookB = await h.webhooks.create(TENANT_B, { url: "https://93.184.215.14/b/fixture" });
    const deliveryA = await h.webhooks.test(TEST_TENANT, webhookA.id);
    const deliveryB = await h.webhooks.test(TENANT_B, webhookB.id);
    fx = {
      evidence,
      reports: [
        { value: reportA, visible: AV },
        { value: reportB, visible: B },
        { value: NO_UUID, visible: [] },
      ],
      batches: [
        { value: String(await batchOf(a1!)), visible: A },
        { value: String(await batchOf(b1!)), visible: B },
        { value: "999999", visible: [] },
        { value: "-1", visible: [] },
      ],
      cases: [
        { tenantId: TEST_TENANT, caseId: CASE_A, visible: AV },
        { tenantId: TENANT_B, caseId: CASE_B, visible: B },
        { tenantId: TENANT_B, caseId: CASE_A, visible: B },
        { tenantId: TEST_TENANT, caseId: CASE_B, visible: [] },
      ],
      disclosures: [
        { value: live.id, visible: AV },
        { value: ofB.id, visible: B },
        { value: NO_UUID, visible: [] },
      ],
      webhooks: [
        { value: webhookA.id, visible: A },
        { value: webhookB.id, visible: B },
        { value: NO_UUID, visible: [] },
      ],
      webhookDeliveries: [
        { endpoint: webhookA.id, value: deliveryA.id, visible: A },
        { endpoint: webhookB.id, value: deliveryB.id, visible: B },
        { endpoint: webhookA.id, value: deliveryB.id, visible: [] },
        { endpoint: webhookA.id, value: "999999", visible: [] },
      ],
      digests: d,
      revokedKeyId: cast.revokedKeyId,
      expiredKeyId: cast.expiredKeyId,
      anchored: await proof(a1!),
      pending: await proof(a3!),
      markers: [
        ...[a1!, a3!].map((id) => ({ text: id, what: `tenant A's disclosed evidence ${id}`, visible: AV })),
        { text: a2!, what: `tenant A's evidence ${a2}`, visible: A },
        ...[b1!, b2!, b3!].map((id) => ({ text: id, what: `tenant B's evidence ${id}`, visible: B })),
        ...[0, 4].map((i) => ({ text: digestOf(i), what: `tenant A's disclosed digest ${d[i]}`, visible: AV })),
        { text: digestOf(1), what: `tenant A's digest ${d[1]}`, visible: A },
        ...[2, 3, 5].map((i) => ({ text: digestOf(i), what: `tenant B's digest ${d[i]}`, visible: B })),
        { text: live.id, what: `tenant A's disclosure ${live.id}`, visible: AV },
        { text: ofB.id, what: `tenant B's disclosure ${ofB.id}`, visible: B },
        { text: webhookA.id, what: `tenant A's webhook endpoint ${webhookA.id}`, visible: A },
        { text: webhookB.id, what: `tenant B's webhook endpoint ${webhookB.id}`, visible: B },
        { text: webhookA.secret.slice(6).toLowerCase(), what: `tenant A's webhook secret`, visible: [] },
        { text: webhookB.secret.slice(6).toLowerCase(), what: `tenant B's webhook secret`, visible: [] },
      ],
    };
    expect(fx.anchored.anchor).not.toBeNull();
    expect(fx.pending.anchor).toBeNull();
    main.opts.markers = fx.markers;
    await main.init(h, keys);
  });

  afterAll(async () => {
    const seconds = Math.round((Date.now() - stats.started) / 1000);
    const statuses = Object.fromEntries([...stats.byStatus].sort(([a], [b]) => a - b));
    const fiveXX = [...stats.byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    console.log(`fuzz: ${stats.requests} requests in ${seconds} s; statuses ${JSON.stringify(statuses)}; 5xx: ${fiveXX}; distinct failures: ${findings.size}`);
    if (LONG) {
      for (const [route, byStatus] of [...stats.byRoute].sort()) console.log(`  ${route}: ${JSON.stringify(Object.fromEntries(byStatus))}`);
      for (const f of findingsSince()) console.log(`  FAILURE ${f}`);
    }
    await h?.close();
  });

  it("has inputs for every route: path parameters, query parameters, bodies, effects", () => {
    const routes = h.rawApp.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    // The per-route properties below come from the registry; the app must serve exactly it.
    expect([...new Set(routes)].sort()).toEqual(Object.keys(OPERATIONS).sort());
    const missing: string[] = [];
    for (const [key, op] of Object.entries(OPERATIONS)) {
      const [method, template] = key.split(" ") as [string, string];
      if (templateParams(template).length > 0 && !ROUTE_INPUTS[key]?.params) missing.push(`${key}: no path-parameter generator (ROUTE_INPUTS)`);
      if (op.bodyLimit !== undefined && !ROUTE_INPUTS[key]?.body) missing.push(`${key}: no body generator (ROUTE_INPUTS)`);
      for (const q of queryNames(op)) if (!QUERY_VALUES[q]) missing.push(`${key}: no generator for query parameter ${q} (QUERY_VALUES)`);
      if (method !== "GET" && !EFFECTS[key]) missing.push(`${key}: what a success may change is not said (EFFECTS)`);
      if (op.idempotent && !VALID_BODIES[key]) missing.push(`${key}: no valid body for the duplicate-request property (VALID_BODIES)`);
    }
    const stale = [...Object.keys(ROUTE_INPUTS), ...Object.keys(EFFECTS), ...Object.keys(VALID_BODIES)].filter((k) => !(k in OPERATIONS));
    expect(missing).toEqual([]);
    expect(stale, "entries for routes that are gone").toEqual([]);
  });

  for (const key of Object.keys(OPERATIONS)) {
    property(
      `${key}: every kind of caller, random and real path parameters, queries, bodies, Idempotency-Keys`,
      () => prop(routeRequestArb(key, fx, main.keys), (r) => main.sendRoute(key, r)),
      ROUTE_RUNS,
    );
  }

  property("POST /v1/evidence: random and near-valid bodies; what is accepted is the caller's, and only theirs", () => {
    const tenants = fc.constantFrom<Who>("tenantA", "tenantB");
    return prop(fc.record({ as: tenants, body: wire(ROUTE_INPUTS["POST /v1/evidence"]!.body!(fx), 16_384), idem: idemArb }), async ({ as, body, idem }) => {
      const caller = { who: as, header: `Bearer ${main.keys[as as Keyed]}` };
      const out = await main.send({ method: "POST", path: "/v1/evidence", caller, body, idem });
      if (out.status !== 202) return;
      // Accepted: readable by its submitter, with the submitter it was sent by; not by the other tenant.
      const id = (out.json as { id: string }).id;
      const other: Caller = { who: as === "tenantA" ? "tenantB" : "tenantA", header: `Bearer ${main.keys[as === "tenantA" ? "tenantB" : "tenantA"]}` };
      expect((await main.send({ method: "GET", path: `/v1/evidence/${id}`, caller })).status).toBe(200);
      const bundle = await main.send({ method: "GET", path: `/v1/evidence/${id}/proof`, caller });
      expect((bundle.json as ProofBundleV1).evidence.meta.submitter).toBe(PRINCIPALS[as]!.id);
      expect((await main.send({ method: "GET", path: `/v1/evidence/${id}/proof`, caller: other, visible: [as] })).status).toBe(404);
    });
  });

  property("POST /v1/evidence/batch: random and near-valid bodies", () =>
    prop(wire(ROUTE_INPUTS["POST /v1/evidence/batch"]!.body!(fx), OPERATIONS["POST /v1/evidence/batch"]!.bodyLimit), async (body) => {
      const out = await main.send({ method: "POST", path: "/v1/evidence/batch", caller: { who: "tenantA", header: `Bearer ${main.keys.tenantA}` }, body });
      expect([202, 400, 413, 415, 422]).toContain(out.status);
    }),
  );

  property("POST /v1/verify: random bodies and mutated real bundles always get an answer, never an error", () =>
    prop(fc.record({ body: wire(ROUTE_INPUTS["POST /v1/verify"]!.body!(fx), VERIFY_BODY), caller: callerArb(main.keys) }), async ({ body, caller }) => {
      const out = await main.send({ method: "POST", path: "/v1/verify", caller, body });
      // 422: JSON that is recognisably not a proof (a receipt, a report, a bare value), named.
      expect([200, 400, 413, 415, 422]).toContain(out.status);
      if (out.status === 200) {
        const answer = out.json as { valid: boolean; checks: { name: string; ok: boolean }[] };
        expect(answer.checks.map((c) => c.name)).toEqual(["format", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"]);
        expect(answer.valid).toBe(answer.checks.every((c) => c.ok));
      }
    }),
  );

  property("any method, any path, any caller, with or without a body", () => {
    const routePath = fc.constantFrom(...Object.keys(OPERATIONS)).chain((key) => {
      const template = key.split(" ")[1]!;
      return fc.tuple(paramsArb(key, template, fx), queryArb(OPERATIONS[key]!, fx)).map(([p, q]) => ("values" in p ? fill(template, p.values) : fill(template, { id: "x" })) + q);
    });
    const randomPath = fc.oneof(
      fc.array(segment, { maxLength: 5 }).map((parts) => "/" + parts.join("/")),
      fc.array(segment, { maxLength: 3 }).map((parts) => "/v1/" + parts.join("/")),
      fc.constantFrom("/", "/v1", "/v1/", "/healthz/", "//v1/me", "/v1/me/", "/V1/ME", "/v1/./me", "/v1/../v1/me", "/v1/evidence/batch/", "/v1/%65vidence"),
    );
    return prop(
      fc.record({
        method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        path: fc.oneof(routePath, randomPath),
        caller: callerArb(main.keys),
        body: fc.option(wire(fc.oneof(itemLike, json), 16_384)),
        idem: idemArb,
      }),
      async ({ method, path, caller, body, idem }) => {
        await main.send({ method, path, caller, body: method === "GET" || method === "HEAD" ? undefined : (body ?? undefined), idem });
      },
    );
  });

  property("Idempotency-Key: duplicates sent at once run once; a retry replays; another body is refused", () => {
    const routes = Object.keys(OPERATIONS).filter((k) => OPERATIONS[k]!.idempotent);
    return prop(fc.record({ key: fc.constantFrom(...routes), copies: fc.integer({ min: 2, max: 4 }) }), async ({ key, copies }) => {
      const idem = unique("fz-dup");
      // Failed authentications of earlier properties may have blocked the address in this
      // window; these requests carry valid keys, and concurrent sends are not modelled for
      // blocking, so each run starts a fresh window.
      main.rollTrackerWindow();
      if (key === "POST /v1/webhooks") await pruneWebhooks(main.h);
      const [method, path] = key.split(" ") as [string, string];
      const valid = VALID_BODIES[key]!;
      const caller: Caller = { who: valid.as, header: `Bearer ${main.keys[valid.as as Keyed]}` };
      const json1 = valid.body();
      const body = (v: unknown): Body | undefined => (v === undefined ? undefined : { bytes: utf8(JSON.stringify(v)), contentType: "application/json" });
      const req: Req = { method, path, caller, body: body(json1), idem: { header: idem, key: idem } };
      const before = await main.snapshot();
      const outs = await Promise.all(Array.from({ length: copies }, () => main.send(req, { concurrent: true })));
      const after = await main.snapshot();
      const ran = outs.filter((o) => o.status >= 200 && o.status < 300 && !o.replayed);
      const context = `${copies} × ${key} with Idempotency-Key ${idem}: ${outs.map((o) => `${o.status}${o.replayed ? " (replayed)" : ""}`).join(", ")}`;
      expect(ran.length, context).toBe(1);
      const op = OPERATIONS[key]!;
      const replayText = op.replayAs ? op.replayAs(ran[0]!.text) : ran[0]!.text;
      for (const o of outs) {
        expect([ran[0]!.status, 409], context).toContain(o.status);
        if (o.status === ran[0]!.status) expect(o.text, context).toBe(o.replayed ? replayText : ran[0]!.text);
      }
      const observed: Counts = Object.fromEntries(Object.keys(after).map((t) => [t, after[t]! - before[t]!]));
      const expected: Counts = { ...EFFECTS[key]!(ran[0]!.json, observed), idempotency_keys: 1 };
      for (const t of Object.keys(observed)) expect(observed[t], `${t}: ${context}`).toBe(expected[t] ?? 0);
      // Then a retry replays, and the key with another request is refused (send checks both).
      await main.send(req);
      const other = valid.body();
      if (other !== undefined) await main.send({ ...req, body: body(other) });
    });
  }, ROUTE_RUNS);

  describe("with rate limits on (a harness of its own)", () => {
    const limited = new Fuzzer("rate-limited", { visibility: false, rateLimits: { perKeyPerMinute: 5, publicPerMinute: 5 } });
    let rl: ApiHarness | undefined;

    beforeAll(async () => {
      rl = await apiHarness({ chainUrl: h.node.url, rateLimits: limited.opts.rateLimits!, failures: limited.tracker, now: () => clocks.limited.now });
      await limited.init(rl, (await castOf(rl, clocks.limited)).keys);
    });
    afterAll(async () => {
      if (rl) expect(unhandled(rl.log)).toEqual([]);
      await rl?.close();
    });

    property("every route, every caller: 429 only past the limit, with Retry-After; refused requests store nothing", () => {
      const keys = Object.keys(OPERATIONS);
      return prop(
        fc.constantFrom(...keys).chain((key) => routeRequestArb(key, fx, limited.keys).map((r) => [key, r] as const)),
        ([key, r]) => limited.sendRoute(key, r),
      );
    });
  });

  it("stored no API key anywhere (keys are kept only as hashes)", async () => {
    expect(await keysAtRest(main)).toEqual([]);
  });

  it("the real bundles still verify after all that, and nothing went unhandled", async () => {
    const res = await h.app.request("/v1/verify", jsonRequest("POST", fx.anchored));
    expect(((await res.json()) as { valid: boolean }).valid).toBe(true);
    expect(unhandled(h.log)).toEqual([]);
  });
});
