// Times for people: an instant in UTC beside Beijing time (or another zone), and the warnings
// about a platform's claimed occurredAt times (they are its statements: checked for order and
// against the anchor time, flagged in words, never a failed check). Pure, no clock.

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

/**
 * Warnings, in words, about claimed times that cannot be true as stated: a time later than the
 * block that anchored the claim (the claim was on the chain before the event it describes),
 * and times that go backwards along the timeline. Empty when nothing is amiss.
 */
export function claimedTimeWarnings(events: readonly ClaimedTime[]): string[] {
  const out: string[] = [];
  let previous: { n: number; at: number; text: string } | null = null;
  for (const e of events) {
    if (e.occurredAt === null) continue;
    const at = Date.parse(e.occurredAt);
    if (Number.isNaN(at)) {
      out.push(`event ${e.n}: the platform's claimed time ${JSON.stringify(e.occurredAt)} is not a time that can be read`);
      continue;
    }
    if (e.anchorTimestamp !== null && at > e.anchorTimestamp * 1000) {
      const anchored = new Date(e.anchorTimestamp * 1000).toISOString().replace(".000Z", "Z");
      out.push(
        `event ${e.n}: the platform claims it occurred at ${e.occurredAt}, after it was anchored at ${anchored}: ` +
          `a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)`,
      );
    }
    if (previous !== null && at < previous.at) {
      out.push(
        `event ${e.n}: the platform claims it occurred at ${e.occurredAt}, before event ${previous.n} (${previous.text}), ` +
          `which comes earlier in the timeline: the claimed times are out of order`,
      );
    }
    previous = { n: e.n, at, text: e.occurredAt };
  }
  return out;
}
