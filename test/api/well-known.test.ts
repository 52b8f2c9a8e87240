// The published key set: the current key first, and after a rotation every earlier key still
// there, so receipts and reports signed before the rotation keep verifying.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { registerSigningKey } from "../../src/store/signing-keys.ts";
import { checkSignature, parseKeySet } from "../../src/verify/index.ts";
import { apiHarness, jsonRequest, randomDigest, withKey, type ApiHarness } from "../helpers/api.ts";
import { freePort } from "../helpers/chain.ts";

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness({ chainUrl: `http://127.0.0.1:${await freePort()}` });
});
afterAll(() => h?.close());

const submit = async (app: ApiHarness["app"]) =>
  ((await (await app.request("/v1/evidence", jsonRequest("POST", { digest: randomDigest() }))).json()) as { receipt: unknown }).receipt;
const keySet = async (app: ApiHarness["app"]) => {
  const res = await app.request("/.well-known/evidence-keys.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  return parseKeySet(await res.json());
};

describe("GET /.well-known/evidence-keys.json", () => {
  it("publishes the current key as an Ed25519 JWK, no key needed", async () => {
    const keys = await keySet(h.rawApp);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: h.deps.signer.kid, alg: "EdDSA", use: "sig" });
    expect(Object.keys(keys[0]!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
  });

  it("keeps the old key after a rotation: old and new receipts both verify", async () => {
    const before = await submit(h.app);
    // A restart with another SIGNING_KEY_FILE: same database, a new signer.
    const signer = new Signer(generateSigningKey());
    await registerSigningKey(h.database.db, signer.kid, signer.key.publicKey, new Date());
    const rotated = createApp({ ...h.deps, signer, ingest: new IngestService({ db: h.database.db, signer }) });
    const after = await submit(withKey(rotated, h.keys.tenant));
    const keys = await keySet(rotated);
    expect(keys.map((k) => k.kid)).toEqual([signer.kid, h.deps.signer.kid]);
    expect((await checkSignature(before, keys)).kid).toBe(h.deps.signer.kid);
    expect((await checkSignature(after, keys)).kid).toBe(signer.kid);
    expect((await checkSignature(before, keys)).ok && (await checkSignature(after, keys)).ok).toBe(true);
  });
});
