// Bad input against the real app, table-driven: every refusal is an RFC 9457 problem+json with
// the right status and type, validation errors name the offending field as a JSON pointer
// with a reason, and no refused request stores anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBLEMS, problemType, type ProblemCode } from "../../src/errors.ts";
import { apiHarness, randomDigest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";

const D = randomDigest();
const hex = (bytes: number) => "0x" + "ab".repeat(bytes);
const many = (n: number) => Array.from({ length: n }, () => ({ digest: randomDigest() }));

interface ExpectedField {
  field: string;
  reason?: RegExp;
}

interface Case {
  name: string;
  method?: string;
  path: string;
  /** JSON-serialised as the body (content-type application/json unless headers say otherwise). */
  json?: unknown;
  /** Sent as is. */
  raw?: RequestInit["body"];
  headers?: Record<string, string>;
  status: number;
  code: ProblemCode;
  /** For validation failures: exactly these fields, in any order. */
  errors?: ExpectedField[];
  /** Substring the detail must contain. */
  detail?: string;
}

const single = (json: unknown, errors: ExpectedField[], name: string): Case => ({
  name: `POST /v1/evidence: ${name}`,
  method: "POST",
  path: "/v1/evidence",
  json,
  status: 422,
  code: "validation-failed",
  errors,
});

const batch = (json: unknown, errors: ExpectedField[], name: string): Case => ({
  name: `POST /v1/evidence/batch: ${name}`,
  method: "POST",
  path: "/v1/evidence/batch",
  json,
  status: 422,
  code: "validation-failed",
  errors,
});

const DIGEST_REASON = /64 hex digits \(32 bytes\)/;
const UNKNOWN = /unknown field/;

const cases: Case[] = [
  // ---- digest
  single({ digest: "0x" + "g".repeat(64) }, [{ field: "/digest", reason: DIGEST_REASON }], "digest with non-hex digits"),
  single({ digest: "0x" + "a".repeat(63) }, [{ field: "/digest", reason: DIGEST_REASON }], "digest with an odd number of digits"),
  single({ digest: hex(31) }, [{ field: "/digest", reason: DIGEST_REASON }], "digest of 31 bytes"),
  single({ digest: hex(33) }, [{ field: "/digest", reason: DIGEST_REASON }], "digest of 33 bytes"),
  single({ digest: "0X" + "ab".repeat(32) }, [{ field: "/digest", reason: DIGEST_REASON }], "digest with 0X"),
  single({ digest: ` ${D}` }, [{ field: "/digest", reason: DIGEST_REASON }], "digest with leading space"),
  single({ digest: `${D}\n` }, [{ field: "/digest", reason: DIGEST_REASON }], "digest with trailing newline"),
  single({ digest: "" }, [{ field: "/digest", reason: DIGEST_REASON }], "empty digest"),
  single({}, [{ field: "/digest", reason: /required/ }], "missing digest"),
  single({ digest: 42 }, [{ field: "/digest" }], "digest a number"),
  single({ digest: null }, [{ field: "/digest" }], "digest null"),
  single({ digest: [D] }, [{ field: "/digest" }], "digest an array"),
  single({ digest: { hex: D } }, [{ field: "/digest" }], "digest an object"),
  // ---- mass assignment: fields the service sets itself
  ...["submitter", "status", "id", "receivedAt", "leafHash", "salt", "meta", "prev", "batch", "anchor"].map((key) =>
    single({ digest: D, [key]: key === "meta" ? { submitter: "x" } : "forged" }, [{ field: `/${key}`, reason: UNKNOWN }], `unknown field ${key}`),
  ),
  single({ digest: D, submitter: "a", id: "b" }, [{ field: "/submitter", reason: UNKNOWN }, { field: "/id", reason: UNKNOWN }], "two unknown fields"),
  single({ digest: D, "a/b~c": 1 }, [{ field: "/a~1b~0c", reason: UNKNOWN }], "unknown field escaped as a JSON pointer"),
  {
    ...single(null, [{ field: "/__proto__", reason: UNKNOWN }], "unknown field __proto__"),
    json: undefined,
    raw: `{"digest":"${D}","__proto__":{"submitter":"forged"}}`,
  },
  {
    ...single(null, [{ field: "/constructor", reason: UNKNOWN }], "unknown field constructor"),
    json: undefined,
    raw: `{"digest":"${D}","constructor":{"prototype":{"submitter":"forged"}}}`,
  },
  // ---- hashAlg
  single({ digest: D, hashAlg: "md5" }, [{ field: "/hashAlg", reason: /sha256, sha3-256, sm3/ }], "unknown hashAlg"),
  single({ digest: D, hashAlg: "SHA256" }, [{ field: "/hashAlg" }], "hashAlg in the wrong case"),
  single({ digest: D, hashAlg: "" }, [{ field: "/hashAlg" }], "empty hashAlg"),
  single({ digest: D, hashAlg: 256 }, [{ field: "/hashAlg" }], "hashAlg a number"),
  single({ digest: D, hashAlg: null }, [{ field: "/hashAlg" }], "hashAlg null"),
  // ---- occurredAt
  ...["2026-11-27", "yesterday", "2026-13-01T00:00:00Z", "2026-11-27T25:00:00Z", "2026-11-27 10:00:00Z", "2026-11-27T10:00:00", "1764237600"].map(
    (v) => single({ digest: D, occurredAt: v }, [{ field: "/occurredAt", reason: /RFC 3339/ }], `occurredAt ${JSON.stringify(v)}`),
  ),
  single({ digest: D, occurredAt: 1764237600 }, [{ field: "/occurredAt" }], "occurredAt a number"),
  single(
    { digest: D, occurredAt: `2026-11-27T10:00:00.${"1".repeat(2000)}Z` },
    [{ field: "/occurredAt" }],
    "occurredAt with 2000 fractional digits",
  ),
  // ---- caseId / eventType
  single({ digest: D, caseId: "" }, [{ field: "/caseId", reason: /empty/ }], "empty caseId"),
  single({ digest: D, caseId: "x".repeat(257) }, [{ field: "/caseId", reason: /256/ }], "caseId of 257 characters"),
  single({ digest: D, caseId: 7 }, [{ field: "/caseId" }], "caseId a number"),
  single({ digest: D, caseId: "a\ud800b" }, [{ field: "/caseId", reason: /surrogate/ }], "caseId with a lone high surrogate"),
  single({ digest: D, caseId: "\udc00" }, [{ field: "/caseId", reason: /surrogate/ }], "caseId with a lone low surrogate"),
  single({ digest: D, caseId: "a\u0000b" }, [{ field: "/caseId" }], "caseId with a NUL character"),
  single({ digest: D, eventType: "" }, [{ field: "/eventType" }], "empty eventType"),
  single({ digest: D, eventType: "e".repeat(65) }, [{ field: "/eventType", reason: /64/ }], "eventType of 65 characters"),
  single({ digest: D, eventType: "\u0000" }, [{ field: "/eventType" }], "eventType a NUL character"),
  // ---- not an object
  single([], [{ field: "" }], "body an array"),
  single([{ digest: D }], [{ field: "" }], "body an array of items"),
  single(null, [{ field: "" }], "body null"),
  single(42, [{ field: "" }], "body a number"),
  single(D, [{ field: "" }], "body a string"),
  single(true, [{ field: "" }], "body a boolean"),
  // ---- batch
  batch({ items: [] }, [{ field: "/items", reason: /at least one/ }], "items empty"),
  batch({ items: many(10_001) }, [{ field: "/items", reason: /10000/ }], "10,001 items"),
  batch({ items: "x" }, [{ field: "/items" }], "items a string"),
  batch({ items: { 0: { digest: D } } }, [{ field: "/items" }], "items an object"),
  batch({ items: null }, [{ field: "/items" }], "items null"),
  batch({}, [{ field: "/items", reason: /required/ }], "items missing"),
  batch({ items: [{ digest: D }], submitter: "x" }, [{ field: "/submitter", reason: UNKNOWN }], "unknown top-level field"),
  batch({ items: [{ digest: D }, 5] }, [{ field: "/items/1" }], "an item that is not an object"),
  batch({ items: [{ digest: D }, { digest: D, status: "anchored" }] }, [{ field: "/items/1/status", reason: UNKNOWN }], "an item with a forged status"),
  batch({ items: [{ digest: D }, { digest: hex(33) }] }, [{ field: "/items/1/digest", reason: DIGEST_REASON }], "an item with a 33-byte digest"),
  batch([{ digest: D }], [{ field: "" }], "body an array of items"),
  batch(null, [{ field: "" }], "body null"),
  // ---- JSON syntax and encoding
  ...[
    ["empty body", ""],
    ["truncated", `{"digest":"${D}"`],
    ["single quotes", `{'digest':'${D}'}`],
    ["trailing comma", `{"digest":"${D}",}`],
    ["two documents", `{"digest":"${D}"}{}`],
    ["NaN", `{"digest":NaN}`],
  ].map(
    ([name, raw]): Case => ({ name: `POST /v1/evidence: malformed JSON (${name})`, method: "POST", path: "/v1/evidence", raw: raw!, status: 400, code: "malformed-json" }),
  ),
  {
    name: "POST /v1/evidence: invalid UTF-8 (an encoded lone surrogate)",
    method: "POST",
    path: "/v1/evidence",
    raw: new Uint8Array([...new TextEncoder().encode(`{"digest":"${D}","caseId":"`), 0xed, 0xa0, 0x80, 0x22, 0x7d]),
    status: 400,
    code: "malformed-json",
    detail: "UTF-8",
  },
  { name: "POST /v1/evidence/batch: malformed JSON", method: "POST", path: "/v1/evidence/batch", raw: "{items:[]}", status: 400, code: "malformed-json" },
  // ---- media type
  ...[
    ["text/plain", "text/plain"],
    ["form", "application/x-www-form-urlencoded"],
    ["jsonx", "application/jsonx"],
    ["json in a parameter only", "text/plain; x=application/json"],
  ].map(
    ([name, type]): Case => ({
      name: `POST /v1/evidence: content-type ${name}`,
      method: "POST",
      path: "/v1/evidence",
      raw: JSON.stringify({ digest: D }),
      headers: { "content-type": type! },
      status: 415,
      code: "unsupported-media-type",
    }),
  ),
  { name: "POST /v1/evidence: no content-type", method: "POST", path: "/v1/evidence", raw: new Blob([JSON.stringify({ digest: D })]), status: 415, code: "unsupported-media-type" },
  { name: "POST /v1/evidence/batch: text/plain", method: "POST", path: "/v1/evidence/batch", raw: JSON.stringify({ items: [{ digest: D }] }), headers: { "content-type": "text/plain" }, status: 415, code: "unsupported-media-type" },
  // ---- size
  {
    name: "POST /v1/evidence: body over 16 KiB",
    method: "POST",
    path: "/v1/evidence",
    json: { digest: D, caseId: "x".repeat(20_000) },
    status: 413,
    code: "payload-too-large",
  },
  {
    name: "POST /v1/evidence: content-length over the limit",
    method: "POST",
    path: "/v1/evidence",
    raw: JSON.stringify({ digest: D, pad: "x".repeat(17_000) }),
    headers: { "content-type": "application/json", "content-length": String(JSON.stringify({ digest: D, pad: "x".repeat(17_000) }).length) },
    status: 413,
    code: "payload-too-large",
  },
  // ---- ids
  ...["00000000-0000-4000-8000-000000000000", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"].flatMap((id): Case[] => [
    { name: `GET /v1/evidence/${id} (unknown)`, path: `/v1/evidence/${id}`, status: 404, code: "not-found" },
    { name: `GET /v1/evidence/${id}/proof (unknown)`, path: `/v1/evidence/${id}/proof`, status: 404, code: "not-found" },
  ]),
  ...["abc", "1", "3f2504e0-4f89-41d3-9a0c-0305e82c33011", "3f2504e04f8941d39a0c0305e82c3301", "%27%20or%201%3D1%20--", "%00", "%E2%82%AC", "%ZZ"].flatMap(
    (id): Case[] => [
      { name: `GET /v1/evidence/${id} (not a UUID)`, path: `/v1/evidence/${id}`, status: 404, code: "not-found" },
      { name: `GET /v1/evidence/${id}/proof (not a UUID)`, path: `/v1/evidence/${id}/proof`, status: 404, code: "not-found" },
    ],
  ),
  // ---- batch seq
  ...["0", "1", "-1", "abc", "1.5", "1e3", "0x10", "%201", "99999999999999999999", "9007199254740993", "999999999999999", "%00"].map(
    (seq): Case => ({ name: `GET /v1/batches/${seq}`, path: `/v1/batches/${seq}`, status: 404, code: "not-found" }),
  ),
  // ---- digest lookup
  ...[
    ["missing", "/v1/evidence"],
    ["empty", "/v1/evidence?digest="],
    ["bad hex", `/v1/evidence?digest=0x${"zz".repeat(32)}`],
    ["31 bytes", `/v1/evidence?digest=${hex(31)}`],
    ["0X prefix", `/v1/evidence?digest=0X${"ab".repeat(32)}`],
    ["other parameter", `/v1/evidence?hash=${D}`],
  ].map(
    ([name, path]): Case => ({
      name: `GET /v1/evidence?digest (${name})`,
      path: path!,
      status: 422,
      code: "validation-failed",
      errors: [{ field: "digest", reason: /64 hex digits|required/ }],
    }),
  ),
  // ---- routes
  ...[
    ["GET", "/"],
    ["GET", "/nope"],
    ["GET", "/v1"],
    ["GET", "/v1/batches"],
    ["GET", "/v1/evidence/00000000-0000-4000-8000-000000000000/proof/x"],
  ].map(([method, path]): Case => ({ name: `${method} ${path} (no route)`, method: method!, path: path!, status: 404, code: "not-found" })),
  // ---- a path that exists, with a method it does not take
  ...[
    ["GET", "/v1/verify"],
    ["POST", "/v1/batches/1"],
    ["DELETE", "/v1/evidence"],
    ["PUT", `/v1/evidence/00000000-0000-4000-8000-000000000000`],
    ["PATCH", "/v1/evidence/batch"],
    ["POST", "/healthz"],
  ].map(([method, path]): Case => ({ name: `${method} ${path} (wrong method)`, method: method!, path: path!, status: 405, code: "method-not-allowed" })),
  // ---- verify: body errors (a JSON body is always an answer, see below)
  { name: "POST /v1/verify: not JSON", method: "POST", path: "/v1/verify", raw: "this is not a bundle", status: 400, code: "malformed-json" },
  { name: "POST /v1/verify: empty body", method: "POST", path: "/v1/verify", raw: "", status: 400, code: "malformed-json" },
  {
    name: "POST /v1/verify: text/plain",
    method: "POST",
    path: "/v1/verify",
    raw: "{}",
    headers: { "content-type": "text/plain" },
    status: 415,
    code: "unsupported-media-type",
  },
  {
    name: "POST /v1/verify: over 1 MiB",
    method: "POST",
    path: "/v1/verify",
    json: { format: "evidence-proof/v1", pad: "x".repeat(1024 * 1024) },
    status: 413,
    code: "payload-too-large",
  },
];

function init(c: Case): RequestInit {
  const headers: Record<string, string> = { ...(c.json !== undefined || typeof c.raw === "string" || c.raw instanceof Uint8Array ? { "content-type": "application/json" } : {}), ...c.headers };
  const body = c.json !== undefined ? JSON.stringify(c.json) : c.raw;
  return { method: c.method ?? "GET", headers, ...(body === undefined ? {} : { body }) };
}

/** Asserts the response is a problem+json of `code`; returns the body. */
async function expectProblem(res: Response, code: ProblemCode, path: string) {
  const text = await res.text();
  expect(res.status, text).toBe(PROBLEMS[code].status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.type).toBe(problemType(code));
  expect(body.title).toBe(PROBLEMS[code].title);
  expect(body.status).toBe(PROBLEMS[code].status);
  expect(typeof body.detail).toBe("string");
  expect((body.detail as string).length).toBeGreaterThan(0);
  expect(body.instance).toBe(path);
  return body as { detail: string; errors?: { field: string; reason: string }[] };
}

describe(`bad input on ${describeDbKind()}`, () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
    // One real item, so "nothing stored" is checked against a non-empty table.
    const res = await h.app.request("/v1/evidence", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ digest: D }),
    });
    expect(res.status).toBe(202);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("has unique case names", () => {
    const names = cases.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const before = await h.countEvidence();
      const res = await h.app.request(c.path, init(c));
      const body = await expectProblem(res, c.code, new URL(c.path, "http://x").pathname);
      if (c.status === 422) expect(c.code).toBe("validation-failed");
      if (c.errors) {
        expect(Array.isArray(body.errors), JSON.stringify(body)).toBe(true);
        expect(body.errors!.map((e) => e.field).sort()).toEqual(c.errors.map((e) => e.field).sort());
        for (const e of body.errors!) {
          expect(typeof e.reason).toBe("string");
          expect(e.reason.length).toBeGreaterThan(0);
          const want = c.errors.find((x) => x.field === e.field)!;
          if (want.reason) expect(e.reason).toMatch(want.reason);
        }
        // The detail names the first field.
        expect(body.detail).toContain(body.errors![0]!.field || "(body)");
      } else {
        expect(body.errors).toBeUndefined();
      }
      if (c.detail) expect(body.detail).toContain(c.detail);
      expect(await h.countEvidence()).toBe(before);
    });
  }

  it("413 for a chunked body without content-length that passes the limit", async () => {
    const before = await h.countEvidence();
    const chunk = new TextEncoder().encode(" ".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"digest":"${D}","caseId":"`));
      },
      pull(controller) {
        // Endless: only the server's limit can end this request.
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const req = new Request("http://localhost/v1/evidence", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(req.headers.get("content-length")).toBeNull();
    const res = await h.app.request(req);
    await expectProblem(res, "payload-too-large", "/v1/evidence");
    // It stopped reading soon after the 16 KiB limit instead of draining the stream.
    expect(sent).toBeLessThan(64 * 1024);
    expect(await h.countEvidence()).toBe(before);
  });

  it("413 for a chunked batch body over 24 MiB", async () => {
    const before = await h.countEvidence();
    const item = new TextEncoder().encode(`{"digest":"${D}"},`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"items":[`));
      },
      pull(controller) {
        const block = new Uint8Array(item.byteLength * 1000);
        for (let i = 0; i < 1000; i++) block.set(item, i * item.byteLength);
        sent += block.byteLength;
        controller.enqueue(block);
      },
    });
    const res = await h.app.request("/v1/evidence/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectProblem(res, "payload-too-large", "/v1/evidence/batch");
    expect(sent).toBeLessThan(26 * 1024 * 1024);
    expect(await h.countEvidence()).toBe(before);
  });

  it("a chunked body under the limit is accepted (the limit is not a blanket ban on streams)", async () => {
    const before = await h.countEvidence();
    const parts = [`{"digest":`, `"${randomDigest()}"`, `}`].map((s) => new TextEncoder().encode(s));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await h.app.request("/v1/evidence", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(202);
    expect(await h.countEvidence()).toBe(before + 1);
  });

  it("405 names the allowed methods in an Allow header", async () => {
    const res = await h.app.request("/v1/evidence/batch", { method: "PATCH" });
    expect(res.status).toBe(405);
    // /v1/evidence/batch is also a GET /v1/evidence/:id path (an id that is not a UUID).
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    const verify = await h.app.request("/v1/verify");
    expect(verify.headers.get("allow")).toBe("POST");
  });

  it("content-type with parameters or a +json suffix is accepted", async () => {
    for (const type of ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.evidence+json"]) {
      const res = await h.app.request("/v1/evidence", {
        method: "POST",
        headers: { "content-type": type },
        body: JSON.stringify({ digest: randomDigest() }),
      });
      expect(res.status, type).toBe(202);
    }
  });

  it("POST /v1/verify answers a JSON non-bundle with 200, valid false and the failing format check's pointer", async () => {
    const probes: [unknown, string][] = [
      [{}, "/format"],
      [{ format: "evidence-proof/v2" }, "/format"],
      [{ format: "evidence-proof/v1" }, "/evidence"],
      [{ format: "evidence-proof/v1", evidence: { id: "x" } }, "/evidence/digest"],
      [{ format: "evidence-proof/v1", evidence: { id: "x", digest: D, salt: "0x12" } }, "/evidence/salt"],
      [[], "bundle"],
      [null, "bundle"],
      [42, "bundle"],
    ];
    for (const [body, pointer] of probes) {
      const res = await h.app.request("/v1/verify", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const out = (await res.json()) as { valid: boolean; checks: { name: string; ok: boolean; skipped?: true; detail: string }[] };
      expect(out.valid).toBe(false);
      const [format, ...rest] = out.checks;
      expect(format).toMatchObject({ name: "format", ok: false });
      expect(format!.skipped).toBeUndefined();
      expect(format!.detail.startsWith(pointer + ":"), format!.detail).toBe(true);
      expect(rest.map((c) => c.name)).toEqual(["leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"]);
      expect(rest.every((c) => c.ok === false && c.skipped === true)).toBe(true);
    }
  });

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
