// GET /openapi.json: the API described as OpenAPI 3.1, generated from the route registry
// (./operations.ts) and the same zod schemas that validate requests and describe responses.
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { z } from "zod";
import { AUTH_PROBLEMS, OPERATIONS } from "./operations.ts";

// "input" mode: request bodies refuse unknown fields (strict schemas say so), while response
// objects stay open, so clients written from this document ignore fields added later.
const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** Builds the document. `version` is the package version. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, route] = key.split(" ") as [string, string];
    const path = route.replace(/:([A-Za-z]+)/g, "{$1}");
    const responses: Record<string, unknown> = {};
    const all = op.access === "public" ? op.responses : { ...op.responses, ...AUTH_PROBLEMS };
    for (const [status, r] of Object.entries(all)) {
      const type = Number(status) >= 400 ? "application/problem+json" : "application/json";
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { [type]: { schema: jsonSchema(r.schema) } } } : {}),
      };
    }
    (paths[path] ??= {})[method.toLowerCase()] = {
      summary: op.summary,
      ...(op.access === "public" ? { security: [] } : { "x-roles": op.access }),
      ...(op.idempotent
        ? {
            description:
              "Send an `Idempotency-Key` header to make retries safe: the same key and body replay the first response.",
          }
        : {}),
      ...(op.parameters
        ? { parameters: op.parameters.map((p) => ({ ...p, required: p.in === "path", schema: { type: "string" } })) }
        : {}),
      ...(op.request
        ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.request) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Evidence anchoring service",
      version,
      description:
        "Digests in, RFC 6962 Merkle batches anchored on an EVM chain, self-verifying evidence-proof/v1 bundles out.",
    },
    // Every operation needs a key unless it says `security: []`.
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key: evk_<id>_<secret> (see docs/security.md)" },
      },
    },
    paths,
  };
}

export function openApiRoutes(version: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const doc = openApiDocument(version);
  app.get("/openapi.json", (c) => c.json(doc));
  return app;
}
