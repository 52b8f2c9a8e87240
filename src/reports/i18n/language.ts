// The languages a report is written in. A report records its language in the signed JSON
// (`language`); a report made before the field existed is English, the only language then.
export const REPORT_LANGUAGES = ["zh-CN", "en"] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

/** Chinese first: the people who read reports are Chinese judges, clerks and notaries. */
export const DEFAULT_REPORT_LANGUAGE: ReportLanguage = "zh-CN";

export function isReportLanguage(v: unknown): v is ReportLanguage {
  return typeof v === "string" && (REPORT_LANGUAGES as readonly string[]).includes(v);
}

/** The language a (possibly old) report is written in: reports without the field are English. */
export function languageOf(report: { language?: unknown }): ReportLanguage {
  return isReportLanguage(report.language) ? report.language : "en";
}
