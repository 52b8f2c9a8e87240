// The address a request came from, for rate limits and failed-authentication tracking.
// Only the socket's peer address is trusted: X-Forwarded-For is client-controlled unless a
// proxy we run rewrites it, and this service does not assume one.
import type { Context } from "hono";

export function clientAddress(c: Context): string {
  // @hono/node-server puts the Node request on c.env.incoming; app.request() in tests has none.
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}
