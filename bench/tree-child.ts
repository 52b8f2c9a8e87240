// Child-process entry for one big tree build (10^6 leaves): a fresh process per build, so
// time and memory (heap, external buffers, RSS and peak RSS deltas) belong to that build
// alone. Run as: node --expose-gc --import tsx bench/tree-child.ts <impl> <leaves>
// Prints one JSON line: { impl, n, ms, root, memory }.
import { implById, makeLeaves, toHexString } from "./lib/tree-impls.ts";

const [implId, nArg] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!implId || !nArg || !gc) {
  console.error("usage: node --expose-gc --import tsx bench/tree-child.ts <impl> <leaves>");
  process.exit(2);
}
const impl = implById(implId);
const n = Number(nArg);
const leaves = makeLeaves(n);
gc();
gc();
const before = process.memoryUsage();
const t0 = performance.now();
const tree = impl.rootAndPaths(leaves);
const elapsed = performance.now() - t0;
const afterBuild = process.memoryUsage();
gc();
gc();
const retained = process.memoryUsage();
// Peak resident set of the whole process (KiB on Linux) minus what it held before the build.
const peakRss = process.resourceUsage().maxRSS * 1024;
const heapAndBuffers = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;

console.log(
  JSON.stringify({
    impl: impl.id,
    n,
    ms: elapsed,
    root: toHexString(tree.root),
    paths: tree.paths.length,
    memory: {
      baselineRss: before.rss,
      rssDeltaAfterBuild: afterBuild.rss - before.rss,
      peakRssDelta: peakRss - before.rss,
      heapUsedDeltaRetained: retained.heapUsed - before.heapUsed,
      externalDeltaRetained: retained.external - before.external,
      heapPlusExternalDeltaAfterBuild: heapAndBuffers(afterBuild) - heapAndBuffers(before),
      heapPlusExternalDeltaRetained: heapAndBuffers(retained) - heapAndBuffers(before),
    },
  }),
);
