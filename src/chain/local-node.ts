// Runs a Hardhat node as a child process: the default chain when no CHAIN_RPC_URL is set.
// Its state lives in memory, so every start is a new chain; the anchoring loop notices
// (reconcileAnchors in src/batcher/anchor.ts) and re-anchors what the old chain held.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../runtime.ts";

export interface LocalNode {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const projectRoot = PROJECT_ROOT;

function hardhatCli(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("hardhat/package.json");
  const bin = (require(pkgPath) as { bin: Record<string, string> }).bin.hardhat;
  if (!bin) throw new Error("hardhat package has no bin entry");
  return join(dirname(pkgPath), bin);
}

// Loaded into the node's process before Hardhat: it exits when its stdin reaches end of file,
// which happens when the process that started it is gone, however it died. Without it a
// service killed with SIGKILL (or by the OOM killer) leaves its chain running, holding the
// port, and the next start fails.
const EXIT_WITH_PARENT = "data:text/javascript,process.stdin.on('end',()=>process.exit(0)).resume()";

/**
 * Starts `hardhat node` on 127.0.0.1:port and resolves once it says it is listening.
 * Rejects with the node's own output if it exits first (port in use, say).
 */
export function startLocalNode(port: number, opts: { startTimeoutMs?: number; chainId?: number } = {}): Promise<LocalNode> {
  const args = ["--import", EXIT_WITH_PARENT, hardhatCli(), "node", "--hostname", "127.0.0.1", "--port", String(port)];
  // Another chain id makes the node look like a public chain to the service (fault tests).
  if (opts.chainId !== undefined) args.push("--chain-id", String(opts.chainId));
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    // stdin is a pipe that we never write to: only its end matters (see EXIT_WITH_PARENT).
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1" },
  });
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hardhat node did not start within ${opts.startTimeoutMs ?? 60_000} ms:\n${output}`));
    }, opts.startTimeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      // Keep only the start of the output for error messages; the node logs every RPC call.
      if (output.length < 4000) output += chunk.toString();
      if (output.includes("Started HTTP")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        // Keep draining so a chatty node never blocks on a full pipe.
        child.stdout?.resume();
        resolve({ url, process: child, stop });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => {
      if (output.length < 4000) output += c.toString();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited (${code ?? signal}) before it started:\n${output}`));
    });
  });
}
