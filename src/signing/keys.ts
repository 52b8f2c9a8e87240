// The service's Ed25519 signing key: loaded from a PEM file, or generated into it on first
// start; its key id (the RFC 7638 JWK thumbprint) and its public JWK for the published key set.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** A public key as published at /.well-known/evidence-keys.json. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  /** base64url of the 32-byte raw public key. */
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** 32 raw bytes. */
  publicKey: Uint8Array;
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" }) as { kty?: string; crv?: string; x?: string };
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || jwk.x === undefined) throw new Error("not an Ed25519 key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

/** RFC 7638 thumbprint: SHA-256 over {"crv","kty","x"} in that order, base64url. */
export function keyId(publicKey: Uint8Array): string {
  const x = Buffer.from(publicKey).toString("base64url");
  return createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest("base64url");
}

export function publicJwk(publicKey: Uint8Array): PublicJwk {
  return { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url"), kid: keyId(publicKey), alg: "EdDSA", use: "sig" };
}

/** SubjectPublicKeyInfo PEM, what `openssl pkeyutl -verify -pubin` reads. */
export function publicKeyPem(publicKey: Uint8Array): string {
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") }, format: "jwk" });
  return key.export({ format: "pem", type: "spki" }).toString();
}

function fromPrivateKey(privateKey: KeyObject, source: string): SigningKey {
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new Error(`${source} holds a ${privateKey.asymmetricKeyType ?? "non-asymmetric"} key, not an Ed25519 one`);
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { kid: keyId(publicKey), privateKey, publicKey };
}

/** A fresh key held in memory only: for tests and benchmarks. */
export function generateSigningKey(): SigningKey {
  return fromPrivateKey(generateKeyPairSync("ed25519").privateKey, "a generated key");
}

/**
 * Reads the PKCS#8 PEM private key at `path`. With `create`, a missing file is generated
 * (mode 0600) first; without it, a missing file is an error naming the path.
 */
export function loadSigningKey(path: string, opts: { create: boolean }): { key: SigningKey; created: boolean } {
  let created = false;
  if (!existsSync(path)) {
    if (!opts.create) throw new Error(`the signing key file ${path} does not exist`);
    const { privateKey } = generateKeyPairSync("ed25519");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
    created = true;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (err) {
    throw new Error(`the signing key file ${path} is not a PEM private key: ${(err as Error).message}`);
  }
  return { key: fromPrivateKey(privateKey, path), created };
}
