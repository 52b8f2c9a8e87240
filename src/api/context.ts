// What the middleware chain hands to route handlers through Hono's context: the matched
// operation from the route registry and, on authenticated routes, who is calling and the
// data scope that follows from it.
import type { Context } from "hono";
import type { AuthenticatedPrincipal } from "../services/access.ts";
import type { Scope } from "../store/scope.ts";
import type { Operation } from "./operations.ts";

/** An authenticated caller: the principal and the key it used (the key's public id only). */
export type Caller = AuthenticatedPrincipal;

export interface AppEnv {
  Variables: {
    /** This request's id: the proxy's X-Request-Id when it sent a usable one, else ours. */
    requestId: string;
    /** The registry entry of the route being served ("METHOD path"); unset for unknown routes. */
    operation?: { key: string; op: Operation };
    /** Set by the auth middleware on every non-public route. */
    caller?: Caller;
    /** What the caller may see; set with `caller`. */
    scope?: Scope;
    /** The request body, when a middleware had to read it before the handler (idempotency). */
    rawBody?: Uint8Array;
    /** Items a submission accepted, for the metrics (set by the evidence routes). */
    ingestedItems?: number;
  };
}

/** The data scope of a caller at time `now` (disclosures expire). */
export function scopeOf(caller: Caller, now: Date): Scope {
  switch (caller.kind) {
    case "admin":
      return { role: "admin" };
    case "tenant":
      return { role: "tenant", tenantId: caller.principalId };
    case "verifier":
      return { role: "verifier", verifierId: caller.principalId, now };
  }
}

/** The authenticated caller and scope of a non-public route (the auth middleware set them). */
export function callerOf(c: Context<AppEnv>): { caller: Caller; scope: Scope } {
  const caller = c.get("caller");
  const scope = c.get("scope");
  // Unreachable while the route registry marks the route non-public; fail closed if not.
  if (!caller || !scope) throw new Error(`${c.req.method} ${c.req.path} reached a handler without authentication`);
  return { caller, scope };
}

/** The audit-log actor for a caller. */
export const actorOf = (caller: Caller) => ({ id: caller.principalId, keyId: caller.keyId });
