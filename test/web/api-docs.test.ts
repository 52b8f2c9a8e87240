// /docs, the interactive API docs: served by the real app from the swagger-ui-dist package
// (types, caching, a strict policy, nothing else of the package), and rendered in a real
// Chromium with every operation of the document shown, without a script error or a policy
// violation.
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/api/operations.ts";
import { EXAMPLE } from "../../src/api/schemas.ts";
import { apiHarness, type ApiHarness } from "../helpers/api.ts";
import { launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { tempDir } from "../helpers/service.ts";

let h: ApiHarness;
let server: ServerType | undefined;
let base: string;
let browser: Browser | undefined;
const dir = tempDir("api-docs-");

beforeAll(async () => {
  // No chain is needed to show the docs: a closed port.
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
  const port = await freePort();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.rawApp.fetch, port, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${port}`;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

describe("GET /docs", () => {
  it("serves our page and the package's files with their types, a cache policy and a strict CSP", async () => {
    const page = await h.rawApp.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await page.text();
    expect(html).not.toMatch(/<script>(?!<)|https?:\/\//); // no inline script, nothing from elsewhere

    for (const [file, type] of [
      ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
      ["swagger-ui.css", "text/css; charset=utf-8"],
      ["favicon-32x32.png", "image/png"],
      ["start.js", "text/javascript; charset=utf-8"],
    ] as const) {
      const res = await h.rawApp.request(`/docs/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toBe(type);
      expect(res.headers.get("cache-control"), file).toBe(file === "start.js" ? "no-cache" : "public, max-age=86400");
      const etag = res.headers.get("etag")!;
      expect((await res.arrayBuffer()).byteLength, file).toBeGreaterThan(100);
      const again = await h.rawApp.request(`/docs/${file}`, { headers: { "if-none-match": etag } });
      expect(again.status, file).toBe(304);
    }
    // Nothing else of the package, and no way out of it.
    for (const other of ["package.json", "index.html", "swagger-initializer.js", "..%2Fpackage.json", "oauth2-redirect.html"]) {
      const res = await h.rawApp.request(`/docs/${other}`);
      expect(res.status, other).toBe(404);
      expect(res.headers.get("content-type"), other).toBe("application/problem+json");
    }
  });

  it("renders every operation of the document in Chromium, with no script error or policy violation", async () => {
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    const elsewhere: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith("data:")) elsewhere.push(r.url());
    });
    await page.goto(`${base}/docs`);
    const expected = Object.values(OPERATIONS).map((op) => op.operationId);
    // Swagger UI gives each operation block the id "operations-<tag>-<operationId>".
    await page.waitForFunction(`document.querySelectorAll(".opblock[id^='operations-']").length >= ${expected.length}`, undefined, { timeout: 60_000 });
    const shown = await page.$$eval(".opblock[id^='operations-']", (els) => els.map((e) => e.id.slice(e.id.lastIndexOf("-") + 1)));
    expect([...shown].sort()).toEqual([...expected].sort());
    expect(await page.locator(".info .title").innerText()).toContain("Evidence anchoring service");
    await page.screenshot({ path: join(dir, "docs.png"), fullPage: false });
    // An operation opened shows its Idempotency-Key parameter and the request's example.
    const submit = page.locator(`.opblock[id$='-submitEvidence']`);
    await submit.locator(".opblock-summary").click();
    await submit.locator(".opblock-body").waitFor();
    await expect.poll(() => submit.locator(".opblock-body").innerText()).toContain(EXAMPLE.digest);
    expect(await submit.locator(".parameters").innerText()).toContain("Idempotency-Key");
    await submit.screenshot({ path: join(dir, "submit.png") });
    console.log(`screenshots: ${join(dir, "docs.png")}, ${join(dir, "submit.png")}`);
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await ctx.close();
  });
});
