// Asking an external RFC 3161 authority (TSA_URL) for a token over a hash: one HTTP POST,
// bounded by a timeout and a size cap, and the answer checked (status, signature, ESSCertID,
// imprint, nonce, a plausible time) before anyone keeps it.
import { randomBytes } from "node:crypto";
import { IMPRINT_ALGORITHMS } from "../verify/timestamp-algorithms.ts";
import { buildTimeStampQuery } from "./query.ts";
import { checkToken, tokenOfResponse, type TokenInfo } from "../verify/timestamp.ts";

/** A reply larger than this is refused: a token with a long chain is a few KiB. */
const MAX_REPLY_BYTES = 256 * 1024;
/** How far the authority's genTime may be from our clock around the request. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export class TsaRequestError extends Error {
  override name = "TsaRequestError";
}

export interface TsaRequestOptions {
  timeoutMs: number;
  /** Sent as the Authorization header (TSA_AUTHORIZATION). */
  authorization?: string | undefined;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** A checked token over `sha256Hash` (32 bytes, sent as a SHA-256 imprint) from the authority at `url`. */
export async function requestTimestamp(url: string, sha256Hash: Uint8Array, opts: TsaRequestOptions): Promise<TokenInfo> {
  const now = opts.now ?? (() => new Date());
  const nonce = new Uint8Array(randomBytes(8));
  const query = buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, sha256Hash, nonce);
  const started = now();
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: "POST",
      headers: {
        "content-type": "application/timestamp-query",
        accept: "application/timestamp-reply",
        ...(opts.authorization ? { authorization: opts.authorization } : {}),
      },
      body: query as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    throw new TsaRequestError(e.name === "TimeoutError" ? `no answer within ${opts.timeoutMs} ms` : `the request failed: ${e.message}`, { cause: err });
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new TsaRequestError(`the authority answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > MAX_REPLY_BYTES) {
    await res.body?.cancel();
    throw new TsaRequestError(`the reply is ${declared} bytes, more than ${MAX_REPLY_BYTES}`);
  }
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > MAX_REPLY_BYTES) throw new TsaRequestError(`the reply is more than ${MAX_REPLY_BYTES} bytes`);
  let info: TokenInfo;
  try {
    info = await checkToken(tokenOfResponse(body), { hashedMessage: sha256Hash, nonce });
  } catch (err) {
    throw new TsaRequestError(`the reply does not hold a good token: ${(err as Error).message}`, { cause: err });
  }
  const t = info.genTime.getTime();
  if (t < started.getTime() - MAX_CLOCK_SKEW_MS || t > now().getTime() + MAX_CLOCK_SKEW_MS) {
    throw new TsaRequestError(`the token's time ${info.genTime.toISOString()} is more than 5 minutes from ours (${started.toISOString()})`);
  }
  return info;
}
