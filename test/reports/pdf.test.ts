// The evidence report's PDF (src/reports/pdf.ts), read back the way a court's expert would:
// every page rendered and its text extracted (poppler, or MuPDF from npm: helpers/pdf-tools.ts),
// which must carry every digest and transaction hash whole, the Chinese case and tenant names,
// the verdict and the verification section; the by-hand commands it prints must compute what
// they say. The PDFs are kept in test-results/reports/ to look at.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { byHand, exampleEvent, signatureByHand } from "../../src/reports/pdf-commands.ts";
import { renderReportPdf } from "../../src/reports/pdf.ts";
import { generateSigningKey, publicJwk } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { pdfPageCount, pdfPageTexts, renderPdfPages } from "../helpers/pdf-tools.ts";
import { brokenTimelineReport, CASE_ID, fixtureAnchoring, fixtureReport, longReport, SERVICE_URL, TENANT, VERIFY_URL } from "./fixture.ts";

const OUT = fileURLToPath(new URL("../../test-results/reports/", import.meta.url));
mkdirSync(OUT, { recursive: true });

async function render(report: EvidenceReportV1, name: string, anchoring = true): Promise<{ file: string; bytes: number; ms: number }> {
  const started = performance.now();
  const pdf = await renderReportPdf(report, { anchoring: anchoring ? fixtureAnchoring(report) : null, verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
  const ms = Math.round(performance.now() - started);
  const file = join(OUT, name);
  writeFileSync(file, pdf);
  return { file, bytes: pdf.length, ms };
}

/** The text of each page, one line per baseline (pdftotext -layout, or MuPDF laid out alike). */
const pages = pdfPageTexts;
/** Without any whitespace: a sentence wrapped over lines still matches. */
const squash = (s: string): string => s.replace(/\s+/g, "");

describe("the evidence report's PDF", () => {
  const report = fixtureReport();
  let pdf: { file: string; bytes: number; ms: number };
  let text: string[];

  beforeAll(async () => {
    const cold = await render(report, "warm-up.pdf"); // the first render also reads the fonts
    pdf = await render(report, "report-20-events.pdf");
    text = await pages(pdf.file);
    console.log(
      `report PDF, ${report.events.length} events: ${text.length} pages, ${pdf.bytes} bytes, rendered in ${pdf.ms} ms (first render, fonts read: ${cold.ms} ms) -> ${pdf.file}`,
    );
  });

  it("renders every page", async () => {
    const n = await pdfPageCount(pdf.file);
    expect(n).toBe(text.length);
    expect(n).toBeGreaterThanOrEqual(12);
    const dir = mkdtempSync(join(tmpdir(), "report-pages-"));
    expect(await renderPdfPages(pdf.file, dir, 50)).toHaveLength(n);
  });

  it("carries every digest and transaction hash whole, on one line", () => {
    const all = text.join("\n");
    for (const e of report.events) {
      expect(all, `digest of event ${e.n}`).toContain(e.digest);
      expect(all, `transaction of event ${e.n}`).toContain(e.verification.transaction!);
      expect(all, `block hash of event ${e.n}`).toContain(e.verification.blockHash!);
      expect(all, `leaf hash of event ${e.n}`).toContain(e.leafHash);
    }
    expect(report.events.every((e) => e.digest.length === 66)).toBe(true);
  });

  it("shows the Chinese case and tenant names, the report id and the verification section", () => {
    const all = text.join("\n");
    expect(all).toContain(CASE_ID);
    expect(all).toContain(TENANT.name);
    expect(all).toContain(report.id);
    expect(all).toContain("How to verify this report yourself");
    expect(all).toContain(`npx evidence verify-report report.json`);
    expect(all).toContain("openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in report.canonical.json -sigfile report.sig");
    expect(all).toMatch(/sha256sum <document of event \d+>/);
    expect(all).toContain("eth_getTransactionReceipt");
    expect(all).toContain("What they do not show:");
    expect(all).not.toContain("[U+"); // every character of this report has a glyph
  });

  it("gives the verdict on the cover, coloured and worded, with the case, the parties and the report's own proof", () => {
    const cover = text[0]!;
    expect(squash(cover)).toContain(squash(report.verdict.sentence));
    expect(cover).toMatch(/^\s*VERIFIED\s*$/m);
    expect(cover).not.toContain("NOT VERIFIED");
    for (const s of [CASE_ID, TENANT.name, TENANT.id, report.id, "signed by party A (×2)", "Contents", "Scan to check a proof"]) expect(cover).toContain(s);
    const anchoring = fixtureAnchoring(report);
    expect(cover).toContain(anchoring.digest);
    expect(squash(cover)).toContain(squash(`was submitted as evidence ${anchoring.evidenceId}; its proof: ${SERVICE_URL}${anchoring.proofPath}`));
    expect(squash(cover)).toContain(squash(report.requester.requestedBy));
    expect(squash(cover)).toContain(squash(report.purpose));
  });

  it("puts the report id and 'Page x of y' in the footer of every page", () => {
    text.forEach((page, i) => {
      expect(page, `page ${i + 1}`).toContain(`Page ${i + 1} of ${text.length}`);
      expect(page, `page ${i + 1}`).toContain(report.id);
    });
  });

  it("lists every event in the timeline table with its link", () => {
    const timeline = text[1]!;
    expect(timeline).toContain("Timeline of the case");
    expect(timeline.match(/✓ linked/g)).toHaveLength(report.events.length - 1);
    expect(timeline).toContain("✓ first event");
  });

  it("renders the same report to the same bytes", async () => {
    const a = await renderReportPdf(report, { anchoring: null, verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
    const b = await renderReportPdf(report, { anchoring: null, verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("says on the cover that a broken timeline is NOT VERIFIED, and marks the broken link", async () => {
    const broken = brokenTimelineReport();
    const out = await render(broken, "report-broken-timeline.pdf");
    const t = await pages(out.file);
    const cover = t[0]!;
    expect(cover).toMatch(/^\s*NOT VERIFIED\s*$/m);
    expect(squash(cover)).toContain(squash(broken.verdict.sentence));
    expect(squash(cover)).toContain(squash("× BROKEN: the link of event 7 is broken"));
    expect(squash(cover)).toContain(squash("an event is missing between event 6 and event 7"));
    expect(t[1]).toMatch(/^\s*7\s.*× BROKEN/m);
    expect(t.join("\n")).toContain(`Event 7 of 19 · ${broken.events[6]!.eventType}`);
    expect(t.join("\n")).toContain("× LINK BROKEN");
  });

  it("repeats a table's header on every page it runs over", async () => {
    const long = longReport(70);
    const out = await render(long, "report-70-events.pdf", false);
    const t = await pages(out.file);
    const timelinePages = t.filter((p) => p.includes("Event type (as submitted)"));
    expect(timelinePages.length).toBeGreaterThanOrEqual(2);
    expect(timelinePages[1]).toContain(`Timeline of case ${CASE_ID} (continued)`);
    expect(t.join("\n")).toContain("not given with this rendering");
  });

  it("writes characters the font cannot draw as code points rather than dropping them", async () => {
    const odd: EvidenceReportV1 = { ...report, tenant: { id: TENANT.id, name: "Łódź Księgowość" }, purpose: "دليل للمحكمة — evidence" };
    const out = await render(odd, "report-uncovered-glyphs.pdf");
    const cover = (await pages(out.file))[0]!;
    expect(cover).toContain("[U+0141]ód[U+017A] Ksi[U+0119]gowo[U+015B][U+0107]");
    expect(cover).toContain("[U+062F][U+0644]");
    expect(cover).toContain("evidence");
    expect(squash(cover)).toContain(squash("written as [U+XXXX]"));
  });

  it("renders a report that is not a case (a list of evidence ids)", async () => {
    const list: EvidenceReportV1 = { ...report, caseId: null, evidenceIds: report.events.slice(0, 3).map((e) => e.evidenceId), events: report.events.slice(0, 3), audit: [] };
    const t = await pages((await render(list, "report-list.pdf", false)).file);
    expect(t[0]).toContain("3 listed evidence items");
    expect(t.join("\n")).toContain("The listed evidence items");
  });

  it("keeps a cover with very long submitted text whole, contents included", async () => {
    const long: EvidenceReportV1 = { ...report, purpose: `${"为审理采购合同纠纷提交的证据 evidence for the court. ".repeat(200)}END-OF-PURPOSE` };
    const out = await render(long, "report-long-purpose.pdf");
    const t = await pages(out.file);
    const front = squash(t.slice(0, 4).join("\n"));
    expect(front).toContain("END-OF-PURPOSE");
    expect(front).toContain(squash("Appendix B The proof of every event"));
    expect(await pdfPageCount(out.file)).toBe(t.length);
  });

  it("renders a report with no events", async () => {
    const empty: EvidenceReportV1 = { ...report, events: [], audit: [], howToVerify: [], statement: [], timeline: { ok: true, events: 0, detail: "no events" } };
    const t = await pages((await render(empty, "report-empty.pdf", false)).file);
    expect(t[0]).toContain(report.id);
    expect(t.join("\n")).toContain("npx evidence verify-report report.json");
  });

  it("writes its own instructions, with this case's values, when the signed report has none", async () => {
    const bare: EvidenceReportV1 = { ...report, howToVerify: [] };
    const all = (await pages((await render(bare, "report-default-how-to.pdf", false)).file)).join("\n");
    const e = exampleEvent(bare)!;
    expect(all).toContain(`sha256sum <document of event ${e.n}>`);
    expect(all).toContain(`# expected: ${e.digest.slice(2)}`);
    expect(all).toContain(`npx evidence verify proof-${e.n}.json --file <document of event ${e.n}>`);
    expect(all).toContain(`"params":["${e.verification.transaction}"]}' | jq .result.status`);
    expect(all).toContain("openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in report.canonical.json -sigfile report.sig");
  });
});

describe("the PDF's by-hand commands", () => {
  const report = fixtureReport();

  it("print, for the worked example, the values that sha256sum, openssl and jq actually compute", () => {
    const e = exampleEvent(report)!;
    const steps = byHand(e)!;
    const dir = mkdtempSync(join(tmpdir(), "report-by-hand-"));
    writeFileSync(join(dir, `proof-${e.n}.json`), JSON.stringify(e.proof, null, 2));
    // The leaf and the Merkle path need no chain: run them as printed.
    const script = [...steps[0]!.commands, ...steps[1]!.commands].join("\n");
    const expected = script
      .split("\n")
      .map((l) => /^# expected: ([0-9a-f]{64})/.exec(l)?.[1])
      .filter((h): h is string => h !== undefined);
    const got = execFileSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" })
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[0]);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(got).toEqual(expected);
    expect(expected.at(-1)).toBe(e.proof.batch!.root.slice(2));
    expect(steps[2]!.commands.join("\n")).toContain(`'["${e.proof.anchor!.txHash}"]'`);
  });

  describe("the report's signature with openssl", () => {
    let server: Server;
    let url: string;
    const key = generateSigningKey();
    const { signature: _unused, ...unsigned } = report;
    const signed = new Signer(key).sign({ ...unsigned, keys: { ...unsigned.keys, kid: key.kid } } as unknown as Record<string, unknown>) as unknown as EvidenceReportV1;

    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === "/.well-known/evidence-keys.json") {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ keys: [publicJwk(key.publicKey)] }));
        } else res.writeHead(404).end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    // Asynchronous: the key server answers from this same process.
    const check = async (doc: EvidenceReportV1): Promise<string> => {
      const dir = mkdtempSync(join(tmpdir(), "report-sig-"));
      writeFileSync(join(dir, "report.json"), JSON.stringify(doc, null, 2));
      try {
        const { stdout, stderr } = await promisify(execFile)("bash", ["-c", signatureByHand(doc, url).commands.join("\n")], { cwd: dir, timeout: 30_000 });
        return stdout + stderr;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        return `${err.stdout ?? ""}${err.stderr ?? ""}`;
      }
    };

    it("verify a signed report", async () => {
      expect(await check(signed)).toContain("Signature Verified Successfully");
    });

    it("fail on an edited one", async () => {
      const out = await check({ ...signed, purpose: `${signed.purpose}.` });
      expect(out).not.toContain("Signature Verified Successfully");
      expect(out).toContain("Signature Verification Failure");
    });
  });
});
