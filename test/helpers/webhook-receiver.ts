// A real webhook receiver for tests: a node:http server on 127.0.0.1 that records every request
// (headers and the exact body text), answers as the test says, and lets a test await the
// request it expects instead of sleeping. close() is abrupt (open sockets destroyed), as a
// receiver that crashes; listen again on the same port to bring it back.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** How to answer one request: a status (and optional body/headers), or "hang" (never answer). */
export type Answer = number | { status: number; body?: string; headers?: Record<string, string> } | "hang";

export interface WebhookReceiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides each answer; 200 by default. */
  answer: (req: Omit<ReceivedRequest, "status">) => Answer;
  /** Resolves with the first request (already received or still to come) matching `pred`. */
  waitFor(pred: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest>;
  /** Stops at once: no new connections, open ones destroyed. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<{ pred: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }>();
  const sockets = new Set<Socket>();
  const hanging = new Set<http.ServerResponse>();
  const r = {
    answer: (() => 200) as WebhookReceiver["answer"],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v])),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const a = r.answer(seen);
      if (a === "hang") {
        hanging.add(res);
        return;
      }
      const { status, body, headers } = typeof a === "number" ? { status: a, body: undefined, headers: undefined } : a;
      const got: ReceivedRequest = { ...seen, status };
      requests.push(got);
      res.writeHead(status, headers ?? {});
      res.end(body ?? "");
      for (const w of [...waiters]) {
        if (w.pred(got)) {
          waiters.delete(w);
          w.resolve(got);
        }
      }
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(port);
  const actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    requests,
    get answer() {
      return r.answer;
    },
    set answer(fn) {
      r.answer = fn;
    },
    waitFor(pred) {
      const found = requests.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ pred, resolve }));
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of hanging) res.destroy();
      hanging.clear();
      for (const s of sockets) s.destroy();
      await closed;
    },
    reopen: () => listen(actualPort),
  };
}
