// Walks test/vectors/rfc6962/*.json (written by scripts/gen-rfc6962-vectors.ts) and reports every failure together.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes.ts";
import { CoreError } from "../../src/core/errors.ts";
import { buildTree, hashLeaf, inclusionPathLength, merkleRoot } from "../../src/core/merkle.ts";
import { verifyInclusion } from "../../src/core/rfc9162.ts";

const DIR = join(import.meta.dirname, "..", "vectors", "rfc6962");

type Want = { valid: boolean } | { error: string; message: string };
type Vector =
  | { kind: "roots"; leafInputs: string[]; roots: { size: number; root: string }[] }
  | { kind: "inclusion"; source: string; leafIndex: number; treeSize: number; leafHash: string; proof: string[]; root: string; want: Want };

it("agrees with every RFC 6962 vector file", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
  const failures: string[] = [];
  const roots = JSON.parse(readFileSync(join(DIR, "roots.json"), "utf8")) as Extract<Vector, { kind: "roots" }>;
  const refLeaves = roots.leafInputs.map((h) => hashLeaf(fromHex(h)));
  let inclusionCount = 0;

  for (const file of files) {
    const v = JSON.parse(readFileSync(join(DIR, file), "utf8")) as Vector;
    const fail = (what: string): void => void failures.push(`${file}: ${what}`);
    if (v.kind === "roots") {
      for (const { size, root } of v.roots) {
        const got = toHex(merkleRoot(refLeaves.slice(0, size)));
        if (got !== root) fail(`merkleRoot of size ${size} = ${got}, want ${root}`);
      }
      continue;
    }
    inclusionCount++;
    const leaf = fromHex(v.leafHash);
    const proof = v.proof.map((p) => fromHex(p));
    let got: Want;
    try {
      got = { valid: verifyInclusion(v.leafIndex, v.treeSize, leaf, proof, fromHex(v.root)) };
    } catch (e) {
      if (!(e instanceof CoreError)) throw e;
      got = { error: e.code, message: e.message };
    }
    if (JSON.stringify(got) !== JSON.stringify(v.want)) fail(`verifier gave ${JSON.stringify(got)}, want ${JSON.stringify(v.want)}`);

    // Happy paths over the reference leaves must also be what merkletreejs produces.
    if ("valid" in v.want && v.want.valid) {
      const tree = buildTree(refLeaves.slice(0, v.treeSize));
      if (toHex(refLeaves[v.leafIndex]!) !== v.leafHash) fail("leaf hash is not the reference leaf");
      if (toHex(tree.root) !== v.root) fail("buildTree root differs");
      if (tree.path(v.leafIndex).map(toHex).join() !== v.proof.join()) fail("buildTree path differs");
      if (inclusionPathLength(v.leafIndex, v.treeSize) !== v.proof.length) fail("inclusionPathLength differs");
    }
  }
  expect(failures).toEqual([]);
  // Guards against an empty or half-written folder passing vacuously.
  expect(inclusionCount).toBeGreaterThanOrEqual(36 + 1 + 5 * 4);
});
