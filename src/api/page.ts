// GET /verify and its assets: the public verification page, built by scripts/build-web.ts
// into dist/web/ and held in memory from start. The page runs the verification library in
// the visitor's browser; this module only serves bytes, with a policy that lets the page
// load nothing but its own files and talk to nothing but chain nodes.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { type Context, Hono } from "hono";
import { ServiceError } from "../errors.ts";
import { PROJECT_ROOT } from "../runtime.ts";
import type { AppEnv } from "./context.ts";

export const WEB_DIR = join(PROJECT_ROOT, "dist/web/");

/**
 * Script and style from our origin only, nothing inline. `connect-src` is open to any http(s)
 * origin because the visitor may check the chain through a node of their own choosing.
 */
export const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'", "https:", "http:"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

export interface WebAsset {
  body: Uint8Array;
  type: string;
  etag: string;
}
/** File name (e.g. "verify.js") → asset; "index.html" is the page itself. */
export type WebAssets = ReadonlyMap<string, WebAsset>;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Reads the built page; an empty map when it was not built (the routes then answer 503). */
export function loadWebAssets(dir: string = WEB_DIR): WebAssets {
  const assets = new Map<string, WebAsset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    // A copy: a small Buffer from readFileSync is a view into a shared pool, and handing out
    // its .buffer would serve whatever else sits in that pool (the fuzz test caught exactly that).
    const body = Uint8Array.from(readFileSync(join(dir, name)));
    assets.set(name, { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` });
  }
  return assets;
}

export function pageRoutes(assets: WebAssets): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const serve = (c: Context<AppEnv>, name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) {
      if (assets.size === 0) throw new ServiceError("service-unavailable", "the verification page was not built: run `npm run build:web`");
      throw new ServiceError("not-found", `/verify/${name} was not found`);
    }
    // Revalidated on every load: a new release must reach a court's browser at once.
    c.header("cache-control", "no-cache");
    c.header("etag", asset.etag);
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
    c.header("content-type", asset.type);
    return c.body(asset.body.buffer as ArrayBuffer);
  };
  app.get("/verify", (c) => serve(c, "index.html"));
  app.get("/verify/:file", (c) => serve(c, c.req.param("file")));
  return app;
}
