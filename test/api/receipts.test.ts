// Signed receipts (evidence-receipt/v1) through the real app: every accepted item's 202 carries
// a receipt signed with the service key, which verifies against the published key set and
// breaks on any edit; the receipt rebuilt from the stored row is the same document; an
// Idempotency-Key replay hands back the identical receipt. PGlite or PostgreSQL.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReceiptSchema } from "../../src/api/schemas.ts";
import { receiptOf } from "../../src/services/receipts.ts";
import { RECEIPT_FORMAT, type ReceiptV1 } from "../../src/reports/format.ts";
import { getEvidence } from "../../src/store/evidence.ts";
import { evidence } from "../../src/store/schema.ts";
import { ADMIN_SCOPE } from "../../src/store/scope.ts";
import { checkSignature, parseKeySet, type PublishedKey } from "../../src/verify/signature.ts";
import { apiHarness, jsonRequest, randomDigest, TEST_TENANT, unhandled, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";
import { describeDbKind } from "../helpers/db.ts";

interface Accepted {
  id: string;
  status: string;
  leafHash: string;
  receivedAt: string;
  receipt: ReceiptV1;
}

let h: ApiHarness;
let keys: PublishedKey[];

beforeAll(async () => {
  // No chain needed: receipts exist before any anchor.
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
  const res = await h.rawApp.request("/.well-known/evidence-keys.json");
  expect(res.status).toBe(200);
  keys = parseKeySet(await res.json());
});
afterAll(() => h?.close());

async function submit(body: unknown, headers: Record<string, string> = {}): Promise<{ res: Response; text: string; json: Accepted }> {
  const res = await h.app.request("/v1/evidence", jsonRequest("POST", body, headers));
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return { res, text, json: JSON.parse(text) as Accepted };
}

/** A copy of `hex` with its last digit changed. */
const flipHex = (hex: string) => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");

describe(`signed receipts on ${describeDbKind()}`, () => {
  it("puts a signed receipt in the 202 that verifies against the published key set", async () => {
    const digest = randomDigest();
    // Submitted in upper case: the receipt holds the digest as stored, lower case.
    const { json } = await submit({ digest: "0x" + digest.slice(2).toUpperCase(), caseId: "case-r", eventType: "signed" });
    expect(ReceiptSchema.safeParse(json).success).toBe(true);
    expect(json.receipt).toEqual({
      format: RECEIPT_FORMAT,
      id: json.id,
      digest,
      leafHash: json.leafHash,
      submitter: TEST_TENANT,
      receivedAt: json.receivedAt,
      signature: { alg: "EdDSA", kid: h.deps.signer.kid, value: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/) },
    });
    expect(keys.map((k) => k.kid)).toContain(json.receipt.signature.kid);
    expect(await checkSignature(json.receipt, keys)).toEqual({
      ok: true,
      kid: h.deps.signer.kid,
      detail: `signed by the service key ${h.deps.signer.kid}`,
    });
  });

  it("breaks on any edit: every field, an added field, the signature, the key id", async () => {
    const { json } = await submit({ digest: randomDigest() });
    const r = json.receipt;
    const edits: Record<string, unknown> = {
      format: { ...r, format: "evidence-receipt/v2" },
      id: { ...r, id: flipHex(r.id) },
      digest: { ...r, digest: flipHex(r.digest) },
      leafHash: { ...r, leafHash: flipHex(r.leafHash) },
      submitter: { ...r, submitter: "tenant-other" },
      receivedAt: { ...r, receivedAt: new Date(Date.parse(r.receivedAt) - 1000).toISOString() },
      "an added field": { ...r, caseId: "case-r" },
      "a field removed": (({ submitter: _s, ...rest }) => rest)(r),
      "the signature value": { ...r, signature: { ...r.signature, value: (r.signature.value[0] === "A" ? "B" : "A") + r.signature.value.slice(1) } },
      "the key id": { ...r, signature: { ...r.signature, kid: "A".repeat(43) } },
    };
    for (const [what, doc] of Object.entries(edits)) {
      const check = await checkSignature(doc, keys);
      expect(check.ok, `edited ${what}: ${check.detail}`).toBe(false);
    }
    // The untouched receipt still verifies (the edits above were on copies).
    expect((await checkSignature(r, keys)).ok).toBe(true);
  });

  it("gives each item of a batch its own receipt, in request order", async () => {
    const digests = [randomDigest(), randomDigest(), randomDigest()];
    const res = await h.app.request("/v1/evidence/batch", jsonRequest("POST", { items: digests.map((digest) => ({ digest, caseId: "case-batch" })) }));
    expect(res.status).toBe(202);
    const items = ((await res.json()) as { items: Accepted[] }).items;
    expect(items.map((i) => i.receipt.digest)).toEqual(digests);
    for (const item of items) {
      expect(ReceiptSchema.safeParse(item).success).toBe(true);
      expect(item.receipt).toMatchObject({ id: item.id, leafHash: item.leafHash, receivedAt: item.receivedAt, submitter: TEST_TENANT });
      expect((await checkSignature(item.receipt, keys)).ok).toBe(true);
    }
    expect(new Set(items.map((i) => i.receipt.signature.value)).size).toBe(3);
  });

  it("stores the receipt with the item: the one rebuilt from the row is the one in the 202", async () => {
    const { json } = await submit({ digest: randomDigest(), caseId: "case-r" });
    const row = await getEvidence(h.database.db, ADMIN_SCOPE, json.id);
    expect(row!.receiptKid).toBe(h.deps.signer.kid);
    expect(row!.receiptSignature).toHaveLength(64);
    const rebuilt = receiptOf(row!);
    expect(rebuilt).toEqual(json.receipt);
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(json.receipt));
    expect((await checkSignature(rebuilt, keys)).ok).toBe(true);

    // A row stored before receipts existed has none.
    await h.database.db.update(evidence).set({ receiptKey: null, receiptSignature: null }).where(eq(evidence.id, json.id));
    expect(receiptOf((await getEvidence(h.database.db, ADMIN_SCOPE, json.id))!)).toBeNull();
  });

  it("replays the identical receipt for a retry with the same Idempotency-Key, storing the item once", async () => {
    const body = { digest: randomDigest(), caseId: "case-idem" };
    const before = await h.countEvidence();
    const first = await submit(body, { "idempotency-key": "receipt-retry-1" });
    const again = await submit(body, { "idempotency-key": "receipt-retry-1" });
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect(again.json.receipt).toEqual(first.json.receipt);
    expect(await h.countEvidence()).toBe(before + 1);
    expect(receiptOf((await getEvidence(h.database.db, ADMIN_SCOPE, first.json.id))!)).toEqual(first.json.receipt);
  });

  it("logged no unhandled error", () => {
    expect(unhandled(h.log)).toEqual([]);
  });
});
