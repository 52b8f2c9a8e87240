// The timeline checker: each event's prev must be the previous event's leaf hash, the first
// event's prev null; a broken link names the hash that is missing, or the event its prev names.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkTimeline, type TimelineEvent } from "../../src/core/timeline.ts";

const hash = (n: number) => "0x" + n.toString(16).padStart(64, "0");
/** A well-linked timeline of `n` events with leaf hashes hash(1..n). */
function chain(n: number): TimelineEvent[] {
  return Array.from({ length: n }, (_, i) => ({ leafHash: hash(i + 1), prev: i === 0 ? null : hash(i) }));
}

describe("checkTimeline", () => {
  it("passes an empty timeline, a single first event and a well-linked chain", () => {
    expect(checkTimeline([])).toEqual({ ok: true, detail: "no events", events: [] });
    const one = checkTimeline(chain(1));
    expect(one.ok).toBe(true);
    expect(one.events).toEqual([{ ok: true, detail: "the first event of the case: no prev" }]);
    const five = checkTimeline(chain(5));
    expect(five.ok).toBe(true);
    expect(five.detail).toBe("all 5 events link to the one before: none is missing or out of order");
    expect(five.events.map((e) => e.ok)).toEqual([true, true, true, true, true]);
    expect(five.events[3]!.detail).toBe("prev is the leaf hash of event 3");
  });

  it("compares hex case-insensitively", () => {
    const events = chain(3).map((e) => ({ leafHash: e.leafHash.toUpperCase().replace("0X", "0x"), prev: e.prev }));
    expect(checkTimeline(events).ok).toBe(true);
  });

  it("names the missing event's hash when one is removed from the middle", () => {
    const events = chain(5);
    events.splice(2, 1); // event with leaf hash hash(3) is gone; hash(4)'s prev is hash(3)
    const result = checkTimeline(events);
    expect(result.ok).toBe(false);
    expect(result.events.map((e) => e.ok)).toEqual([true, true, false, true]);
    expect(result.events[2]!.detail).toBe(
      `event 3: prev ${hash(3)} is not the previous event's leaf hash ${hash(2)}: no event shown has that leaf hash: an event is missing`,
    );
    expect(result.detail).toContain("1 of 4 links are broken (event 3)");
    expect(result.detail).toContain(hash(3));
  });

  it("says the first events are missing when the first event shown has a prev", () => {
    const result = checkTimeline(chain(4).slice(1));
    expect(result.ok).toBe(false);
    expect(result.events[0]).toEqual({
      ok: false,
      detail: `event 1 has prev ${hash(1)}, but no event comes before it: the event with leaf hash ${hash(1)} (and any before it) is missing`,
    });
    expect(result.events.slice(1).every((e) => e.ok)).toBe(true);
  });

  it("says which event a prev names when events are out of order or the chain forks", () => {
    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    const r = checkTimeline(swapped);
    expect(r.ok).toBe(false);
    // Event 2 (leaf hash(3)) names hash(2), which is event 3 now; event 3 names hash(1), event 1.
    expect(r.events[1]!.detail).toContain("it is the leaf hash of event 3: events are out of order, or the timeline forks");
    expect(r.events[2]!.detail).toContain("it is the leaf hash of event 1");
    // A fork: two events with the same prev.
    const fork = [...chain(3), { leafHash: hash(99), prev: hash(2) }];
    const f = checkTimeline(fork);
    expect(f.events.map((e) => e.ok)).toEqual([true, true, true, false]);
    expect(f.events[3]!.detail).toContain(`prev ${hash(2)} is not the previous event's leaf hash ${hash(3)}: it is the leaf hash of event 2`);
  });

  it("refuses a second first event: a null prev after the first event", () => {
    const events = [...chain(2), { leafHash: hash(50), prev: null }];
    const r = checkTimeline(events);
    expect(r.events[2]).toEqual({
      ok: false,
      detail: `event 3 has no prev, so it claims to be the first event of the case, but event 2 (${hash(2)}) comes before it: the timeline was restarted or events are out of order`,
    });
    expect(r.ok).toBe(false);
  });

  it("flags an event whose prev is its own leaf hash", () => {
    const r = checkTimeline([{ leafHash: hash(1), prev: null }, { leafHash: hash(2), prev: hash(2) }]);
    expect(r.events[1]!.detail).toContain("it names this event itself");
  });

  it("keeps the summary short when many links are broken", () => {
    const events = Array.from({ length: 30 }, (_, i) => ({ leafHash: hash(i + 1), prev: i === 0 ? null : hash(1000 + i) }));
    const r = checkTimeline(events);
    expect(r.detail).toMatch(/^29 of 30 links are broken \(event 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 19 more\); event 2: /);
  });

  it("property: a chain passes; removing, duplicating or swapping any event breaks exactly where it should", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.constantFrom("remove", "swap", "duplicate"), (n, at, edit) => {
        const events = chain(n);
        expect(checkTimeline(events).ok).toBe(true);
        const i = at % n;
        if (edit === "remove") {
          events.splice(i, 1);
          const r = checkTimeline(events);
          const broken = r.events.flatMap((e, k) => (e.ok ? [] : [k]));
          // The event after the removed one breaks, and only it. Removing the last event leaves
          // a well-linked chain: links alone cannot tell (that takes the anchored proofs).
          expect(broken).toEqual(i === n - 1 ? [] : [i]);
          expect(r.ok).toBe(i === n - 1);
        } else if (edit === "swap") {
          const j = (i + 1) % n;
          [events[i], events[j]] = [events[j]!, events[i]!];
          expect(checkTimeline(events).ok).toBe(false);
        } else {
          events.splice(i, 0, { ...events[i]! });
          expect(checkTimeline(events).ok).toBe(false);
        }
      }),
    );
  });
});
