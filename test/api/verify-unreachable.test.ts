// POST /v1/verify when the service's chain node cannot be reached (its RPC URL is a closed
// port): a sound proof is "inconclusive" (could not verify), never "invalid"; and a receipt or
// a report sent in place of a proof is refused with 422 problem+json saying what it is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerificationSchema } from "../../src/api/schemas.ts";
import { apiHarness, jsonRequest, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";
import { baseBundle } from "../helpers/vectors.ts";

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
});
afterAll(() => h?.close());

describe(`POST /v1/verify, the chain unreachable (${describeDbKind()})`, () => {
  it("a sound proof: 200, verdict inconclusive, the chain check unavailable, nothing failed", async () => {
    const res = await h.rawApp.request("/v1/verify", jsonRequest("POST", baseBundle()));
    expect(res.status).toBe(200);
    const body = VerificationSchema.parse(await res.json());
    expect(body.verdict).toBe("inconclusive");
    expect(body.valid).toBe(false);
    expect(body.headline).toMatch(/^COULD NOT VERIFY: the chain could not be asked/);
    expect(body.checks.find((c) => c.name === "chain")).toMatchObject({ ok: false, unavailable: true });
    expect(body.checks.filter((c) => !c.ok && !c.skipped && !c.unavailable)).toEqual([]);
  });

  it("a tampered proof still fails where it can be checked: invalid, whatever the chain", async () => {
    const b = baseBundle() as { leaf: { hash: string } };
    b.leaf.hash = b.leaf.hash.slice(0, -1) + (b.leaf.hash.endsWith("0") ? "1" : "0");
    const body = (await (await h.rawApp.request("/v1/verify", jsonRequest("POST", b))).json()) as { verdict: string };
    expect(body.verdict).toBe("invalid");
  });

  it("a receipt or a report in place of the proof: 422 problem+json naming it", async () => {
    for (const [doc, what] of [
      [{ id: "0190e0b4-0000-7000-8000-000000000001", status: "pending", receipt: { format: "evidence-receipt/v1", id: "0190e0b4-0000-7000-8000-000000000001" } }, "this is a receipt for evidence 0190e0b4"],
      [{ format: "evidence-report/v1", events: [] }, "this is an evidence report"],
    ] as const) {
      const res = await h.rawApp.request("/v1/verify", jsonRequest("POST", doc));
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { errors: { field: string; reason: string }[] };
      expect(problem.errors[0]!.reason).toContain(what);
    }
  });
});
