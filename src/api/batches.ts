// /v1/batches/:seq: a sealed batch, its root, its current anchor and, when an external
// authority (TSA_URL) time-stamps roots, its RFC 3161 token (for a tenant: only batches that
// hold one of its items); /v1/batches/:seq/evidence: the caller's items in it, in leaf order
// (where an evidence.anchored webhook event points for the ids it did not list).
import { Hono } from "hono";
import { z } from "zod";
import { toHex } from "../core/bytes.ts";
import { notFound } from "../errors.ts";
import type { Prover } from "../services/prover.ts";
import type { Db } from "../store/db.ts";
import { getBatch } from "../store/batches.ts";
import { batchEvidence, batchVisible } from "../store/evidence.ts";
import { pageOf } from "../store/paging.ts";
import { batchTimestampView, getBatchTimestamp } from "../store/timestamps.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { parsePaging, seqCursor } from "./paging.ts";

export const BatchItemSchema = z.object({
  id: z.uuid(),
  leafIndex: z.number().int().nonnegative(),
  digest: z.string(),
  caseId: z.string().nullable(),
  eventType: z.string().nullable(),
  receivedAt: z.string(),
});

export function batchRoutes(deps: { prover: Prover; db: Db }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:seq", async (c) => {
    const view = await deps.prover.batch(callerOf(c).scope, c.req.param("seq"));
    const ts = await getBatchTimestamp(deps.db, view.seq);
    return c.json({ ...view, timestamp: ts ? batchTimestampView(ts) : null });
  });
  app.get("/:seq/evidence", async (c) => {
    const { scope } = callerOf(c);
    const raw = c.req.param("seq");
    // The path segment is attacker-controlled: only plain decimal integers can name a batch.
    // Sealed batches only, as GET /v1/batches/:seq: an open batch's items are still pending.
    if (!/^\d{1,15}$/.test(raw) || !(await getBatch(deps.db, Number(raw))) || !(await batchVisible(deps.db, scope, Number(raw)))) {
      throw notFound("batch");
    }
    const { after, limit } = parsePaging(c, seqCursor);
    const rows = await batchEvidence(deps.db, scope, Number(raw), { afterIndex: after, limit: limit + 1 });
    if (rows.length === 0 && after === undefined) throw notFound("batch");
    const page = pageOf(rows, limit, (r) => String(r.leafIndex));
    return c.json({
      items: page.items.map((r) => ({ ...r, digest: toHex(r.digest), receivedAt: r.receivedAt.toISOString() })),
      next: page.next,
    });
  });
  return app;
}
