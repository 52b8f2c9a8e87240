// The report's timeline detail warns, in the report's language, when the platform's claimed
// occurredAt times cannot be true as stated: later than the event's anchor, or out of order
// along the case. They are the platform's statements, so the timeline and the verdict stay
// as the checks make them. Real app, real database, real Hardhat chain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness;

async function caseOf(caseId: string, claims: string[]): Promise<void> {
  const items = claims.map((occurredAt, i) => ({ digest: randomDigest(), caseId, eventType: `step ${i + 1}`, occurredAt }));
  const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }, bearer(h.keys.tenant)));
  expect(res.status, await res.clone().text()).toBe(202);
}

async function report(caseId: string, language: "en" | "zh-CN"): Promise<EvidenceReportV1> {
  const admin = bearer(h.keys.admin);
  const res = await h.rawApp.request("/v1/reports", jsonRequest("POST", { tenantId: TEST_TENANT, caseId, purpose: "claimed times", requestedBy: "Clerk Li", language }, admin));
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as { links: { json: string } };
  return (await (await h.rawApp.request(created.links.json, { headers: admin })).json()) as EvidenceReportV1;
}

beforeAll(async () => {
  h = await apiHarnessOnChain();
  // Event 2 claims a time before event 1's; event 3 claims a time after any anchor.
  await caseOf("时间-不一致", ["2026-01-01T10:00:00Z", "2026-01-01T17:30:00+08:00", "2099-01-01T00:00:00Z"]);
  await caseOf("时间-一致", ["2026-01-01T09:00:00Z", "2026-01-01T18:00:00+08:00", "2026-01-01T10:30:00Z"]);
  await h.batcher.tick();
});
afterAll(() => h?.close());

describe(`claimed-time warnings in the report's timeline on ${describeDbKind()}`, () => {
  it("English: event 2 out of order, event 3 after its anchor; the timeline and the verdict still hold", async () => {
    const r = await report("时间-不一致", "en");
    const anchored = r.events[2]!.verification.anchoredAt!;
    expect(r.timeline.ok).toBe(true);
    expect(r.verdict.ok, r.verdict.sentence).toBe(true);
    expect(r.timeline.detail).toBe(
      "all 3 events link to the one before: none is missing or out of order. " +
        "Warning about the times the platform claims (its own statements; the anchor times come from the chain): " +
        "event 2: the platform claims it occurred at 2026-01-01T17:30:00+08:00, before event 1 (2026-01-01T10:00:00Z), which comes earlier in the timeline: the claimed times are out of order; " +
        `event 3: the platform claims it occurred at 2099-01-01T00:00:00Z, after it was anchored at ${anchored}: a record cannot be anchored before the event it describes, so the claimed time is wrong (the anchor time stands).`,
    );
  });

  it("Chinese: the same warnings in Chinese, with the times as written", async () => {
    const r = await report("时间-不一致", "zh-CN");
    const anchored = r.events[2]!.verification.anchoredAt!;
    expect(r.timeline.ok).toBe(true);
    expect(r.timeline.detail).toBe(
      "全部 3 个事件均与前一事件相链接：没有缺失，也没有顺序错乱。" +
        "关于平台所称时间的提示（这些时间是平台自己的陈述；锚定时间来自区块链）：" +
        "事件 2：平台称其发生于 2026-01-01T17:30:00+08:00，早于时间线中排在其前面的事件 1（2026-01-01T10:00:00Z）：平台所称时间顺序错乱；" +
        `事件 3：平台称其发生于 2099-01-01T00:00:00Z，晚于其锚定时间 ${anchored}：记录不可能在其所描述的事件发生之前被锚定，因此所称时间有误（以锚定时间为准）。`,
    );
  });

  it("no warning when the claims are in order (across zones) and before their anchors", async () => {
    expect((await report("时间-一致", "en")).timeline.detail).toBe("all 3 events link to the one before: none is missing or out of order");
    expect((await report("时间-一致", "zh-CN")).timeline.detail).toBe("全部 3 个事件均与前一事件相链接：没有缺失，也没有顺序错乱");
  });
});
