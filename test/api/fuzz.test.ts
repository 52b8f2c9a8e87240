// Property tests (fast-check) of the whole HTTP surface: random and near-valid JSON bodies,
// random raw bodies, random ids and paths against every route of the real app. Whatever
// arrives: never a 5xx, every non-2xx is problem+json, and only an accepted submission adds
// evidence rows (exactly as many as it was answered for). FC_RUNS sets runs per property.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

const NUM_RUNS = Number(process.env.FC_RUNS ?? 200);
const CHECK_NAMES = ["format", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] as const;

// ---- arbitraries

/** Any UTF-16 code unit sequence: lone surrogates, NUL, JSON-pointer specials included. */
const anyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom("\u0000", "/", "~", '"', "\\", "%", " ", "\n") },
);
const anyString = fc.string({ unit: anyChar, maxLength: 40 });
const json = fc.jsonValue({ maxDepth: 3, stringUnit: anyChar });

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
/** Text that is often valid for caseId/eventType, sometimes not (NUL, surrogates, length). */
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
/** An item whose every field is plausible; then, often, exactly one field corrupted or added. */
const itemLike = fc
  .record(
    {
      digest: fc.oneof({ weight: 5, arbitrary: digestLike.filter((d) => typeof d === "string" && /^0x[0-9a-f]{64}$/i.test(d)) }, { weight: 1, arbitrary: digestLike }),
      hashAlg: fc.constantFrom("sha256", "sha3-256", "sm3"),
      caseId: text(256),
      eventType: text(64),
      occurredAt,
    },
    { requiredKeys: ["digest"] },
  )
  .chain((item) =>
    fc
      .option(
        fc.tuple(
          fc.oneof(
            fc.constantFrom("digest", "hashAlg", "caseId", "eventType", "occurredAt"),
            fc.constantFrom("submitter", "status", "id", "receivedAt", "leafHash", "salt", "meta", "prev", "__proto__", "a/b~c"),
            anyString,
          ),
          fc.oneof(json, anyString, digestLike),
        ),
        { freq: 2 },
      )
      .map((extra) => {
        // A null-prototype copy, so that "__proto__" becomes a real key of the JSON.
        const out = Object.assign(Object.create(null) as Record<string, unknown>, item);
        if (extra !== null) out[extra[0]] = extra[1];
        return out;
      }),
  );

/** A POST body: [raw text, content-type]. JSON most of the time, anything sometimes. */
function bodyArb(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<[string, string]> {
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant("application/json") },
    { weight: 1, arbitrary: fc.constantFrom("text/plain", "", "application/json; charset=utf-8", "application/x+json", "multipart/form-data") },
  );
  const text = fc.oneof(
    { weight: 4, arbitrary: shaped.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 2, arbitrary: json.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyString },
    { weight: 1, arbitrary: shaped.map((v) => (JSON.stringify(v) ?? "").slice(0, -1)) },
  );
  return fc.tuple(text, contentType);
}

/** A path segment: uuids, numbers, and arbitrary (percent-encoded) text. */
const segment = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.integer({ min: -10, max: 2 ** 53 + 10 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.constantFrom("", ".", "..", "%", "%2", "%zz", "%00", "%2F", "1e3", "0x10", "-0", "1.0", "%20"),
  anyString.map((s) => encodeURIComponent(s.isWellFormed() ? s : s.toWellFormed())),
  fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,20}$/),
);

const pathArb = fc.oneof(
  segment.map((s) => `/v1/evidence/${s}`),
  segment.map((s) => `/v1/evidence/${s}/proof`),
  segment.map((s) => `/v1/batches/${s}`),
  segment.map((s) => `/v1/evidence?digest=${s}`),
  digestLike.map((d) => `/v1/evidence?digest=${encodeURIComponent(typeof d === "string" ? d.toWellFormed() : JSON.stringify(d))}`),
  fc.constantFrom("/", "/healthz", "/readyz", "/v1", "/v1/evidence", "/v1/evidence/batch", "/v1/verify", "/v1/batches"),
  fc.array(segment, { maxLength: 4 }).map((parts) => "/" + parts.join("/")),
);

// ---- the invariants

interface Outcome {
  status: number;
  body: unknown;
}

describe(`fuzzing the HTTP API on ${describeDbKind()} (${NUM_RUNS} runs per property)`, () => {
  let h: ApiHarness & { node: LocalNode };
  let anchored: ProofBundleV1;
  let pending: ProofBundleV1;

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    const submit = async () => {
      const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items: [{ digest: randomDigest() }, { digest: randomDigest(), caseId: "c" }, { digest: randomDigest() }] }));
      expect(res.status).toBe(202);
      return ((await res.json()) as { items: { id: string }[] }).items;
    };
    const first = await submit();
    await h.batcher.tick();
    const second = await submit();
    anchored = (await (await h.app.request(`/v1/evidence/${first[1]!.id}/proof`)).json()) as ProofBundleV1;
    pending = (await (await h.app.request(`/v1/evidence/${second[0]!.id}/proof`)).json()) as ProofBundleV1;
    expect(anchored.anchor).not.toBeNull();
    expect(pending.anchor).toBeNull();
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Sends a request and checks every invariant; returns status and parsed body. */
  async function send(method: string, path: string, body?: [string, string]): Promise<Outcome> {
    const before = await h.countEvidence();
    const headers: Record<string, string> = {};
    if (body && body[1] !== "") headers["content-type"] = body[1];
    const init: RequestInit = { method, headers };
    if (body && method !== "GET" && method !== "HEAD") init.body = new Blob([body[0]]);
    const res = await h.app.request(path, init);
    const text = await res.text();
    const where = `${method} ${path} ${body ? JSON.stringify(body[0].slice(0, 200)) : ""} → ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    expect(res.status, where).toBeGreaterThanOrEqual(200);

    let parsed: unknown = undefined;
    if (res.status >= 300) {
      expect(res.headers.get("content-type"), where).toBe("application/problem+json");
      if (method !== "HEAD") {
        parsed = JSON.parse(text);
        const p = parsed as Record<string, unknown>;
        expect(p.type, where).toMatch(/^urn:evidence:problem:[a-z-]+$/);
        expect(typeof p.title, where).toBe("string");
        expect(p.status, where).toBe(res.status);
        expect(typeof p.detail, where).toBe("string");
        if (res.status === 422) expect(Array.isArray(p.errors) && p.errors.length > 0, where).toBe(true);
        if (p.errors !== undefined) {
          for (const e of p.errors as { field: unknown; reason: unknown }[]) {
            expect(typeof e.field, where).toBe("string");
            // A JSON pointer into the body, or the query parameter's name.
            expect(e.field === "" || (e.field as string).startsWith("/") || e.field === "digest", where).toBe(true);
            expect(typeof e.reason === "string" && e.reason.length > 0, where).toBe(true);
          }
        }
      }
    } else if (res.status === 204) {
      // Only a CORS preflight of POST /v1/verify answers without a body.
      expect([method, new URL("http://x" + path).pathname], where).toEqual(["OPTIONS", "/v1/verify"]);
      expect(text, where).toBe("");
    } else if (method !== "HEAD") {
      expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
      parsed = JSON.parse(text);
    }

    const after = await h.countEvidence();
    const route = new URL("http://x" + path).pathname;
    if (res.status === 202 && method === "POST" && (route === "/v1/evidence" || route === "/v1/evidence/batch")) {
      const added = route === "/v1/evidence" ? 1 : (parsed as { items: unknown[] }).items.length;
      expect(after - before, where).toBe(added);
    } else {
      expect(after, where).toBe(before);
    }
    return { status: res.status, body: parsed };
  }

  const run = <T extends [unknown, ...unknown[]]>(prop: fc.IAsyncPropertyWithHooks<T>) => fc.assert(prop, { numRuns: NUM_RUNS });

  it("POST /v1/evidence: random and near-valid bodies", async () => {
    const shaped = fc.oneof({ weight: 4, arbitrary: itemLike }, { weight: 1, arbitrary: json });
    await run(
      fc.asyncProperty(bodyArb(shaped), async (body) => {
        const out = await send("POST", "/v1/evidence", body);
        expect([202, 400, 413, 415, 422]).toContain(out.status);
        if (out.status === 202) {
          // What was accepted can be read back.
          const id = (out.body as { id: string }).id;
          expect((await send("GET", `/v1/evidence/${id}`)).status).toBe(200);
          expect((await send("GET", `/v1/evidence/${id}/proof`)).status).toBe(200);
        }
      }),
    );
  });

  it("POST /v1/evidence/batch: random and near-valid bodies", async () => {
    const shaped = fc.oneof(
      { weight: 4, arbitrary: fc.record({ items: fc.array(itemLike, { maxLength: 6 }) }) },
      { weight: 1, arbitrary: fc.record({ items: json }) },
      { weight: 1, arbitrary: fc.array(itemLike, { maxLength: 3 }) },
      { weight: 1, arbitrary: json },
    );
    await run(
      fc.asyncProperty(bodyArb(shaped), async (body) => {
        const out = await send("POST", "/v1/evidence/batch", body);
        expect([202, 400, 413, 415, 422]).toContain(out.status);
      }),
    );
  });

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

  it("POST /v1/verify: random bodies and mutated real bundles always get an answer, never an error", async () => {
    const mutated = fc
      .tuple(fc.boolean(), fc.nat(), fc.oneof(json, digestLike, fc.integer(), fc.double()), fc.boolean())
      .map(([useAnchored, pick, replacement, remove]) => mutate(useAnchored ? anchored : pending, pick, replacement, remove));
    const shaped = fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: json });
    await run(
      fc.asyncProperty(bodyArb(shaped), async (body) => {
        const out = await send("POST", "/v1/verify", body);
        expect([200, 400, 413, 415]).toContain(out.status);
        if (out.status === 200) {
          const answer = out.body as { valid: boolean; checks: { name: string; ok: boolean }[] };
          expect(answer.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
          expect(answer.valid).toBe(answer.checks.every((c) => c.ok));
        }
      }),
    );
  });

  it("GET with random ids, batch numbers, digests and paths", async () => {
    await run(
      fc.asyncProperty(pathArb, async (path) => {
        await send("GET", path);
      }),
    );
  });

  it("any method on any route, with or without a body", async () => {
    await run(
      fc.asyncProperty(fc.constantFrom(...METHODS), pathArb, fc.option(bodyArb(fc.oneof(itemLike, json))), async (method, path, body) => {
        await send(method, path, body ?? undefined);
      }),
    );
  });

  it("the real bundles still verify after all that (the fuzzing changed nothing stored)", async () => {
    const res = await h.app.request("/v1/verify", jsonRequest("POST", anchored));
    expect(((await res.json()) as { valid: boolean }).valid).toBe(true);
    expect(unhandled(h.log)).toEqual([]);
  });
});
