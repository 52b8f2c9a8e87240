// Signing JSON documents (receipts, reports) with the service key. A signed document carries
// `signature: { alg: "EdDSA", kid, value }`; the signature is over the RFC 8785 canonical
// form of the document without its `signature` member, so any change to any other member
// breaks it. (The key id is not covered, and need not be: another key cannot produce a
// signature that verifies; a wrong kid only makes verification fail.)
import { sign } from "node:crypto";
import { canonicalJson } from "../core/jcs.ts";
import type { SigningKey } from "./keys.ts";

export interface Signature {
  alg: "EdDSA";
  kid: string;
  /** base64url of the 64-byte Ed25519 signature. */
  value: string;
}

export type Signed<T> = T & { signature: Signature };

export class Signer {
  readonly key: SigningKey;

  constructor(key: SigningKey) {
    this.key = key;
  }

  get kid(): string {
    return this.key.kid;
  }

  /** `doc` plus its signature. Requires a plain JSON object without a `signature` member. */
  sign<T extends Record<string, unknown>>(doc: T): Signed<T> {
    if ("signature" in doc) throw new Error("the document already has a signature member");
    const message = Buffer.from(canonicalJson(doc), "utf8");
    const value = sign(null, message, this.key.privateKey).toString("base64url");
    return { ...doc, signature: { alg: "EdDSA", kid: this.key.kid, value } };
  }
}
