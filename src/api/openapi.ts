// GET /openapi.json: the API described as OpenAPI 3.1, generated from the same zod schemas
// that validate requests (src/api/evidence.ts) and describe responses (src/api/schemas.ts).
// Every route of the app must have an entry here; a test walks the route table to hold it.
import { Hono } from "hono";
import { z } from "zod";
import { SubmitBatchSchema, SubmitItemSchema } from "./evidence.ts";
import {
  BatchViewSchema,
  BundleSchema,
  EvidenceViewSchema,
  HealthSchema,
  ProblemSchema,
  ReadySchema,
  ReceiptSchema,
  VerificationSchema,
} from "./schemas.ts";

interface Operation {
  summary: string;
  request?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  parameters?: { name: string; in: "path" | "query"; description: string }[];
}

const problem = (description: string) => ({ description, schema: ProblemSchema });
const invalid = problem("validation failed (each field named as a JSON pointer)");
const idParam = { name: "id", in: "path" as const, description: "evidence id (a UUID)" };
/** What any route that reads a JSON body can answer besides success. */
const bodyProblems = {
  400: problem("not JSON"),
  413: problem("body too large"),
  415: problem("not application/json"),
  422: invalid,
};

/** Keyed by "METHOD path" exactly as the app's route table spells it. */
export const OPERATIONS: Record<string, Operation> = {
  "GET /healthz": { summary: "The process is up", responses: { 200: { description: "up", schema: HealthSchema } } },
  "GET /readyz": {
    summary: "The database and the chain answer",
    responses: { 200: { description: "ready", schema: ReadySchema }, 503: problem("a dependency does not answer") },
  },
  "POST /v1/evidence": {
    summary: "Submit one digest",
    request: SubmitItemSchema,
    responses: {
      202: { description: "committed; see the Location header", schema: ReceiptSchema },
      ...bodyProblems,
    },
  },
  "POST /v1/evidence/batch": {
    summary: "Submit up to 10,000 digests, all or none",
    request: SubmitBatchSchema,
    responses: {
      202: { description: "all committed, receipts in request order", schema: z.object({ items: z.array(ReceiptSchema) }) },
      ...bodyProblems,
    },
  },
  "GET /v1/evidence": {
    summary: "Look items up by digest",
    parameters: [{ name: "digest", in: "query", description: "0x + 64 hex digits" }],
    responses: { 200: { description: "matching items", schema: z.object({ items: z.array(EvidenceViewSchema) }) }, 422: invalid },
  },
  "GET /v1/evidence/:id": {
    summary: "An item's status and fields",
    parameters: [idParam],
    responses: { 200: { description: "the item", schema: EvidenceViewSchema }, 404: problem("no such item") },
  },
  "GET /v1/evidence/:id/proof": {
    summary: "An item's proof bundle (evidence-proof/v1)",
    parameters: [idParam],
    responses: { 200: { description: "the bundle", schema: BundleSchema }, 404: problem("no such item") },
  },
  "GET /v1/batches/:seq": {
    summary: "A sealed batch, its root and anchor",
    parameters: [{ name: "seq", in: "path", description: "batch sequence number" }],
    responses: { 200: { description: "the batch", schema: BatchViewSchema }, 404: problem("no such batch") },
  },
  "POST /v1/verify": {
    summary: "Verify a proof bundle against the chain (not our database)",
    request: BundleSchema,
    responses: {
      200: { description: "the verdict and every check", schema: VerificationSchema },
      400: bodyProblems[400],
      413: bodyProblems[413],
      415: bodyProblems[415],
    },
  },
  "GET /openapi.json": { summary: "This document", responses: { 200: { description: "OpenAPI 3.1" } } },
};

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
    for (const [status, r] of Object.entries(op.responses)) {
      const type = Number(status) >= 400 ? "application/problem+json" : "application/json";
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { [type]: { schema: jsonSchema(r.schema) } } } : {}),
      };
    }
    (paths[path] ??= {})[method.toLowerCase()] = {
      summary: op.summary,
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
    paths,
  };
}

export function openApiRoutes(version: string): Hono {
  const app = new Hono();
  const doc = openApiDocument(version);
  app.get("/openapi.json", (c) => c.json(doc));
  return app;
}
