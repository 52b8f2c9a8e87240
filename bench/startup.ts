// Start-up time and resident memory of the service started the old way and from the build
// (issue 13, docs/benchmarks.md): spawn to the "listening on" banner, then the resident set
// (VmRSS from /proc) of every process of the service, after start and after some load.
// `npm run build` first; then `npm run bench:startup` (BENCH_DATABASE_URL=postgres://… adds a
// run of the build on PostgreSQL, in a database of its own made on that server and dropped
// afterwards, instead of the embedded PGlite). Linux only (/proc).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { freePort } from "../test/helpers/chain.ts";
import { apiClient, createTenant, readAdminKey, waitFor } from "../test/helpers/service.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const LOAD = Number(process.env.BENCH_STARTUP_LOAD ?? 500);

interface Mode {
  name: string;
  argv: [string, ...string[]];
  databaseUrl?: string;
}

const modes: Mode[] = [
  {
    name: "before: `npm start` (hardhat build, build-web, tsx src/main.ts)",
    argv: ["sh", "-c", "hardhat build --quiet && tsx scripts/build-web.ts && tsx src/main.ts"],
  },
  { name: "`node --import tsx src/main.ts` (`npm run dev`'s last step)", argv: [process.execPath, "--import", "tsx", "src/main.ts"] },
  { name: "after: `node dist/server/main.js`", argv: [process.execPath, "dist/server/main.js"] },
  { name: "after: `node --expose-gc dist/server/main.js` (`npm start`)", argv: [process.execPath, "--expose-gc", "dist/server/main.js"] },
];
if (process.env.BENCH_DATABASE_URL) {
  modes.push({ name: "after (`npm start`), on PostgreSQL (DATABASE_URL)", argv: [process.execPath, "--expose-gc", "dist/server/main.js"], databaseUrl: process.env.BENCH_DATABASE_URL });
}

interface Proc {
  pid: number;
  ppid: number;
  rssKiB: number;
  label: string;
}

function label(cmd: string, parent: string | undefined): string {
  if (cmd.includes("hardhat") && cmd.includes(" node ")) return "hardhat node";
  // tsx's transform service: under the service (tsx) or under the Hardhat node (its config loader).
  if (/esbuild.*--service/.test(cmd)) return parent === "hardhat node" ? "esbuild (hardhat's tsx)" : "esbuild (tsx)";
  if (cmd.startsWith("sh ")) return "sh";
  if (/\.bin\/tsx |tsx\/dist\/cli/.test(cmd)) return "tsx cli";
  if (/main\.(ts|js)/.test(cmd)) return "service";
  return cmd.slice(0, 40);
}

function tree(root: number): Proc[] {
  const all: Proc[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${e}/status`, "utf8"));
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ").trim();
      all.push({ pid: Number(e), ppid, rssKiB: rss ? Number(rss[1]) : 0, label: cmd });
    } catch {
      // exited meanwhile
    }
  }
  const out: Proc[] = [];
  const walk = (p: number) => {
    for (const c of all) if (c.ppid === p) (out.push(c), walk(c.pid));
  };
  const self = all.find((p) => p.pid === root);
  if (self) out.push(self);
  walk(root);
  // Parents come before their children in `out`: label them in that order.
  const labels = new Map<number, string>();
  for (const p of out) labels.set(p.pid, label(p.label, labels.get(p.ppid)));
  return out.map((p) => ({ ...p, label: labels.get(p.pid)! }));
}

const mib = (kib: number) => Math.round(kib / 1024);
const summary = (procs: Proc[]) =>
  `${mib(procs.reduce((s, p) => s + p.rssKiB, 0))} MiB (${procs
    .filter((p) => p.rssKiB > 4096)
    .map((p) => `${p.label} ${mib(p.rssKiB)}`)
    .join(", ")})`;

/** Runs `fn` with the URL of a new database on the server of `serverUrl`, dropped afterwards. */
async function withDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_startup_${process.pid}`;
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.end();
  }
}

async function measure(mode: Mode): Promise<string[]> {
  if (mode.databaseUrl !== undefined && !mode.databaseUrl.includes("bench_startup_")) {
    return withDatabase(mode.databaseUrl, (url) => measure({ ...mode, databaseUrl: url }));
  }
  const dataDir = mkdtempSync(join(tmpdir(), "evidence-startup-"));
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
    HOME: process.env.HOME ?? "",
    PORT: String(port),
    HOST: "127.0.0.1",
    LOCAL_CHAIN_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    RATE_LIMIT_PER_MINUTE: "0",
    ...(mode.databaseUrl ? { DATABASE_URL: mode.databaseUrl } : {}),
  };
  const first = await start(mode, env);
  const url = `http://127.0.0.1:${port}`;
  // The service is up; let the start-up work it does after the banner (first anchors) finish.
  await new Promise((r) => setTimeout(r, 2000));
  const afterStart = tree(first.pid);
  const tenant = await createTenant(url, readAdminKey(dataDir), "bench");
  const api = apiClient(url, tenant.key);
  const ids: string[] = [];
  const t1 = performance.now();
  for (let i = 0; i < LOAD; i += 25) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(25, LOAD - i) }, (_, j) =>
        api<{ id: string }>("POST", "/v1/evidence", { digest: `0x${(i + j + 1).toString(16).padStart(64, "0")}`, eventType: "bench" }),
      ),
    );
    for (const r of replies) ids.push(r.body.id);
  }
  await waitFor("the last proof anchored", async () => {
    const r = await api<{ anchor: unknown }>("GET", `/v1/evidence/${ids.at(-1)}/proof`);
    return r.status === 200 && r.body.anchor !== null;
  }, 120_000);
  for (const id of ids) await api("GET", `/v1/evidence/${id}/proof`);
  const loadMs = performance.now() - t1;
  const afterLoad = tree(first.pid);
  await first.stop();
  // A restart on the same data: no initdb, no bootstrap; the chain is new (re-anchoring).
  const again = await start(mode, env);
  await new Promise((r) => setTimeout(r, 2000));
  const afterRestart = tree(again.pid);
  await again.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    mode.name + (mode.databaseUrl ? "" : ", PGlite"),
    s(first.readyMs),
    summary(afterStart),
    summary(afterLoad),
    s(loadMs),
    s(again.readyMs),
    summary(afterRestart),
  ];
}

/** Spawns the service and resolves when it prints its banner. */
async function start(mode: Mode, env: Record<string, string>): Promise<{ pid: number; readyMs: number; stop(): Promise<void> }> {
  const t0 = performance.now();
  // A process group of its own, signalled as a whole below, as a terminal's Ctrl-C is: the old
  // start's `sh -c` does not pass a SIGTERM on (issue 13), and this measures, not tests that.
  const child = spawn(mode.argv[0], mode.argv.slice(1), { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  const ready = await new Promise<number>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes("listening on")) resolve(performance.now() - t0);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => reject(new Error(`exited before its banner:\n${out}`)));
  });
  return {
    pid: child.pid!,
    readyMs: ready,
    stop: async () => {
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    },
  };
}

const rows: string[][] = [];
for (const mode of modes) {
  process.stderr.write(`${mode.name}…\n`);
  rows.push(await measure(mode));
}
process.stdout.write(
  [
    `| how it is started | first start (empty DATA_DIR): spawn to banner | resident after start | resident after ${LOAD} submissions + ${LOAD} proofs | load took | restart on the same data: spawn to banner | resident after restart |`,
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ].join("\n"),
);
