// Signing off the request path: a worker thread holding the service key signs documents in
// the order they come. An Ed25519 signature costs 40-80 µs here, the canonical form another
// 2-3 µs; for a 1,000-item request that was ~50-90 ms of the event loop, which the HTTP
// server shares with everything else. The documents and signatures are exactly Signer's:
// the same RFC 8785 form, the same key, verifiable one by one with the published key.
//
// Requests that arrive while the worker is busy wait and then go to it together, in one
// message (as concurrent writers share a commit, src/store/group-commit.ts): a round trip
// costs about as much CPU as a signature (90-140 µs of the process per one-document message,
// against 50-60 µs for the signature itself), so one-item submissions under concurrency pay
// it once per group, not once each. Each request's documents still succeed or fail alone.
import { Worker } from "node:worker_threads";
import type { SigningKey } from "./keys.ts";
import type { Signed } from "./signer.ts";
import { workerEntry } from "../runtime.ts";

/** Documents one message carries at most (unless one request alone brings more). */
export const GROUP_MAX_DOCS = 4000;

interface Waiting {
  docs: Record<string, unknown>[];
  resolve: (signatures: string[]) => void;
  reject: (err: Error) => void;
}

/** What the worker answers for each request of a message: its signatures, or why it failed. */
export type SignResult = { signatures: string[] } | { error: string };

export class SigningPool {
  readonly #key: SigningKey;
  #worker: Worker | undefined;
  #nextJob = 0;
  /** Requests not yet sent: they go in the next message, once the one at the worker is answered. */
  #queue: Waiting[] = [];
  /** The message at a worker (one at a time), by job number, with the worker it went to. */
  readonly #pending = new Map<number, { worker: Worker; group: Waiting[] }>();

  constructor(key: SigningKey) {
    this.#key = key;
  }

  get kid(): string {
    return this.#key.kid;
  }

  /** Each document plus its signature, as Signer.sign gives them, in order. */
  async signMany<T extends Record<string, unknown>>(docs: T[]): Promise<Signed<T>[]> {
    if (docs.length === 0) return [];
    for (const doc of docs) if ("signature" in doc) throw new Error("the document already has a signature member");
    const signatures = await new Promise<string[]>((resolve, reject) => {
      this.#queue.push({ docs, resolve, reject });
      if (this.#pending.size === 0) this.#send();
    });
    return docs.map((doc, i) => ({ ...doc, signature: { alg: "EdDSA" as const, kid: this.#key.kid, value: signatures[i]! } }));
  }

  /** Sends the waiting requests (up to GROUP_MAX_DOCS documents) as one message. */
  #send(): void {
    if (this.#queue.length === 0) return;
    let n = this.#queue[0]!.docs.length;
    let take = 1;
    while (take < this.#queue.length && n + this.#queue[take]!.docs.length <= GROUP_MAX_DOCS) n += this.#queue[take++]!.docs.length;
    const group = this.#queue.splice(0, take);
    let worker: Worker;
    try {
      worker = this.#ensureWorker();
    } catch (err) {
      for (const w of group) w.reject(err as Error);
      this.#send();
      return;
    }
    const job = this.#nextJob++;
    this.#pending.set(job, { worker, group });
    worker.postMessage({ job, requests: group.map((w) => w.docs) });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const privateKey = this.#key.privateKey.export({ format: "der", type: "pkcs8" });
    const { url, execArgv } = workerEntry("sign-worker", import.meta.url);
    const worker = new Worker(url, { execArgv, workerData: { privateKey } });
    worker.unref();
    worker.on("message", (m: { job: number; results: SignResult[] }) => {
      const sent = this.#pending.get(m.job);
      this.#pending.delete(m.job);
      sent?.group.forEach((w, i) => {
        const r = m.results[i];
        if (r && "signatures" in r) w.resolve(r.signatures);
        else w.reject(new Error(`signing failed: ${r?.error ?? "no answer"}`));
      });
      this.#send();
    });
    const fail = (err: Error) => {
      // Every request at the worker fails; those still waiting go to a new worker.
      // ('error' is followed by 'exit': the second call finds nothing of this worker's left.)
      if (this.#worker === worker) this.#worker = undefined;
      for (const [job, sent] of this.#pending) {
        if (sent.worker !== worker) continue;
        this.#pending.delete(job);
        for (const w of sent.group) w.reject(err);
      }
      if (this.#pending.size === 0) this.#send();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the signing worker exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}
