// The `evidence` CLI (src/cli/evidence.ts) driven in-process through runEvidence: every proof
// conformance vector verified from its file, offline and against a real Hardhat chain, with
// the exit status, verdict and failing checks the vectors pin, and the human output agreeing
// with the JSON; hashing with known answers for all three algorithms; usage and I/O errors
// exiting 2; and submit/proof/wait against the real app (over its fetch seam, no socket),
// anchoring into the same chain.
import { createHash, getHashes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEvidence, version, type EvidenceIo } from "../../src/cli/evidence.ts";
import { DEFAULT_SERVICE_URL } from "../../src/cli/evidence/service.ts";
import { parseConfig } from "../../src/config.ts";
import { buildBundle } from "../../src/core/bundle.ts";
import { leafHash, type HashAlg } from "../../src/core/leaf.ts";
import { isoSeconds } from "../../src/verify/index.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, type ApiHarness } from "../helpers/api.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { freePort, startTestChain } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";
import {
  baseBundle,
  CONTRACT_PATH,
  fileDigest,
  materialize,
  OTHER_PATH,
  proofText,
  anchoredVectorProof,
  writeVectors,
  type ProofVector,
} from "../helpers/vectors.ts";

const dir = mkdtempSync(join(tmpdir(), "evidence-cli-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], io: Partial<EvidenceIo> = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runEvidence(argv, {
    env: {},
    cwd: dir,
    ...io,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

interface Check {
  name: string;
  ok: boolean;
  skipped?: true;
  unavailable?: true;
  detail: string;
}
interface VerifyJson {
  valid: boolean;
  verdict: string;
  passed: boolean;
  headline: string;
  checks: Check[];
  anchoredAt: string | null;
  confirmations: number | null;
  anchor: { blockNumber: number; blockTimestamp: number; txHash: string; chainId: number } | null;
  document?: { path: string; alg: string | null; digest: string | null };
}

const failing = (checks: Check[]) => checks.filter((c) => !c.ok && !c.skipped && !c.unavailable).map((c) => c.name);
/** The documented exit codes (docs/verifying.md): offline is 4 unless --offline was given. */
const exitFor = (verdict: string, offline = false) =>
  ({ valid: 0, consistent: offline ? 0 : 4, inconclusive: 3, pending: 1, invalid: 1 })[verdict] ?? -1;

/** The check lines of the human output: mark, name, detail. */
function humanChecks(out: string): { mark: string; name: string; detail: string }[] {
  return [...out.matchAll(/^ {2}([✓✗–?]) (\S+) +(.*)$/gm)].map((m) => ({ mark: m[1]!, name: m[2]!, detail: m[3]! }));
}
const markOf = (c: Check) => (c.ok ? "✓" : c.skipped ? "–" : c.unavailable ? "?" : "✗");

/**
 * Verifies one vector's file as JSON and as text: the JSON must match the vector's
 * expectations, and the text must show the same checks with the same marks and the headline.
 */
async function checkVector(v: ProofVector, path: string, extra: string[] = []): Promise<VerifyJson> {
  const args = ["verify", path, ...(v.document === null ? [] : ["--file", v.document]), ...extra];
  const run = await cli([...args, "--json"]);
  expect(run.stderr).toBe("");
  const json = JSON.parse(run.stdout) as VerifyJson;
  expect(json.verdict, JSON.stringify(json.checks)).toBe(v.expect.verdict);
  expect(failing(json.checks)).toEqual(v.expect.failing);
  expect(run.code).toBe(exitFor(v.expect.verdict, extra.includes("--offline")));
  expect(json.passed).toBe(v.expect.verdict === "valid" || v.expect.verdict === "consistent");
  if (v.detail !== undefined) expect(json.checks.find((c) => c.name === "format")?.detail).toBe(v.detail);
  if (v.document !== null && json.checks[0]!.ok) {
    expect(json.document).toEqual({ path: v.document, alg: "sha256", digest: v.documentDigest });
    expect(json.checks.map((c) => c.name)).toContain("document");
  }

  const human = await cli(args);
  expect(human.code).toBe(run.code);
  expect(humanChecks(human.stdout)).toEqual(json.checks.map((c) => ({ mark: markOf(c), name: c.name, detail: c.detail })));
  expect(human.stdout).toContain(json.headline);
  return json;
}

describe("evidence verify, offline, on every conformance vector", () => {
  const vectors = materialize(baseBundle(), "offline");
  const paths = writeVectors(vectors, join(dir, "offline"));

  it.each(vectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const json = await checkVector(v, paths.get(v.name)!);
    // Offline, nothing is asked of a chain: no anchor time or depth is vouched for.
    expect(json.anchoredAt).toBeNull();
    expect(json.confirmations).toBeNull();
    expect(json.valid).toBe(false);
  });

  it("--offline asks for it explicitly: the same verdicts, and a consistent proof exits 0", async () => {
    for (const name of ["valid", "tampered-digest", "not-anchored-yet"]) {
      const v = vectors.find((x) => x.name === name)!;
      await checkVector(v, paths.get(name)!, ["--offline"]);
    }
    // EVIDENCE_RPC_URL is ignored under --offline (this one would fail if it were asked).
    const run = await cli(["verify", paths.get("valid")!, "--offline"], { env: { EVIDENCE_RPC_URL: "http://127.0.0.1:9/" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^chain +NOT checked \(--offline\)$/m);
    const both = await cli(["verify", paths.get("valid")!, "--offline", "--rpc", "http://127.0.0.1:9/"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--offline and --rpc contradict each other");
  });

  it("says plainly that the anchor was not checked, shows the anchor the proof claims, and exits 4, not 0", async () => {
    const run = await cli(["verify", paths.get("valid")!, "--file", CONTRACT_PATH]);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain("The anchor was NOT checked on the chain");
    expect(run.stdout).toMatch(/^chain +NOT checked \(offline/m);
    const anchor = (baseBundle() as { anchor: { blockTimestamp: number; txHash: string; blockHash: string } }).anchor;
    expect(run.stdout).toContain(`${isoSeconds(anchor.blockTimestamp)} (UTC) as the proof claims: NOT checked on the chain`);
    expect(run.stdout).toContain(anchor.txHash);
    expect(run.stdout).toContain(anchor.blockHash);
    expect(run.stdout).toMatch(/^chain id +31337$/m);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toMatch(/^CONSISTENT, ANCHOR NOT CHECKED: /);
    expect(humanChecks(run.stdout).filter((c) => c.mark === "✓").map((c) => c.name)).toEqual(["format", "document", "leaf", "root"]);
  });

  it("a tampered proof: the failed check marked ✗ and named in the verdict", async () => {
    const run = await cli(["verify", paths.get("tampered-digest")!, "--file", CONTRACT_PATH]);
    expect(run.code).toBe(1);
    expect(humanChecks(run.stdout).filter((c) => c.mark === "✗").map((c) => c.name)).toEqual(["document", "leaf"]);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toMatch(/^NOT VALID: the document check failed: /);
  });

  it("a proof that is not anchored yet exits 1 and says to wait for the proof", async () => {
    const run = await cli(["verify", paths.get("not-anchored-yet")!]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("NOT YET ANCHORED");
    expect(run.stdout).toContain(`evidence wait ${(baseBundle() as { evidence: { id: string } }).evidence.id}`);
  });

  it("a proof from stdin (-)", async () => {
    const valid = vectors.find((v) => v.name === "valid")!;
    const stdin = [Buffer.from(valid.text.slice(0, 100)), Buffer.from(valid.text.slice(100))];
    const run = await cli(["verify", "-", "--file", CONTRACT_PATH, "--json"], { stdin });
    expect(run.code).toBe(4);
    expect((JSON.parse(run.stdout) as VerifyJson).verdict).toBe("consistent");
    const broken = await cli(["verify", "-", "--json"], { stdin: [Buffer.from(valid.text.slice(0, 100))] });
    expect(broken.code).toBe(1);
    expect(failing((JSON.parse(broken.stdout) as VerifyJson).checks)).toEqual(["format"]);
  });

  it("a malformed proof with --file: still verified, the format check fails, the document is not hashed", async () => {
    const run = await cli(["verify", paths.get("malformed-json")!, "--file", CONTRACT_PATH, "--json"]);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as VerifyJson;
    expect(failing(json.checks)).toEqual(["format"]);
    expect(json.document).toEqual({ path: CONTRACT_PATH, alg: null, digest: null });
  });

  it("--json prints exactly the documented fields", async () => {
    const run = await cli(["verify", paths.get("valid-without-document")!, "--json"]);
    expect(Object.keys(JSON.parse(run.stdout))).toEqual(["valid", "verdict", "passed", "headline", "checks", "anchoredAt", "confirmations", "anchor"]);
    const withDoc = await cli(["verify", paths.get("valid")!, "--file", CONTRACT_PATH, "--json"]);
    expect(Object.keys(JSON.parse(withDoc.stdout))).toContain("document");
  });

  it("colours only a terminal, and never with NO_COLOR", async () => {
    const path = paths.get("valid")!;
    expect((await cli(["verify", path], { isTTY: true })).stdout).toContain("\x1b[32m✓\x1b[0m");
    expect((await cli(["verify", path], { isTTY: true, env: { NO_COLOR: "1" } })).stdout).not.toContain("\x1b[");
    expect((await cli(["verify", path])).stdout).not.toContain("\x1b[");
  });
});

describe("evidence verify --file hashes the document with the proof's hashAlg", () => {
  // A complete bundle of a batch of one, built by the core; its anchor is the base bundle's
  // (never checked here: offline).
  function bundleFor(alg: HashAlg, document: string): string {
    const salt = new Uint8Array(32).fill(7);
    const digest = new Uint8Array(createHash(alg).update(readFileSync(document)).digest());
    const meta = { hashAlg: alg, submitter: "tenant-cli", caseId: "c-sm3" };
    const leaf = leafHash({ salt, digest, meta });
    const { anchor } = baseBundle() as { anchor: Parameters<typeof buildBundle>[0]["anchor"] };
    const bundle = buildBundle({
      evidence: { id: `doc-${alg}`, digest, salt, meta, receivedAt: "2026-11-27T09:31:00Z" },
      leaf: { index: 0, hash: leaf },
      batch: { seq: 0, size: 1, root: leaf, path: [] },
      anchor,
    });
    const path = join(dir, `bundle-${alg}.json`);
    writeFileSync(path, proofText(bundle));
    return path;
  }

  it.each(["sha256", "sha3-256", "sm3"] as const)("%s", async (alg) => {
    expect(getHashes()).toContain(alg);
    const path = bundleFor(alg, CONTRACT_PATH);
    const run = await cli(["verify", path, "--file", CONTRACT_PATH, "--offline", "--json"]);
    const json = JSON.parse(run.stdout) as VerifyJson;
    expect(run.code, run.stdout).toBe(0);
    expect(json.checks.find((c) => c.name === "document")).toMatchObject({ ok: true });
    const hashed = JSON.parse((await cli(["hash", CONTRACT_PATH, "--alg", alg, "--json"])).stdout) as { digest: string };
    expect(json.document).toEqual({ path: CONTRACT_PATH, alg, digest: hashed.digest });
    // The sha256 digest of the same file is not it (unless the algorithm is sha256).
    expect(hashed.digest === fileDigest(CONTRACT_PATH)).toBe(alg === "sha256");

    const other = await cli(["verify", path, "--file", OTHER_PATH, "--json"]);
    expect(other.code).toBe(1);
    expect(failing((JSON.parse(other.stdout) as VerifyJson).checks)).toEqual(["document"]);
  });
});

describe("evidence hash", () => {
  const abc = join(dir, "abc.txt");
  const empty = join(dir, "empty.txt");
  writeFileSync(abc, "abc");
  writeFileSync(empty, "");

  it("sha256 (the default) of a file is the digest the vectors use", async () => {
    const run = await cli(["hash", CONTRACT_PATH]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${fileDigest(CONTRACT_PATH)}  sha256  ${CONTRACT_PATH}\n`);
    const json = await cli(["hash", "abc.txt", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      digest: "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      alg: "sha256",
      file: "abc.txt",
    });
  });

  // Known answers: FIPS 202 (SHA3-256) and GB/T 32905-2016 appendix A (SM3), of "abc" and "".
  it.each([
    ["sha3-256", abc, "0x3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"],
    ["sha3-256", empty, "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"],
    ["sm3", abc, "0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"],
    ["sm3", empty, "0x1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"],
    ["sha256", empty, "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ])("%s of %s", async (alg, file, digest) => {
    const run = await cli(["hash", file, "--alg", alg, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ digest, alg });
  });

  it("hashes stdin (-), streamed in chunks", async () => {
    const run = await cli(["hash", "-", "--alg", "sm3"], { stdin: [Buffer.from("a"), Buffer.from("bc")] });
    expect(run.stdout).toBe("0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0  sm3  (stdin)\n");
  });
});

describe("usage and I/O errors exit 2 and say what is wrong", () => {
  const valid = join(dir, "valid-proof.json");
  writeFileSync(valid, proofText(baseBundle()));
  const aDir = join(dir, "a-directory");
  mkdirSync(aDir, { recursive: true });

  const cases: [string, string[], RegExp, Partial<EvidenceIo>?][] = [
    ["no command", [], /missing a command\nusage: evidence <command>/],
    ["an unknown command", ["verfy", valid], /unknown command "verfy"/],
    ["an unknown option", ["verify", valid, "--rcp", "http://x"], /Unknown option '--rcp'[\s\S]*usage: evidence verify/],
    ["no proof file", ["verify"], /missing the proof file/],
    ["two proof files", ["verify", valid, valid], /unexpected argument/],
    ["a missing proof file", ["verify", "nope.json"], /cannot read nope\.json: no such file/],
    ["a proof path that is a directory", ["verify", aDir], /it is a directory/],
    ["a missing document", ["verify", valid, "--file", "missing.pdf"], /cannot read missing\.pdf: no such file/],
    ["a document that is a directory", ["verify", valid, "--file", aDir], /it is a directory/],
    ["an option without its value", ["verify", valid, "--file"], /argument missing/],
    ["--min-confirmations abc", ["verify", valid, "--min-confirmations", "abc"], /--min-confirmations: "abc" is not a whole number/],
    ["--min-confirmations 1.5", ["verify", valid, "--min-confirmations", "1.5"], /--min-confirmations: "1\.5"/],
    ["--min-confirmations=-1", ["verify", valid, "--min-confirmations=-1"], /--min-confirmations: "-1"/],
    ["a non-http --rpc", ["verify", valid, "--rpc", "ftp://chain"], /--rpc: "ftp:\/\/chain" is not an http or https URL/],
    ["a bad EVIDENCE_RPC_URL", ["verify", valid], /EVIDENCE_RPC_URL: "not a url" is not a URL/, { env: { EVIDENCE_RPC_URL: "not a url" } }],
    ["proof and document both from stdin", ["verify", "-", "--file", "-"], /cannot both come from stdin/],
    ["hash --alg md5", ["hash", valid, "--alg", "md5"], /--alg: "md5" is not one of sha256, sha3-256, sm3/],
    ["hash of a missing file", ["hash", "nope.bin"], /cannot read nope\.bin: no such file/],
    ["submit --alg sha1", ["submit", valid, "--alg", "sha1"], /--alg: "sha1"/],
    ["submit --occurred-at yesterday", ["submit", valid, "--occurred-at", "yesterday"], /--occurred-at: "yesterday" is not an RFC 3339/],
    ["wait --timeout soon", ["wait", "some-id", "--timeout", "soon"], /--timeout: "soon"/],
    ["wait --interval 1", ["wait", "some-id", "--interval", "1"], /--interval: "1" is not a whole number of at least 10/],
    ["proof without an id", ["proof"], /missing the evidence id/],
  ];
  it.each(cases)("%s", async (_what, argv, message, io) => {
    const run = await cli(argv, io);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^evidence: /);
    expect(run.stderr).toMatch(message);
  });

  it("a file too large to be a proof is refused before it is read whole", async () => {
    const big = join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(4_000_001, 0x20));
    const run = await cli(["verify", big]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/too large to be a proof: is it the document\? Give the document with --file/);
  });

  it("help and version exit 0 on stdout", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of ["verify", "hash", "submit", "proof", "wait"]) expect(help.stdout).toContain(`\n  ${cmd} `);
    for (const cmd of ["verify", "hash", "submit", "proof", "wait"]) {
      const one = await cli([cmd, "--help"]);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(new RegExp(`^usage: evidence ${cmd} `));
      expect((await cli(["help", cmd])).stdout).toBe(one.stdout);
    }
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(version()).toBe(pkg.version);
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `evidence ${pkg.version}\n`, stderr: "" });
  });
});

describe("the service commands need their configuration, and never print the key", () => {
  it("EVIDENCE_URL defaults to the service's own default port on this machine", () => {
    expect(new URL(DEFAULT_SERVICE_URL).port).toBe(String(parseConfig({}).PORT));
  });

  const KEY = "evk_aaaaaaaaaaaa_secretsecretsecret";
  const file = join(dir, "doc.txt");
  writeFileSync(file, "a document");

  it.each([["submit", file], ["proof", "an-id"], ["wait", "an-id"]])("%s without EVIDENCE_KEY exits 2 saying where to get one", async (cmd, arg) => {
    const run = await cli([cmd, arg]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("evidence: EVIDENCE_KEY is not set: ask your administrator for an API key (evk_…) and export EVIDENCE_KEY=<the key>\n");
  });

  it("a bad EVIDENCE_URL exits 2; a key with a line break exits 2 without showing it", async () => {
    const bad = await cli(["proof", "x"], { env: { EVIDENCE_KEY: KEY, EVIDENCE_URL: "localhost:8787" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/EVIDENCE_URL: "localhost:8787" is not an http or https URL/);
    const broken = await cli(["proof", "x"], { env: { EVIDENCE_KEY: `${KEY}\nX-Other: 1` } });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/EVIDENCE_KEY contains spaces or characters that cannot be sent/);
    expect(broken.stderr).not.toContain("secret");
  });

  it("a service that is not running: exit 1, 'cannot reach the service at <url>: is it running?'", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const argv of [["submit", file], ["proof", "an-id"], ["wait", "an-id"]]) {
      const run = await cli(argv, { env: { EVIDENCE_KEY: KEY, EVIDENCE_URL: url } });
      expect(run.code, argv.join(" ")).toBe(1);
      expect(run.stderr).toContain(`cannot reach the service at ${url}: is it running? (ECONNREFUSED`);
      expect(run.stderr + run.stdout).not.toContain("secret");
    }
  });
});

describe(`evidence against a real chain and the real app (${describeDbKind()})`, () => {
  let h: ApiHarness & { node: LocalNode };
  let vectors: ProofVector[];
  let paths: Map<string, string>;
  /** The app as the CLI's fetch: the real app, no socket; the CLI's own headers only. */
  let appFetch: typeof fetch;
  const SERVICE = "http://evidence.test";

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    vectors = materialize(await anchoredVectorProof(h), "chain");
    paths = writeVectors(vectors, join(dir, "chain"));
    appFetch = ((input: string | URL | Request, init?: RequestInit) => h.rawApp.request(input as string, init)) as typeof fetch;
  });
  afterAll(async () => {
    await h?.close();
  });

  it("verifies every conformance vector against the chain", async () => {
    expect(vectors.length).toBeGreaterThan(30);
    for (const v of vectors) {
      const json = await checkVector(v, paths.get(v.name)!, ["--rpc", h.node.url]);
      if (v.expect.verdict === "valid") {
        expect(json.valid).toBe(true);
        expect(json.anchoredAt).toBe(isoSeconds(json.anchor!.blockTimestamp));
        expect(json.confirmations).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it("a valid proof, human: ✓ every check, the anchor time in UTC, block, tx, chain, confirmations, VALID", async () => {
    const run = await cli(["verify", paths.get("valid")!, "--file", CONTRACT_PATH, "--rpc", h.node.url]);
    expect(run.code).toBe(0);
    const checks = humanChecks(run.stdout);
    expect(checks.map((c) => c.name)).toEqual(["format", "document", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"]);
    expect(checks.every((c) => c.mark === "✓")).toBe(true);
    const anchor = (JSON.parse(vectors.find((v) => v.name === "valid")!.text) as { anchor: { blockTimestamp: number; blockNumber: number; txHash: string } }).anchor;
    expect(run.stdout).toContain(`${isoSeconds(anchor.blockTimestamp)} (UTC, the block's time on the chain)`);
    expect(run.stdout).toMatch(new RegExp(`^block +${anchor.blockNumber} 0x[0-9a-f]{64}$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^transaction +${anchor.txHash}$`, "m"));
    expect(run.stdout).toMatch(/^confirmations +\d+$/m);
    expect(run.stdout).toMatch(/^chain +checked via 127\.0\.0\.1:\d+$/m);
    expect(run.stdout).not.toContain("NOT checked");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toMatch(/^VALID: /);
  });

  it("takes the chain from EVIDENCE_RPC_URL; --min-confirmations beyond the chain's depth fails", async () => {
    const env = { EVIDENCE_RPC_URL: h.node.url };
    const ok = await cli(["verify", paths.get("valid-without-document")!, "--json"], { env });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as VerifyJson).verdict).toBe("valid");
    const deep = await cli(["verify", paths.get("valid-without-document")!, "--min-confirmations", "1000000", "--json"], { env });
    expect(deep.code).toBe(1);
    expect(failing((JSON.parse(deep.stdout) as VerifyJson).checks)).toEqual(["confirmations"]);
  });

  it("an RPC endpoint that is down (a closed port): COULD NOT VERIFY, exit 3; neither NOT VALID nor offline", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(["verify", paths.get("valid")!, "--rpc", down, "--json"]);
    expect(run.code).toBe(3);
    const json = JSON.parse(run.stdout) as VerifyJson;
    expect(json).toMatchObject({ verdict: "inconclusive", passed: false, valid: false });
    expect(failing(json.checks)).toEqual([]);
    expect(json.checks.find((c) => c.name === "chain")).toMatchObject({ ok: false, unavailable: true });
    expect(json.checks.find((c) => c.name === "chain")!.detail).toMatch(/^RPC error: eth_chainId: request failed/);

    const human = await cli(["verify", paths.get("valid")!, "--file", CONTRACT_PATH, "--rpc", down]);
    expect(human.code).toBe(3);
    expect(humanChecks(human.stdout).map((c) => `${c.mark}${c.name}`).slice(0, 5)).toEqual(["✓format", "✓document", "✓leaf", "✓root", "?chain"]);
    const last = human.stdout.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(/^COULD NOT VERIFY: the chain could not be asked \(RPC error: eth_chainId: request failed: /);
    expect(human.stdout).not.toContain("NOT VALID");
    expect(human.stdout).toContain("as the proof claims: the chain could not be asked");
  });

  it("a real Hardhat node, stopped: COULD NOT VERIFY (exit 3); the same proof against a live node is VALID (exit 0)", async () => {
    const node = await startTestChain();
    try {
      await node.stop();
      const downRun = await cli(["verify", paths.get("valid")!, "--rpc", node.url]);
      expect(downRun.code).toBe(3);
      expect(downRun.stdout.trimEnd().split("\n").at(-1)).toMatch(/^COULD NOT VERIFY: /);
    } finally {
      await node.stop().catch(() => {});
    }
    const up = await cli(["verify", paths.get("valid")!, "--rpc", h.node.url]);
    expect(up.code).toBe(0);
  });

  it("submit a file, proof before the anchor, wait across the anchor, verify the result", async () => {
    const env = { EVIDENCE_URL: SERVICE, EVIDENCE_KEY: h.keys.tenant };
    const io = { env, fetch: appFetch };
    const submitted = await cli(["submit", CONTRACT_PATH, "--case", "c1", "--event", "signed", "--occurred-at", "2026-11-27T09:30:00Z", "--json"], io);
    expect(submitted.code, submitted.stderr).toBe(0);
    const receipt = JSON.parse(submitted.stdout) as { id: string; status: string; digest: string; hashAlg: string; file: string };
    expect(receipt).toMatchObject({ status: "pending", digest: fileDigest(CONTRACT_PATH), hashAlg: "sha256", file: CONTRACT_PATH });

    const early = await cli(["proof", receipt.id, "-o", "early.json"], io);
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/NOT anchored yet: wait for it with: evidence wait .* -o early\.json/);
    expect((JSON.parse(readFileSync(join(dir, "early.json"), "utf8")) as { anchor: unknown }).anchor).toBeNull();
    const tooSoon = await cli(["wait", receipt.id, "--timeout", "0"], io);
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.stderr).toMatch(/was not anchored within 0 s; .* try again later with: evidence wait /);

    // wait polls; the batch is anchored once it has announced that it is waiting.
    let announced!: () => void;
    const waiting = new Promise<void>((r) => (announced = r));
    let waitErr = "";
    let waitOut = "";
    const waited = runEvidence(["wait", receipt.id, "--interval", "20", "-o", "proof.json"], {
      ...io,
      cwd: dir,
      stdout: (s) => (waitOut += s),
      stderr: (s) => {
        waitErr += s;
        if (waitErr.includes("waiting for")) announced();
      },
    });
    await waiting;
    await h.batcher.tick();
    expect(await waited, waitErr).toBe(0);
    expect(waitOut).toMatch(new RegExp(`^wrote the proof of ${receipt.id} to proof\\.json: anchored at \\S+Z \\(UTC`));

    const saved = readFileSync(join(dir, "proof.json"), "utf8");
    expect(saved.endsWith("}\n")).toBe(true);
    expect(JSON.parse(saved)).toMatchObject({ evidence: { id: receipt.id, meta: { caseId: "c1", eventType: "signed", submitter: "tenant-test" } } });
    const verified = await cli(["verify", "proof.json", "--file", CONTRACT_PATH, "--rpc", h.node.url]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toContain("VALID: ");

    // Without -o the proof itself is stdout (ready for a pipe), the status stderr.
    const piped = await cli(["proof", receipt.id], io);
    expect(piped.stdout).toBe(saved);
    expect(piped.stderr).toMatch(/^proof of .*: anchored at /);
    const json = await cli(["proof", receipt.id, "--json"], io);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: receipt.id, anchored: true, file: null, proof: JSON.parse(saved) });
  });

  it("warns in words when the platform's claimed time is after the anchor, and the verdict stays VALID (exit 0)", async () => {
    // Two real proofs from the app, anchored in one batch: one claims a time long past, the
    // other a time after any block this chain will have (the platform's statement, wrong).
    const claims = { past: "2020-01-01T08:00:00+08:00", future: "2099-01-01T00:00:00Z" };
    const ids: Record<string, string> = {};
    for (const [name, occurredAt] of Object.entries(claims)) {
      const res = await h.app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest(), caseId: "claimed-times", occurredAt }));
      expect(res.status, await res.clone().text()).toBe(202);
      ids[name] = ((await res.json()) as { id: string }).id;
    }
    await h.batcher.tick();
    const verify = async (name: string) => {
      const proof = await h.app.request(`/v1/evidence/${ids[name]}/proof`);
      expect(proof.status).toBe(200);
      writeFileSync(join(dir, `claimed-${name}.json`), await proof.text());
      return cli(["verify", `claimed-${name}.json`, "--rpc", h.node.url]);
    };
    const future = await verify("future");
    expect(future.code, future.stdout).toBe(0);
    const warning = future.stdout.split("\n").filter((l) => l.startsWith("warning: "));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /^warning: the platform claims it occurred at 2099-01-01T00:00:00Z, after it was anchored at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: a record cannot be anchored before the event it describes, so the claimed time is wrong \(the anchor time stands\)$/,
    );
    expect(future.stdout.trimEnd().split("\n").at(-1)).toMatch(/^VALID: /);
    const past = await verify("past");
    expect(past.code, past.stdout).toBe(0);
    expect(past.stdout).not.toContain("warning:");
  });

  it("submit a digest; the same Idempotency-Key twice stores it once", async () => {
    const io = { env: { EVIDENCE_URL: SERVICE, EVIDENCE_KEY: h.keys.tenant }, fetch: appFetch };
    const digest = "0x" + "ab".repeat(32);
    const before = await h.countEvidence();
    const argv = ["submit", digest, "--alg", "sm3", "--idempotency-key", "cli-test-1", "--json"];
    const first = JSON.parse((await cli(argv, io)).stdout) as { id: string; digest: string; hashAlg: string; file: null };
    const again = JSON.parse((await cli(argv, io)).stdout) as { id: string };
    expect(first).toMatchObject({ digest, hashAlg: "sm3", file: null });
    expect(again.id).toBe(first.id);
    expect(await h.countEvidence()).toBe(before + 1);
    const human = await cli(["submit", digest.toUpperCase().replace("0X", "0x")], io);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^submitted +digest 0x(ab){32} \(sha256\)\nid +\S+\nstatus +pending\n/);

    // Bare hex, as sha256sum prints it, is a digest too (no file has that name here).
    const bare = await cli(["submit", "CD".repeat(32), "--json"], io);
    expect(bare.code).toBe(0);
    expect(JSON.parse(bare.stdout)).toMatchObject({ digest: "0x" + "cd".repeat(32), file: null });
  });

  it("shows the service's problem: a wrong key (401, exit 1), a refused field (422), an unknown id (404)", async () => {
    const wrongKey = "evk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const unauthorized = await cli(["submit", CONTRACT_PATH], { env: { EVIDENCE_URL: SERVICE, EVIDENCE_KEY: wrongKey }, fetch: appFetch });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/^evidence: the service answered 401: \S/);
    expect(unauthorized.stderr).toContain("check EVIDENCE_KEY");
    expect(unauthorized.stderr).not.toContain("bbbbbbbb");

    const io = { env: { EVIDENCE_URL: SERVICE, EVIDENCE_KEY: h.keys.tenant }, fetch: appFetch };
    // Two bad fields: the problem's detail names the first, only its `errors` list both.
    const tooLong = await cli(["submit", CONTRACT_PATH, "--case", "c".repeat(257), "--event", "e".repeat(65)], io);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/^evidence: the service answered 422: The request did not pass validation\n {2}.*\(and 1 more\)\n/);
    expect(tooLong.stderr).toMatch(/\n {2}\/caseId: [^\n(]+\n/);
    expect(tooLong.stderr).toMatch(/\n {2}\/eventType: [^\n(]+\n/);

    const missing = await cli(["proof", "00000000-0000-4000-8000-000000000000"], io);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^evidence: the service answered 404/);
    expect(missing.stderr).toContain("no evidence 00000000-0000-4000-8000-000000000000 that this key may read");
  });
});

describe("what the CLI is built from", () => {
  it("imports only src/verify, src/core, src/client and node: builtins (and their own libraries), transitively", () => {
    const src = resolve(fileURLToPath(new URL("../../src/", import.meta.url)));
    const entry = join(src, "cli", "evidence.ts");
    // src/client: submit, proof and wait speak to the service through the typed client.
    const allowedDirs = [join(src, "cli", "evidence"), join(src, "verify"), join(src, "core"), join(src, "client")];
    // pkijs and asn1js: RFC 3161 time-stamp tokens in reports are checked with them
    // (src/verify/timestamp.ts), not with code of ours.
    const allowedPackages = ["@noble/hashes/sha2.js", "@noble/hashes/sha3.js", "@noble/hashes/hmac.js", "canonicalize", "pkijs", "asn1js", "openapi-fetch"];
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(entry);
    expect([...seen].filter((f) => f !== entry && !allowedDirs.some((d) => f.startsWith(d + "/")))).toEqual([]);
    expect([...bare].filter((s) => !s.startsWith("node:") && !allowedPackages.includes(s))).toEqual([]);
    // Every module of the CLI was reached, so the scan saw them all.
    const modules = readdirSync(join(src, "cli", "evidence")).map((f) => join(src, "cli", "evidence", f));
    expect(modules.filter((m) => !seen.has(m))).toEqual([]);
  });
});
