// Standard Webhooks signatures: the spec's reference vector, tampering, the timestamp window,
// and rotation (two signatures in one header, either secret verifies).
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "../../src/core/webhook-signature.ts";

// The example of the Standard Webhooks spec repository (libraries' shared test vector).
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const headers = (sig: string, ts = TS, id = MSG_ID) => ({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sig });

describe("signWebhook", () => {
  it("gives the reference vector's signature", () => {
    expect(signWebhook(SECRET, MSG_ID, TS, BODY)).toBe(SIG);
  });
  it("takes the key without its whsec_ prefix too", () => {
    expect(signWebhook(SECRET.slice("whsec_".length), MSG_ID, TS, BODY)).toBe(SIG);
  });
  it("refuses a secret that is not base64", () => {
    expect(() => signWebhook("whsec_!!!", MSG_ID, TS, BODY)).toThrow(/base64/);
  });
});

describe("verifyWebhookSignature", () => {
  const at = { nowSeconds: TS + 10 };
  it("accepts the reference vector, with a Headers object or a plain record", () => {
    expect(verifyWebhookSignature({ secret: SECRET, headers: headers(SIG), body: BODY, ...at })).toEqual({ ok: true, msgId: MSG_ID, timestamp: TS });
    expect(verifyWebhookSignature({ secret: SECRET, headers: new Headers(headers(SIG)), body: BODY, ...at }).ok).toBe(true);
    // Header names are case-insensitive in HTTP.
    const upper = { "Webhook-Id": MSG_ID, "Webhook-Timestamp": String(TS), "Webhook-Signature": SIG };
    expect(verifyWebhookSignature({ secret: SECRET, headers: upper, body: BODY, ...at }).ok).toBe(true);
  });

  it.each([
    ["a changed body", { body: '{"test": 2432232315}' }, "no signature matches"],
    ["a changed message id", { headers: headers(SIG, TS, "msg_other") }, "no signature matches"],
    ["a changed timestamp", { headers: headers(SIG, TS + 1) }, "no signature matches"],
    ["a flipped signature byte", { headers: headers(SIG.replace("g0hM", "g0hN")) }, "no signature matches"],
    ["another secret", { secret: "whsec_" + Buffer.alloc(24, 7).toString("base64") }, "no signature matches"],
    ["an unknown version", { headers: headers(SIG.replace("v1,", "v2,")) }, "no signature matches"],
    ["no signature header", { headers: { "webhook-id": MSG_ID, "webhook-timestamp": String(TS) } }, "no webhook-signature header"],
    ["no id header", { headers: { "webhook-timestamp": String(TS), "webhook-signature": SIG } }, "no webhook-id header"],
    ["a timestamp that is not a number", { headers: headers(SIG, "1614265330.5" as unknown as number) }, "not a whole number"],
  ])("refuses %s", (_what, change, reason) => {
    const r = verifyWebhookSignature({ secret: SECRET, headers: headers(SIG), body: BODY, ...at, ...change });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it("refuses a timestamp outside the tolerance, either way", () => {
    const base = { secret: SECRET, headers: headers(SIG), body: BODY };
    expect(verifyWebhookSignature({ ...base, nowSeconds: TS + 300 }).ok).toBe(true);
    expect(verifyWebhookSignature({ ...base, nowSeconds: TS + 301 })).toEqual({ ok: false, reason: "webhook-timestamp is too old" });
    expect(verifyWebhookSignature({ ...base, nowSeconds: TS - 301 })).toEqual({ ok: false, reason: "webhook-timestamp is too far in the future" });
    expect(verifyWebhookSignature({ ...base, nowSeconds: TS + 3600, toleranceSeconds: 3600 }).ok).toBe(true);
  });

  it("during a rotation: two signatures in one header, and either secret verifies", () => {
    const next = "whsec_" + Buffer.alloc(32, 1).toString("base64");
    const both = `${signWebhook(next, MSG_ID, TS, BODY)} ${signWebhook(SECRET, MSG_ID, TS, BODY)}`;
    for (const secret of [SECRET, next, [next, SECRET]]) {
      expect(verifyWebhookSignature({ secret, headers: headers(both), body: BODY, ...at }).ok).toBe(true);
    }
    // A receiver that has both secrets accepts the old signature alone (it switched first).
    expect(verifyWebhookSignature({ secret: [next, SECRET], headers: headers(SIG), body: BODY, ...at }).ok).toBe(true);
    const stranger = "whsec_" + Buffer.alloc(32, 2).toString("base64");
    expect(verifyWebhookSignature({ secret: stranger, headers: headers(both), body: BODY, ...at }).ok).toBe(false);
  });
});
