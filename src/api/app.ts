// createApp(deps): the whole HTTP API as a Hono app, built from services handed in, so tests
// drive the real app with app.request() and their own database.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { Logger } from "../log.ts";
import type { IngestService } from "../services/ingest.ts";
import type { Prover } from "../services/prover.ts";
import type { ChainReader } from "../verify/index.ts";
import { batchRoutes } from "./batches.ts";
import { evidenceRoutes } from "./evidence.ts";
import { healthRoutes, type HealthDeps } from "./health.ts";
import { openApiRoutes } from "./openapi.ts";
import { onError, onNotFound } from "./problem.ts";
import pkg from "../../package.json" with { type: "json" };
import { verifyRoutes } from "./verify.ts";

export interface AppDeps {
  ingest: IngestService;
  prover: Prover;
  health: Omit<HealthDeps, "log">;
  chainReader: () => ChainReader | undefined;
  defaultTenant: string;
  minConfirmations: number;
  log: Logger;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.log.debug("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  // A JSON API loads nothing: the strictest policy costs nothing and stops a response from
  // ever being run as a page. (The verification page of a later issue gets its own policy.)
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      crossOriginResourcePolicy: "same-origin",
    }),
  );
  // Anyone may check a proof from their own page; every other route stays same-origin.
  app.use("/v1/verify", cors({ origin: "*", allowMethods: ["POST"], allowHeaders: ["content-type"], maxAge: 600 }));
  app.route("/", healthRoutes({ ...deps.health, log: deps.log }));
  app.route("/v1/evidence", evidenceRoutes({ ...deps, submitter: () => deps.defaultTenant }));
  app.route("/v1/batches", batchRoutes(deps));
  app.route("/", openApiRoutes(pkg.version));
  app.route("/v1/verify", verifyRoutes({ chain: deps.chainReader, minConfirmations: deps.minConfirmations }));
  app.onError(onError(deps.log));
  app.notFound(onNotFound(() => app.routes));
  return app;
}
