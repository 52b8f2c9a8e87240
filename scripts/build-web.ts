// Builds the public verification page (src/web/verify/) into dist/web/ with esbuild: exactly
// index.html, verify.js, verify.css and favicon.svg, which the service serves under /verify.
// `tsx scripts/build-web.ts [outDir]` builds and prints the sizes; tests import buildWeb().
import { build } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const WEB_SRC = join(ROOT, "src/web/verify");
export const WEB_OUT = join(ROOT, "dist/web");
/** Everything the output directory holds after a build: the served set is this list, no more. */
export const WEB_FILES = ["index.html", "verify.js", "verify.css", "favicon.svg"] as const;

export interface BuiltFile {
  name: (typeof WEB_FILES)[number];
  bytes: number;
  gzipBytes: number;
}

/**
 * The page's HTML must work under the service's CSP (script-src 'self'; style-src 'self'; no
 * external origin): no inline script or style, assets by absolute path under /verify/.
 */
function checkHtml(html: string): void {
  const problems: string[] = [];
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) problems.push("an inline <script>");
  if (/<style[\s>]/i.test(html)) problems.push("a <style> block");
  if (/\sstyle\s*=/i.test(html)) problems.push("a style attribute");
  if (/\son[a-z]+\s*=/i.test(html)) problems.push("an inline event handler");
  if (/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i.test(html)) problems.push("a reference to another origin");
  for (const asset of ["/verify/verify.js", "/verify/verify.css"]) if (!html.includes(`"${asset}"`)) problems.push(`no reference to ${asset}`);
  if (problems.length > 0) throw new Error(`src/web/verify/index.html breaks the page's CSP contract: ${problems.join(", ")}`);
}

/** Builds the page into `outDir` (default dist/web/), removing any other file there. */
export async function buildWeb(outDir: string = WEB_OUT): Promise<{ files: BuiltFile[] }> {
  const common = { bundle: true, minify: true, write: false, sourcemap: false, logLevel: "silent", legalComments: "eof" } as const;
  const [js, css] = await Promise.all([
    build({ ...common, entryPoints: [join(WEB_SRC, "main.ts")], format: "esm", platform: "browser", target: "es2022" }),
    // Only data: URLs inside (the CSP's img-src allows them); anything else is an error.
    build({ ...common, entryPoints: [join(WEB_SRC, "verify.css")], target: ["chrome100", "firefox100", "safari15"] }),
  ]);
  const html = readFileSync(join(WEB_SRC, "index.html"), "utf8");
  checkHtml(html);
  const contents: Record<(typeof WEB_FILES)[number], Uint8Array> = {
    "index.html": new TextEncoder().encode(html),
    "verify.js": js.outputFiles[0]!.contents,
    "verify.css": css.outputFiles[0]!.contents,
    "favicon.svg": readFileSync(join(WEB_SRC, "favicon.svg")),
  };
  const cssText = new TextDecoder().decode(contents["verify.css"]);
  if (/url\((?!["']?data:)/i.test(cssText) || /@import/i.test(cssText)) throw new Error("verify.css must not load anything but data: URLs");

  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(outDir)) {
    if (!(WEB_FILES as readonly string[]).includes(entry)) rmSync(join(outDir, entry), { recursive: true, force: true });
  }
  const files: BuiltFile[] = WEB_FILES.map((name) => {
    writeFileSync(join(outDir, name), contents[name]);
    return { name, bytes: contents[name].byteLength, gzipBytes: gzipSync(contents[name], { level: 9 }).byteLength };
  });
  return { files };
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

// Executed directly (`tsx scripts/build-web.ts [outDir]`): build and report.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? WEB_OUT);
  const started = performance.now();
  const { files } = await buildWeb(outDir);
  const where = relative(process.cwd(), outDir) || ".";
  const width = Math.max(...files.map((f) => f.name.length));
  console.log(`built the verification page into ${where}/ in ${Math.round(performance.now() - started)} ms:`);
  for (const f of files) {
    console.log(`  ${f.name.padEnd(width)}  ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzipBytes).padStart(9)}`);
  }
  const total = files.reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzipBytes }), { bytes: 0, gzip: 0 });
  console.log(`  ${"total".padEnd(width)}  ${kb(total.bytes).padStart(10)}  gzip ${kb(total.gzip).padStart(9)}`);
}
