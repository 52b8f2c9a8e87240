// The service key and signed documents: a key generated into a file and read back, its RFC
// 7638 key id, signatures that any single edit breaks, checked with WebCrypto (what the CLI
// and a browser use) and with `openssl pkeyutl -verify` given the published key as PEM.
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/jcs.ts";
import { keyId, loadSigningKey, publicJwk, publicKeyPem } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { checkSignature } from "../../src/verify/signature.ts";
import { tempDir } from "../helpers/service.ts";

const dir = tempDir("signing-");
const { key, created } = loadSigningKey(join(dir, "signing-key.pem"), { create: true });
const signer = new Signer(key);
const keys = [publicJwk(key.publicKey)];

describe("the service signing key", () => {
  it("is generated once, mode 0600, and read back the same", () => {
    expect(created).toBe(true);
    expect(statSync(join(dir, "signing-key.pem")).mode & 0o777).toBe(0o600);
    const again = loadSigningKey(join(dir, "signing-key.pem"), { create: true });
    expect(again.created).toBe(false);
    expect(again.key.kid).toBe(key.kid);
    expect(() => loadSigningKey(join(dir, "missing.pem"), { create: false })).toThrow(/does not exist/);
  });

  it("has the RFC 7638 thumbprint as key id (RFC 8037 appendix A.3 vector)", () => {
    const x = Buffer.from("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "base64url");
    expect(keyId(new Uint8Array(x))).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });

  it("refuses a key that is not Ed25519", () => {
    const path = join(dir, "rsa.pem");
    writeFileSync(path, execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"], { stdio: ["ignore", "pipe", "ignore"] }));
    expect(() => loadSigningKey(path, { create: false })).toThrow(/not an Ed25519/);
  });
});

describe("signed documents", () => {
  const doc = signer.sign({ format: "evidence-receipt/v1", id: "e1", leafHash: "0x" + "ab".repeat(32), submitter: "acme", n: 3, nested: { 案件: "合同" } });

  it("verify with the published key", async () => {
    expect(await checkSignature(doc, keys)).toEqual({ ok: true, kid: key.kid, detail: `signed by the service key ${key.kid}` });
  });

  it("any single edit breaks the signature", async () => {
    const edits: [string, (d: any) => void][] = [
      ["a string", (d) => (d.submitter = "acmf")],
      ["a number", (d) => (d.n = 4)],
      ["a nested value", (d) => (d.nested["案件"] = "合同2")],
      ["a member added", (d) => (d.extra = null)],
      ["a member removed", (d) => delete d.id],
      ["the signature", (d) => (d.signature.value = d.signature.value.replace(/^./, (c: string) => (c === "A" ? "B" : "A")))],
    ];
    for (const [what, edit] of edits) {
      const copy = structuredClone(doc);
      edit(copy);
      expect((await checkSignature(copy, keys)).ok, what).toBe(false);
    }
    const otherKid = structuredClone(doc);
    otherKid.signature.kid = "unknown";
    expect((await checkSignature(otherKid, keys)).detail).toMatch(/not in the published key set/);
  });

  it("openssl verifies it with the published key as PEM", () => {
    const { signature, ...rest } = doc;
    writeFileSync(join(dir, "pub.pem"), publicKeyPem(key.publicKey));
    writeFileSync(join(dir, "msg"), canonicalJson(rest));
    writeFileSync(join(dir, "sig"), Buffer.from(signature.value, "base64url"));
    const verify = (msg: string) =>
      execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "pub.pem"), "-rawin", "-in", msg, "-sigfile", join(dir, "sig")]).toString();
    expect(verify(join(dir, "msg"))).toContain("Signature Verified Successfully");
    writeFileSync(join(dir, "msg2"), canonicalJson({ ...rest, n: 4 }));
    expect(() => verify(join(dir, "msg2"))).toThrow();
  });
});
