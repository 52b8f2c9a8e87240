// The /verify page in a real Chromium, served by the real app whose chain node cannot be
// reached (its RPC URL is a closed port): a sound proof gets the amber COULD NOT VERIFY
// banner, never the red NOT VALID; an SM3 proof's document is hashed in the browser; a
// receipt dropped as the proof is named as a receipt. Screenshot: test-results/, and docs/images/verify-could-not-verify.png under UPDATE_DOC_IMAGES=1.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import { buildBundle } from "../../src/core/bundle.ts";
import { leafHash } from "../../src/core/leaf.ts";
import { apiHarness, type ApiHarness } from "../helpers/api.ts";
import { docImagePath, launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { tempDir } from "../helpers/service.ts";
import { baseBundle, CONTRACT_PATH, OTHER_PATH, proofText } from "../helpers/vectors.ts";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test-results");

let h: ApiHarness;
let server: ServerType;
let base: string;
let browser: Browser;
const dir = tempDir("verify-page-down-");

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
  const port = await freePort();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.rawApp.fetch, port, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

async function open(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "en-GB", timezoneId: "Europe/Berlin" });
  const page = await ctx.newPage();
  await page.goto(`${base}/verify`);
  return page;
}

describe("the page when the chain cannot be reached", () => {
  it("a sound proof through the relay: the amber COULD NOT VERIFY banner, the chain check '?', never NOT VALID", async () => {
    const proof = join(dir, "proof.json");
    writeFileSync(proof, proofText(baseBundle()));
    const page = await open();
    await page.setInputFiles("#document-file", CONTRACT_PATH);
    await page.setInputFiles("#proof-file", proof);
    await page.click("#verify-button");
    const banner = page.locator("#verdict[data-kind]");
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.getAttribute("data-kind")).toBe("inconclusive");
    expect(await banner.innerText()).toContain("COULD NOT VERIFY");
    // Amber, neither the green of VALID nor the red of NOT VALID.
    expect(await banner.evaluate((e) => (globalThis as any).getComputedStyle(e).borderTopColor)).toBe("rgb(180, 83, 9)");
    expect(await page.locator('[data-check="chain"]').getAttribute("data-state")).toBe("unavailable");
    expect(await page.locator('[data-check="document"]').getAttribute("data-state")).toBe("ok");
    const text = await page.locator("#result").innerText();
    expect(text).not.toContain("NOT VALID");
    expect(text).toContain("The blockchain could not be reached through this service");
    expect(text).toContain("Beijing time");
    await page.screenshot({ path: join(SHOTS, "verify-could-not-verify.png"), fullPage: true });
    const doc = docImagePath("verify-could-not-verify.png");
    if (doc) await page.locator("#result").screenshot({ path: doc });
    await page.context().close();
  });

  it("an SM3 proof with its document: hashed in the browser, the document check runs (and fails for another file)", async () => {
    const doc = readFileSync(CONTRACT_PATH);
    const evidence = {
      id: "ev-sm3",
      digest: new Uint8Array(createHash("sm3").update(doc).digest()),
      salt: new Uint8Array(32).fill(3),
      meta: { hashAlg: "sm3" as const, submitter: "platform-web" },
      receivedAt: "2026-11-27T10:00:00Z",
    };
    const leaf = leafHash(evidence);
    const bundle = buildBundle({ evidence, leaf: { index: 0, hash: leaf }, batch: { seq: 0, size: 1, root: leaf, path: [] }, anchor: null });
    const proof = join(dir, "sm3.json");
    writeFileSync(proof, proofText(bundle));
    for (const [file, state] of [
      [CONTRACT_PATH, "ok"],
      [OTHER_PATH, "failed"],
    ] as const) {
      const page = await open();
      await page.setInputFiles("#document-file", file);
      await page.setInputFiles("#proof-file", proof);
      await page.check("#chain-offline");
      await page.click("#verify-button");
      await page.locator("#verdict[data-kind]").waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-check="document"]').getAttribute("data-state"), file).toBe(state);
      await page.context().close();
    }
  });

  it("a receipt dropped as the proof: named as a receipt, with what to do, and no verdict", async () => {
    const receipt = join(dir, "receipt.json");
    writeFileSync(receipt, JSON.stringify({ format: "evidence-receipt/v1", id: "0190e0b4-0000-7000-8000-000000000001", digest: "0x" + "11".repeat(32) }));
    const page = await open();
    await page.setInputFiles("#proof-file", receipt);
    await page.click("#verify-button");
    await page.locator("#not-a-proof").waitFor({ timeout: 30_000 });
    const text = await page.locator("#not-a-proof").innerText();
    expect(text).toContain("This is a receipt for evidence 0190e0b4-0000-7000-8000-000000000001");
    expect(text).toContain("Instead: fetch the proof");
    expect(await page.locator("#verdict").count()).toBe(0);
    await page.context().close();
  });
});
