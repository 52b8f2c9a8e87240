// /v1/me: who the presented key belongs to. The first call a new integration makes.
import { Hono } from "hono";
import { callerOf, type AppEnv } from "./context.ts";

export function meRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => {
    const { caller } = callerOf(c);
    return c.json({ principalId: caller.principalId, kind: caller.kind, keyId: caller.keyId });
  });
  return app;
}
