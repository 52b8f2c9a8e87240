// Standard Webhooks signatures (https://www.standardwebhooks.com), pure: the `webhook-signature`
// header value for a message, and its check on the receiving side. HMAC-SHA256 via
// @noble/hashes and base64 via atob/btoa, so this runs in browsers and in the typed client too.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** The prefix of a Standard Webhooks secret; the rest is the key, base64. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** How far a `webhook-timestamp` may be from now before it is refused (the spec's 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unbase64(s: string): Uint8Array | null {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The key bytes of a `whsec_...` secret (the prefix is optional, as in the reference libraries). */
export function webhookSecretKey(secret: string): Uint8Array {
  const raw = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const key = unbase64(raw);
  if (key === null || key.length === 0) throw new Error("a webhook secret is whsec_ followed by base64");
  return key;
}

function mac(key: Uint8Array, msgId: string, timestampSeconds: number, body: string): string {
  return base64(hmac(sha256, key, encoder.encode(`${msgId}.${timestampSeconds}.${body}`)));
}

/**
 * The `webhook-signature` header value of one message: `v1,` + base64 HMAC-SHA256 of
 * `${msgId}.${timestampSeconds}.${body}` under the secret's key. Precondition: `body` is the
 * exact text sent (a receiver verifies the bytes it got, not a re-serialisation).
 */
export function signWebhook(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  return `v1,${mac(webhookSecretKey(secret), msgId, timestampSeconds, body)}`;
}

/** Equality of two strings in time that depends only on their lengths. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function header(headers: Headers | Record<string, string | undefined>, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | undefined>;
  // Node's IncomingMessage headers are lower-case; a hand-made record may not be.
  for (const [k, v] of Object.entries(rec)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * Checks a delivery as a receiver: the three headers are there, the timestamp is within
 * `toleranceSeconds` of now (replays of an old message fail), and one of the space-separated
 * `v1,` signatures matches one of the secrets (during a rotation the sender signs with both the
 * new and the previous secret, and a receiver may hold either). Never throws.
 */
export function verifyWebhookSignature(opts: {
  secret: string | readonly string[];
  headers: Headers | Record<string, string | undefined>;
  body: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): { ok: true; msgId: string; timestamp: number } | { ok: false; reason: string } {
  const msgId = header(opts.headers, "webhook-id");
  const ts = header(opts.headers, "webhook-timestamp");
  const sigs = header(opts.headers, "webhook-signature");
  if (!msgId) return { ok: false, reason: "no webhook-id header" };
  if (!ts) return { ok: false, reason: "no webhook-timestamp header" };
  if (!sigs) return { ok: false, reason: "no webhook-signature header" };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: "webhook-timestamp is not a whole number of seconds" };
  const timestamp = Number(ts);
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestamp < now - tolerance) return { ok: false, reason: "webhook-timestamp is too old" };
  if (timestamp > now + tolerance) return { ok: false, reason: "webhook-timestamp is too far in the future" };
  const secrets = typeof opts.secret === "string" ? [opts.secret] : opts.secret;
  const expected: string[] = [];
  for (const s of secrets) {
    try {
      expected.push(mac(webhookSecretKey(s), msgId, timestamp, opts.body));
    } catch {
      return { ok: false, reason: "a secret given to verify with is not whsec_ followed by base64" };
    }
  }
  let match = false;
  for (const part of sigs.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue; // other versions (v1a: asymmetric) are not ours
    const given = part.slice(comma + 1);
    // Every pair is compared, match or not, so timing does not tell which secret matched.
    for (const e of expected) if (constantTimeEqual(given, e)) match = true;
  }
  return match ? { ok: true, msgId, timestamp } : { ok: false, reason: "no signature matches" };
}
