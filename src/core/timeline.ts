// Checking a case timeline: the evidence items of one (submitter, caseId) carry, in
// meta.prev, the leaf hash of the item before them (evidence-proof/v1), so that an item
// removed, inserted or reordered after the fact breaks a link. Pure: no I/O, imports nothing,
// so the service, the CLI and the browser check a timeline with the same code.

/** One event of a timeline, in the order it is claimed to have arrived. */
export interface TimelineEvent {
  /** 0x-hex leaf hash of the event. */
  leafHash: string;
  /** Its meta.prev: the previous event's leaf hash, or null for the first event of the case. */
  prev: string | null;
}

export interface LinkCheck {
  ok: boolean;
  detail: string;
}

export interface TimelineCheck {
  /** Every link holds. */
  ok: boolean;
  detail: string;
  /** Per event, in the order given: whether its prev names the event before it. */
  events: LinkCheck[];
}

/**
 * Checks each event's link to the one before it: the first must have no prev, every other
 * must have prev equal to the previous event's leaf hash. Hex is compared case-insensitively.
 * A broken link says which hash is missing, or which event its prev names instead.
 */
export function checkTimeline(events: readonly TimelineEvent[]): TimelineCheck {
  const lower = events.map((e) => ({ leafHash: e.leafHash.toLowerCase(), prev: e.prev === null ? null : e.prev.toLowerCase() }));
  // Event number (1-based) of each leaf hash, to say where a prev points when it is not the previous event.
  const position = new Map<string, number>();
  lower.forEach((e, i) => {
    if (!position.has(e.leafHash)) position.set(e.leafHash, i + 1);
  });
  const links = lower.map((e, i): LinkCheck => {
    const n = i + 1;
    if (i === 0) {
      return e.prev === null
        ? { ok: true, detail: "the first event of the case: no prev" }
        : {
            ok: false,
            detail:
              `event 1 has prev ${e.prev}, but no event comes before it: ` +
              `the event with leaf hash ${e.prev} (and any before it) is missing`,
          };
    }
    const before = lower[i - 1]!.leafHash;
    if (e.prev === before) return { ok: true, detail: `prev is the leaf hash of event ${n - 1}` };
    if (e.prev === null) {
      return {
        ok: false,
        detail: `event ${n} has no prev, so it claims to be the first event of the case, but event ${n - 1} (${before}) comes before it: the timeline was restarted or events are out of order`,
      };
    }
    const named = position.get(e.prev);
    const where =
      named === undefined
        ? `no event shown has that leaf hash: an event is missing`
        : named === n
          ? `it names this event itself`
          : `it is the leaf hash of event ${named}: events are out of order, or the timeline forks`;
    return {
      ok: false,
      detail: `event ${n}: prev ${e.prev} is not the previous event's leaf hash ${before}: ${where}`,
    };
  });
  const broken = links.flatMap((l, i) => (l.ok ? [] : [i + 1]));
  if (events.length === 0) return { ok: true, detail: "no events", events: links };
  if (broken.length === 0) {
    return {
      ok: true,
      detail:
        events.length === 1
          ? "1 event, the first of the case"
          : `all ${events.length} events link to the one before: none is missing or out of order`,
      events: links,
    };
  }
  const first = links[broken[0]! - 1]!;
  const shown = broken.length <= 10 ? broken.join(", ") : `${broken.slice(0, 10).join(", ")} and ${broken.length - 10} more`;
  return {
    ok: false,
    detail: `${broken.length} of ${events.length} links are broken (event ${shown}); ${first.detail}`,
    events: links,
  };
}
