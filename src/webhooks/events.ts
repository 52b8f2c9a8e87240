// The webhook events and their payloads: types, the body every delivery carries
// (`{type, timestamp, data}`, Standard Webhooks), and the message ids receivers dedupe by.
// Pure: the store builds payloads with these inside the transactions that cause the events.
import { randomBytes } from "node:crypto";
import type { AnchorInfo } from "../core/bundle.ts";

export const WEBHOOK_EVENT_TYPES = ["evidence.anchored", "evidence.reanchored", "report.created"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only on request (POST /v1/webhooks/:id/test), to that endpoint, whatever it subscribes to. */
export const WEBHOOK_TEST_EVENT = "webhook.test";

/**
 * Evidence ids listed in one evidence.anchored event. A batch can hold 100,000 items of one
 * tenant; the event carries the count, the first ids in leaf order, and where to read them all
 * (GET /v1/batches/{seq}/evidence).
 */
export const MAX_EVENT_EVIDENCE_IDS = 1000;

/** A Standard Webhooks message id: `msg_` and 128 random bits, base64url. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString("base64url")}`;
}

/** The body of a delivery, exactly as sent and signed on every attempt. */
export function messageBody(type: string, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data });
}

/** Whether an endpoint subscribed to `type` (null: to everything). */
export function subscribes(eventTypes: readonly string[] | null, type: string): boolean {
  return eventTypes === null || eventTypes.includes(type);
}

export interface AnchorEventInput {
  tenantId: string;
  batch: { seq: number; root: string; size: number };
  /** The anchor as a proof names it, and when this service confirmed it. */
  anchor: AnchorInfo & { confirmedAt: Date };
  itemCount: number;
  evidenceIds: string[];
}

/** `data` of evidence.anchored and evidence.reanchored: one batch, one tenant's items in it. */
export function anchorEventData(e: AnchorEventInput): Record<string, unknown> {
  return {
    tenantId: e.tenantId,
    batch: e.batch,
    anchor: {
      chainId: e.anchor.chainId,
      contract: e.anchor.contract,
      txHash: e.anchor.txHash,
      blockNumber: e.anchor.blockNumber,
      blockHash: e.anchor.blockHash,
      blockTime: new Date(e.anchor.blockTimestamp * 1000).toISOString(),
      confirmedAt: e.anchor.confirmedAt.toISOString(),
    },
    items: {
      count: e.itemCount,
      evidenceIds: e.evidenceIds,
      // More items than listed: read them all, in leaf order, from this path.
      truncated: e.itemCount > e.evidenceIds.length,
      list: `/v1/batches/${e.batch.seq}/evidence`,
    },
  };
}
