// Response headers: the secure defaults on every response (errors included), and CORS open
// for POST /v1/verify alone, so anyone's page can check a proof but nothing else is shared.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiHarness, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness;
beforeAll(async () => {
  // No chain is needed here: a closed port stands in for it.
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
});
afterAll(() => h?.close());

const ORIGIN = "https://court.example";

describe(`response headers on ${describeDbKind()}`, () => {
  it.each([
    ["a 202", () => h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest() }))],
    ["a 404 problem", () => h.app.request("/v1/evidence/00000000-0000-4000-8000-000000000000")],
    ["a 422 problem", () => h.app.request("/v1/evidence", jsonRequest("POST", { digest: "0x12" }))],
    ["/healthz", () => h.app.request("/healthz")],
  ])("%s carries the secure defaults", async (_name, send) => {
    const res = await send();
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(res.headers.get("x-powered-by")).toBeNull();
  });

  it("answers a CORS preflight for POST /v1/verify from any origin", async () => {
    const res = await h.app.request("/v1/verify", {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  it("lets another origin read a verification result", async () => {
    const res = await h.app.request("/v1/verify", { ...jsonRequest("POST", { not: "a bundle" }), headers: { "content-type": "application/json", origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("shares nothing else across origins", async () => {
    const submitted = await h.app.request("/v1/evidence", {
      ...jsonRequest("POST", { digest: randomDigest() }),
      headers: { "content-type": "application/json", origin: ORIGIN },
    });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get("access-control-allow-origin")).toBeNull();
    const { id } = (await submitted.json()) as { id: string };
    const read = await h.app.request(`/v1/evidence/${id}/proof`, { headers: { origin: ORIGIN } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await h.app.request("/v1/evidence", {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});
