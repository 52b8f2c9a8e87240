// Several service processes on one PostgreSQL database and one Hardhat node, as an operator
// runs them behind a load balancer: all three serve the API, exactly one runs the sequencer,
// and killing it (SIGKILL, during load, three times) hands the sequencer to another within
// about a second; every acknowledged digest ends up anchored exactly once. A key revoked
// through one instance fails there at once and on the others within KEY_CACHE_MS. On PGlite: a second
// process on the same data directory refuses to start (one process per embedded database).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorInterface } from "../../src/chain/contract.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { HARDHAT_DEV_KEY } from "../../src/config.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { startTestChain } from "../helpers/chain.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ServiceProcess } from "../helpers/service.ts";

const serverUrl = process.env.DATABASE_URL;
/** How long an instance reuses a key it read: the bound on a revocation elsewhere. */
const KEY_CACHE_MS = 1000;
const digest = () => `0x${randomBytes(32).toString("hex")}`;

/** One instance's place: its data directory and name survive restarts, the process does not. */
interface Slot {
  name: string;
  dir: string;
  generation: number;
  proc: ServiceProcess;
  /** Set while the slot's process is being replaced: its clients wait for it. */
  restarting: Promise<void> | undefined;
  acknowledged: string[];
}

const BECAME_LEADER_RE = /^\{[^\n]*"msg":"became leader"[^\n]*\}$/m;

if (serverUrl) {
  describe("three instances on one PostgreSQL database", () => {
    let node: LocalNode;
    let database: TestDatabase;
    const slots: Slot[] = [];
    let adminKey: string;
    let tenantKey: string;

    const spawn = (slot: Pick<Slot, "name" | "dir" | "generation">) =>
      spawnService({
        DATA_DIR: slot.dir,
        DATABASE_URL: database.url,
        CHAIN_RPC_URL: node.url,
        ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY,
        INSTANCE_ID: `${slot.name}.${slot.generation}`,
        BATCH_INTERVAL_MS: "200",
        // Small batches: full ones are sealed early, wherever their digests arrived (NOTIFY).
        BATCH_MAX_LEAVES: "64",
        // Hundreds of requests from one address: the limits (per instance) would answer 429.
        RATE_LIMIT_PER_MINUTE: "0",
        PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
        // LEADER_RETRY_MS is left at its default: the failover measured is the shipped one.
        KEY_CACHE_MS: String(KEY_CACHE_MS),
      });

    /** Asks every instance's /readyz which one leads; exactly one must. */
    async function leader(): Promise<Slot> {
      const answers = await Promise.all(
        slots.map(async (s) => ({ s, ready: await apiClient(s.proc.url)<{ instance: { id: string; leader: boolean } }>("GET", "/readyz") })),
      );
      for (const { s, ready } of answers) {
        expect(ready.status, `${s.name}: ${JSON.stringify(ready.body)}`).toBe(200);
        expect(ready.body.instance.id).toBe(`${s.name}.${s.generation}`);
      }
      const leaders = answers.filter((a) => a.ready.body.instance.leader).map((a) => a.s);
      expect(leaders.map((s) => s.name)).toHaveLength(1);
      return leaders[0]!;
    }

    beforeAll(async () => {
      [node, database] = await Promise.all([startTestChain(), freshDatabase()]);
      // All three at once: one takes the lock and deploys the contract; the bootstrap of the
      // admin happens once (under its lock), in whichever got there first.
      const started = await Promise.all(
        ["a", "b", "c"].map(async (name) => {
          const slot = { name, dir: tempDir(`evidence-${name}-`), generation: 1 };
          return { ...slot, proc: await spawn(slot), restarting: undefined, acknowledged: [] } satisfies Slot;
        }),
      );
      slots.push(...started);
      const bootstrapped = slots.filter((s) => existsSync(join(s.dir, "admin.key")));
      expect(bootstrapped).toHaveLength(1);
      adminKey = readAdminKey(bootstrapped[0]!.dir);
      tenantKey = (await createTenant(slots[0]!.proc.url, adminKey, "platform-instances")).key;
    });

    afterAll(async () => {
      await Promise.all(slots.map((s) => s.proc.stop("SIGKILL")));
      await node?.stop();
      await database?.close();
    });

    it("serve the whole API, one sequencer at a time: leaders killed under load, every acknowledged digest anchored exactly once", async () => {
      const first = await leader();
      // The contract was deployed once, by the leader; the followers use what it recorded.
      expect(first.proc.output()).toMatch(/"msg":"EvidenceAnchor deployed"/);
      for (const s of slots.filter((x) => x !== first)) expect(s.proc.output()).not.toMatch(/EvidenceAnchor deployed/);

      // Load: one client per instance, four digests a request, up to a quota that grows by 100
      // per instance after each kill, so that requests are in flight at every kill and a few
      // hundred digests arrive through each instance (a correctness test, not a benchmark).
      let quota = 100;
      const finalQuota = 400;
      let more!: () => void;
      let raised = new Promise<void>((r) => (more = r));
      const raise = (to: number) => {
        quota = to;
        more();
        raised = new Promise<void>((r) => (more = r));
      };
      const client = async (slot: Slot) => {
        for (;;) {
          if (slot.acknowledged.length >= quota) {
            if (quota >= finalQuota) return;
            await raised;
            continue;
          }
          if (slot.restarting) {
            await slot.restarting;
            continue;
          }
          try {
            const r = await apiClient(slot.proc.url, tenantKey)<{ items: { id: string }[] }>("POST", "/v1/evidence/batch", {
              items: Array.from({ length: 4 }, () => ({ digest: digest() })),
            });
            if (r.status === 202) slot.acknowledged.push(...r.body.items.map((i) => i.id));
            else if (!slot.restarting) throw new Error(`${slot.name}: ${r.status} ${JSON.stringify(r.body)}`);
          } catch (err) {
            // Killed under us: the request got no answer and counts for nothing.
            if (!slot.restarting) throw err;
          }
        }
      };
      const total = () => slots.reduce((n, s) => n + s.acknowledged.length, 0);
      const clients = Promise.all(slots.map(client));

      const failovers: number[] = [];
      for (let kill = 1; kill <= 3; kill++) {
        // Mid-way through this round's quota: the clients are busy when the leader dies.
        const target = slots.length * (quota - 50);
        await waitFor(`${target} digests acknowledged`, async () => total() >= target, 30_000, 20);
        const victim = await leader();
        const survivors = slots.filter((s) => s !== victim);
        const from = survivors.map((s) => s.proc.output().length);
        const old = victim.proc;
        let restarted!: () => void;
        victim.restarting = new Promise<void>((r) => (restarted = r));
        const killedAt = Date.now();
        old.proc.kill("SIGKILL");
        // Whichever survivor takes the lock says so in its log; its line's own timestamp ends the measurement.
        const [line] = await Promise.any(survivors.map((s, i) => s.proc.waitForOutput(BECAME_LEADER_RE, 15_000, from[i])));
        const entry = JSON.parse(line) as { t: string; instance: string };
        failovers.push(Date.parse(entry.t) - killedAt);
        expect(survivors.map((s) => `${s.name}.${s.generation}`)).toContain(entry.instance);
        await old.exited;
        victim.generation += 1;
        victim.proc = await spawn(victim);
        victim.restarting = undefined;
        restarted();
        raise(quota + 100);
      }
      await clients;
      const newLeader = await leader();
      const acknowledged = slots.flatMap((s) => s.acknowledged);
      console.log(
        `failover after SIGKILL of the leader (kill → "became leader"): ${failovers.map((ms) => `${ms} ms`).join(", ")}; ` +
          `${acknowledged.length} digests acknowledged (${slots.map((s) => `${s.name}: ${s.acknowledged.length}`).join(", ")}); ` +
          `leader now ${newLeader.name}.${newLeader.generation}`,
      );
      // The default LEADER_RETRY_MS is 1000: a clean kill closes the lock's connection at once,
      // so the next try of a follower wins it.
      for (const ms of failovers) expect(ms).toBeLessThan(3000);

      const sql = postgres(database.url!, { max: 1, onnotice: () => {} });
      try {
        // A function: a postgres.js query runs once, and awaiting it again gives the same rows.
        const unanchored = () => sql`
          select count(*)::int as n from evidence e
          where e.batch_seq is null
             or not exists (select 1 from anchors a where a.batch_seq = e.batch_seq and a.status = 'confirmed')`;
        await waitFor("every digest anchored", async () => (await unanchored())[0]!.n === 0, 30_000, 200).catch(async (err: Error) => {
          // Say where it got stuck: the pending rows, the anchors' states, the leader's last words.
          const pending = await sql`select count(*) filter (where batch_seq is null)::int as unbatched, count(*)::int as total from evidence`;
          const anchors = await sql`select status, count(*)::int as n from anchors group by status`;
          const tail = newLeader.proc.output().split("\n").slice(-15).join("\n");
          throw new Error(`${err.message}: ${JSON.stringify({ pending, anchors })}\nleader ${newLeader.name}:\n${tail}`);
        });

        // Every acknowledged digest is stored, once.
        const [stored] = await sql<{ n: number; distinct: number }[]>`
          select count(*)::int as n, count(distinct id)::int as distinct from evidence where id::text = any(${acknowledged})`;
        expect(stored).toEqual({ n: acknowledged.length, distinct: acknowledged.length });
        expect(new Set(acknowledged).size).toBe(acknowledged.length);
        // Exactly one live anchor per batch, and it is confirmed.
        const badBatches = await sql`
          select b.seq, count(a.id) filter (where a.status in ('sent', 'confirmed'))::int as live,
                 count(a.id) filter (where a.status = 'confirmed')::int as confirmed
          from batches b left join anchors a on a.batch_seq = b.seq
          group by b.seq having count(a.id) filter (where a.status in ('sent', 'confirmed')) <> 1
                             or count(a.id) filter (where a.status = 'confirmed') <> 1`;
        expect(badBatches).toEqual([]);
        const [{ batches }] = (await sql`select count(*)::int as batches from batches`) as unknown as [{ batches: number }];
        const contracts = await sql<{ contract: string }[]>`select distinct contract from anchors where status = 'confirmed'`;
        expect(contracts).toHaveLength(1);
        // On chain too: one root per batch, none twice.
        const iface = anchorInterface();
        const data = await jsonRpcReader(node.url).call(contracts[0]!.contract, iface.encodeFunctionData("count"));
        expect(Number(iface.decodeFunctionResult("count", data)[0])).toBe(batches);
      } finally {
        await sql.end({ timeout: 5 });
      }

      // Followers serve proofs that verify on the chain, for digests taken by any instance.
      const reader = jsonRpcReader(node.url);
      for (const s of slots.filter((x) => x !== newLeader)) {
        for (const id of [s.acknowledged[0]!, slots[(slots.indexOf(s) + 1) % slots.length]!.acknowledged.at(-1)!]) {
          const res = await apiClient(s.proc.url, tenantKey)<ProofBundleV1>("GET", `/v1/evidence/${id}/proof`);
          expect(res.status).toBe(200);
          expect(res.body.anchor, `${s.name} serves the anchor of ${id}`).not.toBeNull();
          const verdict = await verifyBundle(res.body, { chain: reader });
          expect(verdict.valid, JSON.stringify(verdict.checks.filter((c) => !c.ok))).toBe(true);
        }
      }
    }, 120_000);

    it("a key revoked through one instance fails there at once, and on every other within KEY_CACHE_MS", async () => {
      const [a, b, c] = slots as [Slot, Slot, Slot];
      const admin = apiClient(a.proc.url, adminKey);
      const created = await admin<{ id: string; key: string }>("POST", "/v1/keys", { principalId: "platform-instances", label: "revocation" });
      expect(created.status).toBe(201);
      // Used, and so cached, on B and C first.
      for (const s of [b, c]) expect((await apiClient(s.proc.url, created.body.key)("GET", "/v1/me")).status).toBe(200);
      const revoked = await admin("POST", `/v1/keys/${created.body.id}/revoke`);
      const revokedAt = Date.now();
      expect(revoked.status).toBe(200);
      // The instance that revoked it dropped it from its cache: refused at the next request.
      expect((await apiClient(a.proc.url, created.body.key)("GET", "/v1/me")).status).toBe(401);
      // The others read it again once their cached copy is KEY_CACHE_MS old; from then on, 401.
      for (const s of [b, c]) {
        await waitFor(`${s.name} to refuse the revoked key`, async () => {
          const res = await apiClient(s.proc.url, created.body.key)("GET", "/v1/me");
          return res.status === 401 ? true : null;
        }, KEY_CACHE_MS + 2000);
      }
      for (const s of [b, c, a]) expect((await apiClient(s.proc.url, created.body.key)("GET", "/v1/me")).status).toBe(401);
      console.log(`revoked key refused by every instance ${Date.now() - revokedAt} ms after the revocation (KEY_CACHE_MS ${KEY_CACHE_MS})`);
      // The tenant's other key is untouched.
      expect((await apiClient(c.proc.url, tenantKey)("GET", "/v1/me")).status).toBe(200);
    });
  });
} else {
  describe("a second process on one embedded database (PGlite)", () => {
    const dir = tempDir();
    let first: ServiceProcess | undefined;
    let node: LocalNode;

    beforeAll(async () => {
      node = await startTestChain();
    });

    afterAll(async () => {
      await first?.stop("SIGKILL");
      await node?.stop();
    });

    it("refuses to start: the data directory has one process, which always leads", async () => {
      const env = { DATA_DIR: dir, CHAIN_RPC_URL: node.url, ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY, INSTANCE_ID: "solo" };
      first = await spawnService(env);
      const ready = await apiClient(first.url)<{ instance: unknown }>("GET", "/readyz");
      expect(ready.body.instance).toEqual({ id: "solo", leader: true });
      await expect(spawnService({ ...env, INSTANCE_ID: "second" })).rejects.toThrow(/has the embedded database in .* open; one process at a time/);
    });
  });
}
