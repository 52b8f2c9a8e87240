// The typed client against the real app on a real chain (its fetch is the app's, no socket):
// submit one, many and bare-hex digests, fetch the proof, wait across the anchor, and the
// errors: the problem+json carried, a timeout, an abort, an outage waited out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AnchorTimeoutError,
  createEvidenceClient,
  EvidenceApiError,
  normalizeDigest,
  type EvidenceClient,
  type EvidenceClientOptions,
} from "../../src/client/index.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { BundleSchema, ReceiptSchema } from "../../src/api/schemas.ts";
import { apiHarnessOnChain, randomDigest, type ApiHarness } from "../helpers/api.ts";
import { describeDbKind } from "../helpers/db.ts";

let h: ApiHarness & { node: LocalNode };
const BASE = "http://evidence.test";
/** The real app as the client's fetch; `spy` sees each request and may answer instead. */
const appFetch =
  (spy?: (req: Request) => Response | undefined): NonNullable<EvidenceClientOptions["fetch"]> =>
  async (req) =>
    spy?.(req) ?? h.rawApp.request(req);
let client: EvidenceClient;

beforeAll(async () => {
  h = await apiHarnessOnChain();
  client = createEvidenceClient({ baseUrl: `${BASE}/`, apiKey: h.keys.tenant, fetch: appFetch() });
});
afterAll(() => h?.close());

describe(`the typed client on ${describeDbKind()}`, () => {
  it("submits one digest (bare hex too) and many, each with a receipt the schema accepts", async () => {
    const bare = randomDigest().slice(2).toUpperCase();
    const one = await client.submit(bare, { caseId: "client-case", eventType: "signed" });
    expect(ReceiptSchema.safeParse(one).success).toBe(true);
    const view = await client.api.GET("/v1/evidence/{id}", { params: { path: { id: one.id } } });
    expect(view.data?.digest).toBe(`0x${bare.toLowerCase()}`);
    expect(view.data?.caseId).toBe("client-case");

    const digests = [randomDigest(), randomDigest(), randomDigest()];
    const many = await client.submit(digests);
    expect(many).toHaveLength(3);
    for (const r of many) expect(ReceiptSchema.safeParse(r).success).toBe(true);
  });

  it("sends an Idempotency-Key: a retry with the same key gets the same item", async () => {
    const digest = randomDigest();
    const first = await client.submit(digest, { idempotencyKey: "client-retry-1" });
    const again = await client.submit(digest, { idempotencyKey: "client-retry-1" });
    expect(again.id).toBe(first.id);
    const other = await client.submit(digest);
    expect(other.id).not.toBe(first.id);
  });

  it("refuses what is not a digest before sending anything", async () => {
    let sent = 0;
    const counting = createEvidenceClient({ baseUrl: BASE, apiKey: h.keys.tenant, fetch: appFetch(() => void sent++) });
    await expect(counting.submit("0x1234")).rejects.toThrow(TypeError);
    await expect(counting.submit(["ab".repeat(32), "xyz"])).rejects.toThrow(/not a 32-byte digest/);
    expect(sent).toBe(0);
    expect(normalizeDigest(` 0X${"AB".repeat(32)}\n`)).toBe(`0x${"ab".repeat(32)}`);
  });

  it("fetches the proof, pending then anchored, and waits across the anchor without a busy loop", async () => {
    const receipt = await client.submit(randomDigest());
    const pending = await client.proof(receipt.id);
    expect(BundleSchema.safeParse(pending).success).toBe(true);
    expect(pending.anchor).toBeNull();

    let proofFetches = 0;
    let firstFetch!: () => void;
    const fetched = new Promise<void>((resolve) => (firstFetch = resolve));
    const watching = createEvidenceClient({
      baseUrl: BASE,
      apiKey: h.keys.tenant,
      fetch: appFetch((req) => {
        if (req.url.endsWith("/proof") && ++proofFetches === 1) queueMicrotask(firstFetch);
        return undefined;
      }),
    });
    const waiting = watching.waitForAnchor(receipt.id, { intervalMs: 20, timeoutMs: 60_000 });
    await fetched;
    await h.batcher.tick();
    const anchored = await waiting;
    expect(anchored.anchor.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(BundleSchema.safeParse(anchored).success).toBe(true);
    // A few fetches while the batch was made, not thousands.
    expect(proofFetches).toBeLessThan(200);
  });

  it("throws EvidenceApiError carrying the problem on 4xx", async () => {
    const missing = await client.proof("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EvidenceApiError);
    expect((missing as EvidenceApiError).status).toBe(404);
    expect((missing as EvidenceApiError).problem?.type).toMatch(/^urn:evidence:problem:/);
    expect((missing as EvidenceApiError).transient).toBe(false);

    const tooLong = await client.submit(randomDigest(), { caseId: "c".repeat(257) }).catch((e: unknown) => e);
    expect((tooLong as EvidenceApiError).status).toBe(422);
    expect((tooLong as EvidenceApiError).problem?.errors?.map((e) => e.field)).toEqual(["/caseId"]);

    const anonymous = createEvidenceClient({ baseUrl: BASE, fetch: appFetch() });
    const noKey = await anonymous.submit(randomDigest()).catch((e: unknown) => e);
    expect((noKey as EvidenceApiError).status).toBe(401);
    const limited = createEvidenceClient({
      baseUrl: BASE,
      apiKey: h.keys.tenant,
      fetch: appFetch(() =>
        Response.json(
          { type: "urn:evidence:problem:too-many-requests", title: "Too many requests", status: 429, detail: "retry in 7 s", instance: "/" },
          { status: 429, headers: { "content-type": "application/problem+json", "retry-after": "7" } },
        ),
      ),
    });
    const throttled = (await limited.proof("x").catch((e: unknown) => e)) as EvidenceApiError;
    expect([throttled.status, throttled.retryAfter, throttled.transient, throttled.problem?.detail]).toEqual([429, 7, true, "retry in 7 s"]);

    // The first fetch's refusal ends a wait at once: a wrong id does not get better.
    await expect(client.waitForAnchor("00000000-0000-4000-8000-000000000000", { intervalMs: 10 })).rejects.toBeInstanceOf(EvidenceApiError);
  });

  it("gives up with AnchorTimeoutError, stops on abort, and waits out a passing outage", async () => {
    const receipt = await client.submit(randomDigest());
    const late = await client.waitForAnchor(receipt.id, { timeoutMs: 60, intervalMs: 20 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(AnchorTimeoutError);
    expect((late as AnchorTimeoutError).last?.anchor).toBeNull();

    const controller = new AbortController();
    const stopping = createEvidenceClient({
      baseUrl: BASE,
      apiKey: h.keys.tenant,
      fetch: appFetch((req) => {
        if (req.url.endsWith("/proof")) queueMicrotask(() => controller.abort(new Error("the user pressed Ctrl-C")));
        return undefined;
      }),
    });
    await expect(stopping.waitForAnchor(receipt.id, { intervalMs: 60_000, signal: controller.signal })).rejects.toThrow("the user pressed Ctrl-C");

    // The second and third fetches meet a 503, then the batch is anchored: the wait carries on.
    let n = 0;
    const flaky = createEvidenceClient({
      baseUrl: BASE,
      apiKey: h.keys.tenant,
      fetch: appFetch((req) => {
        if (!req.url.endsWith("/proof")) return undefined;
        n++;
        if (n === 2 || n === 3) {
          if (n === 3) void h.batcher.tick();
          return Response.json({ type: "urn:evidence:problem:service-unavailable", title: "Service unavailable", status: 503, detail: "x", instance: "/" }, { status: 503, headers: { "content-type": "application/problem+json" } });
        }
        return undefined;
      }),
    });
    const anchored = await flaky.waitForAnchor(receipt.id, { intervalMs: 20, timeoutMs: 60_000 });
    expect(anchored.anchor.blockNumber).toBeGreaterThan(0);
    expect(n).toBeGreaterThanOrEqual(4);
  });
});

// Type-level checks (tsc runs over the tests): the helpers and the raw client are typed from
// the generated paths, so a path or field the document does not have does not compile.
export function typeChecks(c: EvidenceClient): void {
  // @ts-expect-error: no such path in the document
  void c.api.GET("/v1/no-such-route");
  // @ts-expect-error: the path parameter is required
  void c.api.GET("/v1/evidence/{id}/proof", { params: {} });
  // @ts-expect-error: submit's meta has no such field
  void c.submit("0x00", { nosuchfield: 1 });
  // @ts-expect-error: hashAlg is one of the algorithms the service knows
  void c.submit("0x00", { hashAlg: "md5" });
  void c.api.POST("/v1/evidence", { body: { digest: "0x00", hashAlg: "sm3" } });
  void c.proof("id").then((p) => p.batch?.path satisfies string[] | undefined);
}
