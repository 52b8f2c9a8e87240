// Builds a batch's Merkle tree and every leaf's inclusion path. Big trees are built in a
// worker thread so that the HTTP event loop keeps answering while they are hashed.
import { Worker } from "node:worker_threads";
import { buildTree } from "../core/merkle.ts";
import { concatBytes } from "../core/bytes.ts";

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

/**
 * Builds trees, in a long-lived worker thread once a tree has `workerThreshold` leaves or
 * more. One job at a time: the sealer never asks for two trees at once.
 */
export class TreeBuilder {
  readonly workerThreshold: number;
  #worker: Worker | undefined;

  constructor(opts: { workerThreshold?: number } = {}) {
    this.workerThreshold = opts.workerThreshold ?? 4096;
  }

  async build(leaves: Uint8Array[]): Promise<BuiltTree> {
    if (leaves.length < this.workerThreshold) return buildTreeInline(leaves);
    const worker = this.#ensureWorker();
    const job: TreeJob = { leaves: packLeaves(leaves) };
    const result = await new Promise<TreeJobResult>((resolve, reject) => {
      const onMessage = (msg: TreeJobResult | { error: string }) => {
        cleanup();
        if ("error" in msg) reject(new Error(`tree worker: ${msg.error}`));
        else resolve(msg);
      };
      const onError = (err: Error) => {
        cleanup();
        this.#worker = undefined;
        reject(err);
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage(job, [job.leaves]);
    });
    return unpackResult(result);
  }

  #ensureWorker(): Worker {
    if (!this.#worker) {
      // tsx lets the worker load TypeScript the same way the main thread does.
      this.#worker = new Worker(new URL("./tree-worker.ts", import.meta.url), { execArgv: ["--import", "tsx"] });
    }
    return this.#worker;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}
