// A proof whose platform claims an occurredAt after the block that anchored it, dropped on the
// /verify page in a real Chromium (real app, real Hardhat chain): the verdict stays VALID and
// an amber note says, in the page's language, that the claimed time cannot be true; a proof
// with a consistent claim shows no note.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { tempDir } from "../helpers/service.ts";

const CLAIMS = { future: "2099-01-01T00:00:00Z", past: "2020-01-01T08:00:00+08:00" } as const;

let h: ApiHarness & { node: LocalNode };
let server: ServerType;
let base: string;
let browser: Browser;
const files: Record<string, string> = {};
const anchoredAt: Record<string, string> = {};
const dir = tempDir("verify-page-claimed-");

beforeAll(async () => {
  await buildWeb();
  h = await apiHarnessOnChain();
  const ids: Record<string, string> = {};
  for (const [name, occurredAt] of Object.entries(CLAIMS)) {
    const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), occurredAt }));
    expect(res.status).toBe(202);
    ids[name] = ((await res.json()) as { id: string }).id;
  }
  await h.batcher.tick();
  for (const [name, id] of Object.entries(ids)) {
    const text = await (await h.app.request(`/v1/evidence/${id}/proof`)).text();
    const seconds = (JSON.parse(text) as { anchor: { blockTimestamp: number } }).anchor.blockTimestamp;
    anchoredAt[name] = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
    files[name] = join(dir, `${name}.json`);
    writeFileSync(files[name], text);
  }
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

async function verified(file: string, locale: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale, timezoneId: "Asia/Shanghai" });
  const page = await ctx.newPage();
  await page.goto(`${base}/verify`);
  await page.setInputFiles("#proof-file", file);
  await page.click("#verify-button");
  await page.locator("#verdict[data-kind]").waitFor({ timeout: 60_000 });
  return page;
}

describe("the /verify page and the platform's claimed time", () => {
  it("a claim after the anchor: VALID still, and a visible amber note naming both times (English)", async () => {
    const page = await verified(files.future!, "en-GB");
    expect(await page.locator("#verdict").getAttribute("data-kind")).toBe("valid");
    const note = page.locator("#claimed-time-warning");
    expect(await note.isVisible()).toBe(true);
    const text = await note.innerText();
    expect(text).toContain("Warnings about the times the platform claims");
    expect(text).toContain(`The platform claims it occurred at 2099-01-01T00:00:00Z, after it was anchored at ${anchoredAt.future}`);
    expect(text).toContain("the claimed time is wrong (the anchor time stands)");
    expect(await note.evaluate((e) => (globalThis as any).getComputedStyle(e).borderTopColor)).toBe("rgb(180, 83, 9)"); // --amber
    await page.context().close();
  });

  it("the same in Chinese for a zh-CN browser", async () => {
    const page = await verified(files.future!, "zh-CN");
    expect(await page.locator("#verdict").getAttribute("data-kind")).toBe("valid");
    const text = await page.locator("#claimed-time-warning").innerText();
    expect(text).toContain("关于平台所称时间的提示");
    expect(text).toContain(`平台称其发生于 2099-01-01T00:00:00Z，晚于其锚定时间 ${anchoredAt.future}`);
    expect(text).not.toContain("The platform claims");
    await page.context().close();
  });

  it("a claim before the anchor: VALID and no note", async () => {
    const page = await verified(files.past!, "en-GB");
    expect(await page.locator("#verdict").getAttribute("data-kind")).toBe("valid");
    expect(await page.locator("#claimed-time-warning").count()).toBe(0);
    await page.context().close();
  });
});
