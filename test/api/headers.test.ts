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

  it("gives every request an id: the proxy's when usable, else its own; returned and in the request's one log line", async () => {
    const mine = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest() }));
    expect(mine.status).toBe(202);
    const id = mine.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = h.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "request" && l.requestId === id);
    // The route as registered, not the path; status and latency; who called.
    expect(line).toMatchObject({ level: "info", method: "POST", route: "/v1/evidence", status: 202 });
    expect(typeof line!.ms).toBe("number");
    expect(line!.principal).toBeDefined();

    const proxied = await h.app.request("/healthz", { headers: { "x-request-id": "edge-7f3a.42" } });
    expect(proxied.headers.get("x-request-id")).toBe("edge-7f3a.42");
    // An id with spaces or past 128 characters is not taken (it goes into every log line).
    for (const bad of ["two words", "x".repeat(129)]) {
      const res = await h.app.request("/healthz", { headers: { "x-request-id": bad } });
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    // A path with an id is logged by its route, so ids and digests stay out of the route field.
    const unknown = await h.app.request(`/v1/evidence/${"0".repeat(8)}-0000-7000-8000-${"0".repeat(12)}`);
    const rid = unknown.headers.get("x-request-id");
    const logged = h.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === rid);
    expect(logged).toMatchObject({ route: "/v1/evidence/:id" });
  });
});

