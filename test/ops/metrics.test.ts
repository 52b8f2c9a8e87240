// GET /metrics on a real service (in this process, so the test can drive the batcher), on
// PostgreSQL when DATABASE_URL is set, PGlite otherwise, with a real Hardhat node and a second
// endpoint that accepts connections and never answers: who may scrape, that the series move
// when evidence is submitted and anchored, that a hung endpoint does not hang the scrape, that
// docs/operations.md's table lists exactly the evidence_* series served, and that its example
// alert rules parse (promtool when installed, the PromQL parser always) and name served series.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { parser } from "@prometheus-io/lezer-promql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../src/config.ts";
import { toHex } from "../../src/core/bytes.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { createLogger } from "../../src/log.ts";
import type { RunningService } from "../../src/service.ts";
import { queryRows } from "../../src/store/db.ts";
import { BatchStamper } from "../../src/tsa/batch-stamper.ts";
import { sql } from "drizzle-orm";
import { freePort, rpc, startTestChain } from "../helpers/chain.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { apiClient, createPrincipal, createTenant, tempDir, type ApiCall } from "../helpers/service.ts";
import { instancesOfOneDatabase, startInProcess } from "../helpers/in-process.ts";

const run = promisify(execFile);
const TOKEN = randomBytes(24).toString("hex");
/** A path that stands for an API key in an RPC URL: it must never reach a label. */
const URL_SECRET = "k3y" + randomBytes(6).toString("hex");

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition's samples, and each family's type from its `# TYPE` line. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The one sample of `name` whose labels include `labels`, or undefined. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = parseExposition(text).samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/** Every name a PromQL selector may use against this exposition (histograms' _bucket/_sum/_count too). */
function servedNames(text: string): Set<string> {
  const { samples, types } = parseExposition(text);
  const names = new Set(samples.map((s) => s.name));
  for (const [name, type] of types) {
    names.add(name);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
  }
  return names;
}

/** docs/operations.md's "## Metrics" section, up to the next second-level heading. */
function metricsSection(): string {
  const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
  const start = doc.indexOf("\n## Metrics\n");
  expect(start, "docs/operations.md has a ## Metrics section").toBeGreaterThan(0);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** A TCP server that accepts connections and never answers: a hung JSON-RPC node. */
async function hungServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}/v3/${URL_SECRET}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe(`GET /metrics (${describeDbKind()})`, () => {
  let node: LocalNode;
  let database: TestDatabase | undefined;
  let hung: Awaited<ReturnType<typeof hungServer>>;
  let service: RunningService;
  let adminKey: string;
  let asAdmin: ApiCall;
  let asTenant: ApiCall;
  const logLines: string[] = [];

  beforeAll(async () => {
    [node, database, hung] = await Promise.all([
      startTestChain(),
      process.env.DATABASE_URL ? freshDatabase() : Promise.resolve(undefined),
      hungServer(),
    ]);
    service = await startInProcess(
      { nodeUrl: node.url, databaseUrl: database?.url },
      {
        // The hung endpoint second: the batcher uses the live one; every probe waits it out.
        CHAIN_RPC_URL: `${node.url},${hung.url}`,
        CHAIN_TIMEOUT_MS: "1000",
        CONFIRMATIONS: "1",
        METRICS_TOKEN: TOKEN,
        METRICS_PORT: "0",
        // Nothing is sealed by the clock: the test seals and anchors with tick().
        BATCH_INTERVAL_MS: "600000",
      },
      createLogger("warn", (l) => logLines.push(l)),
    );
    adminKey = service.bootstrap!.key;
    asAdmin = apiClient(service.url, adminKey);
    asTenant = apiClient(service.url, (await createTenant(service.url, adminKey, "platform-metrics")).key);
  });

  /**
   * A scrape with the truth beside it: every evidence row outside a confirmed anchor, counted
   * plainly. The service anchors its audit head on its own at start, so the truth is read just
   * before and after the scrape, and the pair taken again if that item landed in between.
   */
  const scrapeWithPending = async (): Promise<{ text: string; pending: number }> => {
    const truth = async () =>
      Number(
        (
          await queryRows<{ n: string | number }>(
            service.database.db,
            sql`select count(*) as n from evidence e
                where not exists (select 1 from batches b where b.seq = e.batch_seq and b.anchor_id is not null)`,
          )
        )[0]!.n,
      );
    for (;;) {
      const first = await truth();
      const text = (await asAdmin<string>("GET", "/metrics")).body;
      if ((await truth()) === first) return { text, pending: first };
    }
  };

  afterAll(async () => {
    await service?.stop();
    await hung?.close();
    await node?.stop();
    await database?.close();
  });

  it("answers an admin's key and the metrics token, in the text format; a tenant, a verifier, no key and a wrong token are refused", async () => {
    const admin = await asAdmin("GET", "/metrics");
    expect(admin.status).toBe(200);
    expect(admin.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(admin.headers.get("cache-control")).toBe("no-store");
    expect(admin.body).toMatch(/^# HELP evidence_/m);
    // prom-client's default series, in this service's own registry.
    expect(admin.body).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(admin.body).toMatch(/^process_resident_memory_bytes /m);

    const token = await apiClient(service.url, TOKEN)("GET", "/metrics");
    expect(token.status).toBe(200);
    expect(token.body).toMatch(/^evidence_leader 1$/m);

    // A role the route does not admit: 403 (the route table is public; no data is looked at).
    expect((await asTenant("GET", "/metrics")).status).toBe(403);
    const verifier = await createPrincipal(service.url, adminKey, "verifier", "auditor-metrics");
    expect((await apiClient(service.url, verifier.key)("GET", "/metrics")).status).toBe(403);

    const none = await apiClient(service.url)("GET", "/metrics");
    expect(none.status).toBe(401);
    const badKey = await apiClient(service.url, "evk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")("GET", "/metrics");
    const failuresBefore = logLines.filter((l) => l.includes('"authentication failed"')).length;
    const wrong = await apiClient(service.url, TOKEN.slice(0, -1) + (TOKEN.endsWith("0") ? "1" : "0"))("GET", "/metrics");
    // A wrong token is answered exactly as a bad API key, and counts as a failed authentication.
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(badKey.body);
    expect(wrong.headers.get("www-authenticate")).toBe(badKey.headers.get("www-authenticate"));
    expect(logLines.filter((l) => l.includes('"authentication failed"')).length).toBe(failuresBefore + 1);
    // The token opens /metrics only: it is no API key.
    expect((await apiClient(service.url, TOKEN)("GET", "/v1/me")).status).toBe(401);
  });

  it("the METRICS_PORT listener serves /metrics with the token, and nothing else", async () => {
    const url = service.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe(service.url);
    const ok = await apiClient(url, TOKEN)("GET", "/metrics");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(ok.body).toMatch(/^evidence_chain_up /m);
    expect((await apiClient(url)("GET", "/metrics")).status).toBe(401);
    expect((await apiClient(url, adminKey)("GET", "/metrics")).status).toBe(401);
    expect((await apiClient(url, TOKEN)("GET", "/v1/me")).status).toBe(404);
    expect((await apiClient(url, TOKEN)("GET", "/healthz")).status).toBe(404);
  });

  it("shows submissions pending, then sealed, anchored, paid for and timed; the chain head, the balance and the hung endpoint", async () => {
    const items = Array.from({ length: 12 }, () => ({ digest: toHex(new Uint8Array(randomBytes(32))) }));
    expect((await asTenant("POST", "/v1/evidence/batch", { items: items.slice(0, 10) })).status).toBe(202);
    expect((await asTenant("POST", "/v1/evidence", items[10])).status).toBe(202);
    expect((await asTenant("POST", "/v1/evidence/batch", { items: "no" })).status).toBe(422);

    const { text: before, pending: pendingBefore } = await scrapeWithPending();
    expect(pendingBefore).toBeGreaterThanOrEqual(11);
    expect(value(before, "evidence_ingest_items_total", { route: "/v1/evidence/batch" })).toBe(10);
    expect(value(before, "evidence_ingest_items_total", { route: "/v1/evidence" })).toBe(1);
    expect(value(before, "evidence_ingest_requests_total", { route: "/v1/evidence/batch", outcome: "accepted" })).toBe(1);
    expect(value(before, "evidence_ingest_requests_total", { route: "/v1/evidence/batch", outcome: "rejected" })).toBe(1);
    expect(value(before, "evidence_pending_leaves")).toBe(pendingBefore);
    expect(value(before, "evidence_oldest_pending_age_seconds")).toBeGreaterThan(0);
    expect(value(before, "evidence_http_request_duration_seconds_count", { route: "/v1/evidence/batch", method: "POST", status: "2xx" })).toBe(1);
    expect(value(before, "evidence_http_request_duration_seconds_count", { route: "/v1/evidence/batch", method: "POST", status: "4xx" })).toBe(1);
    // The start may have anchored already (the audit head): the rest counts from here.
    const confirmedBefore = value(before, "evidence_anchors_total", { outcome: "confirmed" })!;
    const delaysBefore = value(before, "evidence_receipt_to_anchor_seconds_count")!;
    const sizesBefore = value(before, "evidence_batch_size_leaves_sum")!;

    // Seal and anchor now (an instantly mining node: confirmed in the same step).
    const anchored: number[] = [];
    service.batcher.on("anchored", (a) => anchored.push(a.batchSeq));
    await service.batcher.tick();
    expect(anchored.length).toBeGreaterThan(0);

    const { text: after, pending: pendingAfter } = await scrapeWithPending();
    expect(value(after, "evidence_pending_leaves")).toBe(pendingAfter);
    if (pendingAfter === 0) expect(value(after, "evidence_oldest_pending_age_seconds")).toBe(0);
    expect(value(after, "evidence_batches_sealed_total")).toBeGreaterThanOrEqual(1);
    expect(value(after, "evidence_batch_size_leaves_sum")).toBeGreaterThanOrEqual(sizesBefore + 11);
    expect(value(after, "evidence_anchor_transactions_total", { event: "sent" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "evidence_anchor_transactions_total", { event: "mined" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "evidence_anchors_total", { outcome: "confirmed" })).toBe(confirmedBefore + anchored.length);
    expect(value(after, "evidence_receipt_to_anchor_seconds_count")).toBe(delaysBefore + anchored.length);
    expect(value(after, "evidence_receipt_to_anchor_seconds_sum")).toBeGreaterThan(0);
    expect(value(after, "evidence_last_anchor_confirmed_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(value(after, "evidence_anchor_gas_used_count")).toBeGreaterThanOrEqual(1);
    expect(value(after, "evidence_anchor_gas_used_sum")).toBeGreaterThan(21_000);
    expect(value(after, "evidence_anchor_fee_per_gas_gwei")).toBeGreaterThan(0);
    expect(value(after, "evidence_anchor_cost_ether_total")).toBeGreaterThan(0);

    const head = Number(await (await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }) })).json().then((r) => (r as { result: string }).result));
    expect(value(after, "evidence_chain_head_block")).toBe(head);
    expect(value(after, "evidence_chain_blocks_since_anchor")).toBeGreaterThanOrEqual(0);
    expect(value(after, "evidence_chain_blocks_since_anchor")).toBeLessThan(5);
    expect(value(after, "evidence_anchor_balance_ether", { account: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" })).toBeGreaterThan(1);
    expect(value(after, "evidence_leader")).toBe(1);

    // The hung endpoint: down, its failures counted, by host only (its URL's path stands for a key).
    const liveHost = new URL(node.url).host;
    const hungHost = new URL(hung.url).host;
    expect(value(after, "evidence_chain_up")).toBe(1);
    expect(value(after, "evidence_chain_endpoint_up", { endpoint: liveHost })).toBe(1);
    expect(value(after, "evidence_chain_endpoint_up", { endpoint: hungHost })).toBe(0);
    expect(value(after, "evidence_rpc_errors_total", { endpoint: hungHost, kind: "timeout" })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain(URL_SECRET);

    // This instance's connections, as the database sees them.
    const connections = parseExposition(after).samples.filter((s) => s.name === "evidence_db_connections");
    expect(connections.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(1);
    if (describeDbKind() === "pglite") expect(connections).toEqual([{ name: "evidence_db_connections", labels: { state: "embedded" }, value: 1 }]);
    expect(value(after, "evidence_metrics_source_errors_total", { source: "db" }) ?? 0).toBe(0);
  });

  it("counts a stuck anchor's replacement and what the mined one paid", async () => {
    const text = async () => (await asAdmin<string>("GET", "/metrics")).body;
    const start = await text();
    const count = (t: string, event: string) => value(t, "evidence_anchor_transactions_total", { event })!;
    const mine = async (baseFeeGwei: number) => {
      await rpc(node.url, "hardhat_setNextBlockBaseFeePerGas", ["0x" + (BigInt(baseFeeGwei) * 1_000_000_000n).toString(16)]);
      await rpc(node.url, "evm_mine");
    };
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      expect((await asTenant("POST", "/v1/evidence", { digest: toHex(new Uint8Array(randomBytes(32))) })).status).toBe(202);
      await service.batcher.tick(); // sealed and sent, not mined
      expect(count(await text(), "sent")).toBe(count(start, "sent") + 1);
      // Three blocks at a base fee above what it offers: it is stuck (STUCK_AFTER_BLOCKS = 3).
      for (let i = 0; i < 3; i++) await mine(60);
      await service.batcher.tick(); // re-priced
      const replaced = await text();
      expect(count(replaced, "replaced")).toBe(count(start, "replaced") + 1);
      expect(count(replaced, "mined")).toBe(count(start, "mined"));
      await mine(50);
      await service.batcher.tick(); // mined at the new price, confirmed
    } finally {
      await rpc(node.url, "evm_setAutomine", [true]);
    }
    const end = await text();
    expect(count(end, "mined")).toBe(count(start, "mined") + 1);
    expect(value(end, "evidence_anchors_total", { outcome: "confirmed" })).toBe(value(start, "evidence_anchors_total", { outcome: "confirmed" })! + 1);
    expect(value(end, "evidence_anchor_fee_per_gas_gwei")).toBeGreaterThanOrEqual(50);
    const cost = value(end, "evidence_anchor_last_cost_ether")!;
    expect(cost).toBeCloseTo((value(end, "evidence_anchor_fee_per_gas_gwei")! * 1e-9) * (value(end, "evidence_anchor_gas_used_sum")! - value(start, "evidence_anchor_gas_used_sum")!), 12);
    expect(value(end, "evidence_anchor_cost_ether_total")).toBeCloseTo(value(start, "evidence_anchor_cost_ether_total")! + cost, 12);
  });

  it("counts an anchor the chain lost (a revert to a snapshot) as orphaned, and its re-anchoring", async () => {
    const text = async () => (await asAdmin<string>("GET", "/metrics")).body;
    const anchors = (t: string, outcome: string) => value(t, "evidence_anchors_total", { outcome })!;
    const start = await text();
    const snapshot = await rpc<string>(node.url, "evm_snapshot");
    expect((await asTenant("POST", "/v1/evidence", { digest: toHex(new Uint8Array(randomBytes(32))) })).status).toBe(202);
    await service.batcher.tick();
    const anchored = await text();
    expect(anchors(anchored, "confirmed")).toBe(anchors(start, "confirmed") + 1);
    expect(await rpc<boolean>(node.url, "evm_revert", [snapshot])).toBe(true);
    const orphaned = once(service.batcher, "orphaned");
    await service.batcher.tick(); // finds the anchor gone, and anchors the batch again
    expect((await orphaned)[0]).toBeGreaterThanOrEqual(1);
    const end = await text();
    expect(anchors(end, "orphaned")).toBe(anchors(start, "orphaned") + 1);
    expect(anchors(end, "confirmed")).toBe(anchors(start, "confirmed") + 2);
  });

  it("counts an anchor whose nonce another transaction took as failed, and its batch anchored again", async () => {
    const text = async () => (await asAdmin<string>("GET", "/metrics")).body;
    const anchors = (t: string, outcome: string) => value(t, "evidence_anchors_total", { outcome })!;
    const start = await text();
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      expect((await asTenant("POST", "/v1/evidence", { digest: toHex(new Uint8Array(randomBytes(32))) })).status).toBe(202);
      await service.batcher.tick(); // sealed and sent, not mined
      const [sent] = await queryRows<{ tx_hash: string; nonce: number; sender: string }>(
        service.database.db,
        sql`select tx_hash, nonce, sender from anchors order by id desc limit 1`,
      );
      // The node forgets it, and another transaction of the same account takes its nonce.
      expect(await rpc<boolean>(node.url, "hardhat_dropTransaction", [sent!.tx_hash])).toBe(true);
      await rpc(node.url, "eth_sendTransaction", [{ from: sent!.sender, to: sent!.sender, value: "0x0", nonce: `0x${Number(sent!.nonce).toString(16)}` }]);
      await rpc(node.url, "evm_mine");
    } finally {
      await rpc(node.url, "evm_setAutomine", [true]);
    }
    // The next ticks find the nonce used (failed) and send the batch again, mined at once.
    for (let i = 0; i < 3 && anchors(await text(), "confirmed") === anchors(start, "confirmed"); i++) await service.batcher.tick();
    const end = await text();
    expect(anchors(end, "failed")).toBe(anchors(start, "failed") + 1);
    expect(anchors(end, "confirmed")).toBe(anchors(start, "confirmed") + 1);
  });

  it("counts batch-root time-stamp requests to an authority that answers and to one that hangs", async () => {
    // The authority: this same service's POST /v1/tsa, which takes a tenant's key (docs/timestamps.md).
    const tenant = await createTenant(service.url, adminKey, "platform-metrics-tsa");
    const stamper = (url: string) =>
      new BatchStamper({
        db: service.database.db,
        url,
        authorization: `Bearer ${tenant.key}`,
        timeoutMs: 1000,
        retryMs: 60_000,
        log: createLogger("error"),
        perPass: 1,
        onRequest: (r) => service.metrics.tsaRequest(r),
      });
    expect((await asTenant("POST", "/v1/evidence", { digest: toHex(new Uint8Array(randomBytes(32))) })).status).toBe(202);
    await service.batcher.tick();
    expect(await stamper(hung.url).runOnce()).toMatchObject({ stamped: 0, failed: true });
    expect(await stamper(`${service.url}/v1/tsa`).runOnce()).toMatchObject({ stamped: 1, failed: false });
    const text = (await asAdmin<string>("GET", "/metrics")).body;
    expect(value(text, "evidence_tsa_requests_total", { outcome: "failed" })).toBe(1);
    expect(value(text, "evidence_tsa_requests_total", { outcome: "stamped" })).toBe(1);
    expect(value(text, "evidence_tsa_request_duration_seconds_count")).toBe(2);
    expect(value(text, "evidence_tsa_request_duration_seconds_sum")).toBeGreaterThanOrEqual(1); // the hung one waited out its timeout
  });

  it("counts webhook deliveries handed to it", async () => {
    service.metrics.webhookDelivery({ outcome: "delivered", seconds: 0.02 });
    service.metrics.webhookDelivery({ outcome: "failed", seconds: 5 });
    const text = (await asAdmin<string>("GET", "/metrics")).body;
    expect(value(text, "evidence_webhook_deliveries_total", { outcome: "delivered" })).toBe(1);
    expect(value(text, "evidence_webhook_deliveries_total", { outcome: "failed" })).toBe(1);
    expect(value(text, "evidence_webhook_delivery_duration_seconds_count")).toBe(2);
  });

  it("docs/operations.md's table lists exactly the evidence_* series served, with their types", async () => {
    const { types } = parseExposition((await asAdmin<string>("GET", "/metrics")).body);
    const served = new Map([...types].filter(([name]) => name.startsWith("evidence_")));
    const documented = new Map<string, string>();
    for (const m of metricsSection().matchAll(/^\| `(evidence_\w+)` \| (\w+) \|/gm)) {
      expect(documented.has(m[1]!), `${m[1]} listed twice`).toBe(false);
      documented.set(m[1]!, m[2]!);
    }
    expect(served.size).toBeGreaterThan(20);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(served));
  });

  it("docs/operations.md's alert rules parse and name only served series (promtool check rules too when installed)", async () => {
    const blocks = [...metricsSection().matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^groups:/m.test(b));
    expect(blocks).toHaveLength(1);
    const rulesYaml = blocks[0]!;
    const served = servedNames((await asAdmin<string>("GET", "/metrics")).body);

    const doc = parseYaml(rulesYaml) as { groups: { name: string; rules: { alert?: string; expr: string }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const rule of rules) {
      const tree = parser.parse(rule.expr);
      tree.iterate({
        enter: (n) => {
          const text = rule.expr.slice(n.from, n.to);
          if (n.type.isError) problems.push(`${rule.alert}: PromQL syntax error at ${n.from}: ${JSON.stringify(text)}`);
          if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector" && !served.has(text)) {
            problems.push(`${rule.alert}: ${text} is not served by /metrics`);
          }
        },
      });
    }
    expect(problems).toEqual([]);
    // The topics the issue asks for are covered.
    const exprs = rules.map((r) => r.expr).join("\n");
    for (const name of ["evidence_oldest_pending_age_seconds", "evidence_anchor_balance_ether", "evidence_chain_up", "evidence_pending_leaves"]) {
      expect(exprs).toContain(name);
    }

    const promtool = await run("sh", ["-c", "command -v promtool"]).then((r) => r.stdout.trim(), () => "");
    if (promtool) {
      const file = join(tempDir(), "rules.yml");
      writeFileSync(file, rulesYaml);
      const { stdout } = await run(promtool, ["check", "rules", file]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    }
  });
});

// Several instances share one database only on PostgreSQL; on PGlite the one process leads
// (checked above: evidence_leader 1).
if (process.env.DATABASE_URL) {
  describe("GET /metrics on two instances of one PostgreSQL database", () => {
    const instances = instancesOfOneDatabase();
    const start = (id: string) => instances.start({ INSTANCE_ID: id, METRICS_TOKEN: TOKEN, LEADER_RETRY_MS: "100", BATCH_INTERVAL_MS: "600000" });

    it("the follower reports evidence_leader 0 and no balance; when the leader stops it reports the election", async () => {
      const a = await start("metrics-a");
      const b = await start("metrics-b");
      const scrape = async (s: RunningService) => (await apiClient(s.url, TOKEN)<string>("GET", "/metrics")).body;
      const leaderText = await scrape(a);
      const followerText = await scrape(b);
      expect(value(leaderText, "evidence_leader")).toBe(1);
      expect(value(leaderText, "evidence_leader_changes_total", { event: "elected" })).toBe(1);
      expect(parseExposition(leaderText).samples.filter((x) => x.name === "evidence_anchor_balance_ether")).toHaveLength(1);
      expect(value(followerText, "evidence_leader")).toBe(0);
      expect(value(followerText, "evidence_leader_changes_total", { event: "elected" })).toBeUndefined();
      expect(parseExposition(followerText).samples.filter((x) => x.name === "evidence_anchor_balance_ether")).toEqual([]);
      // Both instances' pools and sessions, each counted under its own application_name.
      for (const text of [leaderText, followerText]) {
        const connections = parseExposition(text).samples.filter((x) => x.name === "evidence_db_connections");
        expect(connections.reduce((n, x) => n + x.value, 0)).toBeGreaterThanOrEqual(1);
      }

      const elected = once(b.election, "elected");
      await a.stop();
      await elected;
      await b.batcher.tick(); // connects to the chain: the balance is read through that connection
      const after = await scrape(b);
      expect(value(after, "evidence_leader")).toBe(1);
      expect(value(after, "evidence_leader_changes_total", { event: "elected" })).toBe(1);
      expect(parseExposition(after).samples.filter((x) => x.name === "evidence_anchor_balance_ether")).toHaveLength(1);
    });
  });
}

describe("metrics configuration", () => {
  it("refuses a short or spaced METRICS_TOKEN and a bad METRICS_PORT, naming each", () => {
    expect(() => parseConfig({ METRICS_TOKEN: "short", METRICS_PORT: "70000" })).toThrow(
      /METRICS_TOKEN: must be 16 to 256 printable ASCII characters[\s\S]*METRICS_PORT: must be at most 65535/,
    );
    expect(() => parseConfig({ METRICS_TOKEN: "a token with spaces in it" })).toThrow(/METRICS_TOKEN/);
    expect(parseConfig({ METRICS_TOKEN: "x".repeat(16), METRICS_PORT: "9464" })).toMatchObject({ METRICS_TOKEN: "x".repeat(16), METRICS_PORT: 9464 });
  });
});
