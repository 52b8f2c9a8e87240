// GET /docs and its files: the interactive API docs (Swagger UI) over /openapi.json. The
// viewer's script and style come from the swagger-ui-dist package, served by us (no CDN: a
// court's or a bank's network may reach nothing else); the page and its start script are ours.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Context, Hono } from "hono";
import { ServiceError } from "../errors.ts";
import type { AppEnv } from "./context.ts";

/**
 * Our own files only. Swagger UI sets styles through the DOM (allowed), draws icons as data:
 * SVG, and fetches the document and "Try it out" requests from this origin. No inline script:
 * the start script is a file of its own.
 */
export const DOCS_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

// Relative links, so the docs work behind a proxy that mounts the service under a prefix.
const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence anchoring service: API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const START = `window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** File name → where it comes from and its type. Nothing else of the package is served. */
const FILES: Record<string, { from: "package" | string; type: string }> = {
  "swagger-ui-bundle.js": { from: "package", type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { from: "package", type: "text/css; charset=utf-8" },
  "favicon-32x32.png": { from: "package", type: "image/png" },
  "start.js": { from: START, type: "text/javascript; charset=utf-8" },
};

interface DocsFile {
  body: Uint8Array;
  type: string;
  etag: string;
  cache: string;
}

const utf8 = new TextEncoder();

export function docsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Read on first use, not at start: the bundle is 1.7 MB that most instances never serve.
  const loaded = new Map<string, DocsFile>();
  let packageDir: string | undefined;
  const load = (name: string): DocsFile | undefined => {
    const cached = loaded.get(name);
    if (cached) return cached;
    const spec = name === "index.html" ? { from: INDEX, type: "text/html; charset=utf-8" } : Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (spec === undefined) return undefined;
    let body: Uint8Array;
    if (spec.from === "package") {
      packageDir ??= dirname(fileURLToPath(import.meta.resolve("swagger-ui-dist/package.json")));
      body = Uint8Array.from(readFileSync(join(packageDir, name)));
    } else {
      body = utf8.encode(spec.from);
    }
    const file: DocsFile = {
      body,
      type: spec.type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      // The package's files change only with its version: a day's caching saves 1.7 MB a visit.
      // Ours are revalidated, so a new release's page shows at once.
      cache: spec.from === "package" ? "public, max-age=86400" : "no-cache",
    };
    loaded.set(name, file);
    return file;
  };
  const serve = (c: Context<AppEnv>, name: string) => {
    const file = load(name);
    if (file === undefined) throw new ServiceError("not-found", `/docs/${name} was not found`);
    c.header("cache-control", file.cache);
    c.header("etag", file.etag);
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
    c.header("content-type", file.type);
    return c.body(file.body.buffer as ArrayBuffer);
  };
  app.get("/docs", (c) => serve(c, "index.html"));
  app.get("/docs/:file", (c) => {
    const name = c.req.param("file");
    // index.html is the page at /docs, not a file under it.
    if (name === "index.html") throw new ServiceError("not-found", `/docs/${name} was not found`);
    return serve(c, name);
  });
  return app;
}
