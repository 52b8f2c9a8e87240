// The production build as a new user meets it (issue 13): `npm run build`'s JavaScript served
// by `npm start` and by `node dist/server/main.js` with no TypeScript loader, stopped by one
// SIGTERM with nothing left behind; and the evidence-anchor-verify package packed, installed
// into an empty folder from the tarball, and its CLI, its library and the single bundled file
// verifying a proof that the built service anchored on its own Hardhat node.
import { execFile, type ExecFileException } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE, buildVerifier, VERIFIER_DIR } from "../../packages/verifier/build.ts";
import { buildServer } from "../../scripts/build.ts";
import { freePort, rpc } from "../helpers/chain.ts";
import { readAdminKey, spawnService, apiClient, createTenant, tempDir, waitFor, type ServiceProcess } from "../helpers/service.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** What the verifier's dependency tree must never hold: the service's heavy or server-only parts. */
const FORBIDDEN = ["hardhat", "solc", "pdfkit", "drizzle-orm", "postgres", "@electric-sql/pglite", "ethers", "tsx", "typescript"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 << 20 }, (err: ExecFileException | null, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : -1, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every process whose parent chain leads to `pid` (from /proc: Linux, as CI). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone between readdir and read
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** After a failure: nothing of the service may outlive the test, whatever state it is in. */
function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/v1/health`).then(
    () => true,
    () => false,
  );
}

const work = tempDir("evidence-build-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let tarball = "";
const installed = join(work, "installed");

beforeAll(async () => {
  // The service's build and the verifier's build, pack and install, side by side.
  await Promise.all([
    Promise.resolve().then(buildServer),
    (async () => {
      await buildVerifier();
      const packed = JSON.parse(await ok("npm", ["pack", "--json", "--pack-destination", work], VERIFIER_DIR)) as { filename: string }[];
      tarball = join(work, packed[0]!.filename);
      rmSync(installed, { recursive: true, force: true });
      await ok("mkdir", ["-p", installed], work);
      writeFileSync(join(installed, "package.json"), `${JSON.stringify({ name: "witness", private: true, type: "module" })}\n`);
      await ok("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], installed);
    })(),
  ]);
}, 300_000);

/**
 * The built service, started by `command` on an empty data directory with its own local
 * Hardhat node (no CHAIN_RPC_URL): the default a new user gets.
 */
async function startBuilt(command: [string, ...string[]]): Promise<{ service: ServiceProcess; dataDir: string; chainUrl: string }> {
  const dataDir = tempDir("evidence-built-data-");
  const chainPort = await freePort();
  const service = await spawnService({ DATA_DIR: dataDir, LOCAL_CHAIN_PORT: String(chainPort), BATCH_INTERVAL_MS: "200" }, command);
  return { service, dataDir, chainUrl: `http://127.0.0.1:${chainPort}` };
}

/**
 * Sends `signal` to `pid` and checks that every process the service consists of (the pid, the
 * node it may run under, the Hardhat node) is gone and that its port no longer answers.
 */
async function stopsCleanly(s: ServiceProcess, pid: number, signal: NodeJS.Signals): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  expect(tree.some((p) => cmdline(p).includes("hardhat"))).toBe(true);
  process.kill(pid, signal);
  await s.exited;
  // The direct child has exited and its pipes are closed; its own children are waited for by it.
  await waitFor("every process of the service to exit", async () => tree.every((p) => !alive(p)), 15_000);
  expect(await answers(s.url)).toBe(false);
}

describe("npm run build", () => {
  it("npm start serves the API from plain JavaScript, its proof verifies with the installed package, and SIGTERM to npm stops all of it", async () => {
    const { service, dataDir, chainUrl } = await startBuilt(["npm", "start"]);
    try {
      const npmPid = service.proc.pid!;
      const nodes = descendants(npmPid).map((p) => ({ pid: p, cmd: cmdline(p) }));
      const server = nodes.find((p) => p.cmd.endsWith("dist/server/main.js"));
      expect(server, JSON.stringify(nodes)).toBeDefined();
      // No TypeScript loader anywhere in the service's processes, and no shell between npm and node.
      expect(nodes.filter((p) => /tsx|\.ts\b/.test(p.cmd))).toEqual([]);
      expect(nodes.filter((p) => /^(\/bin\/)?sh /.test(p.cmd))).toEqual([]);

      const tenant = await createTenant(service.url, readAdminKey(dataDir), "acme");
      const api = apiClient(service.url, tenant.key);
      const digest = `0x${"ab".repeat(32)}`;
      const submitted = await api<{ id: string }>("POST", "/v1/evidence", { digest, eventType: "signed" });
      expect(submitted.status).toBe(202);
      const proof = await waitFor("an anchored proof", async () => {
        const r = await api<{ anchor: unknown }>("GET", `/v1/evidence/${submitted.body.id}/proof`);
        return r.status === 200 && r.body.anchor !== null ? r.body : undefined;
      });
      const proofFile = join(work, "proof.json");
      writeFileSync(proofFile, JSON.stringify(proof));
      expect(await rpc<string>(chainUrl, "eth_chainId")).toBe("0x7a69");

      // The installed package's CLI, on the live chain, offline and without a chain (exit 4).
      const live = await run("npx", ["--no-install", "evidence", "verify", proofFile, "--rpc", chainUrl], installed);
      expect(live.code, live.stderr).toBe(0);
      expect(live.stdout).toMatch(/^VALID: /m);
      expect((await run("npx", ["--no-install", "evidence", "verify", proofFile, "--offline"], installed)).code).toBe(0);
      expect((await run("npx", ["--no-install", "evidence", "verify", proofFile], installed)).code).toBe(4);

      // The library, imported by plain Node through the package's exports.
      const lib = await ok(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { verifyBundle, verdictOf, jsonRpcReader } from "evidence-anchor-verify";
           const proof = (await import("node:fs")).readFileSync(${JSON.stringify(proofFile)}, "utf8");
           const r = await verifyBundle(proof, { chain: jsonRpcReader(${JSON.stringify(chainUrl)}) });
           console.log(verdictOf(r).kind, r.checks.filter((c) => !c.ok).map((c) => c.name).join(","));`,
        ],
        installed,
      );
      expect(lib.trim()).toBe("valid");

      // The single bundled file, alone in a folder with no node_modules above it.
      const alone = tempDir("evidence-witness-");
      try {
        copyFileSync(BUNDLE, join(alone, "evidence-verify.mjs"));
        const single = await run(process.execPath, ["evidence-verify.mjs", "verify", proofFile, "--rpc", chainUrl], alone);
        expect(single.code, single.stderr).toBe(0);
        expect(single.stdout).toMatch(/^VALID: /m);
        expect((await run(process.execPath, ["evidence-verify.mjs", "verify", proofFile], alone)).code).toBe(4);
      } finally {
        rmSync(alone, { recursive: true, force: true });
      }

      await stopsCleanly(service, npmPid, "SIGTERM");
    } finally {
      killTree(service.proc.pid!);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it("node dist/server/main.js stops on SIGTERM, and on SIGINT, with its Hardhat node", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const { service, dataDir } = await startBuilt([process.execPath, "dist/server/main.js"]);
      try {
        expect(await answers(service.url)).toBe(true);
        await stopsCleanly(service, service.proc.pid!, signal);
        expect(await service.exited).toBe(0);
      } finally {
        killTree(service.proc.pid!);
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }, 180_000);

  it("the project's ./verify export is the built JavaScript, which plain Node imports", async () => {
    const out = await ok(
      process.execPath,
      ["--input-type=module", "-e", `const v = await import("evidence-anchor/verify"); console.log(import.meta.resolve("evidence-anchor/verify"), typeof v.verifyBundle);`],
      ROOT,
    );
    expect(out.trim()).toMatch(/\/dist\/server\/verify\/index\.js function$/);
  });
});

describe("the evidence-anchor-verify package", () => {
  it("declares and installs none of the service's server-side dependencies", async () => {
    const manifest = JSON.parse(await ok("tar", ["-xOzf", tarball, "package/package.json"], work)) as {
      name: string;
      dependencies: Record<string, string>;
      bin: Record<string, string>;
      exports: Record<string, unknown>;
    };
    expect(manifest.name).toBe("evidence-anchor-verify");
    expect(Object.keys(manifest.bin)).toEqual(["evidence"]);
    expect(Object.keys(manifest.dependencies).filter((d) => FORBIDDEN.includes(d))).toEqual([]);
    // The whole installed tree, as npm itself lists it.
    const tree = JSON.parse((await run("npm", ["ls", "--all", "--json"], installed)).stdout) as { dependencies?: Record<string, unknown> };
    const names = new Set<string>();
    const walk = (deps: Record<string, unknown> | undefined) => {
      for (const [name, node] of Object.entries(deps ?? {})) {
        names.add(name);
        walk((node as { dependencies?: Record<string, unknown> }).dependencies);
      }
    };
    walk(tree.dependencies);
    expect(names.has("evidence-anchor-verify")).toBe(true);
    expect([...names].filter((n) => FORBIDDEN.includes(n))).toEqual([]);
    expect(readdirSync(join(installed, "node_modules")).filter((n) => FORBIDDEN.includes(n))).toEqual([]);
  });

  it("ships type declarations that a TypeScript program type-checks against", async () => {
    writeFileSync(
      join(installed, "check.ts"),
      `import { verifyBundle, type VerificationResult } from "evidence-anchor-verify";
       const r: Promise<VerificationResult> = verifyBundle("{}");
       // @ts-expect-error: minConfirmations is a number
       void verifyBundle("{}", { minConfirmations: "1" });
       void r;
       // The typed client ships with it, types and all.
       import { createEvidenceClient } from "evidence-anchor-verify/client";
       const client = createEvidenceClient({ baseUrl: "http://127.0.0.1:1", apiKey: "evk_x" });
       // @ts-expect-error: an evidence id is a string
       void client.proof(42);
       void client;\n`,
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const r = await run(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--target", "es2022", "--types", "node", "--typeRoots", join(ROOT, "node_modules/@types"), "check.ts"], installed);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
