// The CI check of the typed client: src/client/openapi.ts must be what `npm run gen:client`
// makes from the document as the code describes it now. A route, schema or example changed
// without regenerating fails here, with the command that fixes it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLIENT_TYPES_FILE, generateClientTypes } from "../../scripts/gen-client.ts";

describe("src/client/openapi.ts", () => {
  it("is up to date with the OpenAPI document (else run: npm run gen:client)", async () => {
    const committed = readFileSync(CLIENT_TYPES_FILE, "utf8");
    const fresh = await generateClientTypes();
    // Not toBe on 8,000 lines: say which line first differs.
    const a = committed.split("\n");
    const b = fresh.split("\n");
    const at = a.findIndex((line, i) => line !== b[i]);
    const where = at === -1 ? (a.length === b.length ? "" : `line ${Math.min(a.length, b.length) + 1}`) : `line ${at + 1}: ${JSON.stringify(a[at])} vs ${JSON.stringify(b[at])}`;
    expect(where, "src/client/openapi.ts is out of date with the OpenAPI document: run `npm run gen:client` and commit it").toBe("");
  });
});
