// POST /v1/tsa: the service as an RFC 3161 time-stamping authority for tenants. The query's
// imprint is first stored as the tenant's evidence (so the token's time is later backed by an
// anchor on chain), then the token is signed with that evidence's id as its serial number and
// its receipt time as genTime. A query refused here stores nothing.
import { Hono } from "hono";
import { toHex } from "../core/bytes.ts";
import { ServiceError, validationFailed } from "../errors.ts";
import type { IngestService, SubmitItem } from "../services/ingest.ts";
import { parseTimeStampQuery, TimeStampQueryError } from "../tsa/query.ts";
import type { TimeStampAuthority } from "../tsa/authority.ts";
import type { ImprintAlgorithm } from "../verify/timestamp-algorithms.ts";
import { sha256 } from "../core/hash.ts";
import { callerOf, type AppEnv } from "./context.ts";
import { readBodyBytes } from "./body.ts";

export const TIMESTAMP_QUERY = "application/timestamp-query";
export const TIMESTAMP_REPLY = "application/timestamp-reply";
/** A TimeStampReq is ~60-100 bytes; 4 KiB leaves room for a long nonce, policy and extensions. */
export const TSA_BODY = 4 * 1024;
/** The eventType of evidence stored for a time-stamp query (docs/timestamps.md). */
export const TSA_EVENT_TYPE = "rfc3161-timestamp";

export function tsaRoutes(deps: { ingest: IngestService; tsa?: TimeStampAuthority | undefined }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/timestamp-query\s*(;|$)/i.test(type)) {
      throw new ServiceError("unsupported-media-type", `content-type must be ${TIMESTAMP_QUERY} (a DER TimeStampReq), got "${type || "none"}"`);
    }
    const body = await readBodyBytes(c, TSA_BODY);
    const tsa = deps.tsa;
    if (!tsa) throw new ServiceError("service-unavailable", "this instance has no time-stamping certificate");
    let query;
    try {
      query = parseTimeStampQuery(body, tsa.policy);
    } catch (err) {
      if (err instanceof TimeStampQueryError) throw validationFailed([{ field: err.field, reason: err.message }]);
      throw err;
    }
    const { caller } = callerOf(c);
    const [receipt] = await deps.ingest.submit(caller.principalId, [evidenceOf(query.algorithm, query.hashedMessage)]);
    const id = receipt!.id;
    const reply = await tsa.issue({ query, serial: uuidBytes(id), genTime: new Date(receipt!.receivedAt) });
    return c.body(reply as Uint8Array<ArrayBuffer>, 200, {
      "content-type": TIMESTAMP_REPLY,
      // Where the imprint's own proof will be: the token's serial number is this id.
      link: `</v1/evidence/${id}>; rel="related"`,
      "evidence-id": id,
    });
  });
  return app;
}

/**
 * The evidence stored for an imprint. A 32-byte imprint (SHA-256, SM3) is the digest itself,
 * with its algorithm, so the proof checks the document directly. Evidence holds 32-byte
 * digests only: a SHA-384 or SHA-512 imprint is stored as the SHA-256 of the imprint, and the
 * eventType says so (docs/timestamps.md).
 */
export function evidenceOf(algorithm: ImprintAlgorithm, imprint: Uint8Array): SubmitItem {
  if (algorithm.length === 32 && (algorithm.name === "sha256" || algorithm.name === "sm3")) {
    return { digest: toHex(imprint), hashAlg: algorithm.name, eventType: TSA_EVENT_TYPE };
  }
  return { digest: toHex(sha256(imprint)), hashAlg: "sha256", eventType: `${TSA_EVENT_TYPE}:sha256-of-${algorithm.name}` };
}

/** The 16 bytes of a UUID: the token's serial number. */
function uuidBytes(id: string): Uint8Array {
  return Uint8Array.from(Buffer.from(id.replaceAll("-", ""), "hex"));
}


