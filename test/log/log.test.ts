// Log lines must never carry query parameters (salts, digests, meta): a real failed drizzle
// query, turned into log fields, keeps only the database's own message.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger, errorFields } from "../../src/log.ts";
import { evidence } from "../../src/store/schema.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database.close());

it("keeps query parameters out of the fields of a failed query", async () => {
  const salt = new Uint8Array(32).fill(0xa7);
  const row = {
    id: randomUUID(),
    part: 0,
    submitter: "t",
    digest: new Uint8Array(32),
    salt,
    hashAlg: "sha256",
    metaRest: { caseId: "secret-case" },
    leafHash: new Uint8Array(32),
    receivedAt: new Date(),
  };
  await database.db.insert(evidence).values(row);
  const err = await database.db.insert(evidence).values(row).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(String((err as Error).message)).toContain("params"); // drizzle's message does carry them
  const lines: string[] = [];
  createLogger("info", (l) => lines.push(l)).error("failed", errorFields(err));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/duplicate key/);
  expect(lines[0]).not.toMatch(/secret-case|a7a7a7|params/);
});

it("passes ordinary errors through", () => {
  expect(errorFields(new TypeError("boom"))).toEqual({ error: "boom", errorName: "TypeError" });
  expect(errorFields("plain")).toEqual({ error: "plain" });
});

it("writes one JSON object per line, or one readable line with LOG_FORMAT=pretty", () => {
  const json: string[] = [];
  createLogger("info", (l) => json.push(l)).info("request", { requestId: "r-1", status: 202, route: "/v1/evidence" });
  expect(JSON.parse(json[0]!)).toMatchObject({ level: "info", msg: "request", requestId: "r-1", status: 202, route: "/v1/evidence" });
  const pretty: string[] = [];
  const log = createLogger("info", (l) => pretty.push(l), "pretty");
  log.debug("hidden");
  log.warn("slow", { requestId: "r-2", ms: 12.5, detail: "two words", none: undefined });
  expect(pretty).toHaveLength(1);
  expect(pretty[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  slow requestId=r-2 ms=12.5 detail="two words"$/);
});
