// Renders report PDFs in a long-lived worker thread: a render is about half a second of
// synchronous pdfkit work, which must not stall every other request of the service.
import { Worker } from "node:worker_threads";
import type { EvidenceReportV1, ReportAnchoring } from "./format.ts";
import type { PlaceholderOptions } from "./pdf-placeholder.ts";
import { workerEntry } from "../runtime.ts";

export interface PdfOptions {
  anchoring: ReportAnchoring | null;
  verifyUrl: string;
  serviceUrl: string;
}
export interface PdfJob {
  id: number;
  report: EvidenceReportV1;
  opts: PdfOptions;
  /** When given, the worker appends an empty PDF signature to fill in (pdf-sign.ts). */
  placeholder?: PlaceholderOptions | undefined;
}
type PdfAnswer = { id: number; pdf: Uint8Array } | { id: number; error: string };

export class PdfRenderer {
  #worker: Worker | undefined;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (pdf: Uint8Array) => void; reject: (err: Error) => void }>();

  render(report: EvidenceReportV1, opts: PdfOptions, placeholder?: PlaceholderOptions): Promise<Uint8Array> {
    const worker = this.#ensureWorker();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref(); // while a job runs, the process waits for it
      worker.postMessage({ id, report, opts, placeholder } satisfies PdfJob);
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const { url, execArgv } = workerEntry("pdf-worker", import.meta.url);
    const worker = new Worker(url, { execArgv });
    worker.unref();
    worker.on("message", (msg: PdfAnswer) => {
      const job = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref(); // an idle worker keeps nothing alive
      if (!job) return;
      if ("error" in msg) job.reject(new Error(`pdf worker: ${msg.error}`));
      else job.resolve(msg.pdf);
    });
    const fail = (err: Error) => {
      this.#worker = undefined;
      for (const job of this.#pending.values()) job.reject(err);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`pdf worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}
