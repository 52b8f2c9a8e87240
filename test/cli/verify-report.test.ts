// `evidence verify-report` in-process, against a report the real app just made on a real
// Hardhat chain: the key set fetched from the report's keys.url (through the app) or read
// from a saved file, the proofs checked on chain or offline, and any edit caught.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { runEvidence } from "../../src/cli/evidence.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { tempDir } from "../helpers/service.ts";

let h: ApiHarness & { node: LocalNode };
const dir = tempDir("verify-report-");
const reportPath = join(dir, "report.json");

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runEvidence(args, {
    env: {},
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    cwd: dir,
    // The report's keys.url names the app's origin (http://localhost): reach it without a
    // socket; the chain node is reached for real.
    fetch: ((url: string | URL, init?: RequestInit) =>
      new URL(String(url)).hostname === "localhost" ? h.rawApp.request(String(url), init) : fetch(url, init)) as typeof fetch,
  });
  return { code, out, err };
}

beforeAll(async () => {
  h = await apiHarnessOnChain();
  for (let b = 0; b < 2; b++) {
    const items = Array.from({ length: 2 }, (_, i) => ({ digest: randomDigest(), caseId: "case-cli", eventType: `step-${b * 2 + i}` }));
    expect((await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }))).status).toBe(202);
    await h.batcher.tick();
  }
  const res = await h.rawApp.request(
    "/v1/reports",
    jsonRequest("POST", { tenantId: TEST_TENANT, caseId: "case-cli", purpose: "test", requestedBy: "tester" }, bearer(h.keys.admin)),
  );
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  writeFileSync(reportPath, await (await h.rawApp.request(`/v1/reports/${id}`, { headers: bearer(h.keys.admin) })).text());
  writeFileSync(join(dir, "keys.json"), await (await h.rawApp.request("/.well-known/evidence-keys.json")).text());
});
afterAll(() => h?.close());

describe("evidence verify-report", () => {
  it("a fresh report is valid on chain: exit 0, every event and the timeline ✓", async () => {
    const r = await run(["verify-report", "report.json", "--rpc", h.node.url]);
    expect(r.code, JSON.stringify(r)).toBe(0);
    expect(r.out).toMatch(/✓ signature {2}signed by the service key/);
    expect(r.out.match(/✓ event /g)).toHaveLength(4);
    expect(r.out).toMatch(/✓ timeline/);
    expect(r.out).toMatch(/^VALID: the report is signed by the service key .*, all 4 proofs verify on chain, and the timeline is complete\.$/m);
  });

  it("offline with a saved key set: exit 0, and says the anchors were not checked", async () => {
    const r = await run(["verify-report", "report.json", "--keys", "keys.json", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { verdict: string; signature: { ok: boolean } };
    expect(out.verdict).toBe("consistent");
    expect(out.signature.ok).toBe(true);
  });

  it("any edit exits 1 and names the signature", async () => {
    const text = readFileSync(reportPath, "utf8");
    for (const [what, edited] of [
      ["purpose", text.replace('"purpose": "test"', '"purpose": "tesT"')],
      ["an event type", text.replace('"eventType": "step-1"', '"eventType": "step-9"')],
      ["a block number", text.replace(/"blockNumber": (\d+)/, (_, n: string) => `"blockNumber": ${Number(n) + 1}`)],
    ] as const) {
      expect(edited, what).not.toBe(text);
      writeFileSync(join(dir, "edited.json"), edited);
      const r = await run(["verify-report", "edited.json", "--rpc", h.node.url]);
      expect(r.code, what).toBe(1);
      expect(r.out, what).toMatch(/✗ signature/);
      expect(r.out, what).toMatch(/^NOT VALID: the report's signature does not check out/m);
    }
  });

  it("usage and I/O errors exit 2", async () => {
    expect((await run(["verify-report"])).code).toBe(2);
    expect((await run(["verify-report", "missing.json"])).code).toBe(2);
    expect((await run(["verify-report", "report.json", "--rpc", "ftp://x"])).code).toBe(2);
    expect((await run(["verify-report", "report.json", "--keys", "report.json"])).code).toBe(2);
  });
});
