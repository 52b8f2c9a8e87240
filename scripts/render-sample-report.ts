// Writes the PDF of the test fixture's evidence report (test/reports/fixture.ts) to a file, to
// look at it: `npx tsx scripts/render-sample-report.ts out.pdf [--broken | --long N]`.
import { writeFileSync } from "node:fs";
import { renderReportPdf } from "../src/reports/pdf.ts";
import { brokenTimelineReport, fixtureAnchoring, fixtureReport, longReport, SERVICE_URL, VERIFY_URL } from "../test/reports/fixture.ts";

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith("--")) ?? "report.pdf";
const longAt = args.indexOf("--long");
const report = args.includes("--broken") ? brokenTimelineReport() : longAt >= 0 ? longReport(Number(args[longAt + 1] ?? 60)) : fixtureReport();
const started = performance.now();
const pdf = await renderReportPdf(report, { anchoring: fixtureAnchoring(report), verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
writeFileSync(out, pdf);
console.log(`${out}: ${report.events.length} events, ${pdf.length} bytes, ${Math.round(performance.now() - started)} ms`);
