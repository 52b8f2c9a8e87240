// `npm run chaos`: runs bounded fault scenarios against real processes on loopback (the
// service, Hardhat nodes, a PostgreSQL server), prints a table of figures and one of
// invariants, and exits 1 if any invariant failed. docs/reliability.md explains each scenario.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, hostname, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { feeSpike, emptyAccount, nodeHang, nodeLoss } from "./chain-faults.ts";
import { instances } from "./instances.ts";
import { kill9 } from "./kill9.ts";
import { reorg } from "./reorg.ts";
import { Report, checksTable, figuresTable, killAll, log, ms, releaseDatabases, seededRandom, type ScenarioContext } from "./lib.ts";

interface ScenarioDef {
  run: (ctx: ScenarioContext) => Promise<void>;
  /** Longest a full-size run may take before its loops stop early (and fail a check). */
  budgetMinutes: number;
  what: string;
}

const SCENARIOS: Record<string, ScenarioDef> = {
  "kill9-postgres": {
    run: (ctx) => kill9(ctx, "postgres"),
    budgetMinutes: 120,
    what: "SIGKILL at a random moment under load, restart; --cycles (200)",
  },
  "kill9-pglite": {
    run: (ctx) => kill9(ctx, "pglite"),
    budgetMinutes: 60,
    what: "the same on the embedded PGlite; --cycles (50)",
  },
  "fee-spike": {
    run: feeSpike,
    budgetMinutes: 20,
    what: "base fee held at 100x for --seconds (90), then above MAX_FEE_PER_GAS_GWEI for 30 s",
  },
  reorg: { run: reorg, budgetMinutes: 30, what: "evm_snapshot / evm_revert on a public-like chain (id 4242); --rounds (5)" },
  "node-hang": { run: nodeHang, budgetMinutes: 20, what: "SIGSTOP the node for --seconds (120), SIGCONT, under 50 digests/s" },
  "node-loss": { run: nodeLoss, budgetMinutes: 20, what: "the node killed and replaced by an empty one; --rounds (3)" },
  "empty-account": { run: emptyAccount, budgetMinutes: 15, what: "anchor account balance 0 for --seconds (30), then refunded" },
  instances: { run: instances, budgetMinutes: 40, what: "3 instances, the leader killed and restarted; --rounds (20)" },
};

const USAGE = `usage: npm run chaos -- [scenario ...] [--cycles N] [--rounds N] [--seconds N] [--quick] [--seed N] [--out file.json] [--keep]

Scenarios (all of them, in this order, when none is named):
${Object.entries(SCENARIOS)
  .map(([name, s]) => `  ${name.padEnd(15)} ${s.what}`)
  .join("\n")}

Every scenario but kill9-pglite needs DATABASE_URL: a PostgreSQL server on loopback, on which
each scenario creates a database of its own and drops it afterwards.
--quick runs small sizes (a smoke test); --keep keeps service logs and data directories.`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        cycles: { type: "string" },
        rounds: { type: "string" },
        seconds: { type: "string" },
        quick: { type: "boolean", default: false },
        seed: { type: "string" },
        out: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = positionals.filter((p) => !(p in SCENARIOS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario: ${unknown.join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const count = (name: "cycles" | "rounds" | "seconds"): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1) throw new Error(`--${name} must be a whole number of at least 1`);
    return Number(v);
  };
  const opts = { cycles: count("cycles"), rounds: count("rounds"), seconds: count("seconds"), quick: values.quick };
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
  log(`seed ${seed}; scenarios: ${names.join(", ")}`);

  const reports: Report[] = [];
  const runTimes: string[] = [];
  for (const name of names) {
    const def = SCENARIOS[name]!;
    const report = new Report(name);
    reports.push(report);
    const dir = mkdtempSync(join(tmpdir(), `chaos-${name}-`));
    // A longer run than the defaults gets a budget in proportion (the loops also stop at it).
    const scale = Math.max(1, (opts.cycles ?? 0) / 200, (opts.rounds ?? 0) / 20, (opts.seconds ?? 0) / 120);
    const ctx: ScenarioContext = {
      report,
      dir,
      random: seededRandom(seed),
      opts,
      deadline: Date.now() + def.budgetMinutes * scale * 60_000,
    };
    const t0 = performance.now();
    const loadBefore = loadavg()[0]!;
    log(`── ${name} (logs in ${dir})`);
    try {
      await def.run(ctx);
    } catch (err) {
      report.check("scenario ran to the end", false, err instanceof Error ? err.message.slice(0, 1500) : String(err));
    } finally {
      killAll();
      await releaseDatabases(!report.ok);
    }
    const took = performance.now() - t0;
    // The machine is shared: the figures above mean more next to how busy it was.
    report.figure("machine load average (1 min) at start / end", `${loadBefore.toFixed(1)} / ${loadavg()[0]!.toFixed(1)}`);
    report.figure("scenario run time", ms(took));
    runTimes.push(`${name} ${ms(took)}`);
    if (report.ok && !values.keep) rmSync(dir, { recursive: true, force: true });
    else log(`${name}: logs and data kept in ${dir}`);
  }

  const machine = `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
  process.stdout.write(
    [
      `# Chaos run ${new Date().toISOString()} (${machine}; seed ${seed})`,
      "",
      "## Figures",
      "",
      figuresTable(reports),
      "",
      "## Invariants",
      "",
      checksTable(reports),
      "",
    ].join("\n"),
  );
  if (values.out) {
    writeFileSync(
      values.out,
      JSON.stringify({ at: new Date().toISOString(), machine, seed, runTimes, reports: reports.map((r) => ({ scenario: r.scenario, figures: r.figures, checks: r.checks })) }, null, 2),
    );
  }
  const failed = reports.filter((r) => !r.ok).map((r) => r.scenario);
  log(failed.length === 0 ? "all invariants held" : `invariants failed in: ${failed.join(", ")}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(2);
  },
);
