// HTTP load generation with node:http and keep-alive sockets: closed loop (a fixed number
// of requests by N concurrent callers) and open loop (a fixed rate until told to stop).
// Runs in the load child process (bench/load-process.ts), so client work does not share the service's loop.
// Every request carries the tenant's API key, as a platform's would.
import { Agent, request } from "node:http";
import { randomBytes } from "node:crypto";

export interface HttpResult {
  status: number;
  body: string;
}

/** A client for `baseUrl` sending `key` as `Authorization: Bearer <key>` on every request. */
/** A keep-alive client; `key` (absent: anonymous) goes in every request's Authorization. */
export function makeClient(baseUrl: string, key: string | undefined, maxSockets: number) {
  const url = new URL(baseUrl);
  const auth: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  // Idle sockets are closed after 2 s, well before the server's 5 s keep-alive timeout:
  // otherwise a request can go out on a socket the server is closing (ECONNRESET).
  const agent = new Agent({ keepAlive: true, maxSockets, timeout: 2000 });
  const send = (method: "GET" | "POST", path: string, body?: string): Promise<HttpResult> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: "application/json", ...auth };
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(body);
      }
      const req = request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

export type Client = ReturnType<typeof makeClient>;

export const randomDigest = (): string => "0x" + randomBytes(32).toString("hex");

export interface LoadOutcome {
  elapsedMs: number;
  /** Per-request latency, ms, in completion order. */
  latencies: Float64Array;
  ok: number;
  errors: number;
  /** First few error descriptions, for the report. */
  errorSamples: string[];
}

/**
 * Sends `total` requests with `concurrency` callers in flight, each taking the next request
 * as soon as its previous one is answered. `make(i)` builds request i (prepared before the
 * clock starts when `prepare` is true); `onOk` sees each 2xx answer.
 */
export async function closedLoop(
  client: Client,
  total: number,
  concurrency: number,
  make: (i: number) => { method: "GET" | "POST"; path: string; body?: string },
  onOk: (i: number, res: HttpResult) => void = () => {},
): Promise<LoadOutcome> {
  const requests = Array.from({ length: total }, (_, i) => make(i));
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  let ok = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  const caller = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const r = requests[i]!;
      const start = performance.now();
      try {
        const res = await client.send(r.method, r.path, r.body);
        latencies[done++] = performance.now() - start;
        if (res.status >= 200 && res.status < 300) {
          ok++;
          onOk(i, res);
        } else {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`${res.status} ${res.body.slice(0, 200)}`);
        }
      } catch (err) {
        latencies[done++] = performance.now() - start;
        errors++;
        if (errorSamples.length < 5) errorSamples.push(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { elapsedMs: performance.now() - t0, latencies: latencies.subarray(0, done), ok, errors, errorSamples };
}

/**
 * Sends requests at `ratePerSec` (open loop: the schedule does not wait for answers) until
 * `shouldStop()` is true, then waits for the ones in flight. Latency counts from the
 * scheduled send time, so a stalled server shows up as latency rather than a slower rate.
 */
export async function openLoop(
  client: Client,
  ratePerSec: number,
  shouldStop: () => boolean,
  make: () => { method: "GET" | "POST"; path: string; body?: string },
  maxInFlight = 256,
): Promise<LoadOutcome & { sent: number; skipped: number }> {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let ok = 0;
  let errors = 0;
  let sent = 0;
  let skipped = 0;
  const errorSamples: string[] = [];
  const interval = 1000 / ratePerSec;
  const t0 = performance.now();
  for (let k = 0; !shouldStop(); k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (shouldStop()) break;
    if (inFlight.size >= maxInFlight) {
      skipped++;
      continue;
    }
    const r = make();
    sent++;
    const p: Promise<void> = client
      .send(r.method, r.path, r.body)
      .then(
        (res) => {
          latencies.push(performance.now() - due);
          if (res.status >= 200 && res.status < 300) ok++;
          else {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(`${res.status} ${res.body.slice(0, 200)}`);
          }
        },
        (err: unknown) => {
          latencies.push(performance.now() - due);
          errors++;
          if (errorSamples.length < 5) errorSamples.push(String(err));
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { elapsedMs: performance.now() - t0, latencies: Float64Array.from(latencies), ok, errors, errorSamples, sent, skipped };
}
