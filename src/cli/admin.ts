// The operator's CLI (`npm run admin -- <command>`): tenants, verifiers, admins and keys,
// straight on the database, for operators who have database access but no admin key (the
// first key, a lost key, a locked-out admin). Every change goes through AccessService, so
// it is checked and audit-logged exactly as through the API, with actor "cli". And `fsck`,
// the consistency check of the stored batches against themselves and the chain.
//
// With the embedded database (no DATABASE_URL) only one process may open the data
// directory: the CLI refuses while the service runs there.
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError, parseConfig } from "../config.ts";
import { ServiceError } from "../errors.ts";
import { silentLogger } from "../log.ts";
import { AccessService, PRINCIPAL_ID_RE, type Actor } from "../services/access.ts";
import { contractFor, runFsck, type FsckFinding, type FsckReport, type LogReader } from "../services/fsck.ts";
import { dataDirHolder } from "../store/data-dir-lock.ts";
import { createDb, type Database } from "../store/db.ts";
import { jsonRpcReader, RpcError, type ChainReader } from "../verify/rpc.ts";

const USAGE = `usage: npm run admin -- <command> [options]

  tenant create <id> --name <name>      create a tenant (a platform)
  verifier create <id> --name <name>    create a verifier (a court, a notary)
  admin create <id> --name <name>       create another admin
  tenant|verifier|admin list            list them
  tenant|verifier|admin disable <id>    disable one: its keys stop working at once
  key create <principal-id> [--label <text>] [--expires <RFC 3339 time>]
                                        create an API key (printed once, never stored)
  key list [<principal-id>]             list keys (ids and status, never secrets)
  key revoke <key-id>                   revoke a key: effective at once
  fsck                                  check every batch, anchor and the contract's hash chain
                                        (exit 0 all agree, 1 mismatch, 3 could not check it all)

options: --json   machine-readable output

The database is the service's: DATABASE_URL, or DATA_DIR's embedded database. fsck reads
the chain at CHAIN_RPC_URL (the first of the list that answers) or the local chain on
LOCAL_CHAIN_PORT, and the contract CONTRACT_ADDRESS or the newest one deployed there.`;

/** fsck's exit status when part of the check could not run (chain or database unreachable). */
export const FSCK_INCOMPLETE = 3;

const ACTOR: Actor = { id: "cli" };

class UsageError extends Error {}

export async function runAdmin(argv: string[], env: Record<string, string | undefined>, out: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: "string" },
        label: { type: "string" },
        expires: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    out(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  const fsck = positionals[0] === "fsck";
  if (fsck && positionals.length > 1) {
    // Before the database is opened: a mistyped command should fail fast and touch nothing.
    out(`fsck takes no arguments, got "${positionals[1]}"\n\n${USAGE}`);
    return 2;
  }
  let cfg;
  let chainUrls: string[] = [];
  try {
    // fsck only reads the chain, so CHAIN_RPC_URL is taken apart here: parseConfig would
    // also demand the anchoring key that goes with it.
    cfg = parseConfig(fsck ? { ...env, CHAIN_RPC_URL: undefined } : env);
    if (fsck) chainUrls = parseChainUrls(env.CHAIN_RPC_URL) ?? [`http://127.0.0.1:${cfg.LOCAL_CHAIN_PORT}`];
  } catch (err) {
    if (err instanceof ConfigError) {
      out(err.message);
      return 2;
    }
    throw err;
  }
  const dataDir = resolve(cfg.DATA_DIR);
  if (!cfg.DATABASE_URL) {
    const running = dataDirHolder(dataDir);
    if (running !== undefined) {
      out(`the service (pid ${running}) has the embedded database in ${dataDir} open; stop it first, or use the HTTP API with an admin key`);
      return 2;
    }
  }
  let database: Database;
  try {
    database = await createDb({ url: cfg.DATABASE_URL, dataDir: cfg.DATABASE_URL ? undefined : join(dataDir, "pglite") });
  } catch (err) {
    // A database that cannot be opened is no finding about its contents.
    if (!fsck) throw err;
    const reason = `the database could not be opened: ${err instanceof Error ? err.message : String(err)}`;
    out(values.json ? JSON.stringify({ outcome: "incomplete", unchecked: [reason] }, null, 2) : `could not check: ${reason}`);
    return FSCK_INCOMPLETE;
  }
  const access = new AccessService({ db: database.db, log: silentLogger });
  const print = (human: string, data: unknown) => out(values.json ? JSON.stringify(data, null, 2) : human);
  try {
    const [noun, verb, arg] = positionals;
    const kinds = { tenant: "tenant", verifier: "verifier", admin: "admin" } as const;
    if (noun !== undefined && noun in kinds) {
      const kind = kinds[noun as keyof typeof kinds];
      if (verb === "create") {
        const id = need(arg, "an id");
        if (!PRINCIPAL_ID_RE.test(id)) throw new UsageError(`"${id}" is not a valid id: 1-64 lowercase letters, digits, '.', '_' or '-'`);
        const name = need(values.name, "--name");
        const p = await access.createPrincipal(ACTOR, kind, { id, name });
        print(`created ${kind} ${p.id} (${p.name})`, p);
      } else if (verb === "list") {
        const items = [];
        let after: string | undefined;
        do {
          const page = await access.listPrincipals(kind, after, 1000);
          items.push(...page.items);
          after = page.next ?? undefined;
        } while (after !== undefined);
        print(items.map((p) => `${p.id}\t${p.status}\t${p.createdAt}\t${p.name}`).join("\n") || `no ${kind}s`, items);
      } else if (verb === "disable") {
        const p = await access.disablePrincipal(ACTOR, kind, need(arg, "an id"));
        print(`${kind} ${p.id} is ${p.status}`, p);
      } else {
        throw new UsageError(`unknown command: ${noun} ${verb ?? ""}`);
      }
    } else if (noun === "key") {
      if (verb === "create") {
        const principalId = need(arg, "a principal id");
        let expiresAt: Date | undefined;
        if (values.expires !== undefined) {
          expiresAt = new Date(values.expires);
          if (Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires: "${values.expires}" is not a date-time`);
        }
        const k = await access.createKey(ACTOR, { principalId, label: values.label, expiresAt });
        print(
          [
            `created key ${k.id} for ${k.principalId}${k.expiresAt ? ` (expires ${k.expiresAt})` : ""}`,
            `  ${k.key}`,
            "this is the only time the key is shown: hand it over now, over a channel you trust",
          ].join("\n"),
          k,
        );
      } else if (verb === "list") {
        const items = [];
        let after: string | undefined;
        do {
          const page = await access.listKeys(arg, after, 1000);
          items.push(...page.items);
          after = page.next ?? undefined;
        } while (after !== undefined);
        print(
          items.map((k) => `${k.id}\t${k.principalId}\t${k.status}\tlast used ${k.lastUsedAt ?? "never"}\t${k.label ?? ""}`).join("\n") || "no keys",
          items,
        );
      } else if (verb === "revoke") {
        const k = await access.revokeKey(ACTOR, need(arg, "a key id"));
        print(`key ${k.id} of ${k.principalId} is ${k.status}`, k);
      } else {
        throw new UsageError(`unknown command: key ${verb ?? ""}`);
      }
    } else if (fsck) {
      return await fsckCommand(database, chainUrls, cfg.CONTRACT_ADDRESS, values.json, out);
    } else {
      throw new UsageError(`unknown command: ${noun}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      out(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ServiceError) {
      const fields = err.errors?.map((e) => `${e.field}: ${e.reason}`).join("; ");
      out(`${err.message}${fields && !err.message.includes(fields) ? ` (${fields})` : ""}`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

/** CHAIN_RPC_URL as a comma-separated list of http(s) URLs; undefined when unset. */
function parseChainUrls(raw: string | undefined): string[] | undefined {
  const urls = (raw ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (urls.length === 0) return undefined;
  for (const u of urls) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(u).protocol);
    } catch {
      // not a URL at all
    }
    if (!ok) throw new ConfigError(`invalid configuration:\n  CHAIN_RPC_URL: must be a URL (http: or https:), got "${u}"`);
  }
  return urls;
}

/** A chain that could not be reached: every read fails with the error that showed it. */
function unreachable(err: RpcError): ChainReader {
  const fail = () => Promise.reject(err);
  return { chainId: fail, blockNumber: fail, getTransaction: fail, getTransactionReceipt: fail, getBlock: fail, call: fail };
}

async function fsckCommand(
  database: Database,
  urls: string[],
  configuredContract: string | undefined,
  json: boolean,
  out: (s: string) => void,
): Promise<number> {
  // The first endpoint that answers; failing that, the chain part of the check is reported
  // as not done, and the database is still checked.
  let chain: ChainReader | null = null;
  let logs: LogReader | undefined;
  let chainUrl = urls[0]!;
  let chainId: number | null = null;
  const failures: string[] = [];
  for (const url of urls) {
    const reader = jsonRpcReader(url);
    try {
      chainId = await reader.chainId();
      chain = reader;
      // The contract's Anchored logs are its list of roots: the hash chain is replayed from them.
      logs = reader;
      chainUrl = url;
      break;
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      failures.push(`${url}: ${err.message}`);
    }
  }
  chain ??= unreachable(new RpcError("eth_chainId", `no endpoint answered (${failures.join("; ")})`));
  const contract = await contractFor(database.db, chainId, configuredContract);

  if (!json) {
    out(
      `fsck: database ${database.kind}; chain ${chainUrl} (${chainId === null ? "not reachable" : `chain id ${chainId}`}); ` +
        `contract ${contract ? `${contract.address} (from ${contract.source})` : "none known"}`,
    );
  }
  const onFinding = json
    ? undefined
    : (f: FsckFinding, kind: "mismatch" | "note") => out(`${kind === "mismatch" ? "MISMATCH" : "note"} [${f.check}] ${f.message}`);
  const report = await runFsck({ db: database.db, chain, contract: contract?.address ?? null, ...(logs ? { logs } : {}) }, { onFinding });
  const code = report.outcome === "clean" ? 0 : report.outcome === "mismatch" ? 1 : FSCK_INCOMPLETE;
  if (json) {
    out(JSON.stringify({ database: database.kind, chainUrl, contractSource: contract?.source ?? null, ...report }, null, 2));
  } else {
    for (const reason of report.unchecked) out(`could not check: ${reason}`);
    out(summary(report));
  }
  return code;
}

function summary(r: FsckReport): string {
  const c = r.counts;
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const chain = c.chainRoots === null ? "" : `, and the hash chain over the contract's ${n(c.chainRoots, "root")}`;
  const checked = `checked ${n(c.batches, "batch", "batches")}, ${n(c.leaves, "leaf", "leaves")}, ${n(c.anchors, "confirmed anchor")} on chain${chain}`;
  const notes = c.notes > 0 ? ` (${n(c.notes, "note")})` : "";
  if (r.outcome === "clean") return `${checked}: 100% agreement${notes}`;
  if (r.outcome === "incomplete") {
    return `${checked}: no mismatch in what was checked, but not everything could be checked (see "could not check" above)${notes}`;
  }
  const byCheck = Object.entries(r.mismatchesByCheck).map(([k, n]) => `${k} ${n}`).join(", ");
  return `${checked}: ${c.mismatches} mismatch${c.mismatches === 1 ? "" : "es"} (${byCheck})${notes}`;
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAdmin(process.argv.slice(2), process.env, (s) => process.stdout.write(s + "\n")).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
