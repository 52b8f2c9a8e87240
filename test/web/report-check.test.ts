// A report dropped on the /verify page, in a real Chromium, served by the real app on a real
// Hardhat chain: a real report (POST /v1/reports, then its JSON) gets the report verdict, its
// signature checked against the keys the service publishes and every proof through the relay;
// the same report with one byte of one digest changed fails its signature check.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { tempDir } from "../helpers/service.ts";

const CASE = "报告-页面-2026-3";

let h: ApiHarness & { node: LocalNode };
let server: ServerType;
let base: string;
let browser: Browser;
/** The report's JSON exactly as the service serves it. */
let reportText: string;
const dir = tempDir("verify-page-report-");

beforeAll(async () => {
  await buildWeb();
  h = await apiHarnessOnChain();
  const items = ["uploaded", "sent", "signed"].map((eventType, i) => ({ digest: randomDigest(), caseId: CASE, eventType, occurredAt: `2026-01-0${i + 1}T09:00:00+08:00` }));
  expect((await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }, bearer(h.keys.tenant)))).status).toBe(202);
  await h.batcher.tick();
  const admin = bearer(h.keys.admin);
  const res = await h.rawApp.request("/v1/reports", jsonRequest("POST", { tenantId: TEST_TENANT, caseId: CASE, purpose: "page test", requestedBy: "Clerk Li", language: "en" }, admin));
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as { links: { json: string } };
  const got = await h.rawApp.request(created.links.json, { headers: admin });
  expect(got.status).toBe(200);
  reportText = await got.text();
  const port = await freePort();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.rawApp.fetch, port, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

/** Drops `text` as the proof file (through the relay, the default) and waits for the banner. */
async function dropReport(name: string, text: string): Promise<{ page: Page; kind: string | null; banner: string; result: string }> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "en-GB", timezoneId: "Asia/Shanghai" });
  const page = await ctx.newPage();
  await page.goto(`${base}/verify`);
  await page.setInputFiles("#proof-file", file);
  await page.click("#verify-button");
  const banner = page.locator("#verdict[data-kind]");
  await banner.waitFor({ timeout: 60_000 });
  return { page, kind: await banner.getAttribute("data-kind"), banner: await banner.innerText(), result: await page.locator("#result").innerText() };
}

describe("a report dropped on the /verify page", () => {
  it("a real report from the app: REPORT VALID, signed by the published key, all its proofs verified on chain", async () => {
    const report = JSON.parse(reportText) as { keys: { kid: string }; events: unknown[] };
    expect(report.events).toHaveLength(3);
    const r = await dropReport("report.json", reportText);
    expect(r.kind, r.result).toBe("valid");
    expect(r.banner).toContain("REPORT VALID");
    expect(r.banner).toContain(`signed by the service key ${report.keys.kid}, all 3 proofs verify on chain, and the timeline is complete`);
    expect(r.result).toContain(`${base}/.well-known/evidence-keys.json`);
    expect(r.result).not.toMatch(/NOT VALID|COULD NOT VERIFY/);
    await r.page.context().close();
  });

  it("the same report with one byte of one digest changed: REPORT NOT VALID, the signature check fails", async () => {
    const report = JSON.parse(reportText) as { events: { digest: string }[] };
    const digest = report.events[1]!.digest;
    // One hex digit of the second event's digest, in the file as served: one byte changes.
    const at = reportText.indexOf(digest) + digest.length - 1;
    expect(at).toBeGreaterThan(digest.length);
    const changed = reportText.slice(0, at) + (reportText[at] === "0" ? "1" : "0") + reportText.slice(at + 1);
    expect(changed.length).toBe(reportText.length);
    expect([...changed].filter((c, i) => c !== reportText[i])).toHaveLength(1);
    const r = await dropReport("report-changed.json", changed);
    expect(r.kind, r.result).toBe("invalid");
    expect(r.banner).toContain("REPORT NOT VALID");
    expect(r.banner).toMatch(/the report's signature does not check out/i);
    expect(r.result).toContain("the signature does not match the document: it was changed after signing, or signed by another key");
    // And the changed event is named: its digest no longer matches its own proof's.
    expect(r.result).toContain(`digest is "${changed.slice(at - digest.length + 1, at + 1)}" in the report, "${digest}" in its proof`);
    expect(r.result).not.toContain("REPORT VALID");
    // That event is not called verified: its proof checks out, but not what the report states.
    expect(r.result).toContain("does not match the report: the report states something its proof does not show");
    await r.page.context().close();
  });
});
