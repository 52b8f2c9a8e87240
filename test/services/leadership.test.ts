// Leader election among instances on one database (src/services/leadership.ts) and the
// cluster sessions under it (src/store/db.ts), on a real PostgreSQL: exactly one leads; a
// leader whose database handle closes, or whose lock session the server terminates, stops
// sequencing at once and another takes over within the retry bound; a follower's digests
// reach the leader through NOTIFY; two real services in one process hand the batcher over.
// On PGlite: the process leads at once, without any lock.
import { randomBytes } from "node:crypto";
import { EventEmitter, once } from "node:events";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import type { RunningService } from "../../src/service.ts";
import { INGESTED_CHANNEL, LEADER_LOCK, LeaderElection, NOTIFY_COALESCE_MS } from "../../src/services/leadership.ts";
import { createDb, SessionClosedError, type Cluster, type ClusterSession, type Database } from "../../src/store/db.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { apiClient, createTenant, waitFor } from "../helpers/service.ts";
import { instancesOfOneDatabase } from "../helpers/in-process.ts";

const RETRY_MS = 200;
/** A follower takes a free lock on its next try: at most one retry period, plus slack for a busy machine. */
const TAKEOVER_BOUND_MS = RETRY_MS + 1000;

const serverUrl = process.env.DATABASE_URL;

/** Runs statements on a connection of its own: the test's view from outside the instances. */
async function onDatabase<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Terminates an instance's session that holds the leader lock (application_name
 * evidence:<id>; its pool's sessions carry the same name, and are left alone); returns how many.
 */
function terminateSessionOf(url: string, instanceId: string): Promise<number> {
  const low = Number(LEADER_LOCK & 0xffffffffn);
  const high = Number(LEADER_LOCK >> 32n);
  return onDatabase(url, async (sql) => {
    const rows = await sql<{ n: number }[]>`
      select count(pg_terminate_backend(a.pid))::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where a.application_name = ${`evidence:${instanceId}`}
        and l.locktype = 'advisory' and l.granted and l.classid = ${high}::oid and l.objid = ${low}::oid and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())`;
    return rows[0]!.n;
  });
}

/** application_name of the session holding the leader lock on this database (pg_locks lists every database's), or null. */
function lockHolder(url: string): Promise<string | null> {
  const low = Number(LEADER_LOCK & 0xffffffffn);
  const high = Number(LEADER_LOCK >> 32n);
  return onDatabase(url, async (sql) => {
    const rows = await sql<{ name: string }[]>`
      select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = ${high}::oid and l.objid = ${low}::oid and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())`;
    return rows[0]?.name ?? null;
  });
}

/** The cluster, with every lock try and every NOTIFY reported to `events`. */
function observed(cluster: Cluster, events: EventEmitter): Cluster {
  return {
    notify: (channel, payload) => {
      // Reported when sent: the listener may hear it before the sender's query returns.
      events.emit("notify", channel, payload);
      return cluster.notify(channel, payload);
    },
    session: (opts) => {
      const s = cluster.session(opts);
      const wrapped: ClusterSession = {
        get closed() {
          return s.closed;
        },
        tryAdvisoryLock: async (key) => {
          const got = await s.tryAdvisoryLock(key);
          events.emit("try", got);
          return got;
        },
        listen: (channel) => s.listen(channel),
        ping: (ms) => s.ping(ms),
        close: () => s.close(),
      };
      return wrapped;
    },
  };
}

interface Instance {
  id: string;
  database: Database;
  election: LeaderElection;
  /** "try", "notify", "ingested" (count), "sequencing" (true on elected, false on deposed). */
  events: EventEmitter;
  ingested: number[];
  /** Whether onElected ran and onDeposed has not (yet) since: it is sequencing. */
  sequencing: boolean;
  log: string[];
}

const instances: Instance[] = [];

function instance(id: string, database: Database, retryMs = RETRY_MS): Instance {
  const events = new EventEmitter();
  const log: string[] = [];
  const self: Instance = {
    id,
    database,
    events,
    ingested: [],
    sequencing: false,
    log,
    election: new LeaderElection({
      cluster: database.cluster ? observed(database.cluster, events) : undefined,
      instanceId: id,
      retryMs,
      log: createLogger("debug", (l) => log.push(l)),
      onElected: () => {
        self.sequencing = true;
        events.emit("sequencing", true);
      },
      onDeposed: async () => {
        self.sequencing = false;
        events.emit("sequencing", false);
      },
      onIngested: (n) => {
        self.ingested.push(n);
        events.emit("ingested", n);
      },
    }),
  };
  instances.push(self);
  return self;
}

/** `promise`, or a rejection naming `what` after `ms`: a missing event fails fast and says which. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

/** Resolves once `emitter` has emitted `event` `times` more times, or rejects after `ms`. */
function times(emitter: EventEmitter, event: string, n: number, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`only ${seen} of ${n} "${event}" within ${ms} ms`));
    }, ms);
    const on = () => {
      if (++seen < n) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve();
    };
    emitter.on(event, on);
  });
}

afterEach(async () => {
  for (const i of instances.splice(0)) await i.election.stop();
});

describe(`leader election on ${describeDbKind()}`, () => {
  if (!serverUrl) {
    it("on the embedded database the process leads at once, without a lock, and counts its own digests", async () => {
      const database = await freshDatabase();
      try {
        expect(database.cluster).toBeUndefined();
        const a = instance("solo", database);
        await a.election.start();
        expect(a.election.isLeader).toBe(true);
        expect(a.sequencing).toBe(true);
        a.election.reportIngested(3);
        expect(a.ingested).toEqual([3]);
        await a.election.stop();
        expect(a.sequencing).toBe(false);
        expect(a.log.map((l) => JSON.parse(l).msg)).toEqual(["became leader", "lost leadership"]);
      } finally {
        await database.close();
      }
    });
    return;
  }

  let database: TestDatabase;
  /** A second handle on the same database: another instance, as far as PostgreSQL can tell. */
  let other: Database;

  beforeAll(async () => {
    database = await freshDatabase();
    other = await createDb({ url: database.url });
  });

  afterAll(async () => {
    await other?.close();
    await database?.close();
  });

  it("exactly one of two instances leads; the other keeps trying and stays a follower", async () => {
    const a = instance("one-a", database);
    const b = instance("one-b", other);
    await Promise.all([a.election.start(), b.election.start()]);
    const leaders = [a, b].filter((i) => i.election.isLeader);
    expect(leaders.map((i) => i.id)).toHaveLength(1);
    const [leader, follower] = a.election.isLeader ? [a, b] : [b, a];
    expect(leader.sequencing).toBe(true);
    expect(follower.sequencing).toBe(false);
    expect(await lockHolder(database.url!)).toBe(`evidence:${leader.id}`);

    // Three more tries of the follower, each refused.
    const refused: boolean[] = [];
    const record = (got: boolean) => refused.push(got);
    follower.events.on("try", record);
    await times(follower.events, "try", 3);
    follower.events.off("try", record);
    expect(refused).toEqual([false, false, false]);
    expect(leader.election.isLeader && !follower.election.isLeader).toBe(true);
    expect(leader.log.filter((l) => l.includes('"became leader"'))).toHaveLength(1);
  });

  it("when the leader's database handle closes, the other instance takes over within one retry period", async () => {
    const doomed = await createDb({ url: database.url });
    const a = instance("close-a", doomed);
    await a.election.start();
    expect(a.election.isLeader).toBe(true);
    const b = instance("close-b", other);
    await b.election.start();
    expect(b.election.isLeader).toBe(false);

    const elected = once(b.election, "elected");
    const started = performance.now();
    await doomed.close();
    await within(elected, "close-b elected");
    const takeover = performance.now() - started;
    console.log(`takeover after the leader's database closed: ${takeover.toFixed(0)} ms (retry every ${RETRY_MS} ms)`);
    // Stopped sequencing: closing the handle closed its lock session, which deposed it.
    expect(a.sequencing).toBe(false);
    expect(a.election.isLeader).toBe(false);
    expect(b.sequencing).toBe(true);
    expect(takeover).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(await lockHolder(database.url!)).toBe("evidence:close-b");
  });

  it("a leader whose lock session is terminated stops sequencing at once; the other takes over; it leads again later", async () => {
    // A retries slowly, so that B (not A itself, on a new session) is the one that takes over.
    const slowRetryMs = 3000;
    const a = instance("term-a", database, slowRetryMs);
    await a.election.start();
    const b = instance("term-b", other);
    await b.election.start();
    expect([a.election.isLeader, b.election.isLeader]).toEqual([true, false]);

    const aStopped = once(a.events, "sequencing");
    const bElected = once(b.election, "elected");
    const started = performance.now();
    expect(await terminateSessionOf(database.url!, "term-a")).toBe(1);
    expect(await within(aStopped, "term-a stopped sequencing")).toEqual([false]);
    const stoppedAfter = performance.now() - started;
    await within(bElected, "term-b elected");
    const takeover = performance.now() - started;
    console.log(`terminated lock session: stopped sequencing after ${stoppedAfter.toFixed(0)} ms, takeover after ${takeover.toFixed(0)} ms`);
    expect(a.election.isLeader).toBe(false);
    // The connection's end is pushed to us (not found by the next heartbeat).
    expect(a.log.some((l) => l.includes('"lost leadership"') && l.includes("its lock session ended"))).toBe(true);
    expect(stoppedAfter).toBeLessThan(1000);
    expect(takeover).toBeLessThan(TAKEOVER_BOUND_MS);

    // The deposed instance keeps trying, on a new session, and leads once the lock is free.
    const aElected = once(a.election, "elected");
    await b.election.stop();
    expect(b.sequencing).toBe(false);
    await within(aElected, "term-a elected again", slowRetryMs + 2000);
    expect(a.sequencing).toBe(true);
  });

  it("a follower's digests reach the leader's onIngested, gathered into one NOTIFY", async () => {
    const a = instance("notify-a", database);
    await a.election.start();
    const b = instance("notify-b", other);
    await b.election.start();
    expect([a.election.isLeader, b.election.isLeader]).toEqual([true, false]);

    // The leader counts its own digests directly.
    a.election.reportIngested(2);
    expect(a.ingested).toEqual([2]);

    const notifies: string[] = [];
    b.events.on("notify", (channel: string, payload: string) => notifies.push(`${channel}:${payload}`));
    const arrived = once(a.events, "ingested");
    b.election.reportIngested(3);
    b.election.reportIngested(4);
    b.election.reportIngested(5);
    expect(await within(arrived, "the leader hears the NOTIFY")).toEqual([12]);
    expect(notifies).toEqual([`${INGESTED_CHANNEL}:12`]);
    expect(b.ingested).toEqual([]);
    expect(a.ingested).toEqual([2, 12]);

    // A later burst is another NOTIFY; nobody but the leader hears it.
    const again = once(a.events, "ingested");
    b.election.reportIngested(1);
    expect(await within(again, "the leader hears the second NOTIFY")).toEqual([1]);
    expect(notifies).toHaveLength(2);
    expect(NOTIFY_COALESCE_MS).toBeLessThanOrEqual(50);
  });

  it("the server ends a lock session that stays silent past its idle_session_timeout, releasing the lock", async () => {
    const key = BigInt(`0x${randomBytes(7).toString("hex")}`);
    let ended!: (at: number) => void;
    const closedAt = new Promise<number>((resolve) => (ended = resolve));
    const session = database.cluster!.session({
      name: "evidence:silent",
      // A setting the server does not know is skipped, not an error (idle_session_timeout
      // itself is unknown before PostgreSQL 14).
      settings: { idle_session_timeout: "300", no_such_setting_anywhere: "1" },
      onClosed: () => ended(performance.now()),
    });
    const started = performance.now();
    expect(await session.tryAdvisoryLock(key)).toBe(true);
    expect((await within(closedAt, "the server ends the silent session")) - started).toBeGreaterThanOrEqual(250);
    expect(session.closed).toBe(true);
    // Closed for good: no statement silently opens a new session (which would hold nothing).
    await expect(session.tryAdvisoryLock(key)).rejects.toBeInstanceOf(SessionClosedError);
    await expect(session.ping(1000)).rejects.toBeInstanceOf(SessionClosedError);
    const taken = await onDatabase(database.url!, async (sql) => (await sql`select pg_try_advisory_lock(${key.toString()}::bigint) as got`)[0]!.got);
    expect(taken).toBe(true);
  });

  it("instances started together on an empty database migrate it once, all of them successfully", async () => {
    const name = `t_${randomBytes(8).toString("hex")}`;
    await onDatabase(serverUrl, (sql) => sql.unsafe(`create database ${name}`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const opened: Database[] = [];
    try {
      const results = await Promise.allSettled([1, 2, 3].map(() => createDb({ url: url.toString() })));
      for (const r of results) if (r.status === "fulfilled") opened.push(r.value);
      expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const applied = await onDatabase(url.toString(), (sql) => sql`select count(*)::int as n, count(distinct hash)::int as d from drizzle.__drizzle_migrations`);
      expect(applied[0]!.n).toBe(applied[0]!.d);
    } finally {
      await Promise.all(opened.map((d) => d.close()));
      await onDatabase(serverUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
    }
  });
});

// Two whole services in this process, on one database and one Hardhat node: the wiring of
// src/service.ts (a batcher per term, NOTIFY into notifyIngested, /readyz's instance).
// PostgreSQL only: on PGlite a second service on the same data directory refuses to start
// (test/e2e/instances.test.ts).
if (serverUrl) describe("two services on one PostgreSQL database", () => {
  const instances = instancesOfOneDatabase();
  const start = (id: string, retryMs = RETRY_MS) =>
    instances.start({
      INSTANCE_ID: id,
      LEADER_RETRY_MS: String(retryMs),
      // Nothing is sealed by the clock during the test: only a full batch (5 leaves) is.
      BATCH_INTERVAL_MS: "600000",
      BATCH_MAX_LEAVES: "5",
    });

  it("terminating the leader's lock session stops its batcher; the new leader seals a full batch taken by the old one", async () => {
    // A retries slowly, so that B (not A itself, on a new session) is the one that takes over.
    const a = await start("svc-a", 5000);
    const b = await start("svc-b");
    expect([a.election.isLeader, b.election.isLeader]).toEqual([true, false]);
    expect(() => b.batcher).toThrow(/does not lead/);
    const ready = async (s: RunningService) => (await apiClient(s.url)<{ instance: { id: string; leader: boolean } }>("GET", "/readyz")).body.instance;
    expect(await ready(a)).toEqual({ id: "svc-a", leader: true });
    expect(await ready(b)).toEqual({ id: "svc-b", leader: false });

    const oldBatcher = a.batcher;
    expect(oldBatcher.target).toBeDefined(); // connected by its first tick
    const sealedByOld: number[] = [];
    const bElected = once(b.election, "elected");
    const aDeposed = once(a.election, "deposed");
    expect(await terminateSessionOf(instances.database.url!, "svc-a")).toBe(1);
    await within(Promise.all([aDeposed, bElected]), "svc-a deposed and svc-b elected");
    oldBatcher.on("sealed", (batch) => sealedByOld.push(batch.seq));
    // Stopped, not just left idle: stop() lets go of its chain connection.
    expect(oldBatcher.target).toBeUndefined();
    expect(() => a.batcher).toThrow(/does not lead/);
    expect(await ready(a)).toEqual({ id: "svc-a", leader: false });
    expect(await ready(b)).toEqual({ id: "svc-b", leader: true });

    // Let the new term's first tick (which seals whatever is pending) finish: from here on
    // only a NOTIFY can make it seal before its 10-minute interval.
    const newBatcher = b.batcher;
    await newBatcher.tick();
    const sealed = once(newBatcher, "sealed");

    const tenant = await createTenant(a.url, a.bootstrap!.key, "platform-leadership");
    const api = apiClient(a.url, tenant.key);
    const res = await api<{ items: { id: string }[] }>("POST", "/v1/evidence/batch", {
      items: Array.from({ length: 5 }, () => ({ digest: `0x${randomBytes(32).toString("hex")}` })),
    });
    expect(res.status).toBe(202);
    const [batch] = (await within(sealed, "svc-b seals the full batch taken by svc-a")) as [{ seq: number; size: number }];
    expect(batch.size).toBeGreaterThanOrEqual(1);
    // Every item of the request lands in a batch, sealed by B alone.
    for (const { id } of res.body.items) {
      await waitFor(`${id} batched`, async () => (await api<{ status: string }>("GET", `/v1/evidence/${id}`)).body.status !== "pending", 10_000);
    }
    expect(sealedByOld).toEqual([]);
  });
});
