// End to end, as a new admin would do it with curl and the CLI: the real service process
// and its own Hardhat node; a platform submits a case's events; the admin asks for a report
// and downloads the JSON and the PDF; the report's own "openssl alone" commands verify its
// signature; `evidence verify-report` (the real binary) passes on it and fails on an edited
// copy; every PDF page renders and its text holds every digest, transaction hash and the
// Chinese case name.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvidenceReportV1 } from "../../src/reports/format.ts";
import { randomDigest } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { pdfPageCount, pdfPageTexts, renderPdfPages } from "../helpers/pdf-tools.ts";
import { apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ServiceProcess } from "../helpers/service.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CASE = "采购合同-2026-117";
const exec = promisify(execFile);

let service: ServiceProcess;
let database: TestDatabase | undefined;
let rpcUrl: string;
let report: EvidenceReportV1;
const dir = tempDir("reports-e2e-");

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
  const chainPort = await freePort();
  rpcUrl = `http://127.0.0.1:${chainPort}`;
  service = await spawnService({ DATA_DIR: join(dir, "data"), DATABASE_URL: database?.url, LOCAL_CHAIN_PORT: String(chainPort), BATCH_INTERVAL_MS: "300" });
  const adminKey = readAdminKey(join(dir, "data"));
  const tenant = await createTenant(service.url, adminKey, "acme-sign");
  const asTenant = apiClient(service.url, tenant.key);
  const ids: string[] = [];
  for (const events of [["uploaded", "sent", "viewed"], ["signed:party-a", "signed:party-b"]]) {
    const res = await asTenant<{ items: { id: string }[] }>("POST", "/v1/evidence/batch", {
      items: events.map((eventType) => ({ digest: randomDigest(), caseId: CASE, eventType })),
    });
    expect(res.status).toBe(202);
    ids.push(...res.body.items.map((i) => i.id));
  }
  await waitFor("every event anchored", async () => {
    for (const id of ids) if ((await asTenant<{ status: string }>("GET", `/v1/evidence/${id}`)).body.status !== "anchored") return false;
    return true;
  });
  const asAdmin = apiClient(service.url, adminKey);
  const created = await asAdmin<{ links: { json: string; pdf: string } }>("POST", "/v1/reports", {
    tenantId: "acme-sign",
    caseId: CASE,
    purpose: "Dispute over the delivery date",
    requestedBy: "Clerk Wang 王丽",
  });
  expect(created.status).toBe(201);
  const json = await fetch(service.url + created.body.links.json, { headers: { authorization: `Bearer ${adminKey}` } });
  writeFileSync(join(dir, "report.json"), await json.text());
  const pdf = await fetch(service.url + created.body.links.pdf, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(pdf.headers.get("content-type")).toBe("application/pdf");
  writeFileSync(join(dir, "report.pdf"), new Uint8Array(await pdf.arrayBuffer()));
  report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as EvidenceReportV1;
});

afterAll(async () => {
  await service?.stop("SIGTERM");
  await database?.close();
});

describe("a report, end to end", () => {
  it("covers the five events, all verified, in one timeline", () => {
    expect(report.events.map((e) => e.eventType)).toEqual(["uploaded", "sent", "viewed", "signed:party-a", "signed:party-b"]);
    expect(report.verdict.ok).toBe(true);
    expect(report.keys.url).toBe(`${service.url}/.well-known/evidence-keys.json`);
  });

  it("its own 'openssl alone' commands verify its signature", async () => {
    const steps = report.howToVerify.find((s) => s.title.includes("openssl"))!;
    const script = steps.commands.join("\n");
    const { stdout } = await exec("bash", ["-euo", "pipefail", "-c", script], { cwd: dir });
    expect(stdout).toContain("Signature Verified Successfully");
  });

  it("`evidence verify-report` passes on it against the chain, and fails on an edited copy", async () => {
    const ok = await exec(process.execPath, ["bin/evidence.mjs", "verify-report", join(dir, "report.json"), "--rpc", rpcUrl], { cwd: root });
    expect(ok.stdout).toMatch(/^VALID: the report is signed by the service key/m);
    const edited = readFileSync(join(dir, "report.json"), "utf8").replace("Dispute over the delivery date", "Dispute over the delivery dates");
    writeFileSync(join(dir, "edited.json"), edited);
    const bad = await exec(process.execPath, ["bin/evidence.mjs", "verify-report", join(dir, "edited.json"), "--rpc", rpcUrl], { cwd: root }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(1);
    expect(bad.stdout).toMatch(/^NOT VALID: the report's signature does not check out/m);
  });

  it("every PDF page renders, and its text holds each digest, transaction hash and the Chinese case name", async () => {
    const pages = await renderPdfPages(join(dir, "report.pdf"), dir, 40);
    const texts = await pdfPageTexts(join(dir, "report.pdf"));
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.length).toBe(await pdfPageCount(join(dir, "report.pdf")));
    expect(texts.length).toBe(pages.length);
    const text = texts.join("\n");
    expect(text).toContain(CASE);
    expect(text).toContain("王丽");
    for (const e of report.events) {
      expect(text).toContain(e.digest);
      expect(text).toContain(e.verification.transaction!);
    }
  });
});
