// The whole service (src/service.ts) started inside the test process, as src/main.ts starts it,
// for tests that need its objects (the election, the batcher, the webhook dispatcher) and not
// only its HTTP face; test/helpers/service.ts runs it as a child process instead. Kept apart
// from that file so that the tests which only spawn the service do not load all of it.
import { afterAll, beforeAll } from "vitest";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { HARDHAT_DEV_KEY, parseConfig } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { startService, type RunningService } from "../../src/service.ts";
import { startTestChain } from "./chain.ts";
import { freshDatabase, type TestDatabase } from "./db.ts";
import { tempDir } from "./service.ts";

/**
 * Starts the service on 127.0.0.1 (a free port) and a fresh DATA_DIR, anchoring on `nodeUrl`
 * with Hardhat's dev key, on `databaseUrl` (PGlite when undefined), with no hourly audit anchor
 * and no rate limits. `env` is added last and wins (set CHAIN_RPC_URL there to use several
 * endpoints). Errors only in the log unless `log` is given.
 */
export function startInProcess(
  opts: { nodeUrl: string; databaseUrl?: string | undefined },
  env: Record<string, string | undefined> = {},
  log: Logger = createLogger("error"),
): Promise<RunningService> {
  const cfg = parseConfig({
    DATABASE_URL: opts.databaseUrl,
    CHAIN_RPC_URL: opts.nodeUrl,
    ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY,
    DATA_DIR: tempDir(),
    PORT: "0",
    HOST: "127.0.0.1",
    // The audit log's own anchor would add transactions the tests do not count.
    AUDIT_ANCHOR_INTERVAL_MS: "3600000",
    RATE_LIMIT_PER_MINUTE: "0",
    PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
    ...env,
  });
  return startService(cfg, log);
}

/**
 * For a describe block of several instances on one fresh PostgreSQL database (DATABASE_URL's
 * server) and one Hardhat node, both made before the block and removed after it with every
 * instance started through `start`. `env` as in startInProcess; `database` once the block runs.
 */
export function instancesOfOneDatabase(): {
  start(env: Record<string, string | undefined>): Promise<RunningService>;
  readonly database: TestDatabase;
} {
  let node: LocalNode | undefined;
  let database: TestDatabase | undefined;
  const services: RunningService[] = [];
  beforeAll(async () => {
    [node, database] = await Promise.all([startTestChain(), freshDatabase()]);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await node?.stop();
    await database?.close();
  });
  return {
    async start(env) {
      const s = await startInProcess({ nodeUrl: node!.url, databaseUrl: database!.url }, env);
      services.push(s);
      return s;
    },
    get database() {
      return database!;
    },
  };
}
