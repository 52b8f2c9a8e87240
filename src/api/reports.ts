// /v1/reports: evidence reports for a dispute. Admins, and verifiers for cases disclosed to
// them, create one for a case (or a list of items); it is signed and anchored at once. The
// JSON is served exactly as signed; the PDF is rendered from it for people; /proof is the
// proof that the report existed by its anchor time.
import { Hono } from "hono";
import { z } from "zod";
import type { ReportService } from "../services/reports.ts";
import { MAX_REPORT_EVENTS } from "../services/reports.ts";
import { PdfRenderer } from "../reports/pdf-renderer.ts";
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
  id: z.string().uuid(),
  generatedAt: z.string(),
  events: z.array(z.looseObject({ n: z.number().int(), evidenceId: z.string() })),
  verdict: z.object({ ok: z.boolean(), sentence: z.string() }),
  signature: z.object({ alg: z.literal("EdDSA"), kid: z.string(), value: z.string() }),
});

/** Rendered PDFs kept per report (and origin): a report never changes, and a render takes ~0.5 s. */
const PDF_CACHE_SIZE = 32;

export function reportRoutes(deps: { reports: ReportService; publicUrl?: string | undefined }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const pdfs = new Map<string, Promise<Uint8Array>>();
  const renderer = new PdfRenderer();
  // Behind a proxy the request's own origin is the proxy's view; PUBLIC_URL says what users see.
  const originOf = (url: string) => deps.publicUrl?.replace(/\/+$/, "") ?? new URL(url).origin;

  app.post("/", async (c) => {
    const input = await readBody(c, CreateReportSchema, SMALL_BODY);
    const { caller, scope } = callerOf(c);
    const created = await deps.reports.create({ principalId: caller.principalId, role: caller.kind, scope }, input, originOf(c.req.url));
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
      rendering = renderer.render(report, { anchoring, verifyUrl: `${origin}/verify`, serviceUrl: origin });
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
