// The verification library as the package's `./verify` export: what another program imports
// as `evidence-anchor/verify`, resolved by Node itself through package.json "exports".
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import * as direct from "../../src/verify/index.ts";

const script = `
const v = await import("evidence-anchor/verify");
const proof = await (await import("node:fs/promises")).readFile("docs/examples/proof-2026-1127.json", "utf8");
const result = await v.verifyBundle(proof);
console.log(JSON.stringify({ exports: Object.keys(v).sort(), verdict: v.verdictOf(result).kind }));
`;

describe("evidence-anchor/verify", () => {
  it("resolves through package.json exports and verifies a proof in a plain Node process", async () => {
    // The "development" condition picks the sources (the default is dist/server/, from `npm run
    // build`: test/package/build.test.ts imports that one); tsx registers TypeScript for Node
    // versions before 22.18, whose own type stripping is off.
    const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=development", "--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL("../../", import.meta.url),
    });
    const out = JSON.parse(stdout) as { exports: string[]; verdict: string };
    expect(out.verdict).toBe("consistent");
    expect(out.exports).toEqual(Object.keys(direct).sort());
  });
});
