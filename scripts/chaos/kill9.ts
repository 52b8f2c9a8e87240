// Scenarios kill9-postgres and kill9-pglite: the service under steady load, killed with
// SIGKILL at a random moment of its work and restarted, many times; then every acknowledged
// digest must be anchored exactly once, and every restart must have come up.
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/store/db.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { freePort } from "../../test/helpers/chain.ts";
import { apiClient } from "../../test/helpers/service.ts";
import {
  Instance,
  Load,
  chaosTenant,
  checkExactlyOnce,
  countRows,
  drain,
  log,
  ms,
  openPglite,
  scenarioDatabase,
  serviceEnv,
  sleep,
  spread,
  startNode,
  tail,
  timeUntil,
  unanchoredCount,
  type ScenarioContext,
} from "./lib.ts";

// Sealing every 200 ms: each second of uptime holds several seals, sends and confirmations,
// so a kill 0.2-3 s after readiness lands in any of them.
const BATCH_INTERVAL_MS = "200";
const MIN_DELAY_MS = 200;
const MAX_DELAY_MS = 3000;
/** A start that fails is retried this often before the scenario gives up. */
const START_TRIES = 3;

export async function kill9(ctx: ScenarioContext, kind: "postgres" | "pglite"): Promise<void> {
  const { report } = ctx;
  const cycles = ctx.opts.cycles ?? (ctx.opts.quick ? 5 : kind === "postgres" ? 200 : 50);
  const database = kind === "postgres" ? await scenarioDatabase() : undefined;
  let node: LocalNode | undefined;
  let service: Instance | undefined;
  try {
    node = await startNode();
    const dataDir = join(ctx.dir, "data");
    service = new Instance(
      "service",
      await freePort(),
      serviceEnv({ dataDir, chainUrl: node.url, databaseUrl: database?.url, extra: { BATCH_INTERVAL_MS } }),
      ctx.dir,
    );
    const svc = service;
    report.figure("first start (spawn → /readyz 200)", ms(await svc.start()));
    const key = await chaosTenant(svc.url, dataDir);
    // Batches of 5 digests, 20 requests a second: about 100 digests/s, a steady stream that
    // leaves the 2-core machine room for the restarts being timed.
    const load = new Load({ targets: () => [svc.url], key, perSecond: 20, items: 5, timeoutMs: 10_000 }).start();

    const restarts: number[] = [];
    const failedStarts: string[] = [];
    // What each kill left behind (PostgreSQL only: reading PGlite between runs would do the
    // recovery the service is meant to do): which crash windows the kills landed in.
    const left = { pending: 0, sealedUnsent: 0, inFlight: 0 };
    let done = 0;
    for (let i = 0; i < cycles; i++) {
      if (Date.now() > ctx.deadline) break;
      await sleep(MIN_DELAY_MS + ctx.random() * (MAX_DELAY_MS - MIN_DELAY_MS));
      await svc.kill();
      if (database) {
        const [w] = await queryRows<{ pending: unknown; unsent: unknown; inflight: unknown }>(
          database.db,
          sql`select (select count(*) from evidence where batch_seq is null) as pending,
                     (select count(*) from batches b where not exists
                        (select 1 from anchors a where a.batch_seq = b.seq and a.status in ('sent', 'confirmed'))) as unsent,
                     (select count(*) from anchors where status = 'sent') as inflight`,
        );
        if (Number(w?.pending) > 0) left.pending++;
        if (Number(w?.unsent) > 0) left.sealedUnsent++;
        if (Number(w?.inflight) > 0) left.inFlight++;
      }
      let started = false;
      for (let t = 0; t < START_TRIES && !started; t++) {
        try {
          restarts.push(await svc.start());
          started = true;
        } catch (err) {
          failedStarts.push(`cycle ${i + 1}: ${tail(String(err instanceof Error ? err.message : err), 8)}`);
          log(`cycle ${i + 1}: restart failed: ${String(err).slice(0, 400)}`);
          await svc.kill();
        }
      }
      if (!started) throw new Error(`the service did not come back after cycle ${i + 1}:\n${failedStarts.at(-1)}`);
      done++;
      if (done % 10 === 0) log(`${kind}: ${done}/${cycles} kill cycles, ${load.acked.length} acknowledged`);
    }
    // Some load on the last run too, then let it finish the work.
    await sleep(2000);
    await load.stop();
    report.figure("kill cycles", `${done} of ${cycles}`);
    report.figure("restart (spawn → /readyz 200) min / median / p95 / max", spread(restarts));
    if (database) {
      report.figure(
        "kills that left: digests not yet sealed / sealed batches not yet sent / a transaction in flight",
        `${left.pending} / ${left.sealedUnsent} / ${left.inFlight} of ${done}`,
      );
    }
    report.figure("requests sent / outcomes", `${load.sent} / ${load.outcomeText()}${load.skipped ? `, skipped ${load.skipped}` : ""}`);
    report.check("every kill cycle ran", done === cycles, `${done} of ${cycles} within the time budget`);
    report.check(
      "every restart clean (came up, /readyz 200)",
      failedStarts.length === 0,
      failedStarts.length === 0 ? `${restarts.length} restarts` : `${failedStarts.length} failed starts: ${failedStarts.slice(0, 2).join(" | ")}`,
    );
    const ids = load.acked.map((a) => a.id);

    if (database) {
      report.figure("drain after the last cycle (all anchored)", ms(await drain(database.db, 180_000)));
      await svc.stop();
      await checkExactlyOnce(report, database.db, node.url, ids);
      return;
    }

    // PGlite: one process at a time, so the database is read only with the service stopped.
    // Wait until the newest digests show as anchored through the API, stop, look; if some are
    // still on their way, start it again for a while (a few times at most).
    const tenant = apiClient(svc.url, key);
    const sample = [...ids.slice(-20), ...Array.from({ length: 20 }, () => ids[Math.floor(ctx.random() * ids.length)]!)];
    const waited = await timeUntil(
      "the newest digests anchored",
      async () => {
        for (const id of sample) {
          const r = await tenant<{ status: string }>("GET", `/v1/evidence/${id}`);
          if (r.status !== 200 || r.body.status !== "anchored") return false;
        }
        return true;
      },
      180_000,
      500,
    );
    report.figure("drain after the last cycle (sampled digests anchored)", ms(waited));
    for (let attempt = 1; ; attempt++) {
      await sleep(1000);
      await svc.stop();
      const db = await openPglite(dataDir);
      try {
        const open = await unanchoredCount(db.db);
        const sent = await countRows(db.db, sql`select count(*) as n from anchors where status = 'sent'`);
        if ((open === 0 && sent === 0) || attempt === 3) {
          await checkExactlyOnce(report, db.db, node.url, ids);
          return;
        }
        log(`pglite: ${open} unanchored, ${sent} in flight after stopping; running the service again`);
      } finally {
        await db.close();
      }
      await svc.start();
      await sleep(10_000);
    }
  } finally {
    await service?.stop(5000).catch(() => {});
    await node?.stop().catch(() => {});
  }
}
