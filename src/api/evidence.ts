// /v1/evidence: submit digests (one or a batch of up to 10,000), read an item's status,
// fetch its proof bundle, look items up by digest.
import { Hono } from "hono";
import { z } from "zod";
import { fromHex } from "../core/bytes.ts";
import { HASH_ALGS, RFC3339_RE } from "../core/leaf.ts";
import { validationFailed } from "../errors.ts";
import type { IngestService } from "../services/ingest.ts";
import type { Prover } from "../services/prover.ts";
import { readBody } from "./body.ts";

export const MAX_BATCH_ITEMS = 10_000;
const SINGLE_BODY_BYTES = 16 * 1024;
// 10,000 items with every optional field at its longest (a 256-character CJK caseId is
// 768 bytes of UTF-8, 1,536 when written as \u escapes) stay under this.
const BATCH_BODY_BYTES = 24 * 1024 * 1024;

const wellFormed = (s: string) => s.isWellFormed();
const text = (max: number) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine(wellFormed, "must be well-formed Unicode (no lone surrogates)")
    // PostgreSQL text and jsonb cannot hold U+0000: let it be a 422 here, not a 500 at insert.
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters (U+0000)");

export const digestSchema = z
  .string({ error: "required: 0x followed by 64 hex digits" })
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (32 bytes)");

/** One evidence item. Strict: unknown fields (a forged `submitter`, say) are refused. */
export const SubmitItemSchema = z.strictObject({
  digest: digestSchema,
  hashAlg: z.enum(HASH_ALGS, { error: `must be one of ${HASH_ALGS.join(", ")}` }).optional(),
  caseId: text(256).optional(),
  eventType: text(64).optional(),
  occurredAt: z
    .string()
    // Bounded: the regex allows any number of fraction digits, the meta values at most 1024.
    .max(64, "must be at most 64 characters")
    .regex(RFC3339_RE, "must be an RFC 3339 date-time, e.g. 2026-11-27T10:00:00Z")
    .optional(),
});

export const SubmitBatchSchema = z.strictObject({
  items: z
    .array(SubmitItemSchema, { error: "required: an array of evidence items" })
    .min(1, "must hold at least one item")
    .max(MAX_BATCH_ITEMS, `must hold at most ${MAX_BATCH_ITEMS} items`),
});

export interface EvidenceRouteDeps {
  ingest: IngestService;
  prover: Prover;
  /** The submitting tenant; one default tenant until accounts exist. */
  submitter: () => string;
}

export function evidenceRoutes(deps: EvidenceRouteDeps): Hono {
  const app = new Hono();

  app.post("/", async (c) => {
    const item = await readBody(c, SubmitItemSchema, SINGLE_BODY_BYTES);
    const [receipt] = await deps.ingest.submit(deps.submitter(), [item]);
    c.header("location", `/v1/evidence/${receipt!.id}`);
    return c.json(receipt, 202);
  });

  app.post("/batch", async (c) => {
    const { items } = await readBody(c, SubmitBatchSchema, BATCH_BODY_BYTES);
    const receipts = await deps.ingest.submit(deps.submitter(), items);
    return c.json({ items: receipts }, 202);
  });

  app.get("/", async (c) => {
    const digest = c.req.query("digest");
    const parsed = digestSchema.safeParse(digest);
    if (!parsed.success) {
      throw validationFailed([{ field: "digest", reason: parsed.error.issues[0]?.message ?? "invalid" }]);
    }
    const items = await deps.prover.byDigest(fromHex(parsed.data.toLowerCase(), 32));
    return c.json({ items });
  });

  app.get("/:id", async (c) => c.json(await deps.prover.evidence(c.req.param("id"))));

  app.get("/:id/proof", async (c) => c.json(await deps.prover.proof(c.req.param("id"))));

  return app;
}
