// /v1/audit (admins only; the auth middleware enforces it): page through the audit log,
// verify its hash chain and anchored heads, anchor the current head now. Also the response
// schemas of these routes, for the OpenAPI document.
import { Hono } from "hono";
import { z } from "zod";
import type { AuditService } from "../services/audit.ts";
import type { AppEnv } from "./context.ts";
import { parsePaging, seqCursor } from "./paging.ts";

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/).describe("0x + 64 lowercase hex digits");
const time = z.iso.datetime({ offset: false }).describe("RFC 3339, UTC");
const seq = z.number().int();

export const AuditEntrySchema = z
  .object({
    seq: seq.positive(),
    at: time.describe("ISO 8601 UTC with milliseconds, exactly as hashed"),
    actor: z.string().describe("principal id of whoever acted, or bootstrap/system"),
    action: z.string().describe("e.g. key.created, disclosure.revoked, auth.failure-burst"),
    target: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: hex32.describe("hash of the entry before (32 zero bytes for entry 1)"),
    hash: hex32.describe("SHA-256 over \"evidence-audit/v1\\n\" and the JCS form of the entry; see docs/audit-log.md"),
  })
  .describe("One audit log entry");

export const AuditPageSchema = z.object({
  items: z.array(AuditEntrySchema),
  next: seq.nullable().describe("pass as ?after= for the next page; null on the last"),
});

const BreakSchema = z
  .object({ seq, reason: z.string() })
  .describe("the entry to look at (edited, missing, or anchored with another hash) and why");

export const AuditAnchorCheckSchema = z.object({
  auditSeq: seq,
  headHash: hex32,
  evidenceId: z.uuid(),
  createdAt: time,
  status: z
    .enum(["anchored", "pending", "invalid", "unchecked"])
    .describe("anchored: verified on chain; pending: not anchored (or not deep enough) yet; invalid: see failure; unchecked: no chain connected, or it did not answer"),
  txHash: hex32.nullable(),
  blockNumber: z.number().int().nonnegative().nullable(),
  anchoredAt: time.nullable(),
  failure: z.object({ check: z.string(), detail: z.string() }).nullable(),
});

export const AuditVerificationSchema = z
  .object({
    valid: z.boolean().describe("no broken link and no invalid anchored head"),
    entries: z.number().int().nonnegative(),
    head: z.object({ seq, hash: hex32 }).nullable(),
    firstBroken: BreakSchema.nullable(),
    anchors: z.object({
      total: z.number().int().nonnegative(),
      checkedOnChain: z.number().int().nonnegative(),
      items: z.array(AuditAnchorCheckSchema).describe("the newest anchored heads (up to 20), oldest first"),
    }),
  })
  .describe("The chain walked from entry 1; every anchored head compared with its entry, the newest also on chain");

export const AuditAnchorResultSchema = z
  .object({
    anchored: z
      .object({
        auditSeq: seq.positive(),
        headHash: hex32,
        evidenceId: z.uuid().describe("the system tenant's evidence item carrying the head hash as its digest"),
        created: z.boolean().describe("false when this head had been submitted already"),
      })
      .nullable()
      .describe("null when the audit log is empty"),
  })
  .describe("The head submitted for anchoring (it is anchored on chain with the next batch)");

export function auditRoutes(deps: { audit: AuditService }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const { after, limit } = parsePaging(c, seqCursor);
    return c.json(await deps.audit.list(after, limit));
  });

  // 200 either way: a broken chain is the answer, not a failure of the request.
  app.get("/verify", async (c) => c.json(await deps.audit.verify()));

  app.post("/anchor", async (c) => c.json({ anchored: await deps.audit.anchorHead() }));

  return app;
}
