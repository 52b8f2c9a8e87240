// Private keys of the X.509 identity: reading a PEM key (RSA or ECDSA P-256, what PDF readers
// and RFC 3161 clients accept), generating a P-256 one, and handing either to WebCrypto, which
// pkijs and @peculiar/x509 sign with.
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from "node:crypto";

// No DOM lib in this project: WebCrypto's types are node's.
export type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
type EcKeyImportParams = webcrypto.EcKeyImportParams;

import { x509 } from "./x509.ts";
import * as pkijs from "pkijs";

// Both libraries take their WebCrypto from a provider; set once, here, so every module that
// imports this one signs and verifies with node's implementation.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
pkijs.setEngine("node", new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as pkijs.CryptoEngineParameters["crypto"] }));

export type KeyKind = "rsa" | "ec-p256";

/** A private key ready for WebCrypto, with what signing with it needs. */
export interface PkiKey {
  kind: KeyKind;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The WebCrypto algorithm to import, generate and sign certificates with. */
  algorithm: RsaHashedImportParams | EcKeyImportParams;
  /** DER SubjectPublicKeyInfo: to check that a certificate holds this key. */
  spki: Uint8Array;
}

const RSA: RsaHashedImportParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const P256: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };

/**
 * Reads a PEM private key (PKCS#8, or the older "RSA PRIVATE KEY" / "EC PRIVATE KEY" forms).
 * `source` names the file in errors. Ed25519 and other curves are refused: PDF readers and
 * most RFC 3161 clients do not accept them.
 */
export async function importPrivateKeyPem(pem: string | Uint8Array, source: string): Promise<PkiKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof pem === "string" ? pem : Buffer.from(pem));
  } catch (err) {
    throw new Error(`${source} is not a PEM private key: ${(err as Error).message}`);
  }
  let algorithm: RsaHashedImportParams | EcKeyImportParams;
  let kind: KeyKind;
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`${source} holds a ${bits}-bit RSA key; at least 2048 bits are needed`);
    [algorithm, kind] = [RSA, "rsa"];
  } else if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
    [algorithm, kind] = [P256, "ec-p256"];
  } else {
    const what = key.asymmetricKeyType === "ec" ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${key.asymmetricKeyType} key`;
    throw new Error(`${source} holds ${what}; an RSA or ECDSA P-256 key is needed`);
  }
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const spki = new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }));
  const privateKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]);
  const publicKey = await webcrypto.subtle.importKey("spki", spki, algorithm, true, ["verify"]);
  return { kind, privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey, algorithm, spki };
}

/** A fresh ECDSA P-256 key: small, fast, and accepted by openssl, PDF readers and browsers. */
export async function generatePkiKey(): Promise<PkiKey> {
  const pair = (await webcrypto.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await webcrypto.subtle.exportKey("spki", pair.publicKey));
  return { kind: "ec-p256", privateKey: pair.privateKey, publicKey: pair.publicKey, algorithm: P256, spki };
}

/** PKCS#8 PEM of a key made by generatePkiKey (it is extractable). */
export async function privateKeyPem(key: PkiKey): Promise<string> {
  const der = new Uint8Array(await webcrypto.subtle.exportKey("pkcs8", key.privateKey));
  return x509.PemConverter.encode(der.buffer, "PRIVATE KEY");
}
