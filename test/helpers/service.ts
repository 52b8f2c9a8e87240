// The real service as a child process (`node --import tsx src/main.ts`), the way an operator
// runs it: configured through the environment, talked to over HTTP, stopped by a signal.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./chain.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ServiceProcess {
  url: string;
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function tempDir(prefix = "evidence-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts the service and resolves once it prints its URL. `env` is all it gets besides PATH
 * and HOME: the test's own DATABASE_URL (a server URL) must never leak into it by accident.
 */
export async function spawnService(env: Record<string, string | undefined>): Promise<ServiceProcess> {
  const port = env.PORT ?? String(await freePort());
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: port, HOST: "127.0.0.1" };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        proc.stdout?.off("data", onData);
        resolve(m[1]);
      }
    };
    proc.stdout?.on("data", onData);
    void exited.then((code) => reject(new Error(`service exited (${code}) before listening:\n${out}`)));
  });
  return {
    url,
    proc,
    output: () => out,
    exited,
    stop: (signal = "SIGINT") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
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
