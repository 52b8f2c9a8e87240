// /v1/cases: a case's hash-linked timeline (GET /v1/cases/:caseId), and every item of a case
// with its proof bundle (GET /v1/cases/:tenantId/:caseId/proofs), for the tenant that owns
// it, admins, and verifiers the case is disclosed to.
import { Hono } from "hono";
import { toHex } from "../core/bytes.ts";
import { checkTimeline, type LinkCheck } from "../core/timeline.ts";
import { notFound, ServiceError, validationFailed } from "../errors.ts";
import { PRINCIPAL_ID_RE } from "../services/access.ts";
import { storableText, type EvidenceStatus, type Prover } from "../services/prover.ts";
import type { Db } from "../store/db.ts";
import { ADMIN_SCOPE, type Scope } from "../store/scope.ts";
import { caseTimelineRows } from "../store/timeline.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { parsePaging, seqCursor } from "./paging.ts";

/** The most events GET /v1/cases/:caseId shows; a longer case answers 422 (read it with …/proofs, a page at a time). */
export const MAX_TIMELINE_EVENTS = 10_000;

export interface TimelineEventView {
  /** 1-based position in the case, by arrival. */
  n: number;
  evidenceId: string;
  eventType: string | null;
  occurredAt: string | null;
  status: EvidenceStatus;
  receivedAt: string;
  /** The anchoring block's time (RFC 3339), or null while not anchored. */
  anchoredAt: string | null;
  leafHash: string;
  prev: string | null;
  link: LinkCheck;
}

export interface CaseTimeline {
  tenantId: string;
  caseId: string;
  events: TimelineEventView[];
  timeline: { ok: boolean; detail: string };
}

/**
 * The timeline of (tenantId, caseId) as `scope` sees it, each event's link to the one before
 * checked. Not found when the scope sees none of it; 422 past MAX_TIMELINE_EVENTS events.
 */
export async function caseTimeline(
  deps: { db: Db; prover: Prover },
  scope: Scope,
  tenantId: string,
  caseId: string,
): Promise<CaseTimeline> {
  // A tenant or case id no item could carry names nothing.
  if (!PRINCIPAL_ID_RE.test(tenantId) || !storableText(caseId, 256)) throw notFound("case");
  const rows = await caseTimelineRows(deps.db, scope, tenantId, caseId, { limit: MAX_TIMELINE_EVENTS + 1 });
  if (rows.length === 0) throw notFound("case");
  if (rows.length > MAX_TIMELINE_EVENTS) {
    throw new ServiceError("validation-failed", `the case has more than ${MAX_TIMELINE_EVENTS} events`, {
      errors: [
        {
          field: "caseId",
          reason: `the case has more than ${MAX_TIMELINE_EVENTS} events, more than one timeline answer shows: read it a page at a time with GET /v1/cases/{tenantId}/{caseId}/proofs`,
        },
      ],
    });
  }
  // Status and anchor time per batch, the anchor checked against the chain as everywhere else.
  // The scope has been applied already: these batches hold items it sees.
  const batches = new Map<number, { status: EvidenceStatus; anchoredAt: string | null }>();
  for (const seq of new Set(rows.flatMap((r) => (r.batchSeq === null ? [] : [r.batchSeq])))) {
    const b = await deps.prover.sealedBatch(seq);
    if (!b) continue; // still open: its events are pending
    batches.set(seq, {
      status: b.status,
      anchoredAt: b.anchor === null ? null : new Date(b.anchor.blockTimestamp * 1000).toISOString(),
    });
  }
  const leafHashes = rows.map((r) => toHex(r.leafHash));
  const check = checkTimeline(rows.map((r, i) => ({ leafHash: leafHashes[i]!, prev: r.prev })));
  return {
    tenantId,
    caseId,
    events: rows.map((r, i) => {
      const b = r.batchSeq === null ? null : batches.get(r.batchSeq);
      return {
        n: i + 1,
        evidenceId: r.id,
        eventType: r.eventType,
        occurredAt: r.occurredAt,
        status: b?.status ?? "pending",
        receivedAt: r.receivedAt.toISOString(),
        anchoredAt: b?.anchoredAt ?? null,
        leafHash: leafHashes[i]!,
        prev: r.prev,
        link: check.events[i]!,
      };
    }),
    timeline: { ok: check.ok, detail: check.detail },
  };
}

export function caseRoutes(deps: { db: Db; prover: Prover }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:caseId", async (c) => {
    const { scope } = callerOf(c);
    // Cases are per tenant. A tenant reads its own (naming another tenant finds nothing, as
    // for a case that does not exist); verifiers and admins must say whose case they mean.
    let tenantId = c.req.query("tenantId");
    if (tenantId === undefined) {
      if (scope.role !== "tenant") {
        throw validationFailed([{ field: "tenantId", reason: "required for verifiers and admins: case ids are per tenant" }]);
      }
      tenantId = scope.tenantId;
    }
    return c.json(await caseTimeline(deps, scope, tenantId, c.req.param("caseId")));
  });
  app.get("/:tenantId/:caseId/proofs", async (c) => {
    const { after, limit } = parsePaging(c, seqCursor);
    const { tenantId, caseId } = c.req.param();
    return c.json(await deps.prover.caseProofs(callerOf(c).scope, tenantId, caseId, { afterSeq: after, limit }));
  });
  return app;
}
