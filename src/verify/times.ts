// Times for people: an instant in UTC beside Beijing time (or another zone), and the warnings
// about a platform's claimed occurredAt times (they are its statements: checked for order and
// against the anchor time, flagged in words, never a failed check). Pure, no clock.
import type { ProofBundleV1 } from "../core/bundle.ts";

/** The zone our readers (Chinese courts) read times in: China Standard Time, UTC+08:00, no DST. */
export const BEIJING_ZONE = "Asia/Shanghai";

/** "2026-11-27 16:15:08" in `timeZone`, or null for an instant Date cannot hold. */
export function wallClock(when: string | number, timeZone: string): string | null {
  const d = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  if (Number.isNaN(d.getTime())) return null;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** "2026-11-27 16:15:08 Beijing time (UTC+08:00)", or null for an unreadable instant. */
export function beijingTime(when: string | number): string | null {
  const t = wallClock(when, BEIJING_ZONE);
  return t === null ? null : `${t} Beijing time (UTC+08:00)`;
}

/** One event as the claimed-time check needs it. */
export interface ClaimedTime {
  /** 1-based position in the timeline. */
  n: number;
  /** meta.occurredAt as the platform stated it, or null. */
  occurredAt: string | null;
  /** Unix seconds of the anchoring block (checked or as the proof states it), or null. */
  anchorTimestamp: number | null;
}

/** What is amiss with one claimed time, as data, so that each language words it its own way. */
export type ClaimedTimeFinding =
  | { kind: "unreadable"; n: number; claimed: string }
  /** Claimed later than the block that anchored it: `anchored` is that block's time, ISO 8601 UTC. */
  | { kind: "after-anchor"; n: number; claimed: string; anchored: string }
  /** Claimed earlier than the claim of an event before it in the timeline. */
  | { kind: "out-of-order"; n: number; claimed: string; before: { n: number; claimed: string } };

/**
 * What cannot be true as stated about claimed times: a time later than the block that anchored
 * the claim (the claim was on the chain before the event it describes), and times that go
 * backwards along the timeline. Empty when nothing is amiss. Events without a claim are passed over.
 */
export function claimedTimeFindings(events: readonly ClaimedTime[]): ClaimedTimeFinding[] {
  const out: ClaimedTimeFinding[] = [];
  let previous: { n: number; at: number; claimed: string } | null = null;
  for (const e of events) {
    if (e.occurredAt === null) continue;
    const at = Date.parse(e.occurredAt);
    if (Number.isNaN(at)) {
      out.push({ kind: "unreadable", n: e.n, claimed: e.occurredAt });
      continue;
    }
    if (e.anchorTimestamp !== null && at > e.anchorTimestamp * 1000) {
      out.push({ kind: "after-anchor", n: e.n, claimed: e.occurredAt, anchored: new Date(e.anchorTimestamp * 1000).toISOString().replace(".000Z", "Z") });
    }
    if (previous !== null && at < previous.at) {
      out.push({ kind: "out-of-order", n: e.n, claimed: e.occurredAt, before: { n: previous.n, claimed: previous.claimed } });
    }
    previous = { n: e.n, at, claimed: e.occurredAt };
  }
  return out;
}

/** A finding in English words, without the "event n: " the timeline puts in front. */
export function claimedTimeSentence(f: ClaimedTimeFinding): string {
  switch (f.kind) {
    case "unreadable":
      return `the platform's claimed time ${JSON.stringify(f.claimed)} is not a time that can be read`;
    case "after-anchor":
      return (
        `the platform claims it occurred at ${f.claimed}, after it was anchored at ${f.anchored}: ` +
        `a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)`
      );
    case "out-of-order":
      return (
        `the platform claims it occurred at ${f.claimed}, before event ${f.before.n} (${f.before.claimed}), ` +
        `which comes earlier in the timeline: the claimed times are out of order`
      );
  }
}

/** Warnings, in words, about the claimed times of a timeline ("event n: …"). Empty when nothing is amiss. */
export function claimedTimeWarnings(events: readonly ClaimedTime[]): string[] {
  return claimedTimeFindings(events).map((f) => `event ${f.n}: ${claimedTimeSentence(f)}`);
}

/**
 * The warnings about one proof's claimed time (meta.occurredAt) against its anchor: the block
 * time the chain confirmed (`anchoredAt`, ISO 8601) when it was checked, else the time the proof
 * states. Empty for a proof that cannot be read, claims no time or is not anchored yet.
 */
export function proofClaimedTimeWarnings(bundle: ProofBundleV1 | null, anchoredAt: string | null = null): string[] {
  return proofClaimedTimeFindings(bundle, anchoredAt).map(claimedTimeSentence);
}

/** proofClaimedTimeWarnings as data, for a caller that words them in another language. */
export function proofClaimedTimeFindings(bundle: ProofBundleV1 | null, anchoredAt: string | null = null): ClaimedTimeFinding[] {
  const occurredAt = bundle?.evidence.meta.occurredAt;
  if (bundle === null || occurredAt === undefined) return [];
  const confirmed = anchoredAt === null ? Number.NaN : Date.parse(anchoredAt) / 1000;
  const anchorTimestamp = Number.isFinite(confirmed) ? confirmed : (bundle.anchor?.blockTimestamp ?? null);
  return claimedTimeFindings([{ n: 1, occurredAt, anchorTimestamp }]);
}
