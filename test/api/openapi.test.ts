// The published API description is generated from the code and held to it: every route in
// the app's route table is documented (and nothing else is), and real responses of every
// documented kind parse against the schemas the document is built from.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { OPERATIONS } from "../../src/api/operations.ts";
import {
  BatchViewSchema,
  BundleSchema,
  EvidenceViewSchema,
  HealthSchema,
  ProblemSchema,
  ReadySchema,
  ReceiptSchema,
  VerificationSchema,
} from "../../src/api/schemas.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness & { node: LocalNode };
beforeAll(async () => {
  h = await apiHarnessOnChain();
});
afterAll(() => h?.close());

async function parsed<T extends z.ZodType>(res: Response, status: number, schema: T): Promise<z.infer<T>> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  const result = schema.safeParse(body);
  expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  return result.data as z.infer<T>;
}

describe(`the OpenAPI document on ${describeDbKind()}`, () => {
  it("documents exactly the app's routes", () => {
    const routes = h.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    expect(new Set(routes)).toEqual(new Set(Object.keys(OPERATIONS)));
  });

  it("is served as OpenAPI 3.1 with a request schema where a body is taken", async () => {
    const res = await h.app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
    expect(doc.openapi).toBe("3.1.0");
    // Named schemas are $refs into components.schemas.
    const resolve = (s: { $ref?: string }) => (s.$ref ? doc.components.schemas[s.$ref.split("/").at(-1)!] : s);
    const submit = doc.paths["/v1/evidence"]!.post;
    expect(resolve(submit.requestBody.content["application/json"].schema).required).toEqual(["digest"]);
    expect(resolve(submit.requestBody.content["application/json"].schema).additionalProperties).toBe(false);
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(["202", "422"]));
    // Responses stay open to fields added later (the proof format's own rule).
    const receipt = resolve(submit.responses["202"].content["application/json"].schema);
    expect(receipt.required).toEqual(expect.arrayContaining(["id", "leafHash"]));
    expect(receipt.additionalProperties).toBeUndefined();
    expect(doc.paths["/v1/evidence/{id}/proof"]!.get.parameters[0]).toMatchObject({ name: "id", in: "path", required: true });
  });

  it("describes real responses truthfully", async () => {
    await parsed(await h.app.request("/healthz"), 200, HealthSchema);
    const receipt = await parsed(
      await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: "c-1" })),
      202,
      ReceiptSchema,
    );
    await parsed(await h.app.request(`/v1/evidence/${receipt.id}/proof`), 200, BundleSchema); // pending
    await h.batcher.tick();
    const view = await parsed(await h.app.request(`/v1/evidence/${receipt.id}`), 200, EvidenceViewSchema);
    expect(view.status).toBe("anchored");
    const bundle = await parsed(await h.app.request(`/v1/evidence/${receipt.id}/proof`), 200, BundleSchema);
    await parsed(await h.app.request(`/v1/batches/${view.batch!.seq}`), 200, BatchViewSchema);
    const verdict = await parsed(await h.app.request("/v1/verify", jsonRequest("POST", bundle)), 200, VerificationSchema);
    expect(verdict.valid).toBe(true);
    const found = await parsed(await h.app.request(`/v1/evidence?digest=${view.digest}`), 200, z.object({ items: z.array(EvidenceViewSchema) }));
    expect(found.items.map((i) => i.id)).toContain(receipt.id);
    await parsed(await h.app.request("/readyz"), 200, ReadySchema);
    await parsed(await h.app.request("/v1/evidence", jsonRequest("POST", { digest: "0x1" })), 422, ProblemSchema);
    await parsed(await h.app.request("/v1/batches/999999"), 404, ProblemSchema);
  });
});
