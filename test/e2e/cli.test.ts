// End to end: the `evidence` binary (bin/evidence.mjs) as a child process, the way a platform
// and a court would run it, against the real service process and its own Hardhat node (on
// PostgreSQL when DATABASE_URL is set, PGlite otherwise): submit a document, wait for its
// proof, verify it against the chain with the document; then the wrong document and a
// tampered proof rejected, naming the check; configuration errors explained.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { createTenant, readAdminKey, spawnService, tempDir, type ServiceProcess } from "../helpers/service.ts";
import { CONTRACT_PATH, fileDigest, OTHER_PATH } from "../helpers/vectors.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = "bin/evidence.mjs";
const CONTRACT = "test/vectors/proofs/contract.txt";
const OTHER = "test/vectors/proofs/other.txt";

let service: ServiceProcess;
let database: TestDatabase | undefined;
let rpcUrl: string;
let key: string;
const dir = tempDir("evidence-cli-e2e-");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command args` in the repository root with only `env` (and PATH, HOME): nothing of the
 * test's own environment (EVIDENCE_*, DATABASE_URL) leaks in. `stdin` is written and closed.
 */
function run(command: string, args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

const evidence = (args: string[], env: Record<string, string> = {}, stdin?: string) => run(process.execPath, [BIN, ...args], env, stdin);
const asTenant = () => ({ EVIDENCE_URL: service.url, EVIDENCE_KEY: key });

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
  // A known port for the service's own chain, so the test can name it to `verify --rpc`.
  const chainPort = await freePort();
  rpcUrl = `http://127.0.0.1:${chainPort}`;
  service = await spawnService({
    DATA_DIR: dir,
    DATABASE_URL: database?.url,
    LOCAL_CHAIN_PORT: String(chainPort),
    BATCH_INTERVAL_MS: "200",
  });
  key = (await createTenant(service.url, readAdminKey(dir), "tenant-cli")).key;
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await database?.close();
});

describe(`the evidence binary against the running service (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  const proofPath = join(dir, "proof.json");
  let id: string;

  it("submit hashes the file locally and sends only its digest; wait writes the anchored proof", async () => {
    const submitted = await evidence(["submit", CONTRACT, "--case", "c1", "--event", "signed", "--json"], asTenant());
    expect(submitted.code, submitted.stderr).toBe(0);
    const receipt = JSON.parse(submitted.stdout) as { id: string; status: string; digest: string; hashAlg: string };
    expect(receipt).toMatchObject({ status: "pending", digest: fileDigest(CONTRACT_PATH), hashAlg: "sha256" });
    id = receipt.id;

    const waited = await evidence(["wait", id, "--timeout", "60", "--interval", "100", "-o", proofPath], asTenant());
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(new RegExp(`^wrote the proof of ${id} to ${proofPath}: anchored at \\S+Z \\(UTC`));
    const proof = JSON.parse(readFileSync(proofPath, "utf8")) as { evidence: { id: string; digest: string; meta: Record<string, string> }; anchor: { chainId: number } | null };
    expect(proof.evidence).toMatchObject({ id, digest: fileDigest(CONTRACT_PATH), meta: { caseId: "c1", eventType: "signed", submitter: "tenant-cli" } });
    expect(proof.anchor?.chainId).toBe(31337);
  });

  it("verify with the document against the service's chain: every check ✓, VALID, exit 0", async () => {
    const verified = await evidence(["verify", proofPath, "--file", CONTRACT, "--rpc", rpcUrl]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stderr).toBe("");
    expect(verified.stdout).not.toMatch(/^ {2}[✗–] /m);
    expect(verified.stdout).toMatch(/^ {2}✓ document /m);
    expect(verified.stdout).toMatch(/^ {2}✓ confirmations /m);
    expect(verified.stdout.trimEnd().split("\n").at(-1)).toMatch(/^VALID: digest 0x[0-9a-f]{8}… existed no later than \S+Z \(block \d+ of chain 31337\)/);
    // Not a terminal: no colour codes in a pipe.
    expect(verified.stdout).not.toContain("\x1b[");
  });

  it("the same proof read from stdin, offline: consistent, exit 4 (the anchor NOT checked), 0 only with --offline", async () => {
    const offline = await evidence(["verify", "-", "--file", CONTRACT, "--json"], {}, readFileSync(proofPath, "utf8"));
    expect(offline.code, offline.stderr).toBe(4);
    expect(JSON.parse(offline.stdout)).toMatchObject({ verdict: "consistent", passed: true, valid: false });
    const asked = await evidence(["verify", "-", "--file", CONTRACT, "--json", "--offline"], {}, readFileSync(proofPath, "utf8"));
    expect(asked.code, asked.stderr).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ verdict: "consistent", passed: true, valid: false });
  });

  it("verify against the wrong document: exit 1, the document check named", async () => {
    const wrong = await evidence(["verify", proofPath, "--file", OTHER, "--rpc", rpcUrl]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^ {2}✗ document /m);
    expect(wrong.stdout.trimEnd().split("\n").at(-1)).toMatch(/^NOT VALID: the document check failed: /);
    expect(fileDigest(OTHER_PATH)).not.toBe(fileDigest(CONTRACT_PATH));
  });

  it("verify a copy with the block hash changed: exit 1, the block check named", async () => {
    const proof = JSON.parse(readFileSync(proofPath, "utf8")) as { anchor: { blockHash: string } };
    const h = proof.anchor.blockHash;
    proof.anchor.blockHash = h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");
    const tampered = join(dir, "tampered.json");
    writeFileSync(tampered, JSON.stringify(proof, null, 2) + "\n");
    const result = await evidence(["verify", tampered, "--file", CONTRACT, "--rpc", rpcUrl]);
    expect(result.code).toBe(1);
    expect(result.stdout.match(/^ {2}✗ (\S+)/gm)).toEqual(["  ✗ block"]);
    expect(result.stdout.trimEnd().split("\n").at(-1)).toMatch(/^NOT VALID: the block check failed: /);
  });

  it("proof prints the proof to stdout (the status to stderr), byte for byte what wait wrote", async () => {
    const fetched = await evidence(["proof", id], asTenant());
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toBe(readFileSync(proofPath, "utf8"));
    expect(fetched.stderr).toMatch(/^proof of \S+: anchored at /);
  });

  it("without EVIDENCE_KEY: exit 2 and where to get one; with a wrong key: exit 1 and the 401 problem, key unprinted", async () => {
    const missing = await evidence(["submit", CONTRACT], { EVIDENCE_URL: service.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("EVIDENCE_KEY is not set: ask your administrator for an API key (evk_…)");

    const wrongKey = key.slice(0, -4) + (key.endsWith("aaaa") ? "bbbb" : "aaaa");
    const refused = await evidence(["submit", CONTRACT], { EVIDENCE_URL: service.url, EVIDENCE_KEY: wrongKey });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^evidence: the service answered 401: \S/);
    expect(refused.stderr).toContain("check EVIDENCE_KEY");
    expect(refused.stderr + refused.stdout).not.toContain(wrongKey.slice(17));
  });

  it("a service that is not there: exit 1, 'cannot reach the service'", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await evidence(["proof", id], { EVIDENCE_URL: url, EVIDENCE_KEY: key });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the service at ${url}: is it running?`);
  });

  it("`npx evidence` from the repository resolves the package's own bin, offline", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; bin: Record<string, string> };
    expect(pkg.bin.evidence).toBe(BIN);
    // Offline: resolving it must not involve the registry.
    const npx = await run("npx", ["--no-install", "evidence", "--version"], { npm_config_offline: "true" });
    expect(npx, npx.stderr).toMatchObject({ code: 0, stdout: `evidence ${pkg.version}\n` });
    const exec = await run("npm", ["exec", "--", "evidence", "hash", CONTRACT], { npm_config_offline: "true" });
    expect(exec.stdout).toBe(`${fileDigest(CONTRACT_PATH)}  sha256  ${CONTRACT}\n`);
  });
});
