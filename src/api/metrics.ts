// GET /metrics: the Prometheus exposition of this instance's registry (src/metrics/metrics.ts).
// Who may read it (an admin's key, or the METRICS_TOKEN bearer) is in the route registry; the
// separate METRICS_PORT listener (src/service.ts) serves this same app and nothing else.
import { Hono } from "hono";
import { CONTENT_TYPE, type ServiceMetrics } from "../metrics/metrics.ts";
import { isMetricsToken } from "./auth.ts";
import type { AppEnv } from "./context.ts";
import { onNotFound, problemResponse } from "./problem.ts";

export function metricsRoutes(metrics: ServiceMetrics): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "content-type": CONTENT_TYPE }));
  return app;
}

/**
 * The METRICS_PORT listener: /metrics only, for a scraper on a private network. With
 * METRICS_TOKEN set it asks for that bearer (a 401 otherwise); without, the port's network is
 * the protection (docs/operations.md). No API key is looked at here.
 */
export function metricsOnlyApp(metrics: ServiceMetrics, token: string | undefined): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const bearer = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (token !== undefined && !isMetricsToken(bearer, token)) {
      return problemResponse(c, "unauthorized", "send the metrics token as 'Authorization: Bearer <token>'", {
        headers: { "www-authenticate": 'Bearer realm="metrics"' },
      });
    }
    return c.body(await metrics.render(), 200, { "content-type": CONTENT_TYPE, "cache-control": "no-store" });
  });
  app.notFound(onNotFound(() => app.routes));
  return app;
}
