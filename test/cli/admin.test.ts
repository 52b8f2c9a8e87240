// The operator's CLI (src/cli/admin.ts) driven through runAdmin, as `npm run admin -- …` runs
// it, against an embedded data dir (PGlite) or, with DATABASE_URL, a fresh PostgreSQL
// database: principals and keys created, listed, revoked and disabled, each change in the
// audit log with actor "cli"; keys printed once and never listed; bad input refused with
// exit 2 (usage) or 1 (refused) and a message saying why; and no touching an embedded
// database while a live process holds its data dir.
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdmin } from "../../src/cli/admin.ts";
import { silentLogger } from "../../src/log.ts";
import { AccessService } from "../../src/services/access.ts";
import { listAudit } from "../../src/store/audit.ts";
import { createDb, type Db } from "../../src/store/db.ts";
import type { AuditRow } from "../../src/store/schema.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { tempDir } from "../helpers/service.ts";

/** A whole key: evk_, its public id, its secret and checksum. */
const KEY_RE = /evk_([a-z2-7]{12})_[a-z2-7]{59}/g;

let database: TestDatabase | undefined;
const dataDir = tempDir("evidence-cli-");

beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await freshDatabase();
});
afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The environment the CLI reads: the test's database, never the caller's DATABASE_URL by accident. */
const env = (): Record<string, string | undefined> => ({ DATA_DIR: dataDir, DATABASE_URL: database?.url });

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runAdmin(argv, env(), (s) => lines.push(s));
  return { code, out: lines.join("\n") };
}

/**
 * Runs `fn` on the CLI's database. PGlite allows one open instance per data dir, so the
 * embedded one is opened only between CLI runs and closed again before the next.
 */
async function onDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  if (database) return fn(database.db);
  const opened = await createDb({ dataDir: join(dataDir, "pglite") });
  try {
    return await fn(opened.db);
  } finally {
    await opened.close();
  }
}

const authenticate = (key: string) => onDb((db) => new AccessService({ db, log: silentLogger }).authenticate(key));

let auditSeen = 0;
/**
 * The audit entries written since the previous call, as (actor, action, target): each test
 * accounts for every entry its commands wrote (an open of the embedded database costs most
 * of a second, so the log is not read before each test as well).
 */
async function newAuditEntries(): Promise<{ actor: string; action: string; target: string | null }[]> {
  const rows: AuditRow[] = await onDb((db) => listAudit(db, { after: auditSeen, limit: 10_000 }));
  auditSeen = rows.at(-1)?.seq ?? auditSeen;
  return rows.map((r) => ({ actor: r.actor, action: r.action, target: r.target }));
}

/** Creates a key for `principalId` through the CLI; returns the key and its id. */
async function createKey(principalId: string, ...options: string[]): Promise<{ key: string; id: string; out: string }> {
  const r = await cli("key", "create", principalId, ...options);
  expect(r.code, r.out).toBe(0);
  const m = [...r.out.matchAll(KEY_RE)];
  expect(m, "exactly one key printed").toHaveLength(1);
  return { key: m[0]![0], id: m[0]![1]!, out: r.out };
}

describe(`the admin CLI on ${describeDbKind()}`, () => {
  it("creates tenants, verifiers and admins and lists them, auditing each as the cli", async () => {
    expect(await cli("tenant", "create", "platform-a", "--name", "Platform A")).toEqual({ code: 0, out: "created tenant platform-a (Platform A)" });
    expect((await cli("verifier", "create", "court-1", "--name", "Court of Appeal")).code).toBe(0);
    expect((await cli("admin", "create", "ops", "--name", "Operator")).code).toBe(0);

    const tenants = await cli("tenant", "list");
    expect(tenants.code).toBe(0);
    expect(tenants.out).toMatch(/^platform-a\tactive\t\S+\tPlatform A$/m);
    const admins = await cli("admin", "list", "--json");
    expect(JSON.parse(admins.out)).toEqual([expect.objectContaining({ id: "ops", kind: "admin", status: "active" })]);

    expect(await newAuditEntries()).toEqual([
      { actor: "cli", action: "principal.created", target: "platform-a" },
      { actor: "cli", action: "principal.created", target: "court-1" },
      { actor: "cli", action: "principal.created", target: "ops" },
    ]);
  });

  it("prints a new key once, and the key authenticates as its principal", async () => {
    const { key, id, out } = await createKey("platform-a", "--label", "ci");
    expect(out).toContain("this is the only time the key is shown");
    expect(out.split(key)).toHaveLength(2);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const json = await cli("key", "create", "court-1", "--expires", expiresAt, "--json");
    expect(json.code).toBe(0);
    const created = JSON.parse(json.out) as { id: string; key: string; principalId: string; expiresAt: string };
    expect(created).toMatchObject({ principalId: "court-1", expiresAt });
    const callers = await onDb((db) => {
      const access = new AccessService({ db, log: silentLogger });
      return Promise.all([access.authenticate(key), access.authenticate(created.key)]);
    });
    expect(callers).toEqual([
      { principalId: "platform-a", kind: "tenant", keyId: id },
      { principalId: "court-1", kind: "verifier", keyId: created.id },
    ]);

    expect(await newAuditEntries()).toEqual([
      { actor: "cli", action: "key.created", target: id },
      { actor: "cli", action: "key.created", target: created.id },
    ]);
  });

  it("lists keys by id and status, never their secrets", async () => {
    const { key, id } = await createKey("platform-a");
    const secret = key.slice(17);
    for (const argv of [["key", "list"], ["key", "list", "--json"]]) {
      const r = await cli(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain(id);
      expect(r.out.includes(secret), argv.join(" ")).toBe(false);
      expect(r.out.match(KEY_RE)).toBeNull();
    }
    const listed = JSON.parse((await cli("key", "list", "platform-a", "--json")).out) as Record<string, unknown>[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed.every((k) => k.principalId === "platform-a" && !("key" in k) && !("secretHash" in k))).toBe(true);
    expect((await cli("key", "list", "court-1")).out).not.toContain(id);
    // Listing is no change: the only entry is the key's creation.
    expect(await newAuditEntries()).toEqual([{ actor: "cli", action: "key.created", target: id }]);
  });

  it("revokes a key: it stops authenticating at once", async () => {
    const { key, id } = await createKey("platform-a");
    expect(await authenticate(key)).not.toBeNull();
    expect(await cli("key", "revoke", id)).toEqual({ code: 0, out: `key ${id} of platform-a is revoked` });
    expect(await authenticate(key)).toBeNull();
    // Revoking again changes nothing, so it records nothing.
    expect((await cli("key", "revoke", id)).code).toBe(0);
    expect(await newAuditEntries()).toEqual([
      { actor: "cli", action: "key.created", target: id },
      { actor: "cli", action: "key.revoked", target: id },
    ]);
  });

  it("disables a tenant: its keys stop working and it gets no new ones", async () => {
    expect((await cli("tenant", "create", "platform-b", "--name", "Platform B")).code).toBe(0);
    const { key, id } = await createKey("platform-b");
    expect(await authenticate(key)).not.toBeNull();
    expect(await cli("tenant", "disable", "platform-b")).toEqual({ code: 0, out: "tenant platform-b is disabled" });
    expect(await authenticate(key)).toBeNull();
    expect((await cli("tenant", "list")).out).toMatch(/^platform-b\tdisabled\t/m);
    const refused = await cli("key", "create", "platform-b");
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.out).toMatch(/disabled/);
    expect(await newAuditEntries()).toEqual([
      { actor: "cli", action: "principal.created", target: "platform-b" },
      { actor: "cli", action: "key.created", target: id },
      { actor: "cli", action: "principal.disabled", target: "platform-b" },
    ]);
  });

  it("refuses bad input with exit 2 (usage) or 1 (refused), saying what is wrong, and changes nothing", async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /^usage: npm run admin -- <command>/],
      [["frobnicate"], 2, /unknown command: frobnicate/],
      [["key", "frob"], 2, /unknown command: key frob/],
      [["tenant", "create", "platform-z", "--bogus"], 2, /Unknown option '--bogus'/],
      [["tenant", "create"], 2, /missing an id/],
      [["tenant", "create", "Platform Z!", "--name", "Z"], 2, /"Platform Z!" is not a valid id/],
      [["tenant", "create", "platform-z"], 2, /missing --name/],
      [["key", "create"], 2, /missing a principal id/],
      [["key", "create", "platform-a", "--expires", "next tuesday"], 2, /--expires: "next tuesday" is not a date-time/],
      [["tenant", "create", "platform-a", "--name", "Again"], 1, /"platform-a" is already taken/],
      [["key", "create", "nobody"], 1, /no tenant, verifier or admin has this id/],
      [["key", "create", "platform-a", "--expires", "2000-01-01T00:00:00Z"], 1, /must be in the future/],
      [["key", "revoke", "aaaaaaaaaaaa"], 1, /key was not found/],
      [["tenant", "disable", "court-1"], 1, /tenant was not found/],
      [["admin", "disable", "ops"], 1, /the last active admin cannot be disabled/],
    ];
    const wrong: string[] = [];
    for (const [argv, code, message] of cases) {
      const r = await cli(...argv);
      if (r.code !== code || !message.test(r.out)) wrong.push(`${argv.join(" ")}: exit ${r.code}, ${JSON.stringify(r.out.slice(0, 300))}`);
    }
    expect(wrong).toEqual([]);
    expect(await newAuditEntries()).toEqual([]);

    const badEnv = await runAdmin(["tenant", "list"], { DATA_DIR: dataDir, DATABASE_URL: "mysql://localhost/x" }, (s) => wrong.push(s));
    expect(badEnv).toBe(2);
    expect(wrong.join("\n")).toMatch(/DATABASE_URL: must be a URL/);
    const help: string[] = [];
    expect(await runAdmin(["--help"], env(), (s) => help.push(s))).toBe(0);
    expect(help.join("\n")).toMatch(/key revoke <key-id>/);
  });

  it("refuses to open an embedded database while a live process holds its data dir", async () => {
    // The embedded database (no DATABASE_URL) in all runs: that is where the lock applies.
    // A live process that is not this one (claimDataDir treats its own pid as no holder).
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    const holderExited = new Promise((resolve) => holder.once("exit", resolve));
    try {
      await new Promise((resolve, reject) => holder.once("spawn", resolve).once("error", reject));
      // The file the service writes (src/store/data-dir-lock.ts): its pid and a newline.
      writeFileSync(join(dataDir, "service.pid"), `${holder.pid}\n`);
      const lines: string[] = [];
      expect(await runAdmin(["tenant", "create", "platform-x", "--name", "X"], { DATA_DIR: dataDir }, (s) => lines.push(s))).toBe(2);
      expect(lines.join("\n")).toContain(`the service (pid ${holder.pid}) has the embedded database in ${dataDir} open; stop it first`);
      if (database) {
        // A PostgreSQL server takes many clients: the pid file of a data dir is no concern then.
        expect(await runAdmin(["tenant", "list"], { DATA_DIR: dataDir, DATABASE_URL: database.url }, () => {})).toBe(0);
      }
    } finally {
      holder.kill("SIGKILL");
      await holderExited;
    }
    // The holder is gone; the file it left behind is stale and no longer stops anyone. (And
    // the refused command created nothing: the id is still free.)
    const lines: string[] = [];
    expect(await runAdmin(["tenant", "create", "platform-x", "--name", "X"], { DATA_DIR: dataDir }, (s) => lines.push(s))).toBe(0);
    expect(lines).toEqual(["created tenant platform-x (X)"]);
  });
});
