// The proof conformance vectors (test/vectors/proofs/) against the library and the API:
// offline over the committed base bundle, and against a real Hardhat chain over a bundle the
// app has just anchored. The CLI (test/cli/evidence.test.ts) and the web page
// (test/e2e/verify-page.test.ts) are held to the same files and expectations.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { type Check, verdictOf, verifyBundle } from "../../src/verify/index.ts";
import { apiHarnessOnChain, type ApiHarness } from "../helpers/api.ts";
import {
  anchoredVectorProof,
  baseBundle,
  materialize,
  type ProofVector,
  VECTOR_ITEM,
  vectorSpecs,
  VECTORS_DIR,
} from "../helpers/vectors.ts";

const failing = (checks: Check[]) => checks.filter((c) => !c.ok && c.skipped !== true).map((c) => c.name);

function expectAgreement(v: ProofVector, got: { verdict: string; checks: Check[] }) {
  expect(got.verdict, v.description).toBe(v.expect.verdict);
  expect(failing(got.checks), v.description).toEqual(v.expect.failing);
  if (v.detail !== undefined) expect(got.checks.find((c) => c.name === "format")!.detail).toBe(v.detail);
  if (v.document !== null) expect(got.checks.map((c) => c.name)).toContain("document");
}

describe("the vector files", () => {
  it("cover what the format issue asks for: each tampering, malformed input, every check that can fail", () => {
    const specs = vectorSpecs();
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    const failed = new Set(specs.flatMap((s) => [...s.expect.offline.failing, ...s.expect.chain.failing]));
    for (const name of ["format", "document", "leaf", "root", "chain", "transaction", "block", "log", "contract"]) expect(failed).toContain(name);
    for (const name of ["malformed-json", "wrong-format", "short-path", "long-path", "index-equals-size", "non-hex-salt", "uppercase-hex", "missing-salt"]) {
      expect(specs.map((s) => s.name)).toContain(name);
    }
    const verdicts = new Set(specs.flatMap((s) => [s.expect.offline.verdict, s.expect.chain.verdict]));
    expect([...verdicts].sort()).toEqual(["consistent", "invalid", "pending", "valid"]);
  });

  it("cases/ holds exactly the materialized offline vectors (regenerate with test/vectors/proofs/generate.ts)", () => {
    const vectors = materialize(baseBundle(), "offline");
    const dir = join(VECTORS_DIR, "cases");
    expect(readdirSync(dir).sort()).toEqual(vectors.map((v) => `${v.name}.json`).sort());
    for (const v of vectors) expect(readFileSync(join(dir, `${v.name}.json`), "utf8"), v.name).toBe(v.text);
  });

  it("the base bundle is a proof of contract.txt, leaf 1 of a batch of 5", () => {
    const base = baseBundle() as { evidence: { digest: string }; leaf: { index: number }; batch: { size: number; path: string[] } };
    const [valid] = materialize(base, "offline");
    expect(base.evidence.digest).toBe(valid!.documentDigest);
    expect([base.leaf.index, base.batch.size, base.batch.path.length]).toEqual([VECTOR_ITEM, 5, 3]);
  });
});

describe("offline vectors: the library", () => {
  for (const v of materialize(baseBundle(), "offline")) {
    it(`${v.name} → ${v.expect.verdict}${v.expect.failing.length ? `, failing ${v.expect.failing.join(", ")}` : ""}`, async () => {
      const result = await verifyBundle(v.text, v.documentDigest === null ? {} : { documentDigest: v.documentDigest });
      expectAgreement(v, { verdict: verdictOf(result).kind, checks: result.checks });
    });
  }
});

describe("chain vectors: the library and POST /v1/verify, on a bundle anchored just now", () => {
  let h: ApiHarness & { node: LocalNode };
  let vectors: ProofVector[];

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    vectors = materialize(await anchoredVectorProof(h), "chain");
  });
  afterAll(async () => {
    await h?.close();
  });

  // One test per vector, named: the list is known before the chain is up.
  for (const spec of vectorSpecs()) {
    it(`${spec.name} → ${spec.expect.chain.verdict}${spec.expect.chain.failing.length ? `, failing ${spec.expect.chain.failing.join(", ")}` : ""}`, async () => {
      const v = vectors.find((x) => x.name === spec.name)!;
      const result = await verifyBundle(v.text, { chain: h.reader, ...(v.documentDigest === null ? {} : { documentDigest: v.documentDigest }) });
      expectAgreement(v, { verdict: verdictOf(result).kind, checks: result.checks });

      const query = v.documentDigest === null ? "" : `?documentDigest=${v.documentDigest}`;
      const res = await h.rawApp.request(`/v1/verify${query}`, { method: "POST", headers: { "content-type": "application/json" }, body: v.text });
      // An empty or non-JSON file cannot be sent as a JSON body: the API says so with a 400.
      if (spec.name === "malformed-json" || spec.name === "empty-file") {
        expect(res.status).toBe(400);
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        return;
      }
      expect(res.status).toBe(200);
      const api = (await res.json()) as { verdict: string; checks: Check[]; valid: boolean };
      expectAgreement(v, api);
      expect(api.checks).toEqual(result.checks);
      expect(api.valid).toBe(v.expect.verdict === "valid");
    });
  }
});
