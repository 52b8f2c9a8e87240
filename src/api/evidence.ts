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
import { callerOf, type AppEnv } from "./context.ts";
import { text } from "./fields.ts";
import { BATCH_BODY, SMALL_BODY } from "./limits.ts";

export const MAX_BATCH_ITEMS = 10_000;

// The 0x is optional: `sha256sum` prints bare hex, and refusing what is unambiguous only
// makes a platform's first request fail. Stored and answered as 0x + lowercase.
export const digestSchema = z
  .string({ error: "required: 64 hex digits (32 bytes), 0x optional" })
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 64 hex digits (32 bytes), optionally after 0x")
  .transform((s) => `0x${s.slice(s.length - 64).toLowerCase()}`);

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
}

export function evidenceRoutes(deps: EvidenceRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The submitter is the tenant whose key signed the request; nothing in the body can name it.
  app.post("/", async (c) => {
    const item = await readBody(c, SubmitItemSchema, SMALL_BODY);
    const [receipt] = await deps.ingest.submit(callerOf(c).caller.principalId, [item]);
    c.set("ingestedItems", 1);
    c.header("location", `/v1/evidence/${receipt!.id}`);
    return c.json(receipt, 202);
  });

  app.post("/batch", async (c) => {
    const { items } = await readBody(c, SubmitBatchSchema, BATCH_BODY);
    const receipts = await deps.ingest.submit(callerOf(c).caller.principalId, items);
    c.set("ingestedItems", receipts.length);
    return c.json({ items: receipts }, 202);
  });

  app.get("/", async (c) => {
    const digest = c.req.query("digest");
    const parsed = digestSchema.safeParse(digest);
    if (!parsed.success) {
      throw validationFailed([{ field: "digest", reason: parsed.error.issues[0]?.message ?? "invalid" }]);
    }
    const items = await deps.prover.byDigest(callerOf(c).scope, fromHex(parsed.data.toLowerCase(), 32));
    return c.json({ items });
  });

  app.get("/:id", async (c) => c.json(await deps.prover.evidence(callerOf(c).scope, c.req.param("id"))));

  app.get("/:id/proof", async (c) => {
    const proof = await deps.prover.proofResponse(callerOf(c).scope, c.req.param("id"));
    // Private: an authenticated answer is for this caller's cache only. A final bundle never
    // changes; an anchored one may still (a reorg) and is revalidated by its ETag; a pending
    // one changes within seconds and is not stored.
    c.header("cache-control", proof.final ? "private, max-age=31536000, immutable" : proof.anchored ? "private, no-cache" : "no-store");
    c.header("etag", proof.etag);
    if (etagMatches(c.req.header("if-none-match"), proof.etag)) return c.body(null, 304);
    return c.body(proof.json, 200, { "content-type": "application/json" });
  });

  return app;
}

/** RFC 9110 §13.1.2: If-None-Match holds "*" or a list of entity tags (weak ones compared weakly). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}
