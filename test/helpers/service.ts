// The real service as a child process (`node --import tsx src/main.ts`), the way an operator
// runs it: configured through the environment, talked to over HTTP, stopped by a signal.
// Also the first steps of an operator and a platform against it: the bootstrap admin key
// (from DATA_DIR/admin.key or the first start's stdout), and principals with keys created
// through the admin API.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./chain.ts";
import { HARDHAT_DEV_KEY } from "../../src/config.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ServiceProcess {
  url: string;
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /**
   * Resolves with the first match of `pattern` in the output (from character `from` on: pass
   * output().length to wait for a line still to come), as soon as it is there; rejects when
   * the process exits (or `timeoutMs` passes) without it.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>;
  /**
   * Resolves with the exit code (or signal) once the process has exited and its output has
   * been read to the end: output() is then complete.
   */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function tempDir(prefix = "evidence-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts the service and resolves once it prints its URL. `env` is all it gets besides PATH
 * and HOME: the test's own DATABASE_URL (a server URL) must never leak into it by accident.
 * `command` replaces `node --import tsx src/main.ts` (the build: `npm start`, `node dist/server/main.js`).
 */
export async function spawnService(env: Record<string, string | undefined>, command: [string, ...string[]] = [process.execPath, "--import", "tsx", "src/main.ts"]): Promise<ServiceProcess> {
  const port = env.PORT ?? String(await freePort());
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: port, HOST: "127.0.0.1" };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const proc = spawn(command[0], command.slice(1), {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  // Re-checked on every chunk: output is pushed to us, so nothing here needs to poll.
  const watchers = new Set<() => void>();
  const append = (c: Buffer) => {
    out += c.toString();
    for (const w of watchers) w();
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  // "close", not "exit": it comes after both pipes have been read to the end, so a caller
  // who awaits it sees every line the process wrote. No grandchild holds these pipes (the
  // Hardhat node the service may start gets pipes of its own).
  const exited = new Promise<number | string>((resolve) =>
    proc.once("close", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const re = new RegExp(pattern.source, pattern.flags.replace("g", ""));
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        watchers.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        const m = re.exec(from === 0 ? out : out.slice(from));
        if (m) {
          done();
          resolve(m);
        }
      };
      watchers.add(check);
      timer = setTimeout(() => {
        done();
        reject(new Error(`no output matching ${re} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      void exited.then((code) => {
        if (!watchers.has(check)) return;
        check();
        if (watchers.has(check)) {
          done();
          reject(new Error(`service exited (${code}) without printing ${re}:\n${out}`));
        }
      });
      check();
    });
  const url = (await waitForOutput(/listening on (http:\/\/\S+)/, 170_000).catch((err: Error) => {
    proc.kill("SIGKILL");
    throw err;
  }))[1]!;
  return {
    url,
    proc,
    output: () => out,
    waitForOutput,
    exited,
    stop: (signal = "SIGINT") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * The environment of a service that anchors on the node at `nodeUrl` with Hardhat's dev key,
 * seals every 200 ms and sets no rate limits (tests poll many proofs from one client; the
 * limits are tested in test/api/rate-limit.test.ts). `extra` is added last and wins.
 */
export function anchoringEnv(
  opts: { dataDir: string; nodeUrl: string; databaseUrl?: string | undefined },
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    DATA_DIR: opts.dataDir,
    DATABASE_URL: opts.databaseUrl,
    CHAIN_RPC_URL: opts.nodeUrl,
    ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY,
    BATCH_INTERVAL_MS: "200",
    RATE_LIMIT_PER_MINUTE: "0",
    PUBLIC_RATE_LIMIT_PER_MINUTE: "0",
    ...extra,
  };
}

/**
 * The block src/main.ts prints on the first start of an empty database, and nowhere else:
 * group 1 is the admin key, group 2 the file it was saved to.
 */
export const BOOTSTRAP_BLOCK_RE =
  /first start: created the admin principal "admin" and its API key \(shown only this once\):\n {2}(\S+)\n {2}saved to (\S+) \(mode 0600\)[^\n]*\n/;

/** Anything shaped like an API key with (part of) its secret: `evk_<id>_<secret…>`. */
export const KEY_LIKE_RE = /evk_[a-z2-7]{12}_[a-z2-7]{8,}/g;

/** The admin key the first start wrote to DATA_DIR/admin.key. */
export function readAdminKey(dataDir: string): string {
  return readFileSync(join(dataDir, "admin.key"), "utf8").trim();
}

/**
 * The admin key from the first start's stdout. The block comes right after the "listening"
 * line that spawnService() waits for, so it may not have arrived yet: this waits for it.
 */
export async function printedAdminKey(service: ServiceProcess): Promise<string> {
  return (await service.waitForOutput(BOOTSTRAP_BLOCK_RE))[1]!;
}

export interface ApiReply<T> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, the text otherwise. */
  body: T;
}

export type ApiCall = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiReply<T>>;

/**
 * An HTTP client for `url` sending `key` as a bearer token on every request, the way
 * `curl -H "Authorization: Bearer $KEY"` would; without a key it sends no Authorization.
 */
export function apiClient(url: string, key?: string): ApiCall {
  return async (method, path, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (key !== undefined) h.authorization = `Bearer ${key}`;
    if (body !== undefined) h["content-type"] = "application/json";
    const res = await fetch(url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const json = /json/.test(res.headers.get("content-type") ?? "") && text !== "";
    return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : text };
  };
}

export interface CreatedPrincipal {
  id: string;
  /** The principal's first API key, as POST /v1/keys returned it (shown only that once). */
  key: string;
  keyId: string;
}

/**
 * Creates a tenant (a platform) or a verifier and a key for it through the admin API, as an
 * operator would. Throws with the service's answer when either step is refused.
 */
export async function createPrincipal(
  url: string,
  adminKey: string,
  kind: "tenant" | "verifier",
  id: string,
  name = `${kind} ${id}`,
): Promise<CreatedPrincipal> {
  const admin = apiClient(url, adminKey);
  const created = await admin("POST", kind === "tenant" ? "/v1/tenants" : "/v1/verifiers", { id, name });
  if (created.status !== 201) throw new Error(`creating ${kind} ${id}: ${created.status} ${JSON.stringify(created.body)}`);
  const key = await admin<{ id: string; key: string }>("POST", "/v1/keys", { principalId: id, label: "test" });
  if (key.status !== 201) throw new Error(`creating a key for ${id}: ${key.status} ${JSON.stringify(key.body)}`);
  return { id, key: key.body.key, keyId: key.body.id };
}

/** A tenant and its key, created with the bootstrap admin key of DATA_DIR (see readAdminKey). */
export function createTenant(url: string, adminKey: string, id: string): Promise<CreatedPrincipal> {
  return createPrincipal(url, adminKey, "tenant", id);
}

/** Polls `probe` until it returns a value; the service offers no push channel to await. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
