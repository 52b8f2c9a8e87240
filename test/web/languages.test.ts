// The /verify page in Chinese and English, in a real Chromium driving the real app: the
// language follows the browser's locale (zh-CN, en-US), the switch re-words a shown verdict
// without checking again and is remembered, and the verdict banner and the check list read in
// the chosen language for a valid proof (on a Hardhat chain), a document that does not match,
// and a chain that cannot be reached (a second app whose RPC URL is a closed port). On the
// Chinese page no English UI string remains: every visible text node is walked, and only data
// (hashes, ids, numbers, URLs, command lines, the proof's own values) may be Latin.
// Screenshots: test-results/, and docs/images/verify-zh-CN.png and verify-en.png under UPDATE_DOC_IMAGES=1.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarness, apiHarnessOnChain, type ApiHarness } from "../helpers/api.ts";
import { docImagePath, launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { tempDir } from "../helpers/service.ts";
import { anchoredVectorProof, CONTRACT_PATH, OTHER_PATH } from "../helpers/vectors.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test-results");
const dir = tempDir("verify-page-lang-");

let up: ApiHarness & { node: LocalNode };
let down: ApiHarness;
const servers: ServerType[] = [];
let upBase: string;
let downBase: string;
let browser: Browser;
let proofPath: string;
let proof: { evidence: { id: string; meta: Record<string, string> } };

async function listen(h: ApiHarness): Promise<string> {
  const port = await freePort();
  await new Promise<void>((resolve) => {
    servers.push(serve({ fetch: h.rawApp.fetch, port, hostname: "127.0.0.1" }, () => resolve()));
  });
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  // Chinese glyphs for the screenshots on a machine without CJK fonts: the Noto Sans SC the
  // report PDF embeds, offered to Chromium's fontconfig beside the system's own fonts.
  if (process.env.FONTCONFIG_FILE === undefined) {
    const fonts = join(ROOT, "node_modules/@expo-google-fonts/noto-sans-sc");
    const conf = join(dir, "fonts.conf");
    writeFileSync(
      conf,
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(fonts, "400Regular")}</dir>\n  <dir>${join(fonts, "700Bold")}</dir>\n  <cachedir>${join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
    );
    process.env.FONTCONFIG_FILE = conf;
  }
  [up, down] = await Promise.all([apiHarnessOnChain(), apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` })]);
  proof = (await anchoredVectorProof(up)) as typeof proof;
  proofPath = join(dir, "proof.json");
  writeFileSync(proofPath, JSON.stringify(proof, null, 2));
  [upBase, downBase] = await Promise.all([listen(up), listen(down)]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await Promise.all([up?.close(), down?.close()]);
});

async function open(locale: string, base = upBase): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale, timezoneId: locale.startsWith("zh") ? "Asia/Shanghai" : "Europe/Berlin" });
  const page = await ctx.newPage();
  await page.goto(`${base}/verify`);
  return page;
}

async function verify(page: Page, document: string): Promise<string> {
  await page.setInputFiles("#document-file", document);
  await page.setInputFiles("#proof-file", proofPath);
  await page.click("#verify-button");
  const banner = page.locator("#verdict[data-kind]");
  await banner.waitFor({ timeout: 30_000 });
  return (await banner.getAttribute("data-kind"))!;
}

/** The check list as "name state: words: title name detail" lines (the ✓ ✗ – ? mark left out). */
async function checks(page: Page): Promise<string[]> {
  return page.locator("li[data-check]").evaluateAll((lis) =>
    lis.map((li) => `${li.getAttribute("data-check")} ${li.getAttribute("data-state")}: ${(li.querySelector(".check__body") as unknown as { innerText: string }).innerText.replace(/\s+/g, " ")}`),
  );
}

/**
 * Every visible text node of the page, but those inside an element in another language
 * (lang="en": the "English" of the switch) or inside <code> (command lines, check ids).
 */
async function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const d = (globalThis as any).document;
    const out: string[] = [];
    const walker = d.createTreeWalker(d.body, 4 /* SHOW_TEXT */);
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const text = n.textContent.trim();
      const parent = n.parentElement;
      if (text === "" || parent === null) continue;
      if (parent.closest("[lang='en'], code, noscript, script, [hidden]") !== null) continue;
      if (!parent.checkVisibility()) continue;
      out.push(text);
    }
    return out;
  });
}

/** What may stay Latin on the Chinese page: data, and the names of formats, algorithms and protocols. */
function englishLeft(texts: string[], data: string[]): string[] {
  const names = /(\.json\b|\b(evidence-proof\/v1|JSON-RPC|RPC|JSON|CORS|PDF|API|UTC|SHA-?256|sha256|sha3-256|SM3|sm3|https?|kB|MB|Asia\/Shanghai|Europe\/Berlin|anchorOf)\b)/g;
  const left: string[] = [];
  for (const t of texts) {
    let rest = t;
    for (const d of data) rest = rest.split(d).join(" ");
    rest = rest
      .replace(/https?:\/\/\S+/g, " ") // URLs
      .replace(/0x[0-9a-fA-F]+…?/g, " ") // hashes, addresses
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, " ") // ids
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, " ") // RFC 3339 times as the platform gave them
      .replace(/npx evidence [^\s，。）]+( [^\s，。）]+)*/g, " ") // command lines
      .replace(names, " ");
    if (/[A-Za-z]{2,}/.test(rest)) left.push(t);
  }
  return left;
}

describe("the page follows the browser's language", () => {
  it("zh-CN: a valid proof reads in Chinese, lang=zh-CN, and no English UI string remains", async () => {
    const page = await open("zh-CN");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.title()).toBe("验证存证证明");
    expect(await page.getAttribute('[data-lang="zh-CN"]', "aria-pressed")).toBe("true");
    expect(await page.locator("#verify-button").innerText()).toBe("验证");
    expect(await verify(page, CONTRACT_PATH)).toBe("valid");
    const banner = await page.locator("#verdict").innerText();
    expect(banner).toContain("验证通过");
    expect(banner).toMatch(/摘要值 0x5c889ffa… 最迟在 \d{4}年\d+月\d+日 [\d:]+（UTC）（链 31337，区块高度 \d+）已经存在/);
    const list = await checks(page);
    expect(list).toHaveLength(10);
    expect(list[0]).toMatch(/^format ok: 通过: 证明文件格式正确 format 格式正确的 evidence-proof\/v1 证明文件$/);
    expect(list[1]).toMatch(/^document ok: .*文件与证明所对应的文件一致 document 文件的 sha256 摘要值为 0x5c889ffa\S+，与证明中的摘要值一致$/);
    expect(list.find((l) => l.startsWith("root "))).toContain("默克尔路径得到批次根哈希");
    expect(list.find((l) => l.startsWith("transaction "))).toMatch(/交易 0x\S+ 已在区块高度 \d+ 执行成功/);
    const result = await page.locator("#result").innerText();
    for (const term of ["这意味着什么", "逐项校验", "北京时间（UTC+08:00）", "区块高度", "交易哈希", "存证编号", "本地开发链"]) expect(result).toContain(term);
    // Every visible text node: nothing English but data.
    const m = proof.evidence.meta;
    const data = [m.submitter!, m.caseId!, m.eventType!, "contract.txt", "proof.json", proof.evidence.id].filter((s) => s !== undefined);
    expect(englishLeft(await visibleTexts(page), data)).toEqual([]);
    await page.context().close();
  });

  it("zh-CN: a document that does not match reads 验证未通过, the document check says why in Chinese", async () => {
    const page = await open("zh-CN");
    expect(await verify(page, OTHER_PATH)).toBe("invalid");
    expect(await page.locator("#verdict").innerText()).toContain("验证未通过");
    expect(await page.locator("#verdict").innerText()).toContain("「文件比对」校验未通过");
    const doc = (await checks(page)).find((l) => l.startsWith("document "))!;
    expect(doc).toMatch(/^document failed: 未通过: 文件与证明所对应的文件一致 document 文件的 sha256 摘要值为 0x\S+，而证明针对的摘要值为 0x\S+：这不是该证明所对应的文件$/);
    expect(await page.locator("#details").innerText()).toContain("您选择的文件不是该证明所对应的文件");
    await page.context().close();
  });

  it("zh-CN: a chain that cannot be reached reads 无法验证 (amber), never 验证未通过", async () => {
    const page = await open("zh-CN", downBase);
    expect(await verify(page, CONTRACT_PATH)).toBe("inconclusive");
    const banner = await page.locator("#verdict").innerText();
    expect(banner).toContain("无法验证");
    expect(banner).toContain("无法访问区块链（区块链节点接口（RPC）出错：");
    const text = await page.locator("#result").innerText();
    expect(text).not.toContain("验证未通过");
    expect(text).toContain("无法通过本服务访问区块链");
    const chain = (await checks(page)).find((l) => l.startsWith("chain "))!;
    expect(chain).toMatch(/^chain unavailable: 无法执行: 区块链与证明所写的一致 chain 区块链节点接口（RPC）出错：/);
    expect((await checks(page)).find((l) => l.startsWith("transaction "))).toContain("未执行：无法访问区块链");
    await page.context().close();
  });

  it("en-US: the same three verdicts in English, lang=en", async () => {
    const cases = [
      [upBase, CONTRACT_PATH, "valid", "VALID", "document ok: passed: The document is the one the proof was made for document the document's sha256 digest is"],
      [upBase, OTHER_PATH, "invalid", "NOT VALID", "document failed: failed: The document is the one the proof was made for document the document's sha256 digest is"],
      [downBase, CONTRACT_PATH, "inconclusive", "COULD NOT VERIFY", "chain unavailable: could not run: The blockchain is the one the proof names chain RPC error:"],
    ] as const;
    for (const [base, document, kind, label, check] of cases) {
      const page = await open("en-US", base);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.getAttribute('[data-lang="en"]', "aria-pressed")).toBe("true");
      expect(await verify(page, document), label).toBe(kind);
      expect((await page.locator("#verdict .verdict__label").innerText()).toUpperCase()).toBe(label);
      const list = await checks(page);
      expect(list.some((l) => l.startsWith(check)), `${label}: ${list.join("\n")}`).toBe(true);
      expect(await page.locator("#details").innerText()).toContain("What this means");
      await page.context().close();
    }
  });
});

describe("the language switch", () => {
  it("re-words the shown verdict without checking again, by mouse and keyboard, and is remembered", async () => {
    const page = await open("zh-CN");
    expect(await verify(page, CONTRACT_PATH)).toBe("valid");
    // A marker on the window survives only if the page is not reloaded; no request leaves
    // the page during the switch (the verdict is re-worded, not checked again).
    await page.evaluate(() => ((globalThis as any).__sameDocument = true));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.click('[data-lang="en"]');
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.locator("#verdict").getAttribute("data-kind")).toBe("valid");
    expect(await page.locator("#verdict .verdict__label").innerText()).toBe("VALID");
    expect(await page.locator("#verdict").innerText()).toMatch(/Digest 0x5c889ffa… existed no later than/);
    expect((await checks(page))[1]).toContain("the document's sha256 digest is");
    expect(await page.locator("#form-heading").innerText()).toBe("What to check");
    expect(await page.locator("#verify-button").innerText()).toBe("Verify");
    expect(await page.title()).toBe("Verify an evidence proof");
    // Keyboard: the switch is a real button, reached with Tab and pressed with Enter.
    await page.focus('[data-lang="zh-CN"]');
    await page.keyboard.press("Enter");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.locator("#verdict .verdict__label").innerText()).toBe("验证通过");
    expect(await page.locator("#form-heading").innerText()).toBe("核验内容");
    expect(await page.evaluate(() => (globalThis as any).__sameDocument)).toBe(true);
    expect(requests).toEqual([]);
    // Remembered: English chosen on a zh-CN browser stays English after a reload.
    await page.click('[data-lang="en"]');
    await page.reload();
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.locator("#placeholder, .placeholder").first().innerText()).toBe("Add a proof and press Verify. The result appears here.");
    await page.context().close();
  });

  it("a receipt dropped as the proof is named in Chinese, and re-worded by the switch", async () => {
    const receipt = join(dir, "receipt.json");
    writeFileSync(receipt, JSON.stringify({ format: "evidence-receipt/v1", id: "0190e0b4-0000-7000-8000-000000000001", digest: "0x" + "11".repeat(32) }));
    const page = await open("zh-CN");
    await page.setInputFiles("#proof-file", receipt);
    await page.click("#verify-button");
    await page.locator("#not-a-proof").waitFor({ timeout: 30_000 });
    const text = await page.locator("#not-a-proof").innerText();
    expect(text).toContain("这不是证明文件");
    expect(text).toContain("这是存证 0190e0b4-0000-7000-8000-000000000001 的受理回执");
    expect(text).toContain("evidence wait 0190e0b4-0000-7000-8000-000000000001 -o proof.json");
    await page.click('[data-lang="en"]');
    expect(await page.locator("#not-a-proof").innerText()).toContain("This is a receipt for evidence 0190e0b4-0000-7000-8000-000000000001");
    await page.context().close();
  });
});

describe("screenshots", () => {
  it("a valid proof in both languages: docs/images/verify-zh-CN.png and verify-en.png", async () => {
    for (const [locale, file] of [
      ["zh-CN", "verify-zh-CN.png"],
      ["en-US", "verify-en.png"],
    ] as const) {
      const page = await open(locale);
      expect(await verify(page, CONTRACT_PATH)).toBe("valid");
      await page.screenshot({ path: join(SHOTS, file), fullPage: true });
      const doc = docImagePath(file);
      if (doc) await page.screenshot({ path: doc, fullPage: true });
      await page.context().close();
    }
  });
});
