// Worker thread entry: receives packed leaf hashes, answers with the root and all paths, or (a "levels" job) the root and the levels of complete nodes.
import { parentPort } from "node:worker_threads";
import { buildLevels } from "../core/levels.ts";
import { buildTreeInline, levelsTransferList, packResult, unpackLeaves, type LevelsJob, type TreeJob } from "./tree.ts";

parentPort?.on("message", (job: TreeJob | LevelsJob) => {
  try {
    if ("kind" in job && job.kind === "levels") {
      // The job's buffer becomes levels[0] and goes back with the rest: no copy either way.
      const result = buildLevels(new Uint8Array(job.leaves), job.leaves.byteLength / 32);
      parentPort?.postMessage(result, levelsTransferList(result));
      return;
    }
    const result = packResult(buildTreeInline(unpackLeaves(job.leaves)));
    parentPort?.postMessage(result, [result.root, result.paths, result.offsets]);
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
