// Child-process entry for one big tree build (10^5-10^6 leaves): a fresh process per build, so
// time and memory (heap, external buffers, RSS and peak RSS deltas) belong to that build
// alone. Run as: node --expose-gc --import tsx bench/tree-child.ts <impl> <leaves>
// <impl> is a builder of bench/lib/tree-impls.ts (root + every path), or one of LEVELS_JOBS:
// src/core/levels.ts's buildLevels with each hash, and the hash alone as the baseline.
// Prints one JSON line: { impl, n, ms, cpuMs, root, memory }.
import { hash as oneShotHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { buildLevels, type PairHasher } from "../src/core/levels.ts";
import { implById, makeLeaves, toHexString } from "./lib/tree-impls.ts";
import { xorshiftLeaves } from "../test/helpers/leaves.ts";

// The pair hashers buildLevels can be given: the 0x01 prefix goes into one reused 65-byte
// buffer, the digest is copied to its place (what a hasher outside the core would do).
const msg = new Uint8Array(65);
msg[0] = 0x01;
const viaNodeCrypto: PairHasher = (src, off, dst, dstOff) => {
  msg.set(src.subarray(off, off + 64), 1);
  dst.set(oneShotHash("sha256", msg, "buffer"), dstOff);
};
const viaNoble: PairHasher = (src, off, dst, dstOff) => {
  msg.set(src.subarray(off, off + 64), 1);
  dst.set(nobleSha256(msg), dstOff);
};

/**
 * The baseline: 2n SHA-256 of 64-byte messages (windows of the leaf buffer) through a library
 * hash, nothing else. Both are two compressions each, so this is about twice the hashing a
 * tree of n leaves needs (n - 1 hashes of 65 bytes): a builder at 0.5x spends its time in the
 * hash calls, one well below 0.5x hashes faster than the library does.
 */
function hashAlone(flat: Uint8Array, n: number, digest: (m: Uint8Array) => Uint8Array): undefined {
  const windows = Math.floor(n / 2);
  let acc = 0;
  for (let i = 0; i < 2 * n; i++) {
    const w = i % windows;
    acc ^= digest(flat.subarray(64 * w, 64 * w + 64))[0]!;
  }
  if (acc === 256) throw new Error("unreachable"); // keeps the digests observable
  return undefined;
}

type Job = (flat: Uint8Array, n: number) => { root: Uint8Array } | undefined;

/**
 * Jobs over the flat leaf buffer; each returns what it built (root and levels, held until the
 * retained memory is measured), or undefined for the hash-alone baselines.
 */
export const LEVELS_JOBS = {
  "levels (hashPair)": (flat: Uint8Array, n: number) => buildLevels(flat, n),
  "levels (node:crypto hash())": (flat: Uint8Array, n: number) => buildLevels(flat, n, viaNodeCrypto),
  "levels (@noble/hashes)": (flat: Uint8Array, n: number) => buildLevels(flat, n, viaNoble),
  "hash alone: 2n x 64 B, node:crypto hash()": (flat: Uint8Array, n: number) => hashAlone(flat, n, (m) => oneShotHash("sha256", m, "buffer")),
  "hash alone: 2n x 64 B, @noble/hashes": (flat: Uint8Array, n: number) => hashAlone(flat, n, nobleSha256),
} satisfies Record<string, Job>;
export type LevelsJobId = keyof typeof LEVELS_JOBS;

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) main();

function main(): void {
  const [implId, nArg] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!implId || !nArg || !gc) {
    console.error("usage: node --expose-gc --import tsx bench/tree-child.ts <impl> <leaves>");
    process.exit(2);
  }
  const n = Number(nArg);
  const levelsJob = (LEVELS_JOBS as Record<string, Job>)[implId];
  let run: () => { root: Uint8Array | undefined; paths?: number; built?: unknown };
  if (levelsJob) {
    const flat = xorshiftLeaves(n);
    run = () => {
      const built = levelsJob(flat, n);
      return { root: built?.root, built };
    };
  } else {
    const impl = implById(implId);
    const leaves = makeLeaves(n);
    run = () => {
      const tree = impl.rootAndPaths(leaves);
      return { root: tree.root, paths: tree.paths.length, built: tree };
    };
  }
  gc();
  gc();
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tree = run();
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const afterBuild = process.memoryUsage();
  gc();
  gc();
  const retained = process.memoryUsage();
  // `tree` (and what it built) is still referenced below: "retained" counts it.
  // Peak resident set of the whole process (KiB on Linux) minus what it held before the build.
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const heapAndBuffers = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;

  console.log(
    JSON.stringify({
      impl: implId,
      n,
      ms: elapsed,
      cpuMs: (cpu.user + cpu.system) / 1000,
      root: tree.root ? toHexString(tree.root) : "",
      paths: tree.paths,
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
}
