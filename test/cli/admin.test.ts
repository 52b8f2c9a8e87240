// The operator's CLI (src/cli/admin.ts) driven through runAdmin, as `npm run admin -- …` runs
// it, against an embedded data dir (PGlite) or, with DATABASE_URL, a fresh PostgreSQL
// database: principals and keys created, listed, revoked and disabled, each change in the
// audit log with actor "cli"; keys printed once and never listed; bad input refused with
// exit 2 (usage) or 1 (refused) and a message saying why; and no touching an embedded
// database while a live process holds its data dir. And `fsck` run as a process: the exit
// status an operator's script branches on (0, 1, 2, 3) and what it prints.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressInFlight, sendAnchors } from "../../src/batcher/anchor.ts";
import { sealBatch } from "../../src/batcher/seal.ts";
import { buildLevels } from "../../src/core/levels.ts";
import { ensureContract } from "../../src/chain/deployment.ts";
import type { LocalNode } from "../../src/chain/local-node.ts";
import { runAdmin } from "../../src/cli/admin.ts";
import { toHex } from "../../src/core/bytes.ts";
import { silentLogger } from "../../src/log.ts";
import { AccessService } from "../../src/services/access.ts";
import type { FsckReport } from "../../src/services/fsck.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { Signer } from "../../src/signing/signer.ts";
import { listAudit } from "../../src/store/audit.ts";
import { createDb, type Db } from "../../src/store/db.ts";
import { anchors, batchLevels, evidence, type AuditRow } from "../../src/store/schema.ts";
import { freePort, startTestChain, testChainClient } from "../helpers/chain.ts";
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

// `admin fsck` as the operator runs it: a process of its own, its exit status and output. The
// checks themselves are tested in test/services/fsck.test.ts; this is the command around them.
describe(`admin fsck as a process on ${describeDbKind()}`, () => {
  let node: LocalNode;
  const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

  beforeAll(async () => {
    node = await startTestChain();
    const chain = await testChainClient(node.url);
    try {
      await onDb(async (db) => {
        // The contract is recorded in deployments: the command finds it there.
        const { address } = await ensureContract(db, chain, {});
        const ingest = new IngestService({ db, signer: new Signer(generateSigningKey()) });
        await ingest.submit("tenant-a", Array.from({ length: 3 }, () => ({ digest: toHex(new Uint8Array(randomBytes(32))) })));
        await sealBatch(db, async (leaves, n) => buildLevels(leaves, n), { closeOpen: true });
        const ctx = { db, chain, contract: address, confirmations: 1, log: silentLogger };
        await sendAnchors(ctx);
        await progressInFlight(ctx);
        expect(await db.select().from(anchors).where(eq(anchors.status, "confirmed"))).toHaveLength(1);
      });
    } finally {
      chain.close();
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  /** `npm run admin -- fsck …` without npm: the same file, run by tsx. No ANCHOR_PRIVATE_KEY: fsck only reads. */
  function fsck(args: string[], chainUrl = node.url): Promise<{ code: number | null; out: string; err: string }> {
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", CHAIN_RPC_URL: chainUrl };
    for (const [k, v] of Object.entries(env())) if (v !== undefined) childEnv[k] = v;
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/admin.ts", "fsck", ...args], {
      cwd: projectRoot,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, out, err }));
    });
  }

  it("exits 0 and says 100% agreement on a clean database, in words and in JSON", async () => {
    const human = await fsck([]);
    expect(human, human.err).toMatchObject({ code: 0, err: "" });
    expect(human.out).toMatch(/^fsck: database \w+; chain http:\/\/127\.0\.0\.1:\d+ \(chain id 31337\); contract 0x[0-9a-f]{40} \(from the deployments table\)$/m);
    expect(human.out).toMatch(/^checked 1 batch, 3 leaves, 1 confirmed anchor on chain, and the hash chain over the contract's 1 root: 100% agreement$/m);
    expect(human.out).not.toMatch(/MISMATCH|could not check/);

    const json = await fsck(["--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ outcome: "clean", chainId: 31337, contractSource: "the deployments table", counts: { batches: 1, leaves: 3, anchors: 1, mismatches: 0 } });
  });

  it("exits 1 and names the mismatch", async () => {
    // The batch has 3 leaves: level 1 holds one node, over leaves 0 and 1, which is leaf 2's whole path.
    const level1 = and(eq(batchLevels.batchSeq, 0), eq(batchLevels.level, 1));
    const original = await onDb(async (db) => new Uint8Array((await db.select().from(batchLevels).where(level1))[0]!.hashes));
    const forged = new Uint8Array(original);
    forged[0] = forged[0]! ^ 0xff;
    const row = await onDb(async (db) => (await db.select().from(evidence).where(eq(evidence.leafIndex, 2)))[0]!);
    await onDb((db) => db.update(batchLevels).set({ hashes: forged }).where(level1));
    try {
      const human = await fsck([]);
      expect(human.code, human.out + human.err).toBe(1);
      expect(human.out).toContain(`MISMATCH [tree-levels] batch 0: tree level 1: node 0 is ${toHex(forged)}, the tree of the stored leaf hashes has ${toHex(original)}`);
      expect(human.out).toContain(`MISMATCH [leaf-path] batch 0: evidence ${row.id} (leaf 2): `);
      expect(human.out).toContain(`path[0] is ${toHex(forged)}, the tree of the stored leaf hashes has ${toHex(original)}`);
      expect(human.out).toMatch(/: 2 mismatches \((leaf-path 1, tree-levels 1|tree-levels 1, leaf-path 1)\)$/m);
      expect(human.out).not.toContain("100% agreement");

      const json = await fsck(["--json"]);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.out) as FsckReport;
      expect(report).toMatchObject({ outcome: "mismatch", counts: { mismatches: 2 }, mismatchesByCheck: { "leaf-path": 1, "tree-levels": 1 } });
      expect(report.mismatches).toEqual([
        expect.objectContaining({ check: "tree-levels", batchSeq: 0, field: "level 1 node 0" }),
        expect.objectContaining({ check: "leaf-path", batchSeq: 0, evidenceId: row.id, field: "path[0]" }),
      ]);
    } finally {
      await onDb((db) => db.update(batchLevels).set({ hashes: original }).where(level1));
    }
  });

  it("exits 3 when the chain cannot be reached: could not check is neither clean nor a mismatch", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const human = await fsck([], nowhere);
    // The number itself, not the constant: it is documented (docs/operations.md) and scripts use it.
    expect(human.code, human.out + human.err).toBe(3);
    expect(human.out).toContain(`chain ${nowhere} (not reachable)`);
    expect(human.out).toMatch(/^could not check: everything on chain: the chain could not be read \(eth_chainId: no endpoint answered \(http:\/\/127\.0\.0\.1:\d+: eth_chainId: request failed/m);
    expect(human.out).toMatch(/^checked 1 batch, 3 leaves, 0 confirmed anchors on chain: no mismatch in what was checked, but not everything could be checked/m);
    expect(human.out).not.toContain("100% agreement");
  });

  it("exits 2 on a usage or configuration error", async () => {
    const extra = await fsck(["now"]);
    expect(extra.code).toBe(2);
    expect(extra.out).toMatch(/^fsck takes no arguments, got "now"/);
    const badUrl = await fsck([], "ftp://127.0.0.1/");
    expect(badUrl.code).toBe(2);
    expect(badUrl.out).toContain('CHAIN_RPC_URL: must be a URL (http: or https:), got "ftp://127.0.0.1/"');
  });
});
