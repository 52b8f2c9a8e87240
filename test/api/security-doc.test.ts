// docs/security.md carries the table of routes and who may call them. It must say what the
// route registry (which the auth middleware enforces) says, route for route.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/api/operations.ts";

const ROLE_WORDS: Record<string, string> = { tenant: "platform", verifier: "verifier", admin: "admin" };

describe("docs/security.md", () => {
  it("lists every route with exactly the roles the registry gives it", () => {
    const doc = readFileSync(new URL("../../docs/security.md", import.meta.url), "utf8");
    const rows = new Map<string, string>();
    for (const m of doc.matchAll(/^\| `((?:GET|POST|PUT|PATCH|DELETE) [^`]+)` \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
    for (const [route, op] of Object.entries(OPERATIONS)) {
      const roles = op.access === "public" ? "anyone (no key)" : op.access.map((r) => ROLE_WORDS[r]).join(", ");
      const want = op.metricsToken ? `${roles}, or the metrics token` : roles;
      expect(rows.get(route), route).toBe(want);
    }
    expect([...rows.keys()].filter((r) => !(r in OPERATIONS))).toEqual([]);
  });
});
