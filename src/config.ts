// Service configuration: read from the environment once, validated with zod, and turned
// into one readable error listing every bad value. It never exits the process by itself.
import { z } from "zod";

/** Hardhat's well-known first development account: only ever used against a local chain. */
export const HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits");
const isUrl = (v: string, schemes: string[]) => {
  try {
    return schemes.includes(new URL(v).protocol);
  } catch {
    return false;
  }
};
const url = (schemes: string[]) => z.string().refine((v) => isUrl(v, schemes), `must be a URL (${schemes.join(" or ")})`);

/**
 * A comma-separated list of URLs (the first is preferred; the others are failovers). Bad
 * entries are reported in one issue on the variable itself (an array of url() would report
 * "CHAIN_RPC_URL.1", one line per entry), by position: the URLs may carry API keys.
 */
const urlList = (schemes: string[]) =>
  z
    .string()
    .transform((v) => v.split(",").map((u) => u.trim()).filter((u) => u !== ""))
    .pipe(
      z
        .array(z.string())
        .min(1, "must name at least one URL")
        .superRefine((list, ctx) => {
          const bad = list.flatMap((u, i) => (isUrl(u, schemes) ? [] : [i + 1]));
          if (bad.length === 0) return;
          const which =
            list.length === 1 ? "" : bad.length === 1 ? `; entry ${bad[0]} of ${list.length} is not` : `; entries ${bad.join(", ")} of ${list.length} are not`;
          ctx.addIssue({ code: "custom", message: `must be a URL (${schemes.join(" or ")}), or several separated by commas${which}` });
        }),
    );

/** A non-negative decimal amount of gwei, turned into wei (a bigint): "0.05", "200". */
const gwei = z
  .string()
  .regex(/^\d{1,9}(\.\d{1,9})?$/, "must be a decimal number of gwei (at most 9 decimals)")
  .transform((v) => {
    const [whole = "0", frac = ""] = v.split(".");
    return BigInt(whole) * 1_000_000_000n + BigInt(frac.padEnd(9, "0"));
  });

const percent = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, "must be a percentage such as 12.5")
  .transform(Number)
  .pipe(z.number().min(1, "must be at least 1").max(500, "must be at most 500"));

const EnvSchema = z.object({
  PORT: int(0, 65535).default(8787),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  /** PKCS#8 PEM Ed25519 key that signs receipts and reports; default DATA_DIR/signing-key.pem, generated on first start. */
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  /** One JSON-RPC URL, or several separated by commas: the others are failovers. */
  CHAIN_RPC_URL: urlList(["http:", "https:"]).optional(),
  /** The origin users reach the service at (behind a proxy); reports name it in their commands. */
  PUBLIC_URL: url(["http:", "https:"]).optional(),
  /** The language of reports made without one: zh-CN (default) or en. */
  REPORT_LANGUAGE: z.enum(["zh-CN", "en"], { error: 'must be "zh-CN" or "en"' }).default("zh-CN"),
  ANCHOR_PRIVATE_KEY: hex32.optional(),
  CONTRACT_ADDRESS: address.optional(),
  LOCAL_CHAIN_PORT: int(1, 65535).default(8545),
  BATCH_INTERVAL_MS: int(10, 3_600_000).default(1000),
  BATCH_MAX_LEAVES: int(1, 1_000_000).default(100_000),
  /** Blocks an anchor must have before a proof shows it; default by kind of chain (src/chain/kinds.ts). */
  CONFIRMATIONS: int(1, 1000).optional(),
  // Anchoring transactions (src/chain/fees.ts, src/batcher/anchor.ts).
  /** Never offer more than this per gas (EIP-1559 fee cap, or the legacy gas price). */
  MAX_FEE_PER_GAS_GWEI: gwei.prefault("200"),
  /** Never tip more than this per gas. */
  MAX_PRIORITY_FEE_GWEI: gwei.prefault("5"),
  /** A replacement offers at least this much more than the version it replaces (geth and most nodes ask 10). */
  FEE_BUMP_PERCENT: percent.prefault("12.5"),
  /** A transaction unmined this many blocks after it was sent is re-priced... */
  STUCK_AFTER_BLOCKS: int(1, 10_000).default(3),
  /** ...or this many seconds after (for chains with slow or irregular blocks; 0 = blocks only). */
  STUCK_AFTER_SECONDS: int(0, 86_400).default(120),
  /** Warn when the anchor account holds less than this many anchors' worth at current fees. */
  LOW_BALANCE_ANCHORS: int(0, 1_000_000).default(100),
  /** Most batches anchored by one transaction. */
  MAX_ROOTS_PER_TX: int(1, 256).default(64),
  /** Every chain call gives up after this long: a hung node must never stall the service. */
  CHAIN_TIMEOUT_MS: int(100, 120_000).default(5000),
  /** An endpoint this many blocks behind the best of CHAIN_RPC_URL is not used. */
  RPC_MAX_LAG_BLOCKS: int(1, 10_000).default(3),
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(3000),
  PUBLIC_RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(300),
  AUDIT_ANCHOR_INTERVAL_MS: int(1000, 86_400_000).default(600_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** json (default): one JSON object per line; pretty: readable lines for a terminal. */
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  /** This instance's name in logs, /readyz and pg_stat_activity; default hostname:pid (docs/operations.md). */
  INSTANCE_ID: z.string().regex(/^[\x21-\x7e]{1,100}$/, "must be 1 to 100 printable ASCII characters without spaces").optional(),
  /** How often a follower tries the sequencer's lock and the leader checks it still holds it; default 1000. */
  LEADER_RETRY_MS: int(50, 60_000).optional(),
  /** On PostgreSQL: how long an API key read for authentication is reused (0: read every request). */
  KEY_CACHE_MS: int(0, 60_000).default(2000),
  /** How many days of evidence each new partition holds (src/store/partitions.ts, docs/operations.md). */
  PARTITION_DAYS: int(1, 366).default(7),
  // The X.509 identity (src/pki/, docs/timestamps.md): each certificate configured as a PEM
  // chain (the certificate first) with its PEM key, or self-issued under DATA_DIR/pki's root.
  /** Document-signing certificate chain (RSA or ECDSA P-256), for PDF signatures; with SIGNING_CERT_KEY_FILE. */
  SIGNING_CERT_FILE: z.string().min(1).optional(),
  SIGNING_CERT_KEY_FILE: z.string().min(1).optional(),
  /** Time-stamping certificate chain (critical EKU timeStamping alone), for POST /v1/tsa; with TSA_KEY_FILE. */
  TSA_CERT_FILE: z.string().min(1).optional(),
  TSA_KEY_FILE: z.string().min(1).optional(),
  /** The policy OID our tokens are issued under; default DEFAULT_TSA_POLICY (src/tsa/authority.ts). */
  TSA_POLICY_OID: z.string().regex(/^[012]\.(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/, "must be a dotted OID such as 1.3.6.1.4.1.99999.1").optional(),
  /** An external RFC 3161 authority: every batch root gets a token from it (src/tsa/batch-stamper.ts). */
  TSA_URL: url(["http:", "https:"]).optional(),
  /**
   * The Authorization header sent to TSA_URL, when the authority wants one: "Basic ...", or
   * "Bearer evk_..." for another instance of this service (its POST /v1/tsa takes a tenant key).
   */
  TSA_AUTHORIZATION: z.string().regex(/^[\x21-\x7e][\x20-\x7e]*$/, "must be one line of printable ASCII (an HTTP header value)").optional(),
  // Metrics (src/metrics/metrics.ts, docs/operations.md "Metrics").
  /** A bearer token GET /metrics takes besides an admin's key: give it to the scraper, not an API key. */
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, "must be 16 to 256 printable ASCII characters without spaces (e.g. openssl rand -hex 32)")
    .optional(),
  /** A second listener (on HOST) serving only /metrics, for a scraper on a private network: no key unless METRICS_TOKEN is set. */
  METRICS_PORT: int(0, 65535).optional(),
  /** Every request to TSA_URL gives up after this long. */
  TSA_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** After a failed request to TSA_URL, the next try waits this long (doubling, up to ten times as long). */
  TSA_RETRY_MS: int(100, 3_600_000).default(30_000),
  // Webhooks (src/webhooks/, docs/webhooks.md).
  /** true: webhooks may go to http URLs and loopback/private addresses (tests, local development only). */
  WEBHOOK_ALLOW_PRIVATE: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).default("false").transform((v) => v === "true"),
  /** Waits before each retry of a failed delivery, in ms, comma-separated; default Standard Webhooks' (5 s ... 10 h, about 28 h). */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\d{1,9}(,\d{1,9}){0,29}$/, "must be 1 to 30 whole numbers of milliseconds separated by commas")
    .transform((v) => v.split(",").map(Number))
    .optional(),
  /** A delivery attempt gives up after this long (connect, send, answer). */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  /** How often the dispatcher looks for retries due and events written by another instance. */
  WEBHOOK_POLL_MS: int(50, 600_000).default(5000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Env {
  /** True when the service starts and owns its own Hardhat node. */
  localChain: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment. Throws ConfigError naming every bad variable and why. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" (a blank line in an .env file should not fail as a bad URL).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  const lines = result.success ? [] : result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  // Checked on the raw values so that it is listed together with every other bad value.
  if (cleaned.CHAIN_RPC_URL !== undefined && cleaned.ANCHOR_PRIVATE_KEY === undefined) {
    lines.push("  ANCHOR_PRIVATE_KEY: required when CHAIN_RPC_URL is set (the key that signs anchoring transactions)");
  }
  // A certificate without its key (or a key without its certificate) cannot sign anything.
  for (const [cert, key] of [
    ["SIGNING_CERT_FILE", "SIGNING_CERT_KEY_FILE"],
    ["TSA_CERT_FILE", "TSA_KEY_FILE"],
  ] as const) {
    if ((cleaned[cert] === undefined) !== (cleaned[key] === undefined)) {
      const [given, missing] = cleaned[cert] === undefined ? [key, cert] : [cert, key];
      lines.push(`  ${missing}: required when ${given} is set (a certificate and its private key go together)`);
    }
  }
  if (!result.success || lines.length > 0) {
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const cfg = result.data;
  return { ...cfg, localChain: cfg.CHAIN_RPC_URL === undefined };
}
