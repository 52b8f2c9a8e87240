// Writes the sample report of docs/reports.md from a scripted case: the real app on a fresh
// database, anchoring into a fresh Hardhat chain; a platform submits the eight events of a
// signing, a court is given the case, an admin makes the report. Outputs the signed JSON, the
// PDF and a PNG of each page (poppler's pdftoppm, or MuPDF from npm without it: see
// test/helpers/pdf-tools.ts).  Run: npx tsx scripts/sample-report.ts [outDir]   (default docs/examples)
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { apiHarnessOnChain, bearer, jsonRequest, TEST_TENANT } from "../test/helpers/api.ts";
import { renderPdfPages } from "../test/helpers/pdf-tools.ts";

const outDir = resolve(process.argv[2] ?? "docs/examples");
const CASE = "采购合同-2026-117";
const steps: [string, string][] = [
  ["uploaded", "contract draft v3 uploaded by Alpha Logistics"],
  ["sent", "sent to Beta Software for signature"],
  ["viewed", "opened by Beta Software (signer b-7f3)"],
  ["signed:party-b", "signed by Beta Software (signer b-7f3)"],
  ["viewed", "opened by Alpha Logistics (signer a-21c)"],
  ["signed:party-a", "signed by Alpha Logistics (signer a-21c)"],
  ["sealed", "final PDF sealed with both signatures"],
  ["delivered", "final PDF delivered to both parties"],
];
const digestOf = (s: string) => "0x" + createHash("sha256").update(s).digest("hex");

const h = await apiHarnessOnChain();
try {
  // Three batches, as a busy service would seal them.
  for (const [from, to] of [[0, 3], [3, 6], [6, 8]] as const) {
    const items = steps.slice(from, to).map(([eventType, what], j) => ({
      digest: digestOf(`${CASE}: ${what}`),
      caseId: CASE,
      eventType,
      occurredAt: new Date(Date.UTC(2026, 10, 27, 9, (from + j) * 7)).toISOString().replace(".000Z", "Z"),
    }));
    const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
    if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
    await h.batcher.tick();
  }
  await h.principal("verifier", "court-shanghai-1");
  await h.app.request("/v1/disclosures", jsonRequest("POST", { caseId: CASE, verifierId: "court-shanghai-1" }));
  const res = await h.rawApp.request(
    "/v1/reports",
    jsonRequest("POST", { tenantId: TEST_TENANT, caseId: CASE, purpose: "Dispute over the delivery date (案号 2026-沪01-117)", requestedBy: "Clerk Wang Li 王丽" }, bearer(h.keys.admin)),
  );
  if (res.status !== 201) throw new Error(`report: ${res.status} ${await res.text()}`);
  const { links } = (await res.json()) as { links: { json: string; pdf: string } };
  await h.batcher.tick(); // anchor the report's own digest too
  mkdirSync(outDir, { recursive: true });
  const json = await (await h.rawApp.request(links.json, { headers: bearer(h.keys.admin) })).text();
  const pdf = new Uint8Array(await (await h.rawApp.request(links.pdf, { headers: bearer(h.keys.admin) })).arrayBuffer());
  writeFileSync(join(outDir, "report-sample.json"), json);
  writeFileSync(join(outDir, "report-sample.pdf"), pdf);
  const pngs = await renderPdfPages(join(outDir, "report-sample.pdf"), outDir, 60, "report-sample-page");
  console.log(`wrote ${outDir}/report-sample.json (${json.length} bytes), report-sample.pdf (${pdf.byteLength} bytes) and ${pngs.length} page PNGs`);
} finally {
  await h.close();
}
