// Builds a batch's Merkle tree: root and every leaf's inclusion path (build), or root and the
// levels of complete nodes that paths are later computed from (buildLevels). Big trees are
// built in a worker thread so that the HTTP event loop keeps answering while they are hashed.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { buildTree } from "../core/merkle.ts";
import { assertLength, concatBytes } from "../core/bytes.ts";
import { CoreError, InvariantError } from "../core/errors.ts";
import { buildLevels, type Levels } from "../core/levels.ts";
import { workerEntry } from "../runtime.ts";

export interface BuiltTree {
  root: Uint8Array;
  /** paths[i]: leaf i's RFC 9162 inclusion path, concatenated 32-byte hashes. */
  paths: Uint8Array[];
}

/** Builds in the calling thread: for small trees, where a worker round trip costs more. */
export function buildTreeInline(leaves: Uint8Array[]): BuiltTree {
  const tree = buildTree(leaves);
  return { root: tree.root, paths: leaves.map((_, i) => concatBytes(...tree.path(i))) };
}

/** What crosses the thread boundary: flat buffers, transferred rather than copied. */
export interface TreeJob {
  leaves: ArrayBuffer; // n * 32 bytes
}
export interface TreeJobResult {
  root: ArrayBuffer;
  paths: ArrayBuffer;
  offsets: ArrayBuffer; // Uint32Array of n + 1 byte offsets into paths
}

export function packLeaves(leaves: Uint8Array[]): ArrayBuffer {
  const flat = new Uint8Array(leaves.length * 32);
  leaves.forEach((l, i) => flat.set(l, i * 32));
  return flat.buffer;
}

export function unpackLeaves(buf: ArrayBuffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < buf.byteLength; off += 32) out.push(new Uint8Array(buf, off, 32));
  return out;
}

export function packResult(tree: BuiltTree): TreeJobResult {
  const offsets = new Uint32Array(tree.paths.length + 1);
  tree.paths.forEach((p, i) => (offsets[i + 1] = (offsets[i] ?? 0) + p.length));
  const paths = new Uint8Array(offsets[tree.paths.length] ?? 0);
  tree.paths.forEach((p, i) => paths.set(p, offsets[i] ?? 0));
  return { root: tree.root.slice().buffer, paths: paths.buffer, offsets: offsets.buffer };
}

function unpackResult(r: TreeJobResult): BuiltTree {
  const offsets = new Uint32Array(r.offsets);
  const paths: Uint8Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    paths.push(new Uint8Array(r.paths, offsets[i], (offsets[i + 1] ?? 0) - (offsets[i] ?? 0)));
  }
  return { root: new Uint8Array(r.root), paths };
}

/** Root and levels[k], the complete nodes of height k concatenated (see src/core/levels.ts). */
export type BuiltLevels = Levels;

/** Leaf hashes: one 32-byte array each, or all of them concatenated. */
export type LeafHashes = Uint8Array[] | Uint8Array;

/** Bytes copied between two turns of the event loop: about a millisecond's work here. */
const COPY_SLICE_BYTES = 1 << 20;

/**
 * Copies the leaves into a new flat buffer of their own, one slice per step (the generator
 * yields between slices; its return value is the buffer). The copy never shares memory with
 * the caller's arrays, so the worker can be handed it (transferred) without detaching anything
 * of the caller's (a Buffer from the database may be a view of a shared pool). With `n`, a
 * flat buffer must hold exactly n hashes and an array n of them. Throws CoreError
 * "invalid-length" for a hash that is not 32 bytes or a flat buffer of another length,
 * "invalid-argument" for an n that is not a non-negative safe integer.
 */
function* copySlices(leaves: LeafHashes, n?: number): Generator<void, Uint8Array<ArrayBuffer>> {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
    throw new CoreError("invalid-argument", `leaf count ${n} is not a non-negative safe integer`);
  }
  if (leaves instanceof Uint8Array) {
    const want = n === undefined ? leaves.length - (leaves.length % 32) : 32 * n;
    if (leaves.length !== want) {
      throw new CoreError("invalid-length", `leaves are ${leaves.length} bytes, want ${n === undefined ? "a multiple of 32" : `${want} (${n} hashes of 32)`}`);
    }
    const flat = new Uint8Array(want);
    for (let off = 0; off < want; off += COPY_SLICE_BYTES) {
      if (off > 0) yield;
      flat.set(leaves.subarray(off, Math.min(off + COPY_SLICE_BYTES, want)), off);
    }
    return flat;
  }
  if (n !== undefined && n !== leaves.length) throw new CoreError("invalid-length", `${leaves.length} leaf hashes, want ${n}`);
  const flat = new Uint8Array(leaves.length * 32);
  for (let i = 0; i < leaves.length; i++) {
    if (i > 0 && (32 * i) % COPY_SLICE_BYTES === 0) yield;
    const l = leaves[i]!;
    assertLength(l, 32, `leaf hash ${i}`);
    flat.set(l, 32 * i);
  }
  return flat;
}

/** The leaves copied into one flat buffer of their own, at once (see copySlices). */
export function copyLeaves(leaves: LeafHashes, n?: number): Uint8Array<ArrayBuffer> {
  const it = copySlices(leaves, n);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
  }
}

/**
 * The same copy, letting the event loop run between slices: 32 MB of leaves (10^6) take
 * 30-40 ms to copy on this machine, too long to hold up HTTP requests. The caller must not
 * change its leaves until the promise settles.
 */
export async function copyLeavesYielding(leaves: LeafHashes, n?: number): Promise<Uint8Array<ArrayBuffer>> {
  const it = copySlices(leaves, n);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
  }
}

/** Root and levels in the calling thread: for small trees, where a worker round trip costs more. */
export function buildLevelsInline(leaves: LeafHashes, n?: number): BuiltLevels {
  const flat = copyLeaves(leaves, n);
  return buildLevels(flat, flat.length / 32);
}

/** The worker's levels job: the flat leaves, transferred. */
export interface LevelsJob {
  kind: "levels";
  leaves: ArrayBuffer; // n * 32 bytes
}
/**
 * Its answer: the Uint8Arrays themselves, whose buffers are transferred (structured clone
 * keeps views that share a transferred buffer as views of it: the levels above the leaves
 * arrive as views of one buffer, level 0 as the job's own buffer sent back).
 */
export type LevelsJobResult = BuiltLevels;

/** The buffers a result's arrays live in, each once: the transfer list. */
export function levelsTransferList(r: BuiltLevels): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const a of [r.root, ...r.levels]) set.add(a.buffer as ArrayBuffer);
  return [...set];
}

function checkLevelsResult(r: LevelsJobResult, n: number): BuiltLevels {
  // The shape buildLevels promises; anything else is a bug on the other side of the thread.
  let count = 0;
  for (let m = n; m > 0; m = Math.floor(m / 2)) count++;
  const ok =
    r.root instanceof Uint8Array &&
    r.root.length === 32 &&
    Array.isArray(r.levels) &&
    r.levels.length === count &&
    r.levels.every((l, k) => l instanceof Uint8Array && l.length === 32 * Math.floor(n / 2 ** k));
  if (!ok) throw new InvariantError(`tree worker answered a malformed levels result for ${n} leaves`);
  return r;
}

/**
 * Builds trees, in a long-lived worker thread once a tree has `workerThreshold` leaves or
 * more. One job at a time: calls made while the worker is busy wait their turn.
 */
export class TreeBuilder {
  readonly workerThreshold: number;
  #worker: Worker | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(opts: { workerThreshold?: number } = {}) {
    this.workerThreshold = opts.workerThreshold ?? 4096;
  }

  async build(leaves: Uint8Array[]): Promise<BuiltTree> {
    if (leaves.length < this.workerThreshold) return buildTreeInline(leaves);
    const job: TreeJob = { leaves: packLeaves(leaves) };
    return unpackResult(await this.#run<TreeJobResult>(job, [job.leaves]));
  }

  /**
   * Root and levels of complete nodes (src/core/levels.ts) over `leaves`: one array per leaf,
   * or all of them concatenated (then `n`, if given, must be their count). In the worker from
   * `workerThreshold` leaves on. The leaves are copied first, so the result shares no memory
   * with the caller's arrays; on the main thread that copy, in slices, is all the work (do not
   * change the leaves until the promise settles).
   */
  async buildLevels(leaves: LeafHashes, n?: number): Promise<BuiltLevels> {
    const count = n ?? (leaves instanceof Uint8Array ? Math.floor(leaves.length / 32) : leaves.length);
    if (count < this.workerThreshold) return buildLevelsInline(leaves, n);
    const flat = await copyLeavesYielding(leaves, n);
    const job: LevelsJob = { kind: "levels", leaves: flat.buffer };
    return checkLevelsResult(await this.#run<LevelsJobResult>(job, [job.leaves]), count);
  }

  /**
   * One job through the worker. Jobs are queued, so that two callers never read each other's
   * answer (the worker answers in order, but each call listens for the next message only).
   */
  #run<T>(job: TreeJob | LevelsJob, transfer: ArrayBuffer[]): Promise<T> {
    const run = this.#queue.then(() => this.#runNow<T>(job, transfer));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #runNow<T>(job: TreeJob | LevelsJob, transfer: ArrayBuffer[]): Promise<T> {
    const worker = this.#ensureWorker();
    return new Promise<T>((resolve, reject) => {
      const onMessage = (msg: T | { error: string }) => {
        cleanup();
        if (msg !== null && typeof msg === "object" && "error" in msg) reject(new Error(`tree worker: ${msg.error}`));
        else resolve(msg as T);
      };
      const onError = (err: Error) => {
        cleanup();
        if (this.#worker === worker) this.#worker = undefined;
        reject(err);
      };
      // A worker that exits without an error event (killed, out of memory in a way that
      // does not throw) would otherwise leave the call waiting for ever.
      const onExit = (code: number) => {
        cleanup();
        if (this.#worker === worker) this.#worker = undefined;
        reject(new Error(`tree worker exited with code ${code} during a job`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(job, transfer);
    });
  }

  #ensureWorker(): Worker {
    if (!this.#worker) {
      const { url, execArgv } = workerEntry("tree-worker", import.meta.url);
      this.#worker = new Worker(url, { execArgv });
    }
    return this.#worker;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}
