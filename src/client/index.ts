// The typed client of the service's HTTP API (`evidence-anchor/client`): openapi-fetch over
// the types generated from the OpenAPI document (./openapi.ts, `npm run gen:client`), plus the
// three things every integration does: submit digests, wait for their anchor, fetch the proof.
// Imports nothing of the server (it ships with the standalone verifier and the CLI), and
// runs wherever fetch does: Node 18+, browsers, Deno, Bun.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./openapi.ts";

export type { components, operations, paths } from "./openapi.ts";
// Checking a webhook delivery (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature) is the other half of integrating; docs/webhooks.md.
export { signWebhook, verifyWebhookSignature } from "../core/webhook-signature.ts";
export type Schemas = components["schemas"];
export type Receipt = Schemas["Receipt"];
export type ProofBundle = Schemas["ProofBundle"];
export type Anchor = Schemas["Anchor"];
export type Problem = Schemas["Problem"];
/** A proof whose batch is anchored: what waitForAnchor resolves to. */
export type AnchoredProof = ProofBundle & { anchor: Anchor };

/** What a submission says besides the digest; `idempotencyKey` defaults to a fresh UUID. */
export type SubmitMeta = Omit<Schemas["SubmitItem"], "digest"> & { idempotencyKey?: string };

export interface EvidenceClientOptions {
  /** Where the service is, e.g. https://evidence.example.cn (a trailing slash is fine). */
  baseUrl: string;
  /** An API key, evk_…; without one only the public operations answer. */
  apiKey?: string;
  /** The fetch to use (a test's, a proxy's); globalThis.fetch otherwise. */
  fetch?: (request: Request) => Promise<Response>;
}

/** The service answered with a status of 400 or more; `problem` is its RFC 9457 body when it sent one. */
export class EvidenceApiError extends Error {
  override readonly name = "EvidenceApiError";
  readonly status: number;
  readonly problem: Problem | undefined;
  /** The body as received: the problem object, or text when it was not JSON. */
  readonly body: unknown;
  /** Seconds to wait before asking again, from Retry-After (429s, some 503s). */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, headers?: Headers) {
    const problem = isProblem(body) ? body : undefined;
    super(`the service answered ${status}${problem ? `: ${problem.title}: ${problem.detail}` : ""}`);
    this.status = status;
    this.problem = problem;
    this.body = body;
    const retry = headers?.get("retry-after");
    this.retryAfter = retry != null && /^\d{1,6}$/.test(retry) ? Number(retry) : undefined;
  }

  /** Worth asking again later: rate-limited, or the service (or what it needs) is in trouble. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** waitForAnchor gave up: the item is not anchored yet (`last` is the proof as last fetched). */
export class AnchorTimeoutError extends Error {
  override readonly name = "AnchorTimeoutError";
  readonly id: string;
  readonly last: ProofBundle | undefined;

  constructor(id: string, timeoutMs: number, last: ProofBundle | undefined) {
    super(`evidence ${id} was not anchored within ${timeoutMs / 1000} s`);
    this.id = id;
    this.last = last;
  }
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Between two fetches of the proof (default 2 s; at least 10 ms). */
  intervalMs?: number;
  /** Stops the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface EvidenceClient {
  /** Every operation of the API, typed from the document: `api.GET("/v1/evidence/{id}", { params: { path: { id } } })`. */
  readonly api: Client<paths>;
  /** Submits one digest (0x-hex or bare hex, as sha256sum prints it). */
  submit(digest: string, meta?: SubmitMeta): Promise<Receipt>;
  /** Submits up to 10,000 digests in one request, all or none; `meta` applies to each. Receipts in the same order. */
  submit(digests: readonly string[], meta?: SubmitMeta): Promise<Receipt[]>;
  /** The item's evidence-proof/v1 bundle; `anchor` is null until its batch is anchored. */
  proof(id: string): Promise<ProofBundle>;
  /**
   * Fetches the proof until it is anchored. The first fetch's errors are thrown (a wrong id or
   * key will not get better); later 429s, 5xx and network failures are waited out.
   * Throws AnchorTimeoutError when `timeoutMs` passes first.
   */
  waitForAnchor(id: string, opts?: WaitOptions): Promise<AnchoredProof>;
}

const HEX64_RE = /^(?:0x)?([0-9a-f]{64})$/i;

/**
 * A digest as the API takes it: 0x and 64 lowercase hex digits. Accepts bare hex (sha256sum's
 * output) and either case. Throws a TypeError for anything else, before a request is sent.
 */
export function normalizeDigest(digest: string): string {
  const m = HEX64_RE.exec(digest.trim());
  if (!m) throw new TypeError(`not a 32-byte digest (64 hex digits, with or without 0x): ${JSON.stringify(digest.slice(0, 80))}`);
  return `0x${m[1]!.toLowerCase()}`;
}

export function createEvidenceClient(opts: EvidenceClientOptions): EvidenceClient {
  const api = createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ""),
    headers: {
      accept: "application/json, application/problem+json",
      ...(opts.apiKey === undefined ? {} : { authorization: `Bearer ${opts.apiKey}` }),
    },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });

  /** The data of a 2xx answer, or an EvidenceApiError. */
  const ok = <T>(r: { data?: T; error?: unknown; response: Response }): T => {
    if (!r.response.ok) throw new EvidenceApiError(r.response.status, r.error, r.response.headers);
    return r.data as T;
  };

  async function submit(digest: string, meta?: SubmitMeta): Promise<Receipt>;
  async function submit(digests: readonly string[], meta?: SubmitMeta): Promise<Receipt[]>;
  async function submit(what: string | readonly string[], meta: SubmitMeta = {}): Promise<Receipt | Receipt[]> {
    const { idempotencyKey = crypto.randomUUID(), ...fields } = meta;
    const header = { "Idempotency-Key": idempotencyKey };
    if (typeof what === "string") {
      return ok(await api.POST("/v1/evidence", { params: { header }, body: { ...fields, digest: normalizeDigest(what) } }));
    }
    const items = what.map((d) => ({ ...fields, digest: normalizeDigest(d) }));
    return ok(await api.POST("/v1/evidence/batch", { params: { header }, body: { items } })).items;
  }

  async function proof(id: string): Promise<ProofBundle> {
    return ok(await api.GET("/v1/evidence/{id}/proof", { params: { path: { id } } }));
  }

  async function waitForAnchor(id: string, wopts: WaitOptions = {}): Promise<AnchoredProof> {
    const timeoutMs = wopts.timeoutMs ?? 600_000;
    const intervalMs = Math.max(10, wopts.intervalMs ?? 2_000);
    const { signal } = wopts;
    const deadline = Date.now() + timeoutMs;
    let last: ProofBundle | undefined;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      let pause = intervalMs;
      try {
        last = await proof(id);
        if (last.anchor !== null) return last as AnchoredProof;
      } catch (e) {
        if (attempt === 0 || !transient(e)) throw e;
        // Asking again before Retry-After would only be refused again.
        if (e instanceof EvidenceApiError && e.retryAfter !== undefined) pause = Math.max(pause, e.retryAfter * 1000);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new AnchorTimeoutError(id, timeoutMs, last);
      await sleep(Math.min(pause, left), signal);
    }
  }

  return { api, submit, proof, waitForAnchor };
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && typeof (body as Problem).title === "string" && typeof (body as Problem).status === "number";
}

/** Rate limits, server trouble, and the exchange failing (fetch rejects with a TypeError). */
function transient(e: unknown): boolean {
  return e instanceof EvidenceApiError ? e.transient : e instanceof TypeError;
}

/** A timer that the signal cancels: the wait is one timer, not a loop. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
