// Signed receipts (evidence-receipt/v1): the service's signed promise, handed out in the 202
// of an accepted item before any anchor exists. The one place a receipt is built: at ingest
// (signed, its key id and raw signature stored with the row) and when it is rebuilt from the
// stored row for reports, so both are the same document byte for byte.
import { toHex } from "../core/bytes.ts";
import { RECEIPT_FORMAT, type ReceiptV1 } from "../reports/format.ts";
import type { Signer } from "../signing/signer.ts";
import { SigningPool } from "../signing/pool.ts";
import type { EvidenceRow } from "../store/schema.ts";

/** What a receipt says about an item: fields of its evidence row. */
export type ReceiptSource = Pick<EvidenceRow, "id" | "digest" | "leafHash" | "submitter" | "receivedAt">;

/** The receipt without its signature: exactly what is signed (in its RFC 8785 form). */
export type UnsignedReceipt = Omit<ReceiptV1, "signature">;

export function receiptBody(src: ReceiptSource): UnsignedReceipt {
  return {
    format: RECEIPT_FORMAT,
    id: src.id,
    digest: toHex(src.digest),
    leafHash: toHex(src.leafHash),
    submitter: src.submitter,
    receivedAt: src.receivedAt.toISOString(),
  };
}

export interface SignedReceipt {
  receipt: ReceiptV1;
  /** What the evidence row stores: the key id and the raw 64-byte Ed25519 signature. */
  receiptKid: string;
  receiptSignature: Uint8Array;
}

/**
 * Builds and signs the receipts of items about to be stored, in order: in the signing worker
 * when there is one (off the event loop), else here. Both give the same receipts.
 */
export async function signReceipts(signing: Signer | SigningPool, sources: readonly ReceiptSource[]): Promise<SignedReceipt[]> {
  const bodies = sources.map(receiptBody);
  const signed = signing instanceof SigningPool ? await signing.signMany(bodies) : bodies.map((b) => signing.sign(b));
  return signed.map((receipt) => ({
    receipt,
    receiptKid: receipt.signature.kid,
    receiptSignature: new Uint8Array(Buffer.from(receipt.signature.value, "base64url")),
  }));
}


/** The receipt handed out when the row was stored, rebuilt from it; null for rows stored before receipts existed. */
export function receiptOf(row: ReceiptSource & Pick<EvidenceRow, "receiptKid" | "receiptSignature">): ReceiptV1 | null {
  if (row.receiptKid === null || row.receiptSignature === null) return null;
  return {
    ...receiptBody(row),
    signature: { alg: "EdDSA", kid: row.receiptKid, value: Buffer.from(row.receiptSignature).toString("base64url") },
  };
}
