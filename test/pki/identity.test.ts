// The X.509 identity: issued on first start under a self-issued root and the same on every
// start after (files kept, keys 0600), a lost root re-issues what it signed, and configured
// chains (RSA or P-256) are used as given once they pass the checks; a certificate that does
// not fit (another key, expired, a TSA without the critical timeStamping EKU, Ed25519) stops
// the start with a message naming the file.
import { generateKeyPairSync } from "node:crypto";
import { rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EKU_TIME_STAMPING, issueLeaf, issueRootCa, toPem } from "../../src/pki/certs.ts";
import { loadIdentity, PKI_FILES } from "../../src/pki/identity.ts";
import { generatePkiKey, importPrivateKeyPem, privateKeyPem } from "../../src/pki/keys.ts";
import { x509 } from "../../src/pki/x509.ts";
import { IMPRINT_ALGORITHMS } from "../../src/verify/timestamp-algorithms.ts";
import { TimeStampAuthority } from "../../src/tsa/authority.ts";
import { buildTimeStampQuery, parseTimeStampQuery } from "../../src/tsa/query.ts";
import { checkToken, tokenOfResponse } from "../../src/verify/timestamp.ts";
import { tempDir } from "../helpers/service.ts";

const NAME = { commonName: "evidence.example", organization: "Evidence test" };

describe("the self-issued identity", () => {
  it("is issued on first start and loaded unchanged after, private keys 0600", async () => {
    const dir = join(tempDir("pki-"), "pki");
    const first = await loadIdentity({ dir, name: NAME });
    expect(first.tsa.source).toBe("self-issued");
    expect(first.root!.subject).toBe("CN=evidence.example Root CA, O=Evidence test");
    expect(first.tsa.cert.subject).toBe("CN=evidence.example Time-Stamping Authority, O=Evidence test");
    expect(first.document.cert.subject).toBe("CN=evidence.example Document Signing, O=Evidence test");
    for (const leaf of [first.tsa, first.document]) {
      expect(leaf.cert.issuer).toBe(first.root!.subject);
      expect(await leaf.cert.verify({ publicKey: first.root!.publicKey, signatureOnly: true })).toBe(true);
      expect(leaf.cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    }
    const eku = first.tsa.cert.getExtension(x509.ExtendedKeyUsageExtension)!;
    expect([eku.critical, eku.usages]).toEqual([true, [EKU_TIME_STAMPING]]);
    expect(first.document.cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toContain("1.3.6.1.5.5.7.3.36");
    expect(first.root!.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, critical: true });
    for (const f of [PKI_FILES.root.key, PKI_FILES.tsa.key, PKI_FILES.document.key]) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    expect(first.caPem).toBe(toPem([first.root!]));

    const again = await loadIdentity({ dir, name: { commonName: "another name", organization: "ignored once issued" } });
    expect(again.root!.equal(first.root!)).toBe(true);
    expect(again.tsa.cert.equal(first.tsa.cert)).toBe(true);
    expect(again.document.cert.equal(first.document.cert)).toBe(true);
  });

  it("re-issues the end-entity certificates when the root they chain to is replaced, and refuses half a root", async () => {
    const dir = join(tempDir("pki-"), "pki");
    const first = await loadIdentity({ dir, name: NAME });
    rmSync(join(dir, PKI_FILES.root.key));
    await expect(loadIdentity({ dir, name: NAME })).rejects.toThrow(/only one of root-ca.pem and root-ca-key.pem/);
    rmSync(join(dir, PKI_FILES.root.cert));
    const next = await loadIdentity({ dir, name: NAME });
    expect(next.root!.equal(first.root!)).toBe(false);
    expect(next.tsa.cert.equal(first.tsa.cert)).toBe(false);
    expect(await next.tsa.cert.verify({ publicKey: next.root!.publicKey, signatureOnly: true })).toBe(true);
  });
});

/** A CA of "a real authority" and files holding one end-entity chain under it. */
async function configuredChain(role: "tsa" | "document", opts: { rsa?: boolean; eku?: x509.Extension; notAfter?: Date } = {}) {
  const dir = tempDir("pki-conf-");
  const caKey = await generatePkiKey();
  const ca = await issueRootCa(caKey, { commonName: "Real", organization: "A real CA" });
  const keyPem = opts.rsa
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString()
    : await privateKeyPem(await generatePkiKey());
  const key = await importPrivateKeyPem(keyPem, "test key");
  let cert = await issueLeaf(role, key, { cert: ca, key: caKey }, { commonName: "platform", organization: "Platform Ltd" });
  if (opts.eku || opts.notAfter) {
    cert = await x509.X509CertificateGenerator.create({
      subject: cert.subject,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 86_400_000 * 2),
      notAfter: opts.notAfter ?? new Date(Date.now() + 86_400_000),
      publicKey: key.publicKey,
      signingKey: caKey.privateKey,
      signingAlgorithm: caKey.algorithm,
      extensions: opts.eku ? [opts.eku] : [new x509.ExtendedKeyUsageExtension([EKU_TIME_STAMPING], true)],
    });
  }
  const certFile = join(dir, "chain.pem");
  const keyFile = join(dir, "key.pem");
  writeFileSync(certFile, toPem([cert, ca]));
  writeFileSync(keyFile, keyPem);
  return { dir, ca, cert, certFile, keyFile };
}

describe("configured certificates", () => {
  it.each([
    ["an RSA", true],
    ["an ECDSA P-256", false],
  ])("signs time-stamps with %s TSA chain from another CA, and publishes that CA", async (_name, rsa) => {
    const conf = await configuredChain("tsa", { rsa });
    const id = await loadIdentity({ dir: join(tempDir("pki-"), "pki"), name: NAME, tsa: { certFile: conf.certFile, keyFile: conf.keyFile } });
    expect(id.tsa).toMatchObject({ source: "configured", certFile: conf.certFile });
    expect(id.tsa.chain.map((c) => c.subject)).toEqual([conf.ca.subject]);
    expect(id.tsa.key.kind).toBe(rsa ? "rsa" : "ec-p256");
    // The document certificate is still self-issued: both CAs are published.
    expect(id.caPem).toContain(conf.ca.toString("pem"));
    expect(id.caPem).toContain(id.root!.toString("pem"));
    const tsa = new TimeStampAuthority(id.tsa);
    const imprint = new Uint8Array(32).fill(7);
    const query = parseTimeStampQuery(buildTimeStampQuery(IMPRINT_ALGORITHMS[0]!, imprint, Uint8Array.of(1)), tsa.policy);
    const info = await checkToken(tokenOfResponse(await tsa.issue({ query, serial: Uint8Array.of(5), genTime: new Date() })), { hashedMessage: imprint });
    expect(new x509.X509Certificate(info.signerCert).equal(conf.cert)).toBe(true);
  });

  it("uses a configured document-signing chain; the TSA stays self-issued", async () => {
    const conf = await configuredChain("document", { rsa: true });
    const id = await loadIdentity({ dir: join(tempDir("pki-"), "pki"), name: NAME, document: { certFile: conf.certFile, keyFile: conf.keyFile } });
    expect(id.document.source).toBe("configured");
    expect(id.tsa.source).toBe("self-issued");
  });

  it("publishes no self-issued root when both are configured", async () => {
    const tsa = await configuredChain("tsa");
    const doc = await configuredChain("document");
    const id = await loadIdentity({ dir: join(tempDir("pki-"), "pki"), name: NAME, tsa, document: doc });
    expect(id.root).toBeNull();
    expect(x509.PemConverter.decode(id.caPem)).toHaveLength(2);
  });

  it.each([
    ["a TSA certificate without the timeStamping EKU", { eku: new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.4"], true) }, /timeStamping/],
    ["a TSA certificate whose EKU is not critical", { eku: new x509.ExtendedKeyUsageExtension([EKU_TIME_STAMPING], false) }, /not marked critical/],
    ["an expired certificate", { notAfter: new Date(Date.now() - 86_400_000) }, /expired/],
  ] as const)("refuses %s, naming the file", async (_name, opts, reason) => {
    const conf = await configuredChain("tsa", opts);
    const err = await loadIdentity({ dir: join(tempDir("pki-"), "pki"), name: NAME, tsa: conf }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(conf.certFile);
    expect((err as Error).message).toMatch(reason);
  });

  it("refuses a key that is not the certificate's, an Ed25519 key, and a missing file", async () => {
    const conf = await configuredChain("tsa");
    const other = await configuredChain("tsa");
    const dir = join(tempDir("pki-"), "pki");
    await expect(loadIdentity({ dir, name: NAME, tsa: { certFile: conf.certFile, keyFile: other.keyFile } })).rejects.toThrow(
      /does not hold the configured private key/,
    );
    const ed = join(conf.dir, "ed.pem");
    writeFileSync(ed, generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }));
    await expect(loadIdentity({ dir, name: NAME, tsa: { certFile: conf.certFile, keyFile: ed } })).rejects.toThrow(
      /holds a ed25519 key; an RSA or ECDSA P-256 key is needed/,
    );
    await expect(loadIdentity({ dir, name: NAME, tsa: { certFile: join(conf.dir, "nope.pem"), keyFile: conf.keyFile } })).rejects.toThrow(
      /certificate file .*nope\.pem cannot be read: ENOENT/,
    );
  });
});
