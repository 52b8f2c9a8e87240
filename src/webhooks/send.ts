// One webhook POST over node:http(s), to the address ./address.ts checked: the socket's name
// lookup is pinned to it (fetch cannot do that), TLS still checks the certificate against the
// URL's host name, no redirect is followed, the whole exchange is bounded in time and only the
// first bytes of the answer are kept for the delivery log.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedTarget } from "./address.ts";

/** Bytes of a receiver's answer kept in the delivery log; the rest is read and dropped. */
export const RESPONSE_KEEP_BYTES = 4096;
/** Bytes of an answer read at all: past this the connection is closed (the status is known by then). */
const RESPONSE_READ_BYTES = 64 * 1024;

export interface SendResult {
  /** The HTTP status, or null when there was none (connection error, timeout). */
  status: number | null;
  /** The start of the answer's body (RESPONSE_KEEP_BYTES at most), or why there was no answer. */
  response: string | null;
  error: string | null;
}

/**
 * POSTs `body` with `headers` to `target` and resolves, never rejects, with what came back.
 * The whole request (connect, send, status, body) is bounded by `timeoutMs`.
 */
export function sendWebhook(target: ResolvedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
  const { url, address, family } = target;
  // Every lookup of this request answers the checked address, in both shapes Node asks for.
  const pinned = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
  const payload = Buffer.from(body, "utf8");
  const client = url.protocol === "https:" ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: "POST",
        lookup: pinned,
        // No pooling: each delivery connects afresh, to the address checked for it.
        agent: false,
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(payload.byteLength),
          "user-agent": "evidence-anchor-webhooks/1",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let read = 0;
        const done = () => {
          const text = Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString("utf8");
          finish({ status: res.statusCode ?? null, response: text, error: null });
        };
        res.on("data", (c: Buffer) => {
          if (read < RESPONSE_KEEP_BYTES) chunks.push(c);
          read += c.byteLength;
          if (read > RESPONSE_READ_BYTES) {
            done();
            req.destroy();
          }
        });
        res.on("end", done);
        res.on("error", done);
        res.on("aborted", done);
      },
    );
    const timer = setTimeout(() => {
      finish({ status: null, response: null, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => finish({ status: null, response: null, error: err.code ?? err.message }));
    req.end(payload);
  });
}
