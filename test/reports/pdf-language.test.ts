// The report in Chinese and in English: every page of each rendered to PNG (kept in
// test-results/reports/ to look at), the text read back twice, with poppler when the machine
// has it and always with MuPDF from npm, and checked for the verdict, the legal mapping and
// every digest and transaction hash; the Chinese report must carry no English sentence of ours.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import type { ReportLanguage } from "../../src/reports/i18n/language.ts";
import { legalMapping } from "../../src/reports/i18n/legal.ts";
import { renderReportPdf } from "../../src/reports/pdf.ts";
import { pdfPageCount, pdfPageTexts, renderPdfPages } from "../helpers/pdf-tools.ts";
import { brokenTimelineReport, fixtureAnchoring, fixtureReport, SERVICE_URL, VERIFY_URL } from "./fixture.ts";

const OUT = fileURLToPath(new URL("../../test-results/reports/", import.meta.url));
mkdirSync(OUT, { recursive: true });
const squash = (s: string): string => s.replace(/\s+/g, "");

async function render(report: EvidenceReportV1, name: string): Promise<string> {
  const pdf = await renderReportPdf(report, { anchoring: fixtureAnchoring(report), verifyUrl: VERIFY_URL, serviceUrl: SERVICE_URL });
  const file = join(OUT, name);
  writeFileSync(file, pdf);
  return file;
}

/** The text of each page with MuPDF (npm), whatever the machine has: CI may lack poppler. */
async function npmTexts(file: string): Promise<string[]> {
  const saved = process.env.EVIDENCE_TEST_TOOLS;
  process.env.EVIDENCE_TEST_TOOLS = "npm";
  try {
    return await pdfPageTexts(file);
  } finally {
    if (saved === undefined) delete process.env.EVIDENCE_TEST_TOOLS;
    else process.env.EVIDENCE_TEST_TOOLS = saved;
  }
}

const CASES: { lang: ReportLanguage; verdictWord: string; heading: string; legalHeading: string; pageLabel: RegExp }[] = [
  { lang: "zh-CN", verdictWord: "验证通过", heading: "如何自行核验本报告", legalHeading: "与我国法院审查区块链存证电子数据要点的对照", pageLabel: /第 1 页，共 \d+ 页/ },
  { lang: "en", verdictWord: "VERIFIED", heading: "How to verify this report yourself", legalHeading: "How this report maps to what Chinese courts weigh", pageLabel: /Page 1 of \d+/ },
];

for (const c of CASES) {
  describe(`the report PDF in ${c.lang}`, () => {
    const report = fixtureReport(c.lang);
    let file: string;
    const extractions: [string, string[]][] = [];

    beforeAll(async () => {
      file = await render(report, `report-${c.lang}.pdf`);
      extractions.push(["pdftotext or MuPDF", await pdfPageTexts(file)], ["MuPDF (npm)", await npmTexts(file)]);
    });

    it("records its language in the signed JSON", () => {
      expect(report.language).toBe(c.lang);
    });

    it("renders every page to PNG", async () => {
      const n = await pdfPageCount(file);
      const dir = join(OUT, `report-${c.lang}-pages`);
      mkdirSync(dir, { recursive: true });
      expect(await renderPdfPages(file, dir, 60)).toHaveLength(n);
    });

    it("carries the verdict, the legal mapping and every digest and transaction hash, read back by both extractors", () => {
      for (const [how, pages] of extractions) {
        const all = pages.join("\n");
        expect(pages[0], how).toMatch(new RegExp(`^\\s*${c.verdictWord}\\s*$`, "m"));
        expect(squash(pages[0]!), how).toContain(squash(report.verdict.sentence));
        expect(squash(all), how).toContain(squash(c.heading));
        expect(squash(all), how).toContain(squash(c.legalHeading));
        // Table cells wrap, and a layout extraction interleaves the columns: look for each article's marker.
        const markers = c.lang === "zh-CN" ? ["第十六条", "第十七条", "第十八条", "第十九条", "第九十三条", "第九十四条"] : ["Art. 16", "Art. 17", "Art. 18", "Art. 19", "Art. 93", "Art. 94"];
        for (const m of markers) expect(squash(all), `${how}: ${m}`).toContain(squash(m));
        expect(legalMapping(c.lang, true).rows.length).toBeGreaterThanOrEqual(12);
        for (const e of report.events) {
          expect(all, `${how}: digest of event ${e.n}`).toContain(e.digest);
          expect(all, `${how}: transaction of event ${e.n}`).toContain(e.verification.transaction!);
        }
        expect(pages[0], how).toMatch(c.pageLabel);
      }
    });

    it("shows Beijing time beside UTC for each anchor", () => {
      const bj = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
      const label = c.lang === "zh-CN" ? "北京时间" : "Beijing time";
      for (const [how, pages] of extractions) {
        const all = squash(pages.join("\n"));
        for (const e of report.events) {
          if (e.verification.anchoredAt === null) continue;
          expect(all, `${how}: event ${e.n}`).toContain(squash(`${label} ${bj(e.verification.anchoredAt)}`));
        }
      }
    });

    if (c.lang === "zh-CN") {
      it("names the articles of the Online Litigation Rules and the Evidence Provisions", () => {
        const all = squash(extractions[0]![1].join("\n"));
        for (const s of ["《人民法院在线诉讼规则》", "第十六条", "第十七条", "第十八条", "第十九条", "第九十三条", "第九十四条", "法释〔2021〕12号", "法释〔2019〕19号"]) expect(all).toContain(s);
      });

      it("has no English sentence of ours: what English is left is data, commands or identifiers", () => {
        const pages = extractions[0]![1];
        const ours = [
          "What the proofs show",
          "What they do not show",
          "Every event in detail",
          "How to read the table",
          "Timeline of the case",
          "Evidence report",
          "Contents",
          "Page ",
          "the anchor was checked",
          "as claimed by the platform",
          "by the service's clock",
          "confirmation",
          "succeeded in block",
          "leads to the batch root",
          "link to the one before",
          "# expected",
          "Appendix",
          "Section",
        ];
        pages.forEach((p, i) => {
          for (const s of ours) expect(p, `page ${i + 1}: ${s}`).not.toContain(s);
        });
        // Chinese check details and terms of Chinese practice.
        const all = pages.join("\n");
        for (const term of ["存证", "摘要值", "哈希值", "默克尔", "区块高度", "交易哈希", "时间戳"]) expect(all).toContain(term);
      });

      it("says a broken timeline in Chinese, with the broken link", async () => {
        const broken = brokenTimelineReport("zh-CN");
        const pages = await npmTexts(await render(broken, "report-zh-CN-broken.pdf"));
        expect(pages[0]).toMatch(/^\s*验证未通过\s*$/m);
        expect(squash(pages[0]!)).toContain(squash(broken.verdict.sentence));
        expect(pages.join("\n")).toContain("链接断开");
      });
    }
  });
}
