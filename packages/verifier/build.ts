// Builds the evidence-anchor-verify package from the project's sources: the library and CLI
// compiled by tsc into packages/verifier/dist/ (JavaScript and .d.ts, tsconfig.json here), and
// the CLI as one file with every dependency inlined, dist/evidence-verify.mjs, which runs with
// Node alone. `tsx packages/verifier/build.ts` builds and prints what it made; tests import
// buildVerifier().
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const VERIFIER_DIR = fileURLToPath(new URL("./", import.meta.url));
const ROOT = join(VERIFIER_DIR, "../..");
const OUT = join(VERIFIER_DIR, "dist");
/** The single-file CLI: `node evidence-verify.mjs verify proof.json --rpc <url>`. */
export const BUNDLE = join(OUT, "evidence-verify.mjs");

/**
 * What the package may contain, as folders of src/: the library, what it imports, and the CLI.
 * A source outside these that the entries come to import (the server, the database, a chain
 * library) fails the build instead of being shipped.
 */
const ALLOWED_SOURCES = [/^core\//, /^verify\//, /^cli\/evidence(-main)?\.js$/, /^cli\/evidence\//, /^client\//];

interface VerifierManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js") && statSync(join(dir, f)).isFile());
}

/** The package a bare specifier names: "pkijs", "@noble/hashes/sha2.js" -> "@noble/hashes". */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * Every import of the compiled files must be relative, a node: builtin or one of the
 * package's dependencies: what the CLI comes to need (openapi-fetch, say) is added to
 * packages/verifier/package.json, one line, or the build says which file needs it.
 */
function checkImports(manifest: VerifierManifest): void {
  const problems: string[] = [];
  const builtins = new Set(builtinModules);
  for (const file of jsFiles(OUT)) {
    if (!ALLOWED_SOURCES.some((re) => re.test(file))) problems.push(`${file}: src/${file.replace(/\.js$/, ".ts")} is not part of the verifier`);
    const text = readFileSync(join(OUT, file), "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith(".") || spec.startsWith("node:") || builtins.has(spec)) continue;
      if (!(packageOf(spec) in manifest.dependencies)) problems.push(`${file} imports "${spec}", which is not in packages/verifier/package.json dependencies`);
    }
  }
  if (problems.length > 0) throw new Error(`evidence-anchor-verify build:\n  ${problems.join("\n  ")}`);
}

export interface VerifierBuild {
  files: number;
  bundleBytes: number;
  version: string;
}

/** Compiles the package into packages/verifier/dist/ (replacing it) and bundles the CLI. */
export async function buildVerifier(): Promise<VerifierBuild> {
  const manifest = JSON.parse(readFileSync(join(VERIFIER_DIR, "package.json"), "utf8")) as VerifierManifest;
  rmSync(OUT, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(VERIFIER_DIR, "tsconfig.json")], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  checkImports(manifest);
  chmodSync(join(OUT, "cli/evidence-main.js"), 0o755);
  await build({
    entryPoints: [join(ROOT, "src/cli/evidence-main.ts")],
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: false,
    legalComments: "eof",
    logLevel: "silent",
    // No package.json travels with the one file: the version is written in (src/cli/evidence.ts).
    define: { "globalThis.EVIDENCE_CLI_VERSION": JSON.stringify(manifest.version) },
  });
  chmodSync(BUNDLE, 0o755);
  return { files: jsFiles(OUT).length, bundleBytes: statSync(BUNDLE).size, version: manifest.version };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const out = await buildVerifier();
  process.stdout.write(
    `${relative(ROOT, OUT)}: ${out.files} modules of evidence-anchor-verify ${out.version}; ${relative(ROOT, BUNDLE)}: ${(out.bundleBytes / 1024).toFixed(0)} KiB\n`,
  );
}
