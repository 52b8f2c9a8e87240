// /v1/evidence and /v1/batches through the real app: submitting (single and batch), reading
// status as the real Batcher seals and anchors into a real Hardhat node, proof bundles that
// verify against that node, lookup by digest. Runs on PGlite or PostgreSQL (DATABASE_URL).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { digestDocument } from "../../src/core/hash.ts";
import { isRfc3339Utc, leafHash, type EvidenceMeta } from "../../src/core/leaf.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { getEvidence } from "../../src/store/evidence.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { batchLevels } from "../../src/store/schema.ts";
import { Prover } from "../../src/services/prover.ts";
import { eq } from "drizzle-orm";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import {
  apiHarness,
  apiHarnessOnChain,
  jsonRequest,
  randomDigest,
  rpc,
  TEST_TENANT,
  unhandled,
  UUID_RE,
  type ApiHarness,
} from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";

interface Receipt {
  id: string;
  status: string;
  leafHash: string;
  receivedAt: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

// Two harnesses started together (each takes seconds): one anchoring into a Hardhat node,
// and one whose database only ever sees the 10,000-item requests (never sealed).
let h: ApiHarness & { node: LocalNode };
let bulk: ApiHarness;

beforeAll(async () => {
  [h, bulk] = await Promise.all([
    // Two confirmations: the tick that sends an anchor leaves its batch "batched", and one
    // more mined block plus a tick makes it "anchored". Deterministic, no sleeping.
    apiHarnessOnChain({ confirmations: 2 }),
    // The chain URL is a closed port: nothing in this one is anchored.
    freePort().then((port) => apiHarness({ chainUrl: `http://127.0.0.1:${port}` })),
  ]);
});

afterAll(async () => {
  await Promise.all([h?.close(), bulk?.close()]);
});

describe(`evidence API on ${describeDbKind()} with a Hardhat node`, () => {
  async function submit(body: unknown): Promise<{ res: Response; json: Receipt }> {
    const res = await h.app.request("/v1/evidence", jsonRequest("POST", body));
    return { res, json: (await res.json()) as Receipt };
  }

  async function submitBatch(items: unknown[]): Promise<Receipt[]> {
    const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
    expect(res.status).toBe(202);
    const json = (await res.json()) as { items: Receipt[] };
    return json.items;
  }

  async function getJson<T>(path: string, status = 200): Promise<T> {
    const res = await h.app.request(path);
    const body = await res.text();
    expect(res.status, body).toBe(status);
    return JSON.parse(body) as T;
  }

  /** Seals and sends (one tick), mines one more block, confirms (second tick). */
  async function sealAndAnchor(): Promise<void> {
    await h.batcher.tick();
    await rpc(h.node.url, "evm_mine");
    await h.batcher.tick();
  }

  /** The stored row, and the core leaf hash recomputed from what was stored. */
  async function storedLeaf(id: string) {
    const row = await getEvidence(h.database.db, ADMIN_SCOPE, id);
    expect(row, `row ${id}`).not.toBeNull();
    const recomputed = toHex(leafHash({ salt: row!.salt, digest: row!.digest, meta: row!.meta as EvidenceMeta }));
    return { row: row!, recomputed };
  }

  it("POST /v1/evidence accepts a digest: 202, Location, uuid, pending, leafHash of the stored salt and meta", async () => {
    const digest = randomDigest();
    const before = await h.countEvidence();
    const t0 = Date.now();
    const { res, json } = await submit({ digest, caseId: "case-1", eventType: "upload", occurredAt: "2026-11-27T10:00:00+01:00" });
    expect(res.status).toBe(202);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(json.id).toMatch(UUID_RE);
    expect(res.headers.get("location")).toBe(`/v1/evidence/${json.id}`);
    expect(json.status).toBe("pending");
    expect(Object.keys(json).sort()).toEqual(["id", "leafHash", "receipt", "receivedAt", "status"]);
    expect(isRfc3339Utc(json.receivedAt)).toBe(true);
    const received = Date.parse(json.receivedAt);
    expect(received).toBeGreaterThanOrEqual(t0 - 5);
    expect(received).toBeLessThanOrEqual(Date.now() + 5);

    expect(await h.countEvidence()).toBe(before + 1);
    const { row, recomputed } = await storedLeaf(json.id);
    expect(json.leafHash).toBe(recomputed);
    expect(toHex(row.digest)).toBe(digest);
    expect(row.salt).toHaveLength(32);
    expect(row.meta).toEqual({
      hashAlg: "sha256",
      submitter: TEST_TENANT,
      caseId: "case-1",
      eventType: "upload",
      occurredAt: "2026-11-27T10:00:00+01:00",
    });
    expect(row.receivedAt.toISOString()).toBe(json.receivedAt);

    // The Location header leads to the item.
    const view = await getJson<Record<string, unknown>>(res.headers.get("location")!);
    expect(view).toMatchObject({
      id: json.id,
      status: "pending",
      digest,
      hashAlg: "sha256",
      submitter: TEST_TENANT,
      caseId: "case-1",
      eventType: "upload",
      occurredAt: "2026-11-27T10:00:00+01:00",
      leafHash: json.leafHash,
      receivedAt: json.receivedAt,
      batch: null,
      anchor: null,
    });
  });

  it("salts differ per item: the same digest twice gives two leaf hashes", async () => {
    const digest = randomDigest();
    const a = await submit({ digest });
    const b = await submit({ digest });
    expect(a.res.status).toBe(202);
    expect(b.res.status).toBe(202);
    expect(a.json.id).not.toBe(b.json.id);
    expect(a.json.leafHash).not.toBe(b.json.leafHash);
    const ra = await storedLeaf(a.json.id);
    const rb = await storedLeaf(b.json.id);
    expect(toHex(ra.row.salt)).not.toBe(toHex(rb.row.salt));
  });

  const algs: { name: string; hashAlg: string | undefined; expected: string; digest: () => string }[] = [
    { name: "default (absent)", hashAlg: undefined, expected: "sha256", digest: () => toHex(digestDocument("sha256", utf8("doc a"))) },
    { name: "sha256", hashAlg: "sha256", expected: "sha256", digest: () => toHex(digestDocument("sha256", utf8("doc b"))) },
    { name: "sha3-256", hashAlg: "sha3-256", expected: "sha3-256", digest: () => toHex(digestDocument("sha3-256", utf8("doc c"))) },
    { name: "sm3", hashAlg: "sm3", expected: "sm3", digest: () => "0x" + createHash("sm3").update("doc d").digest("hex") },
  ];
  for (const alg of algs) {
    it(`hashAlg ${alg.name} is stored in the hashed meta as ${alg.expected}`, async () => {
      const digest = alg.digest();
      const { res, json } = await submit(alg.hashAlg === undefined ? { digest } : { digest, hashAlg: alg.hashAlg });
      expect(res.status).toBe(202);
      const { row, recomputed } = await storedLeaf(json.id);
      expect(row.hashAlg).toBe(alg.expected);
      expect(row.meta).toEqual({ hashAlg: alg.expected, submitter: TEST_TENANT });
      expect(json.leafHash).toBe(recomputed);
      const view = await getJson<{ hashAlg: string; digest: string }>(`/v1/evidence/${json.id}`);
      expect(view.hashAlg).toBe(alg.expected);
      expect(view.digest).toBe(digest);
    });
  }

  it("accepts an uppercase-hex digest and normalises it to lowercase", async () => {
    const lower = randomDigest();
    const upper = "0x" + lower.slice(2).toUpperCase();
    expect(upper).not.toBe(lower);
    const { res, json } = await submit({ digest: upper });
    expect(res.status).toBe(202);
    const { row, recomputed } = await storedLeaf(json.id);
    expect(toHex(row.digest)).toBe(lower);
    expect(json.leafHash).toBe(recomputed);
    const view = await getJson<{ digest: string }>(`/v1/evidence/${json.id}`);
    expect(view.digest).toBe(lower);
    // And the uppercase id is the same item.
    const viewUpper = await getJson<{ id: string }>(`/v1/evidence/${json.id.toUpperCase()}`);
    expect(viewUpper.id).toBe(json.id);
  });

  it("accepts a digest without 0x (what sha256sum prints) and stores and answers it with 0x", async () => {
    const bytes = new TextEncoder().encode(`contract ${Math.random()}`);
    const bare = createHash("sha256").update(bytes).digest("hex");
    const { res, json } = await submit({ digest: bare.toUpperCase() });
    expect(res.status).toBe(202);
    const { row, recomputed } = await storedLeaf(json.id);
    expect(toHex(row.digest)).toBe(`0x${bare}`);
    expect(json.leafHash).toBe(recomputed);
    expect((json as unknown as { receipt: { digest: string } }).receipt.digest).toBe(`0x${bare}`);
    const found = await getJson<{ items: { id: string }[] }>(`/v1/evidence?digest=${bare}`);
    expect(found.items.map((i) => i.id)).toEqual([json.id]);
  });

  it("POST /v1/evidence/batch answers with one receipt per item, in order", async () => {
    const items = [
      { digest: randomDigest(), hashAlg: "sha3-256" },
      { digest: randomDigest() },
      { digest: randomDigest(), caseId: "case-batch", eventType: "sign", occurredAt: "2026-01-02T03:04:05.678Z" },
      { digest: randomDigest(), hashAlg: "sm3" },
    ];
    const before = await h.countEvidence();
    const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items }));
    expect(res.status).toBe(202);
    const { items: receipts } = (await res.json()) as { items: Receipt[] };
    expect(receipts).toHaveLength(items.length);
    expect(new Set(receipts.map((r) => r.id)).size).toBe(items.length);
    for (const [i, r] of receipts.entries()) {
      expect(r.id).toMatch(UUID_RE);
      expect(r.status).toBe("pending");
      expect(isRfc3339Utc(r.receivedAt)).toBe(true);
      const { row, recomputed } = await storedLeaf(r.id);
      expect(toHex(row.digest), `item ${i}`).toBe(items[i]!.digest);
      expect(row.hashAlg).toBe(items[i]!.hashAlg ?? "sha256");
      expect(r.leafHash).toBe(recomputed);
    }
    expect((await storedLeaf(receipts[2]!.id)).row.meta).toEqual({
      hashAlg: "sha256",
      submitter: TEST_TENANT,
      caseId: "case-batch",
      eventType: "sign",
      occurredAt: "2026-01-02T03:04:05.678Z",
    });
    expect(await h.countEvidence()).toBe(before + items.length);
  });

  it("GET /v1/evidence?digest= finds every item with that digest, in arrival order, either case", async () => {
    const digest = randomDigest();
    const first = await submit({ digest, caseId: "lookup" });
    const second = await submit({ digest: digest.toUpperCase().replace("0X", "0x") });
    await submit({ digest: randomDigest() });
    for (const q of [digest, "0x" + digest.slice(2).toUpperCase()]) {
      const found = await getJson<{ items: { id: string; digest: string; status: string; caseId: string | null }[] }>(
        `/v1/evidence?digest=${q}`,
      );
      expect(found.items.map((i) => i.id)).toEqual([first.json.id, second.json.id]);
      expect(found.items.every((i) => i.digest === digest && i.status === "pending")).toBe(true);
      expect(found.items[0]!.caseId).toBe("lookup");
      expect(found.items[1]!.caseId).toBeNull();
    }
    const none = await getJson<{ items: unknown[] }>(`/v1/evidence?digest=${randomDigest()}`);
    expect(none.items).toEqual([]);
  });

  it("an item goes pending → batched → anchored as the batcher ticks; its proof and batch follow", async () => {
    // Settle whatever earlier tests left pending, so this batch is exactly these five items.
    await sealAndAnchor();
    const digests = Array.from({ length: 5 }, () => randomDigest());
    const receipts = await submitBatch(digests.map((digest, i) => ({ digest, caseId: "case-life", eventType: `e${i}` })));
    const id = receipts[2]!.id;

    // pending: no batch, no anchor, a bundle with only the evidence.
    type View = { status: string; batch: { seq: number; leafIndex: number } | null; anchor: unknown; leafHash: string };
    const pending = await getJson<View>(`/v1/evidence/${id}`);
    expect(pending).toMatchObject({ status: "pending", batch: null, anchor: null, leafHash: receipts[2]!.leafHash });
    const pendingProof = await getJson<ProofBundleV1>(`/v1/evidence/${id}/proof`);
    expect(pendingProof.format).toBe("evidence-proof/v1");
    expect(pendingProof.anchor).toBeNull();
    expect(pendingProof.leaf).toBeNull();
    expect(pendingProof.batch).toBeNull();
    const { row } = await storedLeaf(id);
    expect(pendingProof.evidence).toEqual({
      id,
      digest: digests[2],
      salt: toHex(row.salt),
      // The third item of the case: chained to the second (meta.prev).
      meta: { caseId: "case-life", eventType: "e2", hashAlg: "sha256", prev: receipts[1]!.leafHash, submitter: TEST_TENANT },
      receivedAt: receipts[2]!.receivedAt,
    });

    // One tick: sealed and sent, not yet deep enough to count as anchored.
    await h.batcher.tick();
    const batched = await getJson<View>(`/v1/evidence/${id}`);
    expect(batched.status).toBe("batched");
    expect(batched.anchor).toBeNull();
    expect(batched.batch).not.toBeNull();
    const seq = batched.batch!.seq;
    expect(batched.batch!.leafIndex).toBe(2);
    for (const [i, r] of receipts.entries()) {
      expect((await getJson<View>(`/v1/evidence/${r.id}`)).batch).toEqual({ seq, leafIndex: i });
    }
    const batchedProof = await getJson<ProofBundleV1>(`/v1/evidence/${id}/proof`);
    expect(batchedProof.anchor).toBeNull();
    expect(batchedProof.leaf).toEqual({ index: 2, hash: receipts[2]!.leafHash });
    expect(batchedProof.batch).toMatchObject({ seq, size: 5 });
    expect(batchedProof.batch!.path).toHaveLength(3);
    const sealedBatch = await getJson<Record<string, unknown>>(`/v1/batches/${seq}`);
    expect(sealedBatch).toMatchObject({ seq, size: 5, root: batchedProof.batch!.root, status: "batched", anchor: null });
    expect(isRfc3339Utc(sealedBatch.sealedAt as string)).toBe(true);
    // Offline checks already pass; chain checks are skipped while there is no anchor.
    const offline = await verifyBundle(batchedProof, { chain: jsonRpcReader(h.node.url) });
    expect(offline.checks.filter((c) => !c.skipped).map((c) => [c.name, c.ok])).toEqual([
      ["format", true],
      ["leaf", true],
      ["root", true],
    ]);
    expect(offline.valid).toBe(false);

    // Another block, another tick: confirmed.
    await rpc(h.node.url, "evm_mine");
    await h.batcher.tick();
    const anchored = await getJson<View & { anchor: Record<string, unknown> }>(`/v1/evidence/${id}`);
    expect(anchored.status).toBe("anchored");
    expect(anchored.batch).toEqual({ seq, leafIndex: 2 });
    const target = h.batcher.target!;
    expect(anchored.anchor).toMatchObject({ chainId: 31337, contract: target.contract });

    const proof = await getJson<ProofBundleV1>(`/v1/evidence/${id}/proof`);
    expect(proof.anchor).toEqual(anchored.anchor);
    expect(proof.leaf).toEqual(batchedProof.leaf);
    expect(proof.batch).toEqual(batchedProof.batch);
    expect(proof.evidence).toEqual(pendingProof.evidence);
    const result = await verifyBundle(proof, { chain: jsonRpcReader(h.node.url), minConfirmations: 2 });
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.complete).toBe(true);
    expect(result.confirmations).toBeGreaterThanOrEqual(2);

    // Every leaf of the batch has a proof that verifies against the node.
    for (const r of receipts) {
      const p = await getJson<ProofBundleV1>(`/v1/evidence/${r.id}/proof`);
      expect(p.batch!.root).toBe(proof.batch!.root);
      expect((await verifyBundle(p, { chain: jsonRpcReader(h.node.url) })).valid, r.id).toBe(true);
    }

    const batch = await getJson<Record<string, unknown>>(`/v1/batches/${seq}`);
    expect(batch).toEqual({
      seq,
      size: 5,
      root: proof.batch!.root,
      sealedAt: sealedBatch.sealedAt,
      status: "anchored",
      anchor: proof.anchor,
      // No external authority (TSA_URL) in this harness.
      timestamp: null,
    });

    // The digest lookup reports the same status.
    const found = await getJson<{ items: View[] }>(`/v1/evidence?digest=${digests[2]}`);
    expect(found.items).toHaveLength(1);
    expect(found.items[0]!.status).toBe("anchored");
  });

  it("serves a proof with a strong ETag and says how long it may be kept: not while pending, revalidated while anchored, for good once final", async () => {
    const { json } = await submit({ digest: randomDigest() });
    // A batch of four: leaf 0's path takes a node of level 1, which is stored in batch_levels.
    for (let i = 0; i < 3; i++) await submit({ digest: randomDigest() });
    const get = (etag?: string) => h.app.request(`/v1/evidence/${json.id}/proof`, etag ? { headers: { "if-none-match": etag } } : {});
    const pending = await get();
    expect(pending.headers.get("cache-control")).toBe("no-store");
    const pendingTag = pending.headers.get("etag")!;
    expect(pendingTag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    // The tag is a hash of the very bytes served.
    expect(pendingTag).toBe(`"${createHash("sha256").update(await pending.text()).digest("base64url").slice(0, 27)}"`);
    const notModified = await get(pendingTag);
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");

    await sealAndAnchor();
    // Anchored on a development chain, which can lose its blocks: kept only if revalidated.
    const anchored = await get(pendingTag);
    expect(anchored.status).toBe(200);
    expect(((await anchored.json()) as ProofBundleV1).anchor).not.toBeNull();
    expect(anchored.headers.get("cache-control")).toBe("private, no-cache");
    expect(anchored.headers.get("etag")).not.toBe(pendingTag);
    expect((await get(`W/"x", ${anchored.headers.get("etag")}`)).status).toBe(304);

    // On a chain that keeps its blocks, past its finality depth, the bundle is final: served
    // as immutable, and again from memory without being rebuilt.
    const prover = new Prover({
      db: h.database.db,
      chain: () => ({ getBlock: (n) => jsonRpcReader(h.node.url).getBlock(n), blockNumber: () => jsonRpcReader(h.node.url).blockNumber() }),
      kind: () => ({ name: "test", volatile: false, confirmations: 1, finalityBlocks: 1 }),
    });
    const first = await prover.proofResponse(ADMIN_SCOPE, json.id);
    expect(first).toMatchObject({ final: true, anchored: true });
    const ofBatch = eq(batchLevels.batchSeq, (JSON.parse(first.json) as ProofBundleV1).batch!.seq);
    const levels = await h.database.db.select().from(batchLevels).where(ofBatch);
    await h.database.db.delete(batchLevels).where(ofBatch);
    try {
      expect(await prover.proofResponse(ADMIN_SCOPE, json.id)).toEqual(first);
      // A prover that has not kept it must rebuild it, and cannot without the tree.
      await expect(new Prover({ db: h.database.db }).proofResponse(ADMIN_SCOPE, json.id)).rejects.toThrow(/no stored tree node/);
    } finally {
      await h.database.db.insert(batchLevels).values(levels);
    }
  });

  it("GET /v1/batches/:seq is 404 for a batch that does not exist yet", async () => {
    await sealAndAnchor();
    const res = await h.app.request("/v1/batches/999999");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("logged no unhandled error", () => {
    // The batcher and the app log only through h.log; nothing here may have hit a 5xx path.
    expect(unhandled(h.log)).toEqual([]);
  });
});

describe(`bulk submission on ${describeDbKind()}`, () => {
  const items = (n: number) => Array.from({ length: n }, () => ({ digest: randomDigest() }));

  it("accepts 10,000 items in one request, receipts in order", async () => {
    const body = items(10_000);
    const before = await bulk.countEvidence();
    const res = await bulk.app.request("/v1/evidence/batch", jsonRequest("POST", { items: body }));
    expect(res.status).toBe(202);
    const { items: receipts } = (await res.json()) as { items: Receipt[] };
    expect(receipts).toHaveLength(10_000);
    expect(await bulk.countEvidence()).toBe(before + 10_000);
    expect(new Set(receipts.map((r) => r.id)).size).toBe(10_000);
    // One shared receivedAt per request, and every receipt names its own item.
    expect(new Set(receipts.map((r) => r.receivedAt)).size).toBe(1);
    for (const i of [0, 1, 4999, 9998, 9999]) {
      const row = await getEvidence(bulk.database.db, ADMIN_SCOPE, receipts[i]!.id);
      expect(toHex(row!.digest), `item ${i}`).toBe(body[i]!.digest);
      expect(toHex(row!.leafHash)).toBe(receipts[i]!.leafHash);
    }
  });

  it("is all-or-nothing: one bad digest among 10,000 is a 422 naming /items/<i>/digest and stores nothing", async () => {
    const body: { digest: string }[] = items(10_000);
    body[7321] = { digest: body[7321]!.digest.slice(0, -2) }; // 31 bytes
    const before = await bulk.countEvidence();
    const res = await bulk.app.request("/v1/evidence/batch", jsonRequest("POST", { items: body }));
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { errors: { field: string; reason: string }[]; detail: string };
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0]!.field).toBe("/items/7321/digest");
    expect(problem.errors[0]!.reason).toMatch(/64 hex digits/);
    expect(problem.detail).toContain("/items/7321/digest");
    expect(await bulk.countEvidence()).toBe(before);
    // None of the good digests of that request can be found.
    const lookup = await bulk.app.request(`/v1/evidence?digest=${body[0]!.digest}`);
    expect(((await lookup.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("names every bad item, not only the first", async () => {
    const body: Record<string, unknown>[] = items(50);
    body[3] = { digest: 7 };
    body[40] = { digest: randomDigest(), hashAlg: "md5" };
    body[41] = { digest: randomDigest(), submitter: "someone-else" };
    const before = await bulk.countEvidence();
    const res = await bulk.app.request("/v1/evidence/batch", jsonRequest("POST", { items: body }));
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(["/items/3/digest", "/items/40/hashAlg", "/items/41/submitter"]);
    expect(await bulk.countEvidence()).toBe(before);
  });

  it("logged no unhandled error", () => {
    expect(unhandled(bulk.log)).toEqual([]);
  });
});
