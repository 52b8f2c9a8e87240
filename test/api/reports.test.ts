// Evidence reports through the real app, on a real database and a real Hardhat chain: a
// 20-event case sealed in four batches, a report made by an admin and by a verifier the case
// is disclosed to; the JSON verifies (signature against the published keys, every proof on
// chain, the timeline) and any single-field edit breaks it; the report's own digest is
// anchored; a case with an event deleted from the database gets a report that says so.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { toHex } from "../../src/core/bytes.ts";
import { sha256 } from "../../src/core/hash.ts";
import { canonicalJson } from "../../src/core/jcs.ts";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { queryRows } from "../../src/store/db.ts";
import { checkSignature, parseKeySet, verifyBundle, verifyReport, type PublishedKey } from "../../src/verify/index.ts";
import { apiHarnessOnChain, bearer, jsonRequest, randomDigest, TEST_TENANT, unhandled, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";
import { pdfPageTexts } from "../helpers/pdf-tools.ts";
import { tempDir } from "../helpers/service.ts";

const CASE = "采购合同-2026-117";
const EVENTS = ["uploaded", "sent", "viewed", "signed:party-a", "signed:party-b"];

let h: ApiHarness & { node: LocalNode };
let keys: PublishedKey[];
let courtKey: string;
let report: EvidenceReportV1;
let created: { id: string; digest: string; evidenceId: string; links: Record<string, string> };

const admin = () => bearer(h.keys.admin);
async function makeReport(body: unknown, auth: Record<string, string> = admin()): Promise<Response> {
  return h.rawApp.request("/v1/reports", jsonRequest("POST", body, auth));
}
async function submitCase(caseId: string, n: number, perBatch: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += perBatch) {
    const items = Array.from({ length: Math.min(perBatch, n - start) }, (_, j) => ({
      digest: randomDigest(),
      caseId,
      eventType: EVENTS[(start + j) % EVENTS.length],
      occurredAt: new Date(Date.UTC(2026, 10, 20, 9, start + j)).toISOString(),
    }));
    const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
    expect(res.status).toBe(202);
    ids.push(...((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id));
    await h.batcher.tick();
  }
  return ids;
}

beforeAll(async () => {
  h = await apiHarnessOnChain();
  await submitCase(CASE, 20, 5);
  courtKey = await h.principal("verifier", "court-1");
  const grant = await h.app.request("/v1/disclosures", jsonRequest("POST", { caseId: CASE, verifierId: "court-1" }));
  expect(grant.status).toBe(201);
  keys = parseKeySet(await (await h.rawApp.request("/.well-known/evidence-keys.json")).json());
  // English asked for: the assertions below read its sentences (the default is Chinese, tested below).
  const res = await makeReport({ tenantId: TEST_TENANT, caseId: CASE, purpose: "Dispute 2026-117: 合同纠纷", requestedBy: "Clerk Wang 王书记员", language: "en" });
  expect(res.status, await res.clone().text()).toBe(201);
  created = (await res.json()) as typeof created;
  const got = await h.rawApp.request(created.links.json!, { headers: admin() });
  expect(got.status).toBe(200);
  report = JSON.parse(await got.text()) as EvidenceReportV1;
});
afterAll(() => h?.close());

describe(`evidence reports on ${describeDbKind()}`, () => {
  it("cover every event of the case in order, each checked on chain, with its receipt and full proof", () => {
    expect(report.format).toBe("evidence-report/v1");
    expect(report.caseId).toBe(CASE);
    expect(report.events).toHaveLength(20);
    expect(report.events.map((e) => e.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(report.events.map((e) => e.proof.batch!.seq)).size).toBe(4);
    for (const e of report.events) {
      expect(e.verification.verdict, `event ${e.n}`).toBe("valid");
      expect(e.link.ok, e.link.detail).toBe(true);
      expect(e.receipt?.signature.kid).toBe(report.keys.kid);
      expect(e.anchoringDelaySeconds).toBeGreaterThanOrEqual(0);
    }
    expect(report.events[0]!.prev).toBeNull();
    expect(report.events[1]!.prev).toBe(report.events[0]!.leafHash);
    expect(report.timeline.ok).toBe(true);
    expect(report.verdict.ok).toBe(true);
    expect(report.verdict.sentence).toMatch(/^VERIFIED: every event of case 采购合同-2026-117 \(20 events\)/);
    expect(report.requester).toEqual({ principalId: "admin", role: "admin", requestedBy: "Clerk Wang 王书记员" });
    expect(report.audit.map((a) => a.action)).toContain("disclosure.granted");
  });

  it("verify: signature against the published keys, every proof on chain, the timeline", async () => {
    const result = await verifyReport(report, { keys, chain: h.reader });
    expect(result.signature.ok).toBe(true);
    expect(result.verdict, result.headline).toBe("valid");
    expect(result.events.every((e) => e.verdict === "valid" && e.problems.length === 0)).toBe(true);
    const offline = await verifyReport(report, { keys });
    expect(offline.verdict).toBe("consistent");
  });

  it("any single-field edit breaks the signature", async () => {
    const leaves: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      if (typeof v === "object" && v !== null) for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
      else leaves.push(path);
    };
    const { signature: _, ...unsigned } = report;
    walk(unsigned, []);
    expect(leaves.length).toBeGreaterThan(500);
    for (const path of leaves) {
      const copy = structuredClone(report) as unknown as Record<string, any>;
      const parent = path.slice(0, -1).reduce((o, k) => o[k], copy);
      const key = path.at(-1)!;
      const v = parent[key];
      parent[key] = typeof v === "string" ? v + "x" : typeof v === "number" ? v + 1 : typeof v === "boolean" ? !v : "x";
      expect((await checkSignature(copy, keys)).ok, path.join("/")).toBe(false);
    }
    const edited = structuredClone(report);
    edited.events[4]!.digest = "0x" + "00".repeat(32);
    const result = await verifyReport(edited, { keys, chain: h.reader });
    expect(result.verdict).toBe("invalid");
    expect(result.events[4]!.problems.join()).toMatch(/digest/);
  });

  it("openssl verifies the signature with the published key as PEM", () => {
    const dir = tempDir("report-sig-");
    const { signature, ...rest } = report;
    const key = keys.find((k) => k.kid === signature.kid)!;
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(key.x, "base64url")]);
    writeFileSync(join(dir, "key.der"), der);
    execFileSync("openssl", ["pkey", "-pubin", "-inform", "DER", "-in", join(dir, "key.der"), "-out", join(dir, "key.pem")]);
    writeFileSync(join(dir, "report.canonical.json"), canonicalJson(rest));
    writeFileSync(join(dir, "report.sig"), Buffer.from(signature.value, "base64url"));
    const out = execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "key.pem"), "-rawin", "-in", join(dir, "report.canonical.json"), "-sigfile", join(dir, "report.sig")]);
    expect(out.toString()).toContain("Signature Verified Successfully");
  });

  it("anchors the report's own digest as evidence of the system tenant", async () => {
    expect(created.digest).toBe(toHex(sha256(new TextEncoder().encode(canonicalJson(report)))));
    await h.batcher.tick();
    const res = await h.rawApp.request(created.links.proof!, { headers: admin() });
    expect(res.status).toBe(200);
    const proof = (await res.json()) as { evidence: { digest: string; meta: Record<string, string> } };
    expect(proof.evidence.digest).toBe(created.digest);
    expect(proof.evidence.meta.submitter).toBe("system");
    expect((await verifyBundle(proof, { chain: h.reader })).valid).toBe(true);
  });

  it("a verifier of a disclosed case may make and read one; others see nothing", async () => {
    const res = await makeReport({ tenantId: TEST_TENANT, caseId: CASE, purpose: "hearing", requestedBy: "court-1" }, bearer(courtKey));
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    expect((await h.rawApp.request(`/v1/reports/${id}`, { headers: bearer(courtKey) })).status).toBe(200);
    // The owning tenant reads reports on its cases, but cannot make them (403: its role may not).
    expect((await h.app.request(`/v1/reports/${id}`)).status).toBe(200);
    expect((await h.app.request("/v1/reports", jsonRequest("POST", { tenantId: TEST_TENANT, caseId: CASE, purpose: "p", requestedBy: "r" }))).status).toBe(403);
    const stranger = await h.principal("verifier", "court-2");
    expect((await h.rawApp.request(`/v1/reports/${id}`, { headers: bearer(stranger) })).status).toBe(404);
    expect((await makeReport({ tenantId: TEST_TENANT, caseId: CASE, purpose: "p", requestedBy: "r" }, bearer(stranger))).status).toBe(404);
    const other = await h.principal("tenant", "tenant-other");
    expect((await h.rawApp.request(`/v1/reports/${id}/pdf`, { headers: bearer(other) })).status).toBe(404);
  });

  it("bad requests are 422 naming the field, unknown cases 404, and nothing is stored", async () => {
    const count = async () => Number((await queryRows<{ n: number }>(h.database.db, sql`select count(*)::int as n from reports`))[0]?.n ?? NaN);
    const [before, reportsBefore] = [await h.countEvidence(), await count()];
    const cases: [unknown, number, string | null][] = [
      [{ tenantId: TEST_TENANT, caseId: CASE, evidenceIds: [created.evidenceId], purpose: "p", requestedBy: "r" }, 422, "/caseId"],
      [{ tenantId: TEST_TENANT, purpose: "p", requestedBy: "r" }, 422, "/caseId"],
      [{ tenantId: TEST_TENANT, evidenceIds: ["nope"], purpose: "p", requestedBy: "r" }, 422, "/evidenceIds/0"],
      [{ tenantId: TEST_TENANT, caseId: CASE, purpose: "", requestedBy: "r" }, 422, "/purpose"],
      [{ tenantId: TEST_TENANT, caseId: CASE, purpose: "p", requestedBy: "r", signature: "x" }, 422, "/signature"],
      [{ tenantId: TEST_TENANT, caseId: "no-such-case", purpose: "p", requestedBy: "r" }, 404, null],
      [{ tenantId: "tenant-other", caseId: CASE, purpose: "p", requestedBy: "r" }, 404, null],
      [{ tenantId: TEST_TENANT, caseId: CASE, purpose: "p", requestedBy: "r", language: "fr" }, 422, "/language"],
      [{ tenantId: TEST_TENANT, caseId: CASE, purpose: "p", requestedBy: "r", language: "zh" }, 422, "/language"],
    ];
    for (const [body, status, field] of cases) {
      const res = await makeReport(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      if (field) expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    }
    expect(await h.countEvidence()).toBe(before);
    expect(await count()).toBe(reportsBefore);
  });

  it("is written in Chinese by default (REPORT_LANGUAGE), and records its language in the signed JSON", async () => {
    expect(report.language).toBe("en");
    const res = await makeReport({ tenantId: TEST_TENANT, caseId: CASE, purpose: "庭审", requestedBy: "王书记员" });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const zh = (await (await h.app.request(`/v1/reports/${id}`)).json()) as EvidenceReportV1;
    expect(zh.language).toBe("zh-CN");
    expect(zh.verdict.sentence).toMatch(/^验证通过：案件 /);
    expect(zh.statement[0]).toMatch(/^存证证明能够证明的：/);
    expect(zh.algorithms.tree).toContain("默克尔树");
    expect(zh.howToVerify[0]!.title).toMatch(/^事件 \d+ 的文件/);
    expect(zh.timeline.detail).toContain("均与前一事件相链接");
    // The same members as the English report, with the same meaning: only the words differ.
    expect(Object.keys(zh).sort()).toEqual(Object.keys(report).sort());
    expect(zh.events.map((e) => e.digest)).toEqual(report.events.map((e) => e.digest));
  });

  it("a report on a list of items covers exactly those", async () => {
    const ids = report.events.slice(2, 5).map((e) => e.evidenceId);
    const res = await makeReport({ tenantId: TEST_TENANT, evidenceIds: ids, purpose: "three events", requestedBy: "r" });
    expect(res.status).toBe(201);
    const { links } = (await res.json()) as typeof created;
    const r = JSON.parse(await (await h.rawApp.request(links.json!, { headers: admin() })).text()) as EvidenceReportV1;
    expect(r.caseId).toBeNull();
    expect(r.events.map((e) => e.evidenceId)).toEqual(ids);
    expect((await verifyReport(r, { keys, chain: h.reader })).verdict).toBe("valid");
  });

  it("a case with an event deleted from the database gets a report that says its timeline is broken", async () => {
    const caseId = "case-with-a-hole";
    const ids = await submitCase(caseId, 6, 3);
    await h.database.db.execute(sql`delete from evidence where id = ${ids[3]!}`);
    const res = await makeReport({ tenantId: TEST_TENANT, caseId, purpose: "p", requestedBy: "r", language: "en" });
    expect(res.status).toBe(201);
    const { links } = (await res.json()) as typeof created;
    const r = JSON.parse(await (await h.rawApp.request(links.json!, { headers: admin() })).text()) as EvidenceReportV1;
    expect(r.events).toHaveLength(5);
    expect(r.timeline.ok).toBe(false);
    expect(r.events[3]!.link.ok).toBe(false);
    expect(r.verdict.ok).toBe(false);
    expect(r.verdict.sentence).toMatch(/^NOT VERIFIED: the timeline of case case-with-a-hole .* is broken/);
    const check = await verifyReport(r, { keys, chain: h.reader });
    expect(check.signature.ok).toBe(true);
    expect(check.verdict).toBe("invalid");
    expect(check.headline).toMatch(/timeline is broken/);
  });

  it("serves the PDF, whose text holds every digest and transaction hash and the Chinese case name", async () => {
    const res = await h.rawApp.request(created.links.pdf!, { headers: admin() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    const dir = tempDir("report-pdf-");
    writeFileSync(join(dir, "r.pdf"), new Uint8Array(await res.arrayBuffer()));
    const text = (await pdfPageTexts(join(dir, "r.pdf"))).join("\n");
    expect(text).toContain(CASE);
    for (const e of report.events) {
      expect(text, `digest of event ${e.n}`).toContain(e.digest);
      expect(text, `transaction of event ${e.n}`).toContain(e.verification.transaction!);
    }
  });

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
