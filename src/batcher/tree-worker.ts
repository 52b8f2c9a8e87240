// Worker thread entry: receives packed leaf hashes, answers with the root and all paths.
import { parentPort } from "node:worker_threads";
import { buildTreeInline, packResult, unpackLeaves, type TreeJob } from "./tree.ts";

parentPort?.on("message", (job: TreeJob) => {
  try {
    const result = packResult(buildTreeInline(unpackLeaves(job.leaves)));
    parentPort?.postMessage(result, [result.root, result.paths, result.offsets]);
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
