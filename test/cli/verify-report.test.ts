// `evidence verify-report` in-process, against a report the real app just made on a real
// Hardhat chain: the key set fetched from the report's keys.url (through the app) or read
// from a saved file, the proofs checked on chain or offline, and any edit caught.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { runEvidence } from "../../src/cli/evidence.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
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
    const posted = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
    expect(posted.status).toBe(202);
    // The 202 of a submission, as a platform saves it: a receipt, which people give in place of the proof.
    if (b === 0) writeFileSync(join(dir, "receipt.json"), JSON.stringify(((await posted.json()) as { items: unknown[] }).items[0], null, 2));
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

  it("offline with a saved key set: exit 4 (not checked on chain), or 0 when --offline asks for exactly that", async () => {
    const r = await run(["verify-report", "report.json", "--keys", "keys.json", "--json"]);
    expect(r.code).toBe(4);
    const out = JSON.parse(r.out) as { verdict: string; signature: { ok: boolean }; warnings: string[] };
    expect(out.verdict).toBe("consistent");
    expect(out.signature.ok).toBe(true);
    expect(out.warnings).toEqual([]);
    const asked = await run(["verify-report", "report.json", "--keys", "keys.json", "--offline"]);
    expect(asked.code).toBe(0);
    expect(asked.out).toMatch(/^chain +NOT checked \(--offline\)$/m);
  });

  it("the chain node unreachable (a closed port): COULD NOT VERIFY, exit 3, every event marked ?, never NOT VALID", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const r = await run(["verify-report", "report.json", "--keys", "keys.json", "--rpc", down]);
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.out.match(/^ {2}\? event /gm)).toHaveLength(4);
    expect(r.out).toMatch(/^COULD NOT VERIFY: the chain could not be asked about event 1, 2, 3, 4/m);
    expect(r.out).not.toContain("NOT VALID");
  });

  it("shows each event's anchor time in UTC and in Beijing time", async () => {
    const r = await run(["verify-report", "report.json", "--rpc", h.node.url]);
    const report = JSON.parse(readFileSync(reportPath, "utf8")) as { events: { verification: { anchoredAt: string } }[] };
    const at = report.events[0]!.verification.anchoredAt;
    const beijing = new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
    expect(r.out).toContain(`anchored ${at} (UTC) = ${beijing} Beijing time (UTC+08:00)`);
  });

  it("a key set that cannot be fetched is 'could not verify' (exit 3), not 'not valid'", async () => {
    const r = await run(["verify-report", "report.json", "--keys", `http://127.0.0.1:${await freePort()}/keys.json`]);
    expect(r.code).toBe(3);
    expect(r.err).toContain("could not verify: cannot fetch the key set");
  });

  it("a proof or a receipt given as a report: says what it is and what to do, exit 2", async () => {
    const report = JSON.parse(readFileSync(reportPath, "utf8")) as { events: { proof: unknown }[] };
    writeFileSync(join(dir, "proof.json"), JSON.stringify(report.events[0]!.proof));
    const proof = await run(["verify-report", "proof.json"]);
    expect(proof.code).toBe(2);
    expect(proof.err).toContain("this is an evidence proof, not a report");
    expect(proof.err).toContain("Instead: check a proof with: evidence verify <file>");
    const receipt = await run(["verify-report", "receipt.json"]);
    expect(receipt.code).toBe(2);
    expect(receipt.err).toMatch(/this is a receipt for evidence [0-9a-f-]{36}: the service's signed acknowledgement/);
  });

  it("evidence verify given the report, the receipt, the case timeline or the document: names it, exit 2, never NOT VALID", async () => {
    const timeline = await h.app.request("/v1/cases/case-cli");
    expect(timeline.status).toBe(200);
    writeFileSync(join(dir, "timeline.json"), await timeline.text());
    writeFileSync(join(dir, "contract.pdf"), "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n");
    for (const [file, what, advice] of [
      ["report.json", "this is an evidence report (evidence-report/v1, 4 events), not a single proof", "evidence verify-report <file>"],
      ["receipt.json", "this is a receipt for evidence", "evidence wait"],
      ["timeline.json", "this is the timeline of case case-cli (a list of 4 events), not a proof", "GET /v1/evidence/<id>/proof"],
      ["contract.pdf", "this looks like a document (not JSON), not a proof", "and the document as the document"],
    ] as const) {
      const r = await run(["verify", file]);
      expect(r.code, file).toBe(2);
      expect(r.err, file).toContain(what);
      expect(r.err, file).toContain(advice);
      expect(r.out + r.err, file).not.toContain("NOT VALID");
      const json = await run(["verify", file, "--json"]);
      expect(JSON.parse(json.out), file).toMatchObject({ error: "not-a-proof" });
    }
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
