// The operator's CLI (`npm run admin -- <command>`): tenants, verifiers, admins and keys,
// straight on the database, for operators who have database access but no admin key (the
// first key, a lost key, a locked-out admin). Every change goes through AccessService, so
// it is checked and audit-logged exactly as through the API, with actor "cli".
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
import { dataDirHolder } from "../store/data-dir-lock.ts";
import { createDb } from "../store/db.ts";

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

options: --json   machine-readable output

The database is the service's: DATABASE_URL, or DATA_DIR's embedded database.`;

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
  let cfg;
  try {
    cfg = parseConfig(env);
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
  const database = await createDb({ url: cfg.DATABASE_URL, dataDir: cfg.DATABASE_URL ? undefined : join(dataDir, "pglite") });
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
