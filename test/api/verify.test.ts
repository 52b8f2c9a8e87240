// POST /v1/verify on real bundles: five items sealed by the real Batcher and anchored into a
// real Hardhat node, fetched from the API, verified by the API against that node; then each
// field tampered with, one at a time, must make exactly the right checks fail.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { isoSeconds } from "../../src/verify/index.ts";
import { apiHarnessOnChain, jsonRequest, randomDigest, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

interface Check {
  name: string;
  ok: boolean;
  skipped?: true;
  detail: string;
}
interface VerifyAnswer {
  valid: boolean;
  checks: Check[];
  anchoredAt: string | null;
  confirmations: number | null;
}

/** The check names of docs/architecture.md ("Verification check names"), in table order. */
function documentedCheckNames(): string[] {
  const doc = readFileSync(new URL("../../docs/architecture.md", import.meta.url), "utf8");
  const section = doc.split("## Verification check names")[1]!.split("\n## ")[0]!;
  const names = [...section.matchAll(/^\|\s*`([a-z]+)`\s*\|/gm)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThanOrEqual(9);
  return names;
}

/** Flips the last hex digit of a 0x string: same length, same shape, different value. */
function flip(hex: string): string {
  const last = hex.at(-1)!;
  return hex.slice(0, -1) + (last === "0" ? "1" : "0");
}

const clone = <T>(v: T): T => structuredClone(v);

describe(`POST /v1/verify on ${describeDbKind()} against a Hardhat node`, () => {
  let h: ApiHarness & { node: LocalNode };
  let bundles: ProofBundleV1[];
  const CHECKS = documentedCheckNames();
  const CHAIN_CHECKS = ["chain", "transaction", "block", "log", "contract", "confirmations"];

  beforeAll(async () => {
    h = await apiHarnessOnChain();
    const res = await h.app.request(
      "/v1/evidence/batch",
      jsonRequest("POST", {
        items: Array.from({ length: 5 }, (_, i) => ({
          digest: randomDigest(),
          hashAlg: i === 3 ? "sha3-256" : "sha256",
          caseId: "case-verify",
          eventType: i % 2 ? "signature" : "upload",
          occurredAt: `2026-11-27T10:0${i}:00Z`,
        })),
      }),
    );
    expect(res.status).toBe(202);
    const { items } = (await res.json()) as { items: { id: string }[] };
    // Confirmations = 1: one tick seals, sends and confirms.
    await h.batcher.tick();
    bundles = [];
    for (const { id } of items) {
      const p = await h.app.request(`/v1/evidence/${id}/proof`);
      expect(p.status).toBe(200);
      bundles.push((await p.json()) as ProofBundleV1);
    }
    expect(bundles.every((b) => b.anchor !== null && b.batch!.size === 5)).toBe(true);
  });

  afterAll(async () => {
    await h?.close();
  });

  async function verify(body: unknown, app = h.app): Promise<VerifyAnswer> {
    const res = await app.request("/v1/verify", jsonRequest("POST", body));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    return JSON.parse(text) as VerifyAnswer;
  }

  const failing = (a: VerifyAnswer) => a.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
  const skippedNames = (a: VerifyAnswer) => a.checks.filter((c) => c.skipped).map((c) => c.name);

  it("a real anchored bundle is valid: every documented check present, run and ok", async () => {
    expect(CHECKS).toEqual(["format", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"]);
    const bundle = bundles[1]!;
    expect(bundle.batch!.path).toHaveLength(3);
    const answer = await verify(bundle);
    expect(answer.checks.map((c) => c.name)).toEqual(CHECKS);
    for (const c of answer.checks) {
      expect(c, c.name).toMatchObject({ ok: true });
      expect(c.skipped).toBeUndefined();
      expect(c.detail.length).toBeGreaterThan(0);
    }
    expect(answer.valid).toBe(true);
    expect(answer.anchoredAt).toBe(isoSeconds(bundle.anchor!.blockTimestamp));
    expect(answer.confirmations).toBeGreaterThanOrEqual(1);
  });

  it("every leaf of the batch verifies, each with its own non-empty path", async () => {
    const lengths = [];
    for (const [i, b] of bundles.entries()) {
      expect(b.leaf!.index).toBe(i);
      lengths.push(b.batch!.path.length);
      const answer = await verify(b);
      expect(answer.valid, `leaf ${i}: ${JSON.stringify(answer.checks.filter((c) => !c.ok))}`).toBe(true);
    }
    // RFC 6962 shape for 5 leaves: 0-3 sit under a full 4-subtree, leaf 4 is promoted.
    expect(lengths).toEqual([3, 3, 3, 3, 1]);
  });

  it("the bundle's pretty text (as saved to a file) verifies too", async () => {
    const res = await h.app.request("/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(bundles[0], null, 2) + "\n",
    });
    expect(((await res.json()) as VerifyAnswer).valid).toBe(true);
  });

  it("unknown fields are ignored (forward compatibility)", async () => {
    const b = clone(bundles[2]!) as ProofBundleV1 & Record<string, unknown>;
    b.extension = { note: "x" };
    (b.anchor as unknown as Record<string, unknown>).extra = 1;
    expect((await verify(b)).valid).toBe(true);
  });

  /** `leaf`: which bundle of the batch to tamper with (default 1). */
  type Tamper = { name: string; change: (b: ProofBundleV1) => void; fails: string[]; skipped?: string[]; leaf?: number };
  const tampers: Tamper[] = [
    { name: "salt", change: (b) => (b.evidence.salt = flip(b.evidence.salt)), fails: ["leaf"] },
    { name: "digest", change: (b) => (b.evidence.digest = flip(b.evidence.digest)), fails: ["leaf"] },
    { name: "meta caseId", change: (b) => (b.evidence.meta.caseId = "case-other"), fails: ["leaf"] },
    { name: "meta eventType", change: (b) => (b.evidence.meta.eventType = "forged"), fails: ["leaf"] },
    { name: "meta occurredAt", change: (b) => (b.evidence.meta.occurredAt = "2020-01-01T00:00:00Z"), fails: ["leaf"] },
    { name: "meta hashAlg", change: (b) => (b.evidence.meta.hashAlg = "sm3"), fails: ["leaf"] },
    { name: "meta submitter", change: (b) => (b.evidence.meta.submitter = "someone-else"), fails: ["leaf"] },
    { name: "meta field added", change: (b) => (b.evidence.meta.prev = "0x" + "11".repeat(32)), fails: ["leaf"] },
    { name: "meta field removed", change: (b) => delete b.evidence.meta.caseId, fails: ["leaf"] },
    { name: "leaf hash", change: (b) => (b.leaf!.hash = flip(b.leaf!.hash)), fails: ["leaf", "root"] },
    { name: "first path element", change: (b) => (b.batch!.path[0] = flip(b.batch!.path[0]!)), fails: ["root"] },
    { name: "last path element", change: (b) => (b.batch!.path[2] = flip(b.batch!.path[2]!)), fails: ["root"] },
    { name: "path elements swapped", change: (b) => b.batch!.path.reverse(), fails: ["root"] },
    { name: "path element dropped", change: (b) => b.batch!.path.pop(), fails: ["root"] },
    { name: "path element added", change: (b) => b.batch!.path.push(b.batch!.path[0]!), fails: ["root"] },
    { name: "leaf index (another leaf's position)", change: (b) => (b.leaf!.index = 0), fails: ["root"] },
    { name: "leaf index (past the end)", change: (b) => (b.leaf!.index = 5), fails: ["root"] },
    // For leaf 1 the RFC 9162 path of sizes 5 to 8 has the same shape and gives the same
    // root: only the contract's record of the size can tell. For leaf 4 the shape differs.
    { name: "batch size (larger, same path shape)", change: (b) => (b.batch!.size = 6), fails: ["contract"] },
    { name: "batch size (larger, other path shape)", change: (b) => (b.batch!.size = 6), fails: ["root", "contract"], leaf: 4 },
    { name: "batch size (smaller)", change: (b) => (b.batch!.size = 4), fails: ["root", "contract"] },
    { name: "batch root", change: (b) => (b.batch!.root = flip(b.batch!.root)), fails: ["root", "log", "contract"] },
    { name: "tx hash", change: (b) => (b.anchor!.txHash = flip(b.anchor!.txHash)), fails: ["transaction", "log"] },
    {
      name: "chain id",
      change: (b) => (b.anchor!.chainId = 1),
      fails: ["chain"],
      skipped: ["transaction", "block", "log", "contract", "confirmations"],
    },
    { name: "block hash", change: (b) => (b.anchor!.blockHash = flip(b.anchor!.blockHash)), fails: ["block"] },
    { name: "block timestamp", change: (b) => (b.anchor!.blockTimestamp += 1), fails: ["block"] },
    { name: "block number", change: (b) => (b.anchor!.blockNumber -= 1), fails: ["transaction", "block", "contract"] },
    {
      name: "contract address",
      change: (b) => (b.anchor!.contract = "0x" + "42".repeat(20)),
      fails: ["transaction", "log", "contract"],
    },
  ];

  for (const t of tampers) {
    it(`tampered ${t.name} → valid false, failing: ${t.fails.join(", ")}`, async () => {
      const original = bundles[t.leaf ?? 1]!;
      const b = clone(original);
      t.change(b);
      expect(b).not.toEqual(original);
      const answer = await verify(b);
      expect(answer.valid).toBe(false);
      expect(answer.checks.map((c) => c.name)).toEqual(CHECKS);
      expect(failing(answer)).toEqual(t.fails);
      expect(skippedNames(answer)).toEqual(t.skipped ?? []);
      for (const c of answer.checks.filter((x) => !x.ok)) expect(c.detail.length, c.name).toBeGreaterThan(0);
    });
  }

  it("the same tampering on the last (promoted) leaf is caught as well", async () => {
    const b = clone(bundles[4]!);
    b.batch!.path[0] = flip(b.batch!.path[0]!);
    expect(failing(await verify(b))).toEqual(["root"]);
  });

  it("a malformed field fails the format check with its JSON pointer and skips the rest", async () => {
    const b = clone(bundles[1]!);
    b.evidence.salt = b.evidence.salt.toUpperCase().replace("0X", "0x");
    const answer = await verify(b);
    expect(answer.valid).toBe(false);
    expect(failing(answer)).toEqual(["format"]);
    expect(answer.checks[0]!.detail).toMatch(/^\/evidence\/salt: /);
    expect(skippedNames(answer)).toEqual(CHECKS.slice(1));
  });

  it("a bundle that is not anchored yet is not valid: the chain checks are skipped", async () => {
    const b = clone(bundles[1]!);
    b.anchor = null;
    const answer = await verify(b);
    expect(answer.valid).toBe(false);
    expect(failing(answer)).toEqual([]);
    expect(skippedNames(answer)).toEqual(CHAIN_CHECKS);
    expect(answer.anchoredAt).toBeNull();
  });

  it("asks for the configured number of confirmations", async () => {
    const strict = createApp({ ...h.deps, minConfirmations: 1000 });
    const answer = await verify(bundles[1], strict);
    expect(answer.valid).toBe(false);
    expect(failing(answer)).toEqual(["confirmations"]);
    expect(answer.checks.find((c) => c.name === "confirmations")!.detail).toMatch(/1000/);
  });

  it("without a chain reader only the offline checks run", async () => {
    const offline = createApp({ ...h.deps, chainReader: () => undefined });
    const answer = await verify(bundles[1], offline);
    expect(answer.valid).toBe(false);
    expect(failing(answer)).toEqual([]);
    expect(skippedNames(answer)).toEqual(CHAIN_CHECKS);
  });

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
