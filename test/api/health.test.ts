// /healthz and /readyz against a real database and a real Hardhat node, and /readyz when a
// dependency is gone (a closed port, a node that never answers, a closed database); which
// instance answers and whether it leads; "degraded" when the leader's batcher reports trouble.
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import type { HealthDeps } from "../../src/api/health.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { jsonRpcReader } from "../../src/verify/index.ts";
import { apiHarness, type ApiHarness } from "../helpers/api.ts";
import { freePort, startTestChain } from "../helpers/chain.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";

/** pingChain as src/service.ts builds it, over a JSON-RPC reader of `url`. */
function chainPing(url: string): HealthDeps["pingChain"] {
  const reader = jsonRpcReader(url);
  return async () => ({ chainId: await reader.chainId(), blockNumber: await reader.blockNumber(), contract: null });
}

async function expectUnavailable(res: Response): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.headers.get("retry-after")).toBe("5");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: "urn:evidence:problem:service-unavailable",
    title: "A dependency of the service is unavailable",
    status: 503,
    instance: "/readyz",
  });
  expect(typeof body.detail).toBe("string");
  return body.detail as string;
}

describe(`health on ${describeDbKind()} with a Hardhat node`, () => {
  let node: LocalNode;
  let h: ApiHarness;
  // Owned here rather than by the harness: the last test closes it on purpose.
  let database: TestDatabase;
  let databaseClosed = false;

  beforeAll(async () => {
    [node, database] = await Promise.all([startTestChain(), freshDatabase()]);
    h = await apiHarness({ chainUrl: node.url, database });
  });

  afterAll(async () => {
    await h?.close();
    if (!databaseClosed) await database?.close();
    await node?.stop();
  });

  it("GET /healthz is 200 ok", async () => {
    const res = await h.app.request("/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz is 200 with the chain's id, height and (once connected) the contract", async () => {
    const first = await h.app.request("/readyz");
    expect(first.status).toBe(200);
    const before = (await first.json()) as { chain: { blockNumber: number } };
    expect(before).toEqual({
      status: "ready",
      database: "ok",
      chain: { chainId: 31337, blockNumber: expect.any(Number), contract: null },
    });

    // The batcher's first tick connects and deploys the contract (a new block).
    await h.batcher.tick();
    const contract = h.batcher.target?.contract;
    expect(contract).toMatch(/^0x[0-9a-f]{40}$/);
    const res = await h.app.request("/readyz");
    expect(res.status).toBe(200);
    const after = (await res.json()) as { chain: { blockNumber: number } };
    expect(after).toEqual({ status: "ready", database: "ok", chain: { chainId: 31337, blockNumber: expect.any(Number), contract } });
    expect(after.chain.blockNumber).toBeGreaterThan(before.chain.blockNumber);
  });

  it("GET /readyz is 503 problem+json when the chain's port is closed", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const app = createApp({ ...h.deps, health: { pingDb: () => h.database.ping(), pingChain: chainPing(closed) } });
    const detail = await expectUnavailable(await app.request("/readyz"));
    expect(detail).toBe("the chain does not answer");
    // The process itself is still alive.
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("GET /readyz is 503 within its 3 s bound when the chain accepts connections but never answers", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as { port: number }).port;
      const app = createApp({ ...h.deps, health: { pingDb: () => h.database.ping(), pingChain: chainPing(`http://127.0.0.1:${port}`) } });
      const started = performance.now();
      const detail = await expectUnavailable(await app.request("/readyz"));
      const ms = performance.now() - started;
      expect(detail).toBe("the chain does not answer");
      expect(ms).toBeGreaterThanOrEqual(2900);
      expect(ms).toBeLessThan(6000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  describe("instance and anchoring trouble", () => {
    /** The app with the file's working probes, plus these. */
    const appWith = (extra: Pick<HealthDeps, "instance" | "problems">) =>
      createApp({ ...h.deps, health: { pingDb: () => h.database.ping(), pingChain: h.deps.health.pingChain, ...extra } });

    it("names the instance and whether it leads", async () => {
      for (const leader of [true, false]) {
        const res = await appWith({ instance: () => ({ id: "host-a:4242", leader }), problems: () => [] }).request("/readyz");
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
          status: "ready",
          database: "ok",
          chain: { chainId: 31337, blockNumber: expect.any(Number), contract: expect.anything() },
          instance: { id: "host-a:4242", leader },
        });
      }
    });

    it("is 200 degraded with the batcher's reasons when the leader cannot anchor normally", async () => {
      const reasons = ["fees above the ceiling: the node asks 250 gwei, MAX_FEE_PER_GAS_GWEI is 200", "the anchor account holds 3 anchors' worth"];
      const res = await appWith({ instance: () => ({ id: "a", leader: true }), problems: () => reasons }).request("/readyz");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ status: "degraded", database: "ok", instance: { id: "a", leader: true }, reasons });
      // Without instance information (one process), the batcher's word counts as well.
      const alone = await appWith({ problems: () => ["the chain does not confirm anything"] }).request("/readyz");
      expect(await alone.json()).toMatchObject({ status: "degraded", reasons: ["the chain does not confirm anything"] });
    });

    it("a follower is ready whatever a batcher would say: it anchors nothing, and is not asked", async () => {
      let asked = 0;
      const res = await appWith({
        instance: () => ({ id: "b", leader: false }),
        problems: () => {
          asked += 1;
          return ["should not show"];
        },
      }).request("/readyz");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: "ready", instance: { id: "b", leader: false } });
      expect(body).not.toHaveProperty("reasons");
      expect(asked).toBe(0);
    });

    it("a problems() that throws leaves the probe answering ready, and is logged", async () => {
      const before = h.log.errors.length;
      const res = await appWith({
        instance: () => ({ id: "a", leader: true }),
        problems: () => {
          throw new Error("bug in problems()");
        },
      }).request("/readyz");
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ready" });
      expect(h.log.errors.slice(before)).toEqual([
        { msg: "readiness: reading the batcher's problems failed", fields: expect.objectContaining({ error: "bug in problems()" }) },
      ]);
      h.log.errors.length = before;
    });

    it("a dependency that does not answer is still 503, whatever the batcher says", async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const app = createApp({
        ...h.deps,
        health: { pingDb: () => h.database.ping(), pingChain: chainPing(closed), instance: () => ({ id: "a", leader: true }), problems: () => ["x"] },
      });
      expect(await expectUnavailable(await app.request("/readyz"))).toBe("the chain does not answer");
    });
  });

  // Last in this file: it closes the file's database.
  it("GET /readyz is 503 naming the database when it is closed, and both when both are down", async () => {
    expect((await h.app.request("/readyz")).status).toBe(200);
    await database.close();
    databaseClosed = true;
    const dbDown = h.app;
    const detail = await expectUnavailable(await dbDown.request("/readyz"));
    // Which dependency is down, and nothing of its internals (hosts, queries).
    expect(detail).toBe("the database does not answer");

    const closed = `http://127.0.0.1:${await freePort()}`;
    const bothDown = createApp({ ...h.deps, health: { pingDb: () => database.ping(), pingChain: chainPing(closed) } });
    const both = await expectUnavailable(await bothDown.request("/readyz"));
    expect(both).toBe("the database does not answer; the chain does not answer");
  });
});
