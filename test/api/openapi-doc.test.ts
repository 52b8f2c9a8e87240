// The OpenAPI document as client generators read it: a real linter (Redocly's, the library
// behind `redocly lint`) finds nothing, operation ids are unique, every JSON body has an
// example that its own schema accepts, and the headers the service reads and sends are declared.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf, isRateLimited, openApiDocument, problemExample } from "../../src/api/openapi.ts";
import { ProblemSchema } from "../../src/api/schemas.ts";
import { PROBLEMS } from "../../src/errors.ts";
import { apiHarness, bearer, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { OPERATIONS, TAGS } from "../../src/api/operations.ts";

const doc = openApiDocument({ version: "0.1.0" }) as {
  servers: { url: string }[];
  tags: { name: string }[];
  components: { schemas: Record<string, unknown>; headers: Record<string, unknown>; parameters: Record<string, unknown> };
  paths: Record<string, Record<string, any>>;
};
const opOf = (key: string) => {
  const [method, route] = key.split(" ") as [string, string];
  return doc.paths[route.replace(/:([A-Za-z]+)/g, "{$1}")]![method.toLowerCase()];
};

describe("the OpenAPI document", () => {
  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const config = await createConfig({
      extends: ["recommended"],
      rules: {
        // Wants a 4xx on every operation. The probes, the public keys, this document and the
        // pages take no input and answer nothing but success: a made-up 4xx would mislead.
        "operation-4xx-response": "off",
        // Wants info.license. The project declares no licence (package.json has none); the
        // document must not invent one.
        "info-license": "off",
      },
    });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/openapi.json", config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it("gives every operation a unique camelCase operationId and tags from the top-level list", () => {
    const ids = Object.values(OPERATIONS).map((op) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    const tagNames = new Set(doc.tags.map((t) => t.name));
    expect(tagNames).toEqual(new Set(Object.values(TAGS).map((t) => t.name)));
    for (const key of Object.keys(OPERATIONS)) {
      expect(opOf(key).operationId, key).toBe(OPERATIONS[key]!.operationId);
      expect(opOf(key).tags.length, key).toBeGreaterThan(0);
      for (const t of opOf(key).tags) expect(tagNames, `${key}: tag ${t}`).toContain(t);
    }
  });

  it("has an example for every JSON request and response, and each example fits its own schema", () => {
    let checked = 0;
    for (const [key, op] of Object.entries(OPERATIONS)) {
      const bodies = [
        ...(op.request ? [{ where: "request", schema: op.request, media: opOf(key).requestBody.content["application/json"] }] : []),
        ...Object.entries(op.responses)
          .filter(([, r]) => r.schema)
          .map(([status, r]) => ({ where: status, schema: r.schema!, media: Object.values(opOf(key).responses[status].content)[0] as any })),
      ];
      for (const { where, schema, media } of bodies) {
        const example = schema === ProblemSchema ? problemExample(key, Number(where), op.responses[Number(where)]!.description) : exampleOf(schema);
        expect(example, `${key} ${where}: no example (give the schema .meta({ examples: [...] }))`).toBeDefined();
        expect(media.example, `${key} ${where}`).toEqual(example);
        const parsed = schema.safeParse(example);
        expect(parsed.success, `${key} ${where}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        checked++;
      }
    }
    // And in the document, nothing with JSON content lacks one (the 401/429 added to every route too).
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(methods)) {
        for (const [status, r] of Object.entries<any>(o.responses)) {
          for (const [type, m] of Object.entries<any>(r.content ?? {})) {
            if (type.includes("json")) expect(m.example, `${method} ${path} ${status}`).toBeDefined();
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    // A problem's example has the status and title of the answer it illustrates.
    const notFound = opOf("GET /v1/evidence/:id").responses["404"].content["application/problem+json"].example;
    expect(notFound).toMatchObject({ status: 404, type: "urn:evidence:problem:not-found", title: PROBLEMS["not-found"].title, instance: "/v1/evidence/{id}" });
  });

  it("names shared shapes under components.schemas, problems as Problem", () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Problem", "Receipt", "ProofBundle", "EvidenceView", "Verification", "SubmitItem", "PrincipalViewPage"]),
    );
    const submit = opOf("POST /v1/evidence");
    expect(submit.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/SubmitItem" });
    expect(submit.responses["422"].content["application/problem+json"].schema).toEqual({ $ref: "#/components/schemas/Problem" });
    // Every $ref points at something that exists.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) {
      const [, kind, name] = /#\/components\/(\w+)\/(.+)"$/.exec(r)!;
      expect((doc.components as Record<string, Record<string, unknown>>)[kind!]![name!], r).toBeDefined();
    }
  });

  it("declares Idempotency-Key where it is honoured, the rate-limit headers where requests are counted, X-Request-Id everywhere", () => {
    for (const [key, op] of Object.entries(OPERATIONS)) {
      const params = (opOf(key).parameters as { $ref?: string }[]).map((p) => p.$ref);
      expect(params.includes("#/components/parameters/IdempotencyKey"), key).toBe(op.idempotent === true);
      expect(params, key).toContain("#/components/parameters/RequestId");
      for (const [status, r] of Object.entries<any>(opOf(key).responses)) {
        expect(Object.keys(r.headers), `${key} ${status}`).toContain("X-Request-Id");
        if (isRateLimited(key) && status !== "401") expect(Object.keys(r.headers), `${key} ${status}`).toEqual(expect.arrayContaining(["RateLimit", "RateLimit-Policy"]));
        if (status === "429") expect(Object.keys(r.headers), `${key} ${status}`).toContain("Retry-After");
      }
      if (isRateLimited(key)) expect(Object.keys(opOf(key).responses), key).toContain("429");
    }
    expect(Object.keys(opOf("GET /readyz").responses["503"].headers)).toContain("Retry-After");
  });

  it("names PUBLIC_URL as its server when configured, else the origin it was fetched from", () => {
    expect(doc.servers).toEqual([{ url: "/", description: "this service" }]);
    const behindProxy = openApiDocument({ version: "0.1.0", publicUrl: "https://evidence.example.cn/" }) as typeof doc;
    expect(behindProxy.servers.map((s) => s.url)).toEqual(["https://evidence.example.cn"]);
  });
});

describe("the headers the document declares", () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}`, rateLimits: { perKeyPerMinute: 1000, publicPerMinute: 1000 } });
  }, 180_000);
  afterAll(() => h?.close());

  it("are the ones real answers carry", async () => {
    const tenant = bearer(h.keys.tenant);
    const calls: [string, string, RequestInit][] = [
      ["GET /v1/me", "/v1/me", { headers: tenant }],
      ["POST /v1/evidence", "/v1/evidence", jsonRequest("POST", { digest: randomDigest() }, { ...tenant, "idempotency-key": "hdr-1" })],
      ["POST /v1/evidence", "/v1/evidence", jsonRequest("POST", { digest: "0x1" }, tenant)],
      ["GET /v1/evidence/:id", "/v1/evidence/00000000-0000-4000-8000-000000000000", { headers: tenant }],
      ["GET /v1/me", "/v1/me", {}],
      ["POST /v1/verify", "/v1/verify", jsonRequest("POST", { not: "a bundle" })],
      ["GET /healthz", "/healthz", {}],
    ];
    for (const [key, url, init] of calls) {
      const res = await h.rawApp.request(url, init);
      const declared = opOf(key).responses[String(res.status)];
      expect(declared, `${key} answered ${res.status}, which the document does not list`).toBeDefined();
      for (const name of Object.keys(declared.headers)) {
        // Sent only when they apply: a replay, a 429 or a 503.
        if (name === "Idempotent-Replayed" || name === "Retry-After") continue;
        expect(res.headers.get(name), `${key} ${res.status}: ${name}`).not.toBeNull();
      }
      // And the other way round: the rate-limit headers of an answer are declared.
      for (const name of ["RateLimit", "RateLimit-Policy"]) {
        if (res.headers.has(name)) expect(Object.keys(declared.headers), `${key} ${res.status}`).toContain(name);
      }
    }
  });
});
