// docs/verifying.md's "by hand" procedure, as the runnable scripts/verify-by-hand.sh (jq, xxd,
// openssl, curl; no code of ours), against the conformance vectors: offline over the committed
// base, and over a proof anchored just now on a real Hardhat chain. It stops at the first
// failing step, which must be the first check the vector expects to fail.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { apiHarnessOnChain, type ApiHarness } from "../helpers/api.ts";
import { anchoredVectorProof, baseBundle, materialize, type ProofVector, writeVectors } from "../helpers/vectors.ts";

const SCRIPT = fileURLToPath(new URL("../../scripts/verify-by-hand.sh", import.meta.url));
// The script checks what a person checks by hand; the strict field-by-field format rules are a
// parser's job, so vectors that only a strict parser rejects are not put to it.
const FORMAT_ONLY = new Set([
  "non-hex-salt", "uppercase-hex", "short-hex", "missing-salt", "missing-meta-submitter", "missing-tx-hash",
  "missing-leaf", "negative-index", "fractional-size", "meta-value-not-string", "malformed-json", "empty-file", "not-an-object",
]);

async function byHand(proof: string, document: string | null, rpc?: string): Promise<{ code: number; out: string }> {
  const args = [proof, document ?? "", ...(rpc ? [rpc] : [])];
  try {
    const { stdout } = await promisify(execFile)("bash", [SCRIPT, ...args]);
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

function expectSame(v: ProofVector, got: { code: number; out: string }) {
  const passes = v.expect.verdict === "valid" || v.expect.verdict === "consistent";
  expect(got.code, got.out).toBe(passes ? 0 : 1);
  if (v.expect.failing.length > 0) expect(got.out, v.description).toMatch(new RegExp(`^✗ ${v.expect.failing[0]}:`, "m"));
}

describe("verifying by hand (scripts/verify-by-hand.sh)", () => {
  const dir = mkdtempSync(join(tmpdir(), "by-hand-"));
  const offline = materialize(baseBundle(), "offline").filter((v) => !FORMAT_ONLY.has(v.name));
  const offlinePaths = writeVectors(offline, join(dir, "offline"));
  for (const v of offline) {
    it(`offline: ${v.name}`, async () => expectSame(v, await byHand(offlinePaths.get(v.name)!, v.document)));
  }

  describe("against a real chain", () => {
    let h: ApiHarness & { node: LocalNode };
    let vectors: ProofVector[];
    let paths: Map<string, string>;
    beforeAll(async () => {
      h = await apiHarnessOnChain();
      vectors = materialize(await anchoredVectorProof(h), "chain").filter((v) => !FORMAT_ONLY.has(v.name));
      paths = writeVectors(vectors, join(dir, "chain"));
    });
    afterAll(() => h?.close());

    for (const name of offline.map((v) => v.name)) {
      it(`chain: ${name}`, async () => {
        const v = vectors.find((x) => x.name === name)!;
        expectSame(v, await byHand(paths.get(name)!, v.document, h.node.url));
      });
    }
  });
});
