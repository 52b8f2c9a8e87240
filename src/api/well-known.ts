// GET /.well-known/evidence-keys.json: every public key the service has signed receipts and
// reports with, as a JWKS (RFC 7517), so anyone can check a signature without asking us
// anything else. Keys are never dropped from it: rotation adds one.
import { Hono } from "hono";
import { publicJwk } from "../signing/keys.ts";
import type { Signer } from "../signing/signer.ts";
import type { Db } from "../store/db.ts";
import { listSigningKeys } from "../store/signing-keys.ts";
import type { AppEnv } from "./context.ts";

export const KEYS_PATH = "/.well-known/evidence-keys.json";

export function wellKnownRoutes(deps: { db: Db; signer: Signer }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(KEYS_PATH, async (c) => {
    const rows = await listSigningKeys(deps.db);
    // The current key first: it signs everything new.
    const keys = rows.map((r) => publicJwk(r.publicKey)).sort((a, b) => Number(b.kid === deps.signer.kid) - Number(a.kid === deps.signer.kid));
    c.header("cache-control", "public, max-age=300");
    return c.json({ keys });
  });
  return app;
}
