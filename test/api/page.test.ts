// The verification page's server side: GET /verify and its assets (a policy that lets the page
// load only its own files), and POST /v1/chain/rpc, the read-only relay the page checks
// anchors through, on a real Hardhat chain. What the page does in a browser is
// test/e2e/verify-page.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { createApp } from "../../src/api/app.ts";
import { loadWebAssets, WEB_DIR } from "../../src/api/page.ts";
import { jsonRpcReader, verdictOf, verifyBundle } from "../../src/verify/index.ts";
import { apiHarnessOnChain, jsonRequest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { anchoredVectorProof } from "../helpers/vectors.ts";

let h: ApiHarness & { node: LocalNode };
let proof: unknown;
beforeAll(async () => {
  h = await apiHarnessOnChain();
  proof = await anchoredVectorProof(h);
});
afterAll(() => h?.close());

const rpcBody = (method: string, params: unknown[] = [], id: unknown = 7) => jsonRequest("POST", { jsonrpc: "2.0", id, method, params });

describe("GET /verify", () => {
  it("serves the built page and its assets with a policy that allows nothing from elsewhere", async () => {
    const res = await h.rawApp.request("/verify");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    // Every script, style sheet and link the page names is ours (a fragment, or a path on
    // this origin), and every file it loads is served, byte for byte as built.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) expect(ref, "a fragment or a same-origin path").toMatch(/^(#[\w-]+|\/[\w./-]*)$/);
    const loaded = refs.filter((r) => r.startsWith("/verify/"));
    expect(loaded.length).toBeGreaterThanOrEqual(2);
    for (const ref of loaded) {
      const asset = await h.rawApp.request(ref);
      expect(asset.status, ref).toBe(200);
      expect(new Uint8Array(await asset.arrayBuffer()), ref).toEqual(new Uint8Array(readFileSync(join(WEB_DIR, ref.slice("/verify/".length)))));
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle="/);
  });

  it("revalidates with an ETag: 304 when unchanged", async () => {
    const first = await h.rawApp.request("/verify/verify.js");
    expect(first.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(first.headers.get("cache-control")).toBe("no-cache");
    const etag = first.headers.get("etag")!;
    const again = await h.rawApp.request("/verify/verify.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("answers 404 problem+json for a file that is not part of the page, with the API's strict policy", async () => {
    for (const path of ["/verify/nothing.js", "/verify/..%2Fpackage.json", "/verify/.env"]) {
      const res = await h.rawApp.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });

  it("the page bundles only itself, the verification library, the core and their hash and JSON libraries", async () => {
    const { build } = await import("esbuild");
    const result = await build({ entryPoints: ["src/web/verify/main.ts"], bundle: true, write: false, metafile: true, platform: "browser", logLevel: "silent" });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(5);
    const allowed = /^(src\/web\/verify\/|src\/verify\/|src\/core\/|node_modules\/(@noble\/hashes|canonicalize|sm-crypto)\/)/;
    expect(inputs.filter((f) => !allowed.test(f))).toEqual([]);
  });

  it("without a built page the routes say so (503), and nothing else breaks", async () => {
    const app = createApp({ ...h.deps, webAssets: loadWebAssets("/nonexistent") });
    const res = await app.request("/verify");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toContain("npm run build:web");
    expect((await app.request("/healthz")).status).toBe(200);
  });
});

describe("POST /v1/chain/rpc", () => {
  it("relays the six reads, with the caller's id, and no key", async () => {
    const res = await h.rawApp.request("/v1/chain/rpc", rpcBody("eth_chainId", [], "abc"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: "abc", result: "0x7a69" });
    const block = (await (await h.rawApp.request("/v1/chain/rpc", rpcBody("eth_getBlockByNumber", ["0x1", false]))).json()) as { result: { number: string } };
    expect(block.result.number).toBe("0x1");
  });

  it("is enough to verify a proof: the library over the relay gives the same checks as over the node", async () => {
    const relay = jsonRpcReader("http://service/v1/chain/rpc", { fetch: ((url: string, init: RequestInit) => h.rawApp.request(url, init)) as typeof fetch });
    const viaRelay = await verifyBundle(proof, { chain: relay });
    const direct = await verifyBundle(proof, { chain: h.reader });
    expect(verdictOf(viaRelay).kind).toBe("valid");
    expect(viaRelay.checks).toEqual(direct.checks);
  });

  it("refuses anything but the six reads, naming the field (422, nothing relayed)", async () => {
    const cases: [unknown, string][] = [
      [{ jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: ["0x00"] }, "/method"],
      [{ jsonrpc: "2.0", id: 1, method: "hardhat_reset", params: [] }, "/method"],
      [{ jsonrpc: "2.0", id: 1, method: "eth_getTransactionByHash", params: ["0x12"] }, "/params/0"],
      [{ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x1", true] }, "/params/1"],
      [{ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: "0x" + "11".repeat(20), data: "0x", from: "0x" + "22".repeat(20) }, "latest"] }, "/params/0/from"],
      [{ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [], extra: 1 }, "/extra"],
      [{ jsonrpc: "1.0", id: 1, method: "eth_chainId" }, "/jsonrpc"],
      [[{ jsonrpc: "2.0", id: 1, method: "eth_chainId" }], ""],
    ];
    for (const [body, field] of cases) {
      const res = await h.rawApp.request("/v1/chain/rpc", jsonRequest("POST", body));
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field), JSON.stringify(body)).toContain(field);
    }
  });

  it("hands back the node's own JSON-RPC error (a call that reverts is an answer, not a failure)", async () => {
    const res = await h.rawApp.request("/v1/chain/rpc", rpcBody("eth_call", [{ to: "0x5fbdb2315678afecb367f032d93f642f64180aa3", data: "0xdeadbeef" }, "latest"]));
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { id: number; error?: { code: number } };
    expect(answer.id).toBe(7);
    expect(answer.error?.code).toBeTypeOf("number");
  });

  it("answers 503 when the node does not answer, or none is configured", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    for (const chainRpcUrl of [() => down, () => undefined]) {
      const app = createApp({ ...h.deps, chainRpcUrl });
      const res = await app.request("/v1/chain/rpc", rpcBody("eth_chainId"));
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
