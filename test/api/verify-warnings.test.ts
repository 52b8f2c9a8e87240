// POST /v1/verify says in words when a proof's claimed occurredAt is later than its anchor
// (the platform's statement, so a warning, never a change of verdict), and says nothing when
// the claim is consistent. Real proofs from the real app, anchored into a Hardhat node; every
// answer parsed against the published VerificationSchema.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { VerificationSchema } from "../../src/api/schemas.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

const CLAIMS = { past: "2020-01-01T08:00:00+08:00", future: "2099-01-01T00:00:00Z", none: undefined } as const;

describe(`POST /v1/verify's claimed-time warnings on ${describeDbKind()}`, () => {
  let h: ApiHarness & { node: LocalNode };
  const proofs: Record<string, unknown> = {};

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    const ids: Record<string, string> = {};
    for (const [name, occurredAt] of Object.entries(CLAIMS)) {
      const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), ...(occurredAt ? { occurredAt } : {}) }));
      expect(res.status, await res.clone().text()).toBe(202);
      ids[name] = ((await res.json()) as { id: string }).id;
    }
    await h.batcher.tick();
    for (const [name, id] of Object.entries(ids)) proofs[name] = await (await h.app.request(`/v1/evidence/${id}/proof`)).json();
  });
  afterAll(() => h?.close());

  const verify = async (proof: unknown) => {
    const res = await h.app.request("/v1/verify", jsonRequest("POST", proof));
    expect(res.status).toBe(200);
    const body = VerificationSchema.safeParse(await res.json());
    expect(body.success, JSON.stringify(body.error?.issues)).toBe(true);
    return body.data!;
  };

  it("a claim after the anchor: one warning naming both times; the verdict stays valid", async () => {
    const a = await verify(proofs.future);
    expect(a.verdict).toBe("valid");
    expect(a.warnings).toEqual([
      `the platform claims it occurred at 2099-01-01T00:00:00Z, after it was anchored at ${a.anchoredAt}: a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)`,
    ]);
  });

  it("a claim before the anchor, or none at all: no warnings (an empty array, always present)", async () => {
    for (const name of ["past", "none"]) {
      const a = await verify(proofs[name]);
      expect(a.verdict, name).toBe("valid");
      expect(a.warnings, name).toEqual([]);
    }
  });

  it("the published OpenAPI document declares the warnings", async () => {
    const doc = (await (await h.app.request("/openapi.json")).json()) as { paths: Record<string, any>; components?: Record<string, any> };
    const text = JSON.stringify(doc.paths["/v1/verify"]);
    const schema = doc.paths["/v1/verify"].post.responses["200"].content["application/json"].schema;
    const resolved = schema.$ref ? doc.components!.schemas[schema.$ref.split("/").at(-1)] : schema;
    expect(resolved.properties.warnings, text.slice(0, 500)).toMatchObject({ type: "array", items: { type: "string" } });
    expect(resolved.required).toContain("warnings");
  });
});
