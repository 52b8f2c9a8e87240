// Scenario instances: three service instances on one PostgreSQL database and one node, load
// spread over all three, and the leader (the one running the sequencer) killed with SIGKILL
// and restarted, round after round. Every acknowledged digest must be anchored exactly once,
// no instance may log a nonce error, and another instance must take over.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../test/helpers/chain.ts";
import {
  Instance,
  Load,
  chaosTenant,
  checkExactlyOnce,
  drain,
  log,
  ms,
  readyz,
  scenarioDatabase,
  serviceEnv,
  sleep,
  spread,
  startNode,
  type ScenarioContext,
} from "./lib.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";

/** Who says it leads, among the instances that are up (asked at the same moment). */
async function leaders(instances: Instance[]): Promise<Instance[]> {
  const live = instances.filter((i) => i.alive);
  const answers = await Promise.all(live.map((i) => readyz(i.url, 2000)));
  return live.filter((_, n) => {
    const a = answers[n]!;
    return a.status === 200 && (a.body as { instance?: { leader?: boolean } }).instance?.leader === true;
  });
}

/** Warn and error lines that mention a nonce, from every run of every instance. */
function nonceErrors(instances: Instance[]): string[] {
  const out: string[] = [];
  for (const inst of instances) {
    for (const file of inst.logFiles) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!/nonce/i.test(line)) continue;
        try {
          const entry = JSON.parse(line) as { level?: string };
          if (entry.level === "warn" || entry.level === "error") out.push(`${inst.name}: ${line.slice(0, 300)}`);
        } catch {
          // not a log line (the start banner)
        }
      }
    }
  }
  return out;
}

export async function instances(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const rounds = ctx.opts.rounds ?? (ctx.opts.quick ? 3 : 20);
  const database = await scenarioDatabase();
  let node: LocalNode | undefined;
  const fleet: Instance[] = [];
  let load: Load | undefined;
  try {
    node = await startNode();
    // As docs/operations.md says to run them: a data directory each, one signing key (the
    // first instance generates it on the first start; the others are given its file).
    const dataDir = (n: number) => join(ctx.dir, `data-i${n}`);
    for (const n of [1, 2, 3]) {
      const extra = { INSTANCE_ID: `i${n}`, SIGNING_KEY_FILE: n === 1 ? undefined : join(dataDir(1), "signing-key.pem") };
      fleet.push(new Instance(`i${n}`, await freePort(), serviceEnv({ dataDir: dataDir(n), chainUrl: node.url, databaseUrl: database.url, extra }), ctx.dir));
    }
    // The first alone (it bootstraps the database and writes the keys), then the others.
    report.figure("first start (spawn → /readyz 200)", ms(await fleet[0]!.start()));
    const key = await chaosTenant(fleet[0]!.url, dataDir(1));
    await Promise.all(fleet.slice(1).map((i) => i.start()));
    load = new Load({ targets: () => fleet.filter((i) => i.alive).map((i) => i.url), key, perSecond: 30, items: 2, timeoutMs: 10_000 }).start();

    const failovers: number[] = [];
    const restarts: number[] = [];
    let overlaps = 0;
    let done = 0;
    for (let r = 0; r < rounds && Date.now() < ctx.deadline; r++) {
      let leader: Instance | undefined;
      for (let t = 0; t < 300 && !leader; t++) {
        const l = await leaders(fleet);
        if (l.length > 1) overlaps++;
        if (l.length === 1) leader = l[0];
        else await sleep(100);
      }
      if (!leader) throw new Error(`round ${r + 1}: no single leader within 30 s`);
      await sleep(2000 + ctx.random() * 3000);
      const killedAt = performance.now();
      await leader.kill();
      const others = fleet.filter((i) => i !== leader);
      let next: Instance | undefined;
      while (!next) {
        const l = await leaders(others);
        if (l.length > 1) overlaps++;
        next = l[0];
        if (!next) {
          if (performance.now() - killedAt > 60_000) throw new Error(`round ${r + 1}: no instance took over within 60 s of killing ${leader.name}`);
          await sleep(50);
        }
      }
      failovers.push(performance.now() - killedAt);
      restarts.push(await leader.start());
      done++;
      log(`instances: round ${r + 1}: killed ${leader.name}, ${next.name} leads after ${ms(failovers.at(-1)!)}`);
    }
    await sleep(3000);
    await load.stop();
    report.figure("rounds", `${done} of ${rounds}`);
    report.figure("failover (SIGKILL of the leader → another says leader) min / median / p95 / max", spread(failovers));
    report.figure("restart of the killed instance (spawn → /readyz 200)", spread(restarts));
    report.figure("moments two instances said leader at once", overlaps);
    report.figure("requests sent / outcomes", `${load.sent} / ${load.outcomeText()}${load.skipped ? `, skipped ${load.skipped}` : ""}`);
    report.check("every round ran", done === rounds, `${done} of ${rounds} within the time budget`);
    report.figure("drain after the last round (all anchored)", ms(await drain(database.db, 180_000)));
    await Promise.all(fleet.map((i) => i.stop()));
    await sleep(500); // the output of the last runs is written when they exit
    const nonce = nonceErrors(fleet);
    report.check("no nonce errors in any instance's log", nonce.length === 0, nonce.length === 0 ? `${fleet.reduce((n, i) => n + i.runs, 0)} runs read` : `${nonce.length}, e.g. ${nonce[0]}`);
    await checkExactlyOnce(report, database.db, node.url, load.acked.map((a) => a.id));
  } finally {
    await load?.stop();
    await Promise.all(fleet.map((i) => i.stop(5000).catch(() => {})));
    await node?.stop().catch(() => {});
  }
}
