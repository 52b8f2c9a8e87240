// GET /openapi.json: the API described as OpenAPI 3.1, generated from the route registry
// (./operations.ts) and the same zod schemas that validate requests and describe responses.
// Written for client generators as much as for people: every operation has an operationId and
// tags, shared shapes are named schemas under components (a zod schema's meta id), every JSON
// body has an example, and the headers the service reads and sends are declared.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./context.ts";
import { DEFAULT_IDEMPOTENCY_TTL_MS, MAX_KEY_LENGTH } from "./idempotency.ts";
import { AUTH_PROBLEMS, OPERATIONS, ROLES, TAGS, type Operation, type OperationResponse } from "./operations.ts";
import { RATE_LIMIT_WINDOW_MS } from "./rate-limit.ts";
import { PROBLEMS, problemType, type ProblemCode } from "../errors.ts";
import { EXAMPLE, ProblemSchema } from "./schemas.ts";

const COMPONENT_REF = "#/components/schemas/";

/** The first example in a schema's meta (see EXAMPLE in ./schemas.ts), if any. */
export function exampleOf(schema: z.ZodType): unknown {
  const examples = z.globalRegistry.get(schema)?.examples;
  return Array.isArray(examples) ? examples[0] : undefined;
}

/** Whether the rate limiter counts requests of this path (app.ts mounts it on /v1/*). */
export const isRateLimited = (key: string) => key.split(" ")[1]!.startsWith("/v1/");

/**
 * A schema as JSON Schema, with every schema that has a meta id moved to `components` and
 * referenced. "input" mode: request bodies refuse unknown fields (strict schemas say so), while
 * response objects stay open, so clients written from this document ignore fields added later.
 */
function jsonSchema(schema: z.ZodType, components: Record<string, unknown>): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const { $schema: _ignored, $defs, ...rest } = JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', `"${COMPONENT_REF}`)) as Record<
    string,
    unknown
  > & { $defs?: Record<string, unknown> };
  for (const [id, def] of Object.entries($defs ?? {})) {
    const known = components[id];
    // Two different schemas under one id would make every $ref to it ambiguous.
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(def)) throw new Error(`two different schemas have the id ${id}`);
    components[id] = def;
  }
  return rest;
}

const ref = (kind: "headers" | "parameters", name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Headers and parameters every operation shares, declared once. */
const HEADERS = {
  "X-Request-Id": {
    description: "This request's id, also in the service's log line for it: the proxy's X-Request-Id when it sent a usable one, else a UUID",
    schema: { type: "string" },
    example: "0b7c1f9e-3d2a-4c5b-9e8f-7a6b5c4d3e2f",
  },
  RateLimit: {
    description: `This key's (or, without a key, this address's) budget in the current ${RATE_LIMIT_WINDOW_MS / 1000}-second window (draft-ietf-httpapi-ratelimit-headers-07); absent when the operator set no limit`,
    schema: { type: "string" },
    example: "limit=600, remaining=598, reset=41",
  },
  "RateLimit-Policy": {
    description: "The limit and its window in seconds; absent when the operator set no limit",
    schema: { type: "string" },
    example: "600;w=60",
  },
  "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer", minimum: 1 }, example: 41 },
  "Idempotent-Replayed": {
    description: "`true` when this is the stored response to an earlier request with the same Idempotency-Key",
    schema: { type: "string", enum: ["true"] },
  },
};

const PARAMETERS = {
  RequestId: {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description: "Your own request id (from a proxy, say): 1 to 128 printable ASCII characters without spaces; otherwise the service makes one",
    schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,128}$" },
    example: "req-7f3a9c2e",
  },
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "Makes a retry safe: the same key with the same request replays the first successful response (for " +
      `${DEFAULT_IDEMPOTENCY_TTL_MS / 3_600_000} hours), with another request body it is a 422, while the first is still running a 409. ` +
      `Keys are per principal: a token of printable ASCII without spaces, quotes, backslashes or commas, or a quoted string; at most ${MAX_KEY_LENGTH} characters. A UUID is a good key.`,
    schema: { type: "string", minLength: 1, maxLength: MAX_KEY_LENGTH + 2 },
    example: "5f0c7d2e-9a41-4c3b-8e6f-1d2a3b4c5d6e",
  },
};

/**
 * A problem as this operation answers it with this status: the problem code of that status
 * (./errors.ts), the response's description as its detail. 422s keep the field list example.
 */
export function problemExample(key: string, status: number, detail: string): Problem {
  const code = (Object.keys(PROBLEMS) as ProblemCode[]).find((c) => PROBLEMS[c].status === status) ?? "internal-error";
  const instance = key.slice(key.indexOf(" ") + 1).replace(/:([A-Za-z]+)/g, "{$1}");
  const base = { type: problemType(code), title: PROBLEMS[code].title, status, detail, instance };
  return status === 422 ? { ...base, errors: EXAMPLE.problem.errors } : base;
}
type Problem = z.infer<typeof ProblemSchema>;

function response(
  key: string,
  status: string,
  r: OperationResponse,
  components: Record<string, unknown>,
): Record<string, unknown> {
  const headers: Record<string, unknown> = { "X-Request-Id": ref("headers", "X-Request-Id") };
  // A 401 is answered before the limiter counts the request (src/api/app.ts: auth, then the limit).
  if (isRateLimited(key) && status !== "401") {
    headers.RateLimit = ref("headers", "RateLimit");
    headers["RateLimit-Policy"] = ref("headers", "RateLimit-Policy");
  }
  if (status === "429" || r.retryAfter) headers["Retry-After"] = ref("headers", "Retry-After");
  if (OPERATIONS[key]?.idempotent && Number(status) < 300) headers["Idempotent-Replayed"] = ref("headers", "Idempotent-Replayed");
  let content: Record<string, unknown> | undefined;
  if (r.schema) {
    const type = Number(status) >= 400 ? "application/problem+json" : "application/json";
    // A missing example is not fatal here (the service must start); test/api/openapi-doc.test.ts names it.
    const example = r.schema === ProblemSchema ? problemExample(key, Number(status), r.description) : exampleOf(r.schema);
    content = { [type]: { schema: jsonSchema(r.schema, components), ...(example === undefined ? {} : { example }) } };
  } else if (r.media) {
    content = { [r.media.type]: { schema: r.media.text ? { type: "string" } : { type: "string", format: "binary" } } };
  }
  return { description: r.description, headers, ...(content ? { content } : {}) };
}

function operation(key: string, op: Operation, components: Record<string, unknown>): Record<string, unknown> {
  const limited = isRateLimited(key);
  const all: Record<string, OperationResponse> = {
    ...op.responses,
    ...(op.access === "public" ? {} : { 401: AUTH_PROBLEMS[401], 429: AUTH_PROBLEMS[429] }),
    // 403 only where some role is turned away (src/api/auth.ts).
    ...(op.access !== "public" && ROLES.some((r) => !op.access.includes(r)) ? { 403: AUTH_PROBLEMS[403] } : {}),
    // Public routes under /v1/ are limited per address (src/api/rate-limit.ts).
    ...(limited && op.access === "public" ? { 429: AUTH_PROBLEMS[429] } : {}),
  };
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(all)) responses[status] = response(key, status, r, components);
  const parameters: unknown[] = (op.parameters ?? []).map((p) => ({ ...p, required: p.in === "path" || p.required === true, schema: p.schema ?? { type: "string" } }));
  if (op.idempotent) parameters.push(ref("parameters", "IdempotencyKey"));
  parameters.push(ref("parameters", "RequestId"));
  let requestBody: Record<string, unknown> | undefined;
  if (op.request) {
    const example = exampleOf(op.request);
    requestBody = {
      required: true,
      content: { "application/json": { schema: jsonSchema(op.request, components), ...(example === undefined ? {} : { example }) } },
    };
  } else if (op.requestMedia) {
    requestBody = { required: true, content: { [op.requestMedia]: { schema: { type: "string", format: "binary" } } } };
  }
  return {
    operationId: op.operationId,
    tags: op.tags.map((t) => t.name),
    summary: op.summary,
    ...(op.access === "public" ? { security: [] } : { "x-roles": op.access }),
    ...(op.access === "public" ? {} : { description: `Roles: ${op.access.join(", ")}.` }),
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

export interface OpenApiOptions {
  /** The package version. */
  version: string;
  /** Where users reach the service (PUBLIC_URL); the document then names it as its server. */
  publicUrl?: string | undefined;
}

/** Builds the document. Throws when two different schemas share an id. */
export function openApiDocument(opts: OpenApiOptions): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  jsonSchema(ProblemSchema, schemas); // named even if no operation listed it
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, route] = key.split(" ") as [string, string];
    const path = route.replace(/:([A-Za-z]+)/g, "{$1}");
    (paths[path] ??= {})[method.toLowerCase()] = operation(key, op, schemas);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Evidence anchoring service",
      version: opts.version,
      description:
        "Digests in, RFC 6962 Merkle batches anchored on an EVM chain, self-verifying evidence-proof/v1 bundles out.\n\n" +
        "Errors are RFC 9457 problem details (`application/problem+json`, schema `Problem`). Every response carries " +
        "`X-Request-Id`; requests under `/v1/` are rate-limited per key (per address without one) and say so in `RateLimit` headers.",
    },
    // A relative URL means "where this document was fetched from": right behind any proxy.
    servers: [opts.publicUrl ? { url: opts.publicUrl.replace(/\/+$/, ""), description: "this service (PUBLIC_URL)" } : { url: "/", description: "this service" }],
    tags: Object.values(TAGS),
    // Every operation needs a key unless it says `security: []`.
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key: evk_<id>_<secret> (see docs/security.md)" },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      headers: HEADERS,
      parameters: PARAMETERS,
    },
    paths,
  };
}

export function openApiRoutes(opts: OpenApiOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const doc = openApiDocument(opts);
  app.get("/openapi.json", (c) => c.json(doc));
  return app;
}
