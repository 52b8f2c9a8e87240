// The RFC 3161 tokens over batch roots that a report carries (events[].verification.batchTimestamp),
// checked by `evidence verify-report`: the token's signature and ESSCertID (src/tsa/token.ts), its
// certificate path to a CA the user trusts (at the token's time), and that its imprint is the
// batch root of the event's own proof. Kept out of src/verify: pkijs is not for the page's bundle.
import * as pkijs from "pkijs";
import { fromHex } from "../../core/bytes.ts";
import { checkToken } from "../../verify/timestamp.ts";

/** id-kp-timeStamping (RFC 3161 §2.3). */
const TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

export interface BatchTimestampCheck {
  batchSeq: number;
  /** The events of the report in that batch. */
  events: number[];
  ok: boolean;
  /** The token's genTime (ISO), when it could be read. */
  time: string | null;
  authority: string | null;
  detail: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);

/** The report's events that state a batch token, grouped by batch: [{ seq, root, token, stated time, events }]. */
export function statedBatchTimestamps(doc: unknown): { seq: number; root: unknown; token: unknown; time: unknown; events: number[] }[] {
  const events = obj(doc)?.events;
  if (!Array.isArray(events)) return [];
  // One check per distinct (batch, root, token): events of one batch share its token.
  const bySeq = new Map<string, { seq: number; root: unknown; token: unknown; time: unknown; events: number[] }>();
  for (const [i, raw] of events.entries()) {
    const e = obj(raw);
    const stamp = obj(obj(e?.verification)?.batchTimestamp);
    if (stamp === null) continue;
    // The batch and root come from the event's proof (which verifyBundle checks), not from the
    // stamp's own statement of them: the token must be over the root the proof leads to.
    const batch = obj(obj(e?.proof)?.batch);
    const seq = typeof batch?.seq === "number" ? batch.seq : -1;
    const key = JSON.stringify([seq, batch?.root, stamp.token, stamp.time]);
    const seen = bySeq.get(key);
    if (seen !== undefined) seen.events.push(i + 1);
    else bySeq.set(key, { seq, root: batch?.root, token: stamp.token, time: stamp.time, events: [i + 1] });
  }
  return [...bySeq.values()];
}

/** Reads the certificates of one or more PEM blocks. Throws when there are none. */
export function certificatesOfPem(pem: string): pkijs.Certificate[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new Error("no PEM certificate in it");
  return blocks.map((m) => pkijs.Certificate.fromBER(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")));
}

/**
 * Checks one stated token against the batch root of its events' proof and the trusted CA
 * certificates. Never throws: a problem is `ok: false` with the reason.
 */
export async function checkBatchTimestamp(
  stated: { seq: number; root: unknown; token: unknown; time: unknown; events: number[] },
  trusted: pkijs.Certificate[],
): Promise<BatchTimestampCheck> {
  const out = (ok: boolean, detail: string, time: string | null = null, authority: string | null = null): BatchTimestampCheck => ({
    batchSeq: stated.seq,
    events: stated.events,
    ok,
    time,
    authority,
    detail,
  });
  if (typeof stated.token !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(stated.token)) return out(false, "the token is not base64");
  if (typeof stated.root !== "string") return out(false, "the event's proof has no batch root to compare the token's imprint with");
  let root: Uint8Array;
  try {
    root = fromHex(stated.root, 32);
  } catch {
    return out(false, `the batch root ${JSON.stringify(stated.root)} is not 32 bytes of hex`);
  }
  const token = new Uint8Array(Buffer.from(stated.token, "base64"));
  let info: Awaited<ReturnType<typeof checkToken>>;
  try {
    info = await checkToken(token);
  } catch (err) {
    return out(false, (err as Error).message);
  }
  const time = info.genTime.toISOString();
  const authority = info.signerName;
  const failed = (detail: string) => out(false, detail, time, authority);
  if (Buffer.compare(Buffer.from(info.hashedMessage), Buffer.from(root)) !== 0) {
    return failed(`the token's imprint 0x${Buffer.from(info.hashedMessage).toString("hex")} is not the batch root ${stated.root} of the event's proof`);
  }
  if (stated.time !== time) return failed(`the report states the time ${JSON.stringify(stated.time)}, the token says ${time}`);

  // The signing certificate: an authority's certificate for time-stamping alone, issued (with
  // any CA certificates the token carries) by a CA the user trusts, valid at the token's time.
  const signer = pkijs.Certificate.fromBER(info.signerCert);
  const eku = signer.extensions?.find((x) => x.extnID === "2.5.29.37")?.parsedValue as pkijs.ExtKeyUsage | undefined;
  if (eku === undefined || !eku.keyPurposes.includes(TIME_STAMPING)) return failed("the signing certificate is not for time-stamping (no extended key usage timeStamping)");
  const carried = certificatesInToken(token);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: trusted,
    certs: [signer, ...carried.filter((c) => !sameCert(c, signer))],
    checkDate: info.genTime,
  });
  let chain: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    chain = await engine.verify();
  } catch (err) {
    chain = { result: false, resultCode: -1, resultMessage: (err as Error).message };
  }
  if (!chain.result) return failed(`the signing certificate (${authority}) does not lead to a CA you trust: ${chain.resultMessage}`);
  return out(true, `by ${authority}: signature, ESSCertID, certificate path and imprint (= batch root) check out`, time, authority);
}

function certificatesInToken(token: Uint8Array): pkijs.Certificate[] {
  const ci = pkijs.ContentInfo.fromBER(token);
  const sd = new pkijs.SignedData({ schema: ci.content });
  return (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
}

const sameCert = (a: pkijs.Certificate, b: pkijs.Certificate): boolean =>
  Buffer.compare(Buffer.from(a.toSchema().toBER(false)), Buffer.from(b.toSchema().toBER(false))) === 0;
