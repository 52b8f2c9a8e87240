// The public verification page (GET /verify) in a real browser against the real service: the
// service anchors the conformance vectors' batch on its own chain, then every proof vector
// goes through the page (chain checked through the service's relay, and offline), and the
// page's verdict and failing checks must be the vectors' expectations, the API's
// (POST /v1/verify) and the CLI's (bin/evidence.mjs verify --json) for the same file.
// Also: pasting a proof, the keyboard, labels and the live region, no request leaving the
// service's origin, no error in the console, and screenshots in test-results/.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Browser, BrowserContext, FileChooser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import { buildBundle, type ProofBundleV1 } from "../../src/core/bundle.ts";
import { sha256 } from "../../src/core/hash.ts";
import { leafHash } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { docImagePath, launchChromium } from "../helpers/browser.ts";
import { freePort } from "../helpers/chain.ts";
import { apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ServiceProcess } from "../helpers/service.ts";
import {
  CONTRACT_PATH,
  OTHER_PATH,
  baseBundle,
  materialize,
  proofText,
  vectorBatch,
  vectorSpecs,
  VECTOR_ITEM,
  writeVectors,
  type ProofVector,
} from "../helpers/vectors.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = join(ROOT, "test-results");
const CLI = join(ROOT, "bin/evidence.mjs");

type Mode = "chain" | "offline";
interface Answer {
  verdict: string;
  failing: string[];
}
interface Loaded {
  vector: ProofVector;
  path: string;
}

let service: ServiceProcess;
let browser: Browser;
let context: BrowserContext;
let chainUrl: string;
const vectors: Record<Mode, Map<string, Loaded>> = { chain: new Map(), offline: new Map() };
/** Every URL the pages of `context` requested, and every console error or page error. */
const requested: string[] = [];
const consoleErrors: string[] = [];
/** CLI answers for the chain vectors, started in beforeAll, run two at a time while the page tests go on. */
const cliAnswers = new Map<string, Promise<Answer>>();

function watch(ctx: BrowserContext): void {
  ctx.on("request", (r) => requested.push(r.url()));
  ctx.on("page", (p) => {
    p.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${p.url()}: ${m.text()}`);
    });
    p.on("pageerror", (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  });
}

/** At most `limit` running at once; each call resolves with its own result. */
function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

const failingOf = (checks: { name: string; ok: boolean; skipped?: boolean }[]) => checks.filter((c) => !c.ok && c.skipped !== true).map((c) => c.name);

async function cliAnswer(v: Loaded, rpc: string | undefined): Promise<Answer> {
  const args = [CLI, "verify", v.path, ...(v.vector.document ? ["--file", v.vector.document] : []), ...(rpc ? ["--rpc", rpc] : []), "--json"];
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } }));
  } catch (err) {
    // Exit status 1 is the CLI's "not valid / not anchored yet"; its JSON is still on stdout.
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (e.code !== 1) throw new Error(`evidence verify exited ${e.code}: ${e.stderr}`);
    stdout = e.stdout ?? "";
  }
  const out = JSON.parse(stdout) as { verdict: string; checks: { name: string; ok: boolean; skipped?: boolean }[] };
  return { verdict: out.verdict, failing: failingOf(out.checks) };
}

/** POST /v1/verify with the file's exact text; the API has no document, so no document check. */
async function apiFailing(text: string): Promise<string[]> {
  const res = await fetch(`${service.url}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
  const body = (await res.json()) as { type?: string; checks?: { name: string; ok: boolean; skipped?: boolean }[] };
  // Text that is not JSON at all is refused before any check runs (400 malformed-json): the
  // API's way of saying what the library reports as a failed format check.
  if (res.status === 400 && /malformed-json$/.test(body.type ?? "")) return ["format"];
  expect(res.status, JSON.stringify(body)).toBe(200);
  return failingOf(body.checks!);
}

async function openPage(ctx: BrowserContext = context): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${service.url}/verify`);
  return page;
}

/** Fills the page like a clerk would, presses Verify and reads the verdict and failed checks. */
async function verifyOnPage(
  page: Page,
  input: { proof: string; document?: string | null; chain?: "relay" | "offline" | { url: string } },
): Promise<Answer> {
  if (input.document) await page.setInputFiles("#document-file", input.document);
  await page.setInputFiles("#proof-file", input.proof);
  const chain = input.chain ?? "relay";
  if (chain === "offline") await page.check("#chain-offline");
  else if (chain !== "relay") {
    await page.check("#chain-custom");
    await page.fill("#rpc-url", chain.url);
  }
  await page.click("#verify-button");
  return readVerdict(page);
}

async function readVerdict(page: Page): Promise<Answer> {
  const verdict = page.locator("#verdict[data-kind]");
  await verdict.waitFor({ timeout: 30_000 });
  return {
    verdict: (await verdict.getAttribute("data-kind"))!,
    failing: await page.locator("[data-check][data-state=failed]").evaluateAll((els) => els.map((e) => e.getAttribute("data-check")!)),
  };
}

/**
 * Visible text whose colour has less than 4.5:1 contrast (WCAG AA) with the first opaque
 * background behind it. Every colour on the page is opaque, so that is the background.
 */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    const win = globalThis as any;
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) =>
      [r!, g!, b!].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const out: string[] = [];
    for (const el of doc.querySelectorAll("body *")) {
      const own = [...el.childNodes].some((n: any) => n.nodeType === 3 && n.textContent.trim() !== "");
      if (!own || el.getClientRects().length === 0 || el.closest(".visually-hidden, .zone-input")) continue;
      const style = win.getComputedStyle(el);
      if (style.visibility === "hidden") continue;
      let bg: number[] = [255, 255, 255];
      for (let e = el; e !== null; e = e.parentElement) {
        const c = rgb(win.getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] === 1) {
          bg = c.slice(0, 3);
          break;
        }
      }
      const [a, b] = [lum(rgb(style.color)), lum(bg)].sort((x, y) => y - x);
      const ratio = (a! + 0.05) / (b! + 0.05);
      if (ratio < 4.5) out.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
    }
    return out;
  });
}

beforeAll(async () => {
  await buildWeb();
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = tempDir("evidence-web-data-");
  const chainPort = await freePort();
  chainUrl = `http://127.0.0.1:${chainPort}`;
  service = await spawnService({
    DATA_DIR: dataDir,
    LOCAL_CHAIN_PORT: String(chainPort),
    BATCH_INTERVAL_MS: "300",
    // One browser checking ~90 proofs, each a handful of relay calls, from one address.
    RATE_LIMIT_PER_MINUTE: "0",
    PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
  });
  const tenant = await createTenant(service.url, readAdminKey(dataDir), "platform-web");
  const asTenant = apiClient(service.url, tenant.key);
  const posted = await asTenant<{ items: { id: string }[] }>("POST", "/v1/evidence/batch", vectorBatch());
  expect(posted.status).toBe(202);
  const id = posted.body.items[VECTOR_ITEM]!.id;
  const live = await waitFor(
    "the anchor of the contract's proof",
    async () => {
      const proof = (await asTenant<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`)).body;
      return proof.anchor ? proof : null;
    },
    60_000,
  );

  const dir = tempDir("evidence-web-vectors-");
  for (const [mode, base] of [
    ["chain", live],
    ["offline", baseBundle()],
  ] as const) {
    const vs = materialize(base, mode);
    const paths = writeVectors(vs, join(dir, mode));
    for (const v of vs) vectors[mode].set(v.name, { vector: v, path: paths.get(v.name)! });
  }

  // The CLI asks the chain node directly, the page goes through the relay: agreeing, they
  // also show the relay hands answers on unchanged.
  if (existsSync(CLI)) {
    const limit = limiter(2);
    for (const [name, v] of vectors.chain) {
      const answer = limit(() => cliAnswer(v, chainUrl));
      answer.catch(() => {}); // awaited (and reported) by its test
      cliAnswers.set(name, answer);
    }
  }

  // CHROMIUM_PATH, the system's chromium or the one from npm, as EVIDENCE_TEST_TOOLS allows.
  browser = await launchChromium();
  // A zone away from UTC, so "your time" differs from the UTC time on the page.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB", timezoneId: "Europe/Berlin" });
  watch(context);
});

afterAll(async () => {
  await browser?.close();
  // SIGTERM, not SIGKILL: the service stops the Hardhat node it started; killed, it would
  // leave the node running.
  if (service) {
    const killer = setTimeout(() => void service.stop("SIGKILL"), 20_000);
    await service.stop("SIGTERM");
    clearTimeout(killer);
  }
});

for (const mode of ["chain", "offline"] as const) {
  describe(`every ${mode} vector, through the page (${mode === "chain" ? "the service's relay" : "offline"})`, () => {
    // One tab, reloaded for each vector: a new tab costs more than the verification.
    let page: Page;
    beforeAll(async () => {
      page = await context.newPage();
    });
    afterAll(async () => {
      await page?.close();
    });

    for (const spec of vectorSpecs()) {
      it(spec.name, async () => {
        const v = vectors[mode].get(spec.name)!;
        await page.goto(`${service.url}/verify`);
        const shown = await verifyOnPage(page, { proof: v.path, document: v.vector.document, chain: mode === "chain" ? "relay" : "offline" });
        expect(shown, v.vector.description).toEqual(v.vector.expect);
        if (mode === "chain") {
          // The API is never given the document: compare without its check.
          expect(await apiFailing(v.vector.text), "POST /v1/verify").toEqual(shown.failing.filter((n) => n !== "document"));
          const cli = cliAnswers.get(spec.name);
          if (cli !== undefined) expect(await cli, "evidence verify --json").toEqual(shown);
        }
      });
    }
  });
}

describe("the page", () => {
  it("before any input: explains itself, promises the document stays here, and shows no verdict", async () => {
    const page = await openPage();
    expect(await page.locator("h1").innerText()).toBe("Verify an evidence proof");
    expect(await page.getByText("Your document is hashed on this computer and is never uploaded.").isVisible()).toBe(true);
    expect(await page.getByText("The blockchain data comes through this service’s read-only relay. For full independence, use your own node.").isVisible()).toBe(true);
    expect(await page.locator("#verdict").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "verify-empty.png"), fullPage: true });
    // Verify with nothing given: a message, not a verdict.
    await page.click("#verify-button");
    await page.locator("#form-error").waitFor({ state: "visible" });
    expect(await page.locator("#form-error").innerText()).toBe("Choose the proof file, or paste the proof text.");
    expect(await page.locator("#verdict").count()).toBe(0);
    await page.close();
  });

  it("valid with its document: the verdict, what it means in UTC and local time, every fact and check", async () => {
    const v = vectors.chain.get("valid")!;
    const page = await openPage();
    expect(await verifyOnPage(page, { proof: v.path, document: CONTRACT_PATH })).toEqual({ verdict: "valid", failing: [] });
    const bundle = JSON.parse(v.vector.text) as ProofBundleV1;
    const text = await page.locator("#result").innerText();
    expect(text).toContain("VALID");
    expect(text).toMatch(/This document existed, unchanged, no later than \d{1,2} \w+ \d{4}, \d\d:\d\d:\d\d UTC \(.*your time, Europe\/Berlin, UTC\+0[12]:00\)\./);
    for (const value of [bundle.anchor!.txHash, bundle.anchor!.contract, bundle.evidence.digest, String(bundle.anchor!.blockNumber), "chain 31337"]) {
      expect(text).toContain(value);
    }
    expect(await page.locator("[data-check]").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-check")}:${e.getAttribute("data-state")}`))).toEqual(
      ["format", "document", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"].map((n) => `${n}:ok`),
    );
    await page.screenshot({ path: join(SHOTS, "verify-valid.png"), fullPage: true });
    // docs/verifying.md shows the result only (this test loads no CJK font for the page's 中文 link).
    const doc = docImagePath("verify-valid.png");
    if (doc) await page.locator("#result").screenshot({ path: doc });
    await page.close();
  });

  it("the wrong document: NOT VALID, and says it is not the document the proof was made for", async () => {
    const v = vectors.chain.get("valid")!;
    const page = await openPage();
    expect(await verifyOnPage(page, { proof: v.path, document: OTHER_PATH })).toEqual({ verdict: "invalid", failing: ["document"] });
    expect(await page.locator("#verdict").innerText()).toContain("NOT VALID");
    expect(await page.locator("#details").innerText()).toContain("The document you chose is not the document this proof was made for");
    await page.screenshot({ path: join(SHOTS, "verify-wrong-file.png"), fullPage: true });
    await page.close();
  });

  it("a tampered block timestamp: NOT VALID, the block check failing", async () => {
    const v = vectors.chain.get("tampered-block-timestamp")!;
    const page = await openPage();
    expect(await verifyOnPage(page, { proof: v.path, document: CONTRACT_PATH })).toEqual({ verdict: "invalid", failing: ["block"] });
    expect(await page.locator('[data-check="block"]').innerText()).toContain("timestamp");
    await page.screenshot({ path: join(SHOTS, "verify-tampered.png"), fullPage: true });
    await page.close();
  });

  it("at phone width (375 px): valid, and nothing scrolls sideways", async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "en-GB", timezoneId: "Europe/Berlin" });
    watch(phone);
    const page = await openPage(phone);
    const v = vectors.chain.get("valid")!;
    expect(await verifyOnPage(page, { proof: v.path, document: CONTRACT_PATH })).toEqual({ verdict: "valid", failing: [] });
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SHOTS, "verify-phone-valid.png"), fullPage: true });
    await phone.close();
  });

  it("a pasted proof", async () => {
    const page = await openPage();
    await page.getByLabel("Or paste the proof text").fill(vectors.chain.get("valid")!.vector.text);
    await page.click("#verify-button");
    expect(await readVerdict(page)).toEqual({ verdict: "valid", failing: [] });
    await page.close();
  });

  it("my own node: the chain checked at an RPC URL the visitor gives", async () => {
    const own = await browser.newContext({ locale: "en-US" });
    const urls: string[] = [];
    own.on("request", (r) => urls.push(r.url()));
    const page = await openPage(own);
    const v = vectors.chain.get("valid")!;
    expect(await verifyOnPage(page, { proof: v.path, document: CONTRACT_PATH, chain: { url: chainUrl } })).toEqual({ verdict: "valid", failing: [] });
    expect(urls.some((u) => u.startsWith(chainUrl))).toBe(true);
    expect(urls.filter((u) => u.includes("/v1/chain/rpc"))).toEqual([]);
    await own.close();
  });

  it("with the keyboard alone: Tab reaches both file inputs and Verify; Enter opens a chooser and verifies", async () => {
    const page = await context.newPage();
    // Listening before the first key press: Playwright intercepts a chooser that a script opens
    // (the page's Enter handler) only when interception was on before any user input.
    const waiting: ((c: FileChooser) => void)[] = [];
    page.on("filechooser", (c) => waiting.shift()?.(c));
    const nextChooser = () => new Promise<FileChooser>((resolve) => waiting.push(resolve));
    await page.goto(`${service.url}/verify`);
    const order: string[] = [];
    for (let i = 0; i < 30 && !order.includes("verify-button"); i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate<string>("document.activeElement?.id ?? \"\""));
    }
    expect(order).toContain("document-file");
    expect(order).toContain("proof-file");
    expect(order.indexOf("document-file")).toBeLessThan(order.indexOf("proof-file"));
    expect(order.at(-1)).toBe("verify-button");

    const choose = async (id: string, key: string, file: string) => {
      await page.focus(`#${id}`);
      const chooser = nextChooser();
      await page.keyboard.press(key);
      await (await chooser).setFiles(file);
    };
    await choose("document-file", "Enter", CONTRACT_PATH);
    await choose("proof-file", "Space", vectors.chain.get("valid")!.path);
    expect(await page.locator("#document-status").innerText()).toContain("contract.txt");
    await page.focus("#verify-button");
    await page.keyboard.press("Enter");
    expect(await readVerdict(page)).toEqual({ verdict: "valid", failing: [] });
    await page.close();
  });

  it("is accessible: every input labelled, headings in order, the verdict in a polite live region", async () => {
    const page = await openPage();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    const labels: Record<string, string> = {
      "document-file": "Document file",
      "proof-file": "Proof file",
      "proof-text": "Or paste the proof text",
      "chain-relay": "Through this service (default)",
      "chain-custom": "My own node (RPC URL)",
      "rpc-url": "RPC URL of my node",
      "chain-offline": "Don’t check the blockchain (offline)",
      "min-confirmations": "Minimum confirmations",
    };
    await page.check("#chain-custom"); // shows the RPC URL field
    for (const [id, label] of Object.entries(labels)) {
      expect(await page.getByLabel(label, { exact: true }).getAttribute("id"), label).toBe(id);
    }
    // And no control without a label.
    const ids = await page.locator("input, textarea, select").evaluateAll((els) => els.map((e) => e.id));
    expect(ids.sort()).toEqual(Object.keys(labels).sort());

    const levels = await page.locator("h1, h2, h3").evaluateAll((els) => els.map((e) => Number(e.tagName[1])));
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);

    await page.check("#chain-relay");
    await verifyOnPage(page, { proof: vectors.chain.get("valid")!.path });
    expect(await page.locator("#verdict-region").getAttribute("aria-live")).toBe("polite");
    expect(await page.locator("#verdict-region #verdict").count()).toBe(1);
    expect(await lowContrast(page), "text below 4.5:1").toEqual([]);
    // Every check's state is in words for a screen reader, not in the ✓ alone.
    expect(await page.locator('[data-check="format"] .visually-hidden').textContent()).toBe("passed: ");
    await page.close();
  });

  it("both files dropped at once on a zone: the .json is the proof, the other the document", async () => {
    const page = await openPage();
    const files = [
      { name: "contract.txt", text: readFileSync(CONTRACT_PATH, "utf8"), type: "text/plain" },
      { name: "proof.json", text: vectors.chain.get("valid")!.vector.text, type: "application/json" },
    ];
    const dataTransfer = await page.evaluateHandle((fs) => {
      const dt = new (globalThis as any).DataTransfer();
      for (const f of fs) dt.items.add(new File([f.text], f.name, { type: f.type }));
      return dt;
    }, files);
    await page.dispatchEvent("#document-zone", "dragenter", { dataTransfer });
    await page.dispatchEvent("#document-zone", "drop", { dataTransfer });
    expect(await page.locator("#document-name").innerText()).toMatch(/^contract\.txt /);
    expect(await page.locator("#proof-name").innerText()).toMatch(/^proof\.json /);
    await page.click("#verify-button");
    expect(await readVerdict(page)).toEqual({ verdict: "valid", failing: [] });
    expect(await page.locator('[data-check="document"]').getAttribute("data-state")).toBe("ok");
    await page.close();
  });

  it("an SM3 proof: the browser hashes the document with SM3 and checks it", async () => {
    // A well-formed one-leaf bundle whose meta names sm3, over the SM3 digest of the contract.
    const evidence = {
      id: "ev-sm3",
      digest: new Uint8Array(createHash("sm3").update(readFileSync(CONTRACT_PATH)).digest()),
      salt: sha256(new TextEncoder().encode("salt")),
      meta: { hashAlg: "sm3" as const, submitter: "platform-web" },
      receivedAt: "2026-11-27T10:00:00Z",
    };
    const leaf = leafHash(evidence);
    const tree = buildTree([leaf]);
    const bundle = buildBundle({ evidence, leaf: { index: 0, hash: leaf }, batch: { seq: 0, size: 1, root: tree.root, path: tree.path(0) }, anchor: null });
    const file = join(tempDir("evidence-web-sm3-"), "sm3.json");
    writeFileSync(file, proofText(bundle));
    const page = await openPage();
    expect(await verifyOnPage(page, { proof: file, document: CONTRACT_PATH, chain: "offline" })).toEqual({ verdict: "pending", failing: [] });
    expect(await page.locator('[data-check="document"]').getAttribute("data-state")).toBe("ok");
    // Another document is not the one the proof is about.
    await page.setInputFiles("#document-file", OTHER_PATH);
    await page.click("#verify-button");
    expect((await readVerdict(page)).verdict).toBe("invalid");
    expect(await page.locator('[data-check="document"]').getAttribute("data-state")).toBe("failed");
    await page.close();
  });

  it("a changed input withdraws the shown verdict", async () => {
    const page = await openPage();
    await verifyOnPage(page, { proof: vectors.chain.get("valid")!.path, document: CONTRACT_PATH });
    await page.setInputFiles("#document-file", OTHER_PATH);
    expect(await page.locator("#verdict").count()).toBe(0);
    expect(await page.locator("#verdict-region").innerText()).toContain("The inputs changed. Press Verify to check again.");
    // "Start over" empties everything.
    await page.click("#verify-button");
    expect((await readVerdict(page)).verdict).toBe("invalid");
    await page.click("#clear-button");
    await page.locator("#verdict").waitFor({ state: "detached" });
    expect(await page.locator("#document-status").isVisible()).toBe(false);
    expect(await page.locator("#proof-status").isVisible()).toBe(false);
    expect(await page.locator("#verdict-region").innerText()).toBe("Add a proof and press Verify. The result appears here.");
    await page.close();
  });

  it("served as built, under the page's content security policy", async () => {
    const res = await fetch(`${service.url}/verify`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(join(ROOT, "dist/web/index.html"), "utf8"));
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  // Last: over every page the tests above opened in the shared context.
  it("sent no request outside the service's origin, and logged no error", () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => !u.startsWith(`${service.url}/`) && !u.startsWith("data:"))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
