// Runs the independent Python verifier (test/independent/verify_bundle.py, stdlib only) on bundles built by the core, and checks it agrees with verifyBundle.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { buildBundle, type ProofBundleV1, serializeBundle } from "../../src/core/bundle.ts";
import { keccak256, sha256 } from "../../src/core/hash.ts";
import { type EvidenceMeta, leafHash, MAX_META_KEY_LENGTH, MAX_META_VALUE_LENGTH } from "../../src/core/leaf.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { ANCHOR_OF_SELECTOR, jsonRpcReader, offlineOk, verifyBundle } from "../../src/verify/index.ts";
import { anchoredFixture, flipHex, jsonCopy, startFakeRpc } from "../verify/fixture.ts";

const SCRIPT = join(import.meta.dirname, "verify_bundle.py");
// python3 is a prerequisite (README): without it this file fails, never silently skips.
if (spawnSync("python3", ["--version"]).status !== 0) throw new Error("python3 is needed to run the independent verifier (apt-get install python3)");
const dir = mkdtempSync(join(tmpdir(), "independent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
// Asynchronous on purpose: with --rpc the Python process calls a server in this very process.
function runPython(bundle: unknown, ...args: string[]): Promise<{ status: number | null; stdout: string }> {
  const file = join(dir, `b${n++}.json`);
  writeFileSync(file, typeof bundle === "string" ? bundle : JSON.stringify(bundle));
  return new Promise((resolve, reject) => {
    // -I -S: no user site or environment, faster start-up; the script needs the stdlib only.
    execFile("python3", ["-I", "-S", SCRIPT, file, ...args], { encoding: "utf8" }, (error, stdout, stderr) => {
      if (stderr) reject(new Error(stderr));
      else resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout });
    });
  });
}

// Runs main() of the script once per bundle inside ONE Python process: starting Python costs
// up to a second on a busy machine, and main() is exactly what the command line runs.
const DRIVER = `
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import verify_bundle
results = []
for path in json.loads(sys.argv[2]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = verify_bundle.main(["verify_bundle.py", path] + json.loads(sys.argv[3]))
    results.append({"status": status, "stdout": out.getvalue()})
print(json.dumps(results))
`;
function runPythonMany(bundles: unknown[], ...args: string[]): Promise<{ status: number | null; stdout: string }[]> {
  const files = bundles.map((bundle) => {
    const file = join(dir, `b${n++}.json`);
    writeFileSync(file, typeof bundle === "string" ? bundle : JSON.stringify(bundle));
    return file;
  });
  return new Promise((resolve, reject) => {
    execFile(
      "python3",
      ["-I", "-S", "-c", DRIVER, import.meta.dirname, JSON.stringify(files), JSON.stringify(args)],
      { encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => (error || stderr ? reject(error ?? new Error(stderr)) : resolve(JSON.parse(stdout))),
    );
  });
}

/** Bundles of a batch whose metas exercise JCS: escapes, control characters, non-ASCII keys, astral characters. */
function unicodeBundles(metas: EvidenceMeta[]): ProofBundleV1[] {
  const items = metas.map((meta, i) => ({
    id: `u-${i}`,
    salt: sha256(Uint8Array.of(9, i)),
    digest: sha256(Uint8Array.of(8, i)),
    meta,
    receivedAt: "2026-11-27T10:00:00Z",
  }));
  const leaves = items.map((e) => leafHash(e));
  const tree = buildTree(leaves);
  return items.map((e, i) =>
    buildBundle({ evidence: e, leaf: { index: i, hash: leaves[i]! }, batch: { seq: 1, size: items.length, root: tree.root, path: tree.path(i) }, anchor: null }),
  );
}

const { bundles, facts } = anchoredFixture();
const base = bundles[2]!;
const tamper = (f: (b: any) => void): unknown => {
  const b = jsonCopy(base);
  f(b);
  return b;
};

const offlineCases: [string, unknown][] = [
  ...bundles.map((b, i): [string, unknown] => [`valid leaf ${i}`, b]),
  ["unanchored", tamper((b) => (b.anchor = null))],
  ["pending", tamper((b) => (b.leaf = b.batch = b.anchor = null))],
  ["indexes written as 2.0", serializeBundle(base).replace('"index": 2', '"index": 2.0')],
  ["unknown fields", tamper((b) => ((b.x = 1), (b.batch.y = [1])))],
  ["salt changed", tamper((b) => (b.evidence.salt = flipHex(b.evidence.salt)))],
  ["digest changed", tamper((b) => (b.evidence.digest = flipHex(b.evidence.digest)))],
  ["meta field changed", tamper((b) => (b.evidence.meta.caseId = "case-43"))],
  ["meta field added", tamper((b) => (b.evidence.meta.extra = ""))],
  ["meta field removed", tamper((b) => delete b.evidence.meta.eventType)],
  ["leaf hash changed", tamper((b) => (b.leaf.hash = flipHex(b.leaf.hash)))],
  ["path element changed", tamper((b) => (b.batch.path[0] = flipHex(b.batch.path[0])))],
  ["path element appended", tamper((b) => b.batch.path.push(b.batch.root))],
  ["path truncated", tamper((b) => b.batch.path.pop())],
  ["leaf index changed", tamper((b) => (b.leaf.index = 3))],
  ["leaf index = size", tamper((b) => (b.leaf.index = 5))],
  ["root changed", tamper((b) => (b.batch.root = flipHex(b.batch.root)))],
  ["size of a promoted leaf changed", (() => { const b = jsonCopy(bundles[4]!); b.batch.size = 6; return b; })()],
  ["uppercase salt", tamper((b) => (b.evidence.salt = "0x" + b.evidence.salt.slice(2).toUpperCase()))],
  ["short root", tamper((b) => (b.batch.root = b.batch.root.slice(0, 64)))],
  ["missing receivedAt", tamper((b) => delete b.evidence.receivedAt)],
  ["missing leaf", tamper((b) => delete b.leaf)],
  ["wrong format", tamper((b) => (b.format = "evidence-proof/v2"))],
  ["unknown hashAlg", tamper((b) => (b.evidence.meta.hashAlg = "md5"))],
  ["numeric meta value", tamper((b) => (b.evidence.meta.caseId = 42))],
  ["string index", tamper((b) => (b.leaf.index = "2"))],
  ["leaf without batch", tamper((b) => (b.batch = b.anchor = null))],
  ["not JSON", "{"],
  ["NaN", serializeBundle(base).replace('"size": 5', '"size": NaN')],
  ...unicodeBundles([
    { hashAlg: "sha256", submitter: "notaire-é", caseId: 'dossier "7"\n\t\u0001\u007f\\', "€": "\u{1F600}" },
    { hashAlg: "sha3-256", submitter: "s", "\r": "cr", "1": "one", "\u0080": "ctl", "ö": "o", "\ufb33": "dalet", "\u{1F600}": "emoji" },
    { hashAlg: "sm3", submitter: "s", occurredAt: "2026-11-27T10:00:00.5+01:00", prev: "0x" + "ab".repeat(32), "\u2028": "\u2028\u2029" },
  ]).map((b, i): [string, unknown] => [`unicode meta ${i}`, b]),
];

// Each case starts a Python process; on a busy machine that takes a while.
const SLOW = { timeout: 300_000 };

describe("independent Python verifier", () => {
  it("hard-codes the anchorOf selector correctly", () => {
    const m = /^ANCHOR_OF_SELECTOR = "([0-9a-f]{8})"$/m.exec(readFileSync(SCRIPT, "utf8"));
    expect(m?.[1]).toBe(toHex(keccak256(new TextEncoder().encode("anchorOf(bytes32)")).subarray(0, 4)).slice(2));
    expect(ANCHOR_OF_SELECTOR).toBe("0x" + m![1]);
  });

  it("exits 2 on usage errors", SLOW, () => {
    expect(spawnSync("python3", [SCRIPT]).status).toBe(2);
    expect(spawnSync("python3", [SCRIPT, join(dir, "missing.json")]).status).toBe(2);
    expect(spawnSync("python3", [SCRIPT, "x.json", "--rpc"]).status).toBe(2);
  });

  it("agrees with verifyBundle offline (exit 0 exactly when offlineOk)", SLOW, async () => {
    const disagreements: string[] = [];
    const results = await runPythonMany(offlineCases.map(([, b]) => b));
    for (const [i, [name, bundle]] of offlineCases.entries()) {
      const ts = offlineOk(await verifyBundle(bundle));
      const py = results[i]!;
      if ((py.status === 0) !== ts || (py.status !== 0 && py.status !== 1)) {
        disagreements.push(`${name}: python exit ${py.status}, offlineOk ${ts}\n${py.stdout}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Sanity: the set is not trivially one-sided.
    const verdicts = await Promise.all(offlineCases.map(async ([, b]) => offlineOk(await verifyBundle(b))));
    expect(verdicts.filter(Boolean).length).toBeGreaterThanOrEqual(10);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThanOrEqual(20);
  });

  it("exits 1 as a process when a step fails", SLOW, async () => {
    const bad = tamper((b) => (b.evidence.salt = flipHex(b.evidence.salt)));
    const py = await runPython(bad);
    expect(py.status).toBe(1);
    expect(py.stdout).toContain("step 2 leaf: FAIL recomputed leaf hash");
  });

  it("prints one line per step", async () => {
    const out = (await runPython(base)).stdout.trim().split("\n");
    expect(out.map((l) => l.split(":")[0])).toEqual(["step 1 format", "step 2 leaf", "step 3 root", "step 4 chain", "step 5 contract"]);
    expect(out[1]).toContain(base.leaf!.hash.slice(2));
    expect(out[3]).toContain("SKIP");
  });

  it("computes the same metaDigest as the core for random metas", SLOW, async () => {
    const key = fc.string({ unit: "binary", minLength: 1, maxLength: MAX_META_KEY_LENGTH }).filter((k) => k !== "hashAlg" && k !== "submitter");
    const metas = fc.sample(
      fc.dictionary(key, fc.string({ unit: "binary", maxLength: 40 }), { maxKeys: 6 }).map((extra) => ({
        ...extra,
        hashAlg: "sha256" as const,
        submitter: "tenant-\u00e9",
      })),
      { numRuns: 12, seed: 42 },
    ).filter((m) => !("occurredAt" in m) && !("prev" in m) && Object.values(m).every((v) => v.length <= MAX_META_VALUE_LENGTH));
    const failures: string[] = [];
    const bundles = unicodeBundles(metas);
    for (const [i, py] of (await runPythonMany(bundles)).entries()) {
      if (py.status !== 0) failures.push(`${JSON.stringify(bundles[i]!.evidence.meta)}\n${py.stdout}`);
    }
    expect(bundles.length).toBeGreaterThanOrEqual(8);
    expect(failures).toEqual([]);
  });

  describe("online, against a fake JSON-RPC node", () => {
    let server: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      server = await startFakeRpc(facts);
    });
    afterAll(async () => server.close());

    const onlineCases: [string, unknown][] = [
      ["valid", base],
      ["valid last leaf", bundles[4]!],
      ["unanchored", tamper((b) => (b.anchor = null))],
      ["chain id", tamper((b) => (b.anchor.chainId = 1))],
      ["tx hash", tamper((b) => (b.anchor.txHash = flipHex(b.anchor.txHash)))],
      ["block hash", tamper((b) => (b.anchor.blockHash = flipHex(b.anchor.blockHash)))],
      ["block number", tamper((b) => (b.anchor.blockNumber = 13))],
      ["block timestamp", tamper((b) => (b.anchor.blockTimestamp += 1))],
      ["contract", tamper((b) => (b.anchor.contract = "0x" + "11".repeat(20)))],
      ["size (only the contract notices)", tamper((b) => (b.batch.size = 8))],
      ["root", tamper((b) => (b.batch.root = flipHex(b.batch.root)))],
      ["salt", tamper((b) => (b.evidence.salt = flipHex(b.evidence.salt)))],
    ];

    it("agrees with verifyBundle (exit 0 exactly when valid)", SLOW, async () => {
      const chain = jsonRpcReader(server.url);
      const disagreements: string[] = [];
      const results = await runPythonMany(onlineCases.map(([, b]) => b), "--rpc", server.url);
      for (const [i, [name, bundle]] of onlineCases.entries()) {
        const ts = (await verifyBundle(bundle, { chain })).valid;
        const py = results[i]!;
        if ((py.status === 0) !== ts) disagreements.push(`${name}: python exit ${py.status}, valid ${ts}\n${py.stdout}`);
      }
      expect(disagreements).toEqual([]);
      expect((await runPython(base, "--rpc", server.url)).stdout).toContain("step 6 confirmations: OK 9 confirmation(s)");
    });
  });
});
