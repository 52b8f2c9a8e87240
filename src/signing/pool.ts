// Signing off the request path: a worker thread holding the service key signs documents in
// the order they come. An Ed25519 signature costs 60-90 µs here, the canonical form another
// 13-26 µs; for a 1,000-item request that was ~90 ms of the event loop, which the HTTP
// server shares with everything else. The documents and signatures are exactly Signer's:
// the same RFC 8785 form, the same key, verifiable one by one with the published key.
import { Worker } from "node:worker_threads";
import type { SigningKey } from "./keys.ts";
import { Signer, type Signed } from "./signer.ts";

/**
 * Requests of at most this many documents are signed on the calling thread. A round trip to
 * the worker costs more CPU than one signature (here 90-140 µs of the process's CPU per
 * one-document request, against 50-60 µs signed in place), and so few signatures keep the
 * event loop for well under a millisecond.
 */
export const INLINE_MAX_DOCS = 4;

export class SigningPool {
  readonly #key: SigningKey;
  readonly #inline: Signer;
  #worker: Worker | undefined;
  #nextJob = 0;
  readonly #pending = new Map<number, { resolve: (signatures: string[]) => void; reject: (err: Error) => void }>();

  constructor(key: SigningKey) {
    this.#key = key;
    this.#inline = new Signer(key);
  }

  get kid(): string {
    return this.#key.kid;
  }

  /** Each document plus its signature, as Signer.sign gives them, in order. */
  async signMany<T extends Record<string, unknown>>(docs: T[]): Promise<Signed<T>[]> {
    if (docs.length === 0) return [];
    if (docs.length <= INLINE_MAX_DOCS) return docs.map((doc) => this.#inline.sign(doc));
    for (const doc of docs) if ("signature" in doc) throw new Error("the document already has a signature member");
    const signatures = await this.#run(docs);
    return docs.map((doc, i) => ({ ...doc, signature: { alg: "EdDSA" as const, kid: this.#key.kid, value: signatures[i]! } }));
  }

  #run(docs: Record<string, unknown>[]): Promise<string[]> {
    const worker = this.#ensureWorker();
    const job = this.#nextJob++;
    return new Promise((resolve, reject) => {
      this.#pending.set(job, { resolve, reject });
      worker.postMessage({ job, docs });
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const privateKey = this.#key.privateKey.export({ format: "der", type: "pkcs8" });
    // tsx lets the worker load TypeScript the same way the main thread does.
    const worker = new Worker(new URL("./sign-worker.ts", import.meta.url), { execArgv: ["--import", "tsx"], workerData: { privateKey } });
    worker.unref();
    worker.on("message", (m: { job: number; signatures?: string[]; error?: string }) => {
      const p = this.#pending.get(m.job);
      this.#pending.delete(m.job);
      if (m.signatures) p?.resolve(m.signatures);
      else p?.reject(new Error(`signing failed: ${m.error ?? "no answer"}`));
    });
    const fail = (err: Error) => {
      // Every job under way fails; the next call starts a new worker.
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
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
