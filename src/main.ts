// Entry point: the only place that reads the environment. Parses config, starts the
// service, prints where it is, and shuts down cleanly on SIGINT/SIGTERM.
import { ConfigError, parseConfig } from "./config.ts";
import { createLogger, errorFields } from "./log.ts";
import { startService } from "./service.ts";

/** What the HTTP server is bound to, in words an operator cannot misread. */
function bindDescription(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "::") return `${host}:${port}, every network interface (set HOST=127.0.0.1 to keep it to this machine)`;
  return `${host.includes(":") ? `[${host}]` : host}:${port} only`;
}

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const log = createLogger(cfg.LOG_LEVEL, undefined, cfg.LOG_FORMAT);
  const service = await startService(cfg, log);
  // A first start on the embedded database runs PostgreSQL's initdb in WebAssembly and leaves
  // ~240 MB of its memory as garbage that V8, with a small heap of its own, does not collect
  // for a long time (docs/benchmarks.md, issue 13). `npm start` runs node with --expose-gc for
  // this one collection; without the flag it is skipped.
  (globalThis as { gc?: () => void }).gc?.();
  const target = service.target();
  const { election } = service;
  process.stdout.write(
    [
      // The first line's URL is one to reach it from this machine (tests read it); the
      // second says what it is bound to, so "all interfaces" is never a surprise.
      `evidence service listening on ${service.url}`,
      `  bound to: ${bindDescription(cfg.HOST, service.port)}`,
      ...(cfg.PUBLIC_URL ? [`  public:   ${cfg.PUBLIC_URL}`] : []),
      `  instance: ${election.instanceId} (${election.isLeader ? "leader: runs the sequencer" : "follower: another instance runs the sequencer"})`,
      `  chain:    ${service.rpcUrl} (chain id ${target?.chain.chainId ?? (election.isLeader ? "not connected yet" : "connected by the leader")})`,
      `  contract: ${target?.contract ?? (election.isLeader ? "not deployed yet" : "resolved by the leader")}`,
      `  database: ${service.database.kind}`,
      "",
    ].join("\n"),
  );
  if (service.bootstrap) {
    // Shown once, here, on the operator's terminal; never in a log line.
    process.stdout.write(
      [
        "first start: created the admin principal \"admin\" and its API key (shown only this once):",
        `  ${service.bootstrap.key}`,
        `  saved to ${service.bootstrap.adminKeyFile} (mode 0600); use it as 'Authorization: Bearer <key>'`,
        "",
      ].join("\n"),
    );
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn("second signal: exiting now", { signal });
      process.exit(130);
    }
    log.info("shutting down: finishing the batch under way", { signal });
    service.stop().then(
      () => process.exit(0),
      (err) => {
        log.error("shutdown failed", errorFields(err));
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
