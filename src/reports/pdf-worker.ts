// Worker thread entry: renders one report PDF per message, off the service's event loop.
import { parentPort } from "node:worker_threads";
import { renderReportPdf } from "./pdf.ts";
import type { PdfJob } from "./pdf-renderer.ts";

parentPort?.on("message", (job: PdfJob) => {
  renderReportPdf(job.report, job.opts).then(
    (pdf) => {
      const bytes = new Uint8Array(pdf); // a copy with its own buffer, to transfer
      parentPort?.postMessage({ id: job.id, pdf: bytes }, [bytes.buffer]);
    },
    (err: unknown) => parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
