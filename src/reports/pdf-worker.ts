// Worker thread entry: renders one report PDF per message, off the service's event loop, and
// appends the empty signature the main thread fills in when the job asks for one.
import { parentPort } from "node:worker_threads";
import { renderReportPdf } from "./pdf.ts";
import { addSignaturePlaceholder } from "./pdf-placeholder.ts";
import type { PdfJob } from "./pdf-renderer.ts";

parentPort?.on("message", (job: PdfJob) => {
  renderReportPdf(job.report, job.opts).then(
    (rendered) => {
      const pdf = job.placeholder ? addSignaturePlaceholder(rendered, job.placeholder) : rendered;
      const bytes = new Uint8Array(pdf); // a copy with its own buffer, to transfer
      parentPort?.postMessage({ id: job.id, pdf: bytes }, [bytes.buffer]);
    },
    (err: unknown) => parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
