// Regenerates the proof conformance vectors: `npx tsx test/vectors/proofs/generate.ts [--record]`.
// --record first re-records base.json from a real run (the app on a fresh database, anchoring
// into a fresh Hardhat chain); then every vector's proof file is written to cases/, so that
// outside parties can feed the files to their own verifiers. test/verify/vectors.test.ts
// fails when cases/ is out of date.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiHarnessOnChain } from "../../helpers/api.ts";
import { anchoredVectorProof, baseBundle, materialize, proofText, VECTORS_DIR, writeVectors } from "../../helpers/vectors.ts";

if (process.argv.includes("--record")) {
  const h = await apiHarnessOnChain();
  try {
    writeFileSync(join(VECTORS_DIR, "base.json"), proofText(await anchoredVectorProof(h)));
  } finally {
    await h.close();
  }
}
rmSync(join(VECTORS_DIR, "cases"), { recursive: true, force: true });
const written = writeVectors(materialize(baseBundle(), "offline"), join(VECTORS_DIR, "cases"));
console.log(`wrote ${written.size} vectors to ${join(VECTORS_DIR, "cases")}`);
