// Which Chromium the browser tests drive, and launching it with playwright-core: CHROMIUM_PATH,
// else Debian's `chromium` on PATH, else the Chromium that the @sparticuz/chromium npm package
// carries in its tarball, unpacked once into node_modules/.cache/.
//
// EVIDENCE_TEST_TOOLS (read in pdf-tools.ts) narrows that: "npm" takes the npm Chromium even
// when CHROMIUM_PATH is set or the system has one; "system" takes only CHROMIUM_PATH or the
// system's, and fails when there is neither.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, createBrotliDecompress } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { systemProgram, testTools } from "./pdf-tools.ts";

/**
 * Where a browser test also saves a screenshot that docs/ shows, or null: only when
 * UPDATE_DOC_IMAGES=1 (`npm run docs:images`), so that running the tests does not rewrite
 * committed images (a few pixels differ from run to run) and leave the checkout changed.
 * test-results/ always gets the test's own copy.
 */
export function docImagePath(file: string): string | null {
  return process.env.UPDATE_DOC_IMAGES === "1" ? fileURLToPath(new URL(`../../docs/images/${file}`, import.meta.url)) : null;
}

export interface ChromiumChoice {
  executablePath: string;
  /** Where it came from, for the test log: "CHROMIUM_PATH", "system" or "npm @sparticuz/chromium <version>". */
  source: string;
  /** Added to the browser's environment. */
  env: Record<string, string>;
}

export async function findChromium(): Promise<ChromiumChoice> {
  if (testTools() !== "npm") {
    const given = process.env.CHROMIUM_PATH;
    if (given) {
      if (!existsSync(given)) throw new Error(`CHROMIUM_PATH is ${given}, which does not exist`);
      return { executablePath: given, source: "CHROMIUM_PATH", env: {} };
    }
    const system = systemProgram("chromium", "chromium"); // throws under EVIDENCE_TEST_TOOLS=system when missing
    if (system !== null) return { executablePath: system, source: "system", env: {} };
  }
  return npmChromium();
}

/** Launches the chosen Chromium headless, logging which one it is. */
export async function launchChromium(): Promise<Browser> {
  const choice = await findChromium();
  const browser = await chromium.launch({
    executablePath: choice.executablePath,
    env: { ...process.env, ...choice.env },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  console.log(`chromium ${browser.version()} from ${choice.source}: ${choice.executablePath}`);
  return browser;
}

/**
 * The Chromium of @sparticuz/chromium. Its bin/ holds, brotli-compressed, a headless-shell
 * build (x64 only), the NSS/NSPR/expat libraries it links against (built for Amazon Linux
 * 2023, glibc 2.34, so they load on any newer glibc) and a few fonts. We unpack them ourselves
 * rather than calling the package's executablePath(): that one writes to fixed paths in /tmp
 * which a run in progress elsewhere on the machine may be half-way writing, and it unpacks the
 * libraries only on AWS, so it would lean on whatever libnss3 the machine happens to have.
 */
async function npmChromium(): Promise<ChromiumChoice> {
  if (process.arch !== "x64") throw new Error(`@sparticuz/chromium ships an x64 Chromium only, and this is ${process.arch}: set CHROMIUM_PATH or install chromium`);
  // The package's main module is build/index.js; its package root is two levels up.
  const pkg = join(dirname(fileURLToPath(import.meta.resolve("@sparticuz/chromium"))), "..");
  const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string };
  // pkg is node_modules/@sparticuz/chromium: the cache goes with node_modules, and a new
  // version gets a folder of its own.
  const dir = join(pkg, "..", "..", ".cache", "evidence-test-chromium", version);
  const executablePath = join(dir, "chromium");
  if (!existsSync(executablePath)) await unpack(join(pkg, "bin"), dir);
  return {
    executablePath,
    source: `npm @sparticuz/chromium ${version}`,
    env: {
      LD_LIBRARY_PATH: [join(dir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_FILE: join(dir, "fonts.conf"),
    },
  };
}

/**
 * Unpacks into a fresh folder beside `dir` and renames it into place, so that a concurrent
 * run sees either nothing or the whole of it; if another run got there first, its copy stays.
 */
async function unpack(bin: string, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await pipeline(createReadStream(join(bin, "chromium.br")), createBrotliDecompress(), createWriteStream(join(tmp, "chromium"), { mode: 0o755 }));
    untar(brotliDecompressSync(readFileSync(join(bin, "al2023.tar.br"))), tmp); // lib/
    untar(brotliDecompressSync(readFileSync(join(bin, "fonts.tar.br"))), tmp); // fonts/ (and a fonts.conf for AWS, replaced below)
    // The machine's own fonts when it has fontconfig set up, and the package's always, so a
    // machine without any font still draws text.
    writeFileSync(
      join(tmp, "fonts.conf"),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(dir, "fonts")}</dir>\n  <cachedir>${join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(join(dir, "chromium"))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Extracts the regular files and folders of a tar archive (POSIX ustar or GNU, which is what
 * these are), refusing anything else rather than unpacking it half.
 */
function untar(tar: Buffer, into: string): void {
  const field = (h: Buffer, at: number, len: number) => h.subarray(at, at + len).toString("utf8").replace(/\0.*$/s, "");
  let longName: string | null = null; // a name over 100 bytes comes in an entry of its own before its file
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break; // the end-of-archive block
    const size = parseInt(field(h, 124, 12).trim() || "0", 8);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(h[156]!);
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    if (type === "x" || type === "g") {
      // pax: "<len> key=value\n" records; only a per-file path matters here.
      if (type === "x") longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"))?.[1] ?? null;
      continue;
    }
    // Only POSIX ustar has a name prefix at 345; GNU keeps times there.
    const posix = h.subarray(257, 263).toString("latin1") === "ustar\0";
    const name = longName ?? [posix ? field(h, 345, 155) : "", field(h, 0, 100)].filter(Boolean).join("/");
    longName = null;
    if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`unsafe path in archive: ${name}`);
    if (type === "5") mkdirSync(join(into, name), { recursive: true });
    else if (type === "0" || type === "\0") {
      mkdirSync(dirname(join(into, name)), { recursive: true });
      writeFileSync(join(into, name), data, { mode: parseInt(field(h, 100, 8).trim() || "644", 8) & 0o777 });
    } else throw new Error(`archive entry ${name}: type ${JSON.stringify(type)} is not handled`);
  }
}
