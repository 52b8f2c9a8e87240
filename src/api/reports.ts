// /v1/reports: evidence reports for a dispute. Admins, and verifiers for cases disclosed to
// them, create one for a case (or a list of items); it is signed and anchored at once. The
// JSON is served exactly as signed; the PDF is rendered from it for people; /proof is the
// proof that the report existed by its anchor time.
import { Hono } from "hono";
import { z } from "zod";
import type { ReportService } from "../services/reports.ts";
import { MAX_REPORT_EVENTS } from "../services/reports.ts";
import { REPORT_LANGUAGES } from "../reports/i18n/language.ts";
import { PdfRenderer } from "../reports/pdf-renderer.ts";
import { firstOf, ownTimestamper, ReportPdfSigner, remoteTimestamper, type Timestamper } from "../reports/pdf-sign.ts";
import type { PkiIdentity } from "../pki/identity.ts";
import type { TimeStampAuthority } from "../tsa/authority.ts";
import type { Logger } from "../log.ts";
import { readBody } from "./body.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { principalId, text } from "./fields.ts";
import { SMALL_BODY } from "./limits.ts";

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be an evidence id (a UUID)");

export const CreateReportSchema = z
  .strictObject({
    tenantId: principalId,
    caseId: text(256).optional(),
    evidenceIds: z.array(uuid).min(1, "must name at least one item").max(MAX_REPORT_EVENTS, `must name at most ${MAX_REPORT_EVENTS} items`).optional(),
    purpose: text(1000),
    requestedBy: text(200),
    language: z
      .enum(REPORT_LANGUAGES, { error: `must be one of ${REPORT_LANGUAGES.join(", ")}` })
      .optional()
      .describe("the language of the report's sentences and its PDF; the service's REPORT_LANGUAGE (zh-CN unless set) when absent"),
  })
  .superRefine((v, ctx) => {
    if ((v.caseId === undefined) === (v.evidenceIds === undefined)) {
      ctx.addIssue({ code: "custom", path: ["caseId"], message: "give either caseId or evidenceIds, not both and not neither" });
    }
  });

export const CreatedReportSchema = z.object({
  id: z.string().uuid(),
  digest: z.string().regex(/^0x[0-9a-f]{64}$/).describe("SHA-256 of the signed report's RFC 8785 form"),
  evidenceId: z.string().uuid().describe("the system-tenant evidence item that anchors that digest"),
  links: z.object({ json: z.string(), pdf: z.string(), proof: z.string() }),
});

/** The signed report (evidence-report/v1); docs/reports.md describes every member. */
export const ReportDocumentSchema = z.looseObject({
  format: z.literal("evidence-report/v1"),
  language: z.enum(REPORT_LANGUAGES).optional().describe("absent in reports made before the field existed, which are English"),
  id: z.string().uuid(),
  generatedAt: z.string(),
  events: z.array(z.looseObject({ n: z.number().int(), evidenceId: z.string() })),
  verdict: z.object({ ok: z.boolean(), sentence: z.string() }),
  signature: z.object({ alg: z.literal("EdDSA"), kid: z.string(), value: z.string() }),
});

/** Rendered PDFs kept per report (and origin): a report never changes, and a render takes ~0.5 s. */
const PDF_CACHE_SIZE = 32;

export interface ReportRouteDeps {
  reports: ReportService;
  publicUrl?: string | undefined;
  /** The X.509 identity: with it every PDF is signed (PAdES) with its document certificate. */
  pki?: PkiIdentity | undefined;
  /** Our own RFC 3161 authority, for the PDF signature's time-stamp (in process). */
  tsa?: TimeStampAuthority | undefined;
  /** TSA_URL: an external authority asked first for that time-stamp; ours when it fails. */
  tsaUrl?: string | undefined;
  tsaTimeoutMs?: number | undefined;
  tsaAuthorization?: string | undefined;
  log?: Logger | undefined;
}

/** The PDF signer of this service, or undefined when it has no X.509 identity. */
export function reportPdfSigner(deps: ReportRouteDeps): ReportPdfSigner | undefined {
  if (!deps.pki) return undefined;
  const own = deps.tsa ? ownTimestamper(deps.tsa) : undefined;
  let timestamper: Timestamper | null = own ?? null;
  if (deps.tsaUrl) {
    const remote = remoteTimestamper(deps.tsaUrl, { timeoutMs: deps.tsaTimeoutMs ?? 10_000, authorization: deps.tsaAuthorization });
    timestamper = firstOf([remote, ...(own ? [own] : [])], (err) =>
      deps.log?.warn("PDF signature time-stamp: the authority at TSA_URL failed", { error: err.message, fallback: own ? "own TSA" : "none" }),
    );
  }
  return new ReportPdfSigner(deps.pki.document, timestamper);
}

export function reportRoutes(deps: ReportRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const pdfs = new Map<string, Promise<Uint8Array>>();
  const renderer = new PdfRenderer();
  const pdfSigner = reportPdfSigner(deps);
  // What the report says of the PDF's signature (subject and fingerprint, as readers show them).
  const pdfCertificate = pdfSigner ? { subject: pdfSigner.signer.cert.subject, sha256: pdfSigner.fingerprint } : null;
  // Behind a proxy the request's own origin is the proxy's view; PUBLIC_URL says what users see.
  const originOf = (url: string) => deps.publicUrl?.replace(/\/+$/, "") ?? new URL(url).origin;

  app.post("/", async (c) => {
    const input = await readBody(c, CreateReportSchema, SMALL_BODY);
    const { caller, scope } = callerOf(c);
    const created = await deps.reports.create({ principalId: caller.principalId, role: caller.kind, scope }, input, originOf(c.req.url), pdfCertificate);
    const links = { json: `/v1/reports/${created.id}`, pdf: `/v1/reports/${created.id}/pdf`, proof: `/v1/reports/${created.id}/proof` };
    c.header("location", links.json);
    return c.json({ ...created, links }, 201);
  });

  // The stored text, byte for byte: it is what was signed and anchored.
  app.get("/:id", async (c) => {
    const { row } = await deps.reports.get(callerOf(c).scope, c.req.param("id"));
    return c.body(row.body, 200, { "content-type": "application/json; charset=utf-8" });
  });

  app.get("/:id/pdf", async (c) => {
    const { report, anchoring } = await deps.reports.get(callerOf(c).scope, c.req.param("id"));
    const origin = originOf(c.req.url);
    const key = `${report.id} ${origin}`;
    let rendering = pdfs.get(key);
    if (rendering === undefined) {
      // Rendered with an empty signature in the worker, signed here: the key and the TSA live
      // on this thread, and signing is a few milliseconds (a hash, one ECDSA signature, a token).
      const opts = { anchoring, verifyUrl: `${origin}/verify`, serviceUrl: origin };
      rendering = pdfSigner ? renderer.render(report, opts, pdfSigner.placeholder()).then((pdf) => pdfSigner.sign(pdf)) : renderer.render(report, opts);
      // A failed render is not kept: the next request tries again.
      rendering.catch(() => pdfs.delete(key));
      pdfs.set(key, rendering);
      if (pdfs.size > PDF_CACHE_SIZE) pdfs.delete(pdfs.keys().next().value!);
    }
    const pdf = await rendering;
    return c.body(new Uint8Array(pdf).buffer as ArrayBuffer, 200, {
      "content-type": "application/pdf",
      "content-disposition": `inline; filename="evidence-report-${report.id}.pdf"`,
    });
  });

  app.get("/:id/proof", async (c) => c.json(await deps.reports.proof(callerOf(c).scope, c.req.param("id"))));
  return app;
}
