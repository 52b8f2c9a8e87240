// The claimed-time warnings (src/verify/times.ts): a platform's occurredAt later than the block
// that anchored it, and claimed times that go backwards along a case timeline, are flagged in
// words; consistent claims give no warning. They are warnings, never failed checks.
import { describe, expect, it } from "vitest";
import {
  beijingTime,
  type ClaimedTime,
  claimedTimeFindings,
  claimedTimeWarnings,
  proofClaimedTimeWarnings,
  verifyBundle,
  verdictOf,
} from "../../src/verify/index.ts";
import { anchoredFixture, fakeReader } from "./fixture.ts";

/** 2026-11-27T10:00:00Z as Unix seconds: the fixture's anchor block is later than every claim. */
const T = Date.parse("2026-11-27T10:00:00Z") / 1000;

describe("claimed-time warnings over a case timeline", () => {
  it("are none when the claims are in order and no later than their anchors", () => {
    const events: ClaimedTime[] = [
      { n: 1, occurredAt: "2026-11-27T09:58:00Z", anchorTimestamp: T },
      { n: 2, occurredAt: "2026-11-27T17:59:00+08:00", anchorTimestamp: T }, // 09:59Z: zones are compared as instants
      { n: 3, occurredAt: null, anchorTimestamp: T },
      { n: 4, occurredAt: "2026-11-27T10:00:00Z", anchorTimestamp: T }, // equal to the anchor: possible
      { n: 5, occurredAt: "2026-11-27T10:00:00Z", anchorTimestamp: null }, // not anchored yet
    ];
    expect(claimedTimeWarnings(events)).toEqual([]);
  });

  it("flag a claimed time later than the block that anchored it, naming both times", () => {
    const w = claimedTimeWarnings([
      { n: 1, occurredAt: "2026-11-27T09:00:00Z", anchorTimestamp: T },
      { n: 2, occurredAt: "2026-11-27T18:30:00+08:00", anchorTimestamp: T }, // 10:30Z, half an hour after its anchor
    ]);
    expect(w).toEqual([
      "event 2: the platform claims it occurred at 2026-11-27T18:30:00+08:00, after it was anchored at 2026-11-27T10:00:00Z: " +
        "a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)",
    ]);
  });

  it("flag claimed times out of order, naming the earlier event, and carry on from the later claim", () => {
    const findings = claimedTimeFindings([
      { n: 1, occurredAt: "2026-11-27T09:10:00Z", anchorTimestamp: T },
      { n: 2, occurredAt: null, anchorTimestamp: T },
      { n: 3, occurredAt: "2026-11-27T09:05:00Z", anchorTimestamp: T },
      { n: 4, occurredAt: "2026-11-27T09:07:00Z", anchorTimestamp: T }, // after 3's claim: in order again
    ]);
    expect(findings).toEqual([{ kind: "out-of-order", n: 3, claimed: "2026-11-27T09:05:00Z", before: { n: 1, claimed: "2026-11-27T09:10:00Z" } }]);
    expect(claimedTimeWarnings([
      { n: 1, occurredAt: "2026-11-27T09:10:00Z", anchorTimestamp: T },
      { n: 2, occurredAt: "2026-11-27T09:05:00Z", anchorTimestamp: T },
    ])).toEqual([
      "event 2: the platform claims it occurred at 2026-11-27T09:05:00Z, before event 1 (2026-11-27T09:10:00Z), which comes earlier in the timeline: the claimed times are out of order",
    ]);
  });

  it("flag both at once, and a claim that cannot be read", () => {
    const kinds = claimedTimeFindings([
      { n: 1, occurredAt: "2026-11-27T11:00:00Z", anchorTimestamp: T },
      { n: 2, occurredAt: "2026-11-27T09:00:00Z", anchorTimestamp: T },
      { n: 3, occurredAt: "yesterday", anchorTimestamp: T },
    ]).map((f) => [f.n, f.kind]);
    expect(kinds).toEqual([
      [1, "after-anchor"],
      [2, "out-of-order"],
      [3, "unreadable"],
    ]);
  });
});

describe("the claimed-time warning of one proof", () => {
  it("is none for a proof whose claim is no later than its anchor", async () => {
    const { bundles, facts } = anchoredFixture();
    // Leaf 0 claims 10:00:00Z, the second of its anchor block: possible.
    expect(bundles[0]!.evidence.meta.occurredAt).toBe("2026-11-27T10:00:00Z");
    expect(proofClaimedTimeWarnings(bundles[0]!)).toEqual([]);
    const result = await verifyBundle(bundles[0], { chain: fakeReader(facts) });
    expect(result.anchoredAt).toBe("2026-11-27T10:00:00Z");
    expect(proofClaimedTimeWarnings(result.bundle, result.anchoredAt)).toEqual([]);
  });

  it("flags a real proof whose leaf claims a time after its anchor block, and its checks still pass", async () => {
    const { bundles, facts } = anchoredFixture();
    // Leaf 2 claims 10:02:00Z; its batch was anchored at 10:00:00Z. The claim is inside the
    // leaf hash, so the proof is intact: only the platform's statement is wrong.
    const result = await verifyBundle(bundles[2], { chain: fakeReader(facts) });
    expect(verdictOf(result).kind).toBe("valid");
    expect(proofClaimedTimeWarnings(result.bundle, result.anchoredAt)).toEqual([
      "the platform claims it occurred at 2026-11-27T10:02:00Z, after it was anchored at 2026-11-27T10:00:00Z: a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)",
    ]);
  });

  it("compares with the time the proof states offline, and the chain's time once checked", () => {
    const b = anchoredFixture().bundles[0]!;
    const anchoredIso = new Date(b.anchor!.blockTimestamp * 1000).toISOString().replace(".000Z", "Z");
    const later = new Date((b.anchor!.blockTimestamp + 3600) * 1000).toISOString().replace(".000Z", "Z");
    // The claim is inside the leaf: a proof that claims a later time is a different leaf, so
    // this is a warning about the statement, checked without rebuilding the proof.
    const claimed = { ...b, evidence: { ...b.evidence, meta: { ...b.evidence.meta, occurredAt: later } } };
    expect(proofClaimedTimeWarnings(claimed)).toEqual([
      `the platform claims it occurred at ${later}, after it was anchored at ${anchoredIso}: a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands)`,
    ]);
    // The chain's time, when checked, is the one compared with.
    expect(proofClaimedTimeWarnings(claimed, "2030-01-01T00:00:00Z")).toEqual([]);
    expect(proofClaimedTimeWarnings(b, "2020-01-01T00:00:00Z")).toHaveLength(1);
    expect(proofClaimedTimeWarnings(null)).toEqual([]);
    const unanchored = { ...claimed, anchor: null };
    expect(proofClaimedTimeWarnings(unanchored)).toEqual([]);
    expect(beijingTime(b.anchor!.blockTimestamp)).toMatch(/Beijing time \(UTC\+08:00\)$/);
  });
});
