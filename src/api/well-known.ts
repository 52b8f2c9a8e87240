// GET /.well-known/evidence-keys.json: every public key the service has signed receipts and
// reports with, as a JWKS (RFC 7517), so anyone can check a signature without asking us
// anything else. Keys are never dropped from it: rotation adds one. Beside it, the X.509
// side: the CA certificates our document-signing and time-stamping certificates chain to
// (evidence-ca.pem, what `openssl ts -verify -CAfile` and PDF readers are given), and the TSA
// certificate itself (evidence-tsa.pem, for tokens requested without certReq).
import { Hono } from "hono";
import { publicJwk } from "../signing/keys.ts";
import type { PkiIdentity } from "../pki/identity.ts";
import { toPem } from "../pki/certs.ts";
import type { Signer } from "../signing/signer.ts";
import type { Db } from "../store/db.ts";
import { listSigningKeys } from "../store/signing-keys.ts";
import { notFound } from "../errors.ts";
import type { AppEnv } from "./context.ts";

export const KEYS_PATH = "/.well-known/evidence-keys.json";
export const CA_PATH = "/.well-known/evidence-ca.pem";
export const TSA_CERT_PATH = "/.well-known/evidence-tsa.pem";
const PEM_TYPE = "application/x-pem-file";

export function wellKnownRoutes(deps: { db: Db; signer: Signer; pki?: PkiIdentity | undefined }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(KEYS_PATH, async (c) => {
    const rows = await listSigningKeys(deps.db);
    // The current key first: it signs everything new.
    const keys = rows.map((r) => publicJwk(r.publicKey)).sort((a, b) => Number(b.kid === deps.signer.kid) - Number(a.kid === deps.signer.kid));
    c.header("cache-control", "public, max-age=300");
    return c.json({ keys });
  });
  app.get(CA_PATH, (c) => {
    if (!deps.pki?.caPem) throw notFound("a CA certificate");
    c.header("cache-control", "public, max-age=300");
    return c.body(deps.pki.caPem, 200, { "content-type": PEM_TYPE });
  });
  app.get(TSA_CERT_PATH, (c) => {
    if (!deps.pki) throw notFound("a time-stamping certificate");
    c.header("cache-control", "public, max-age=300");
    return c.body(toPem([deps.pki.tsa.cert, ...deps.pki.tsa.chain]), 200, { "content-type": PEM_TYPE });
  });
  return app;
}
