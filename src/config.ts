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
const url = (schemes: string[]) =>
  z.string().refine((v) => {
    try {
      return schemes.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${schemes.join(" or ")})`);

const EnvSchema = z.object({
  PORT: int(0, 65535).default(8787),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  /** PKCS#8 PEM Ed25519 key that signs receipts and reports; default DATA_DIR/signing-key.pem, generated on first start. */
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  CHAIN_RPC_URL: url(["http:", "https:"]).optional(),
  /** The origin users reach the service at (behind a proxy); reports name it in their commands. */
  PUBLIC_URL: url(["http:", "https:"]).optional(),
  ANCHOR_PRIVATE_KEY: hex32.optional(),
  CONTRACT_ADDRESS: address.optional(),
  LOCAL_CHAIN_PORT: int(1, 65535).default(8545),
  BATCH_INTERVAL_MS: int(10, 3_600_000).default(1000),
  BATCH_MAX_LEAVES: int(1, 1_000_000).default(100_000),
  CONFIRMATIONS: int(1, 1000).default(1),
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(3000),
  PUBLIC_RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(300),
  AUDIT_ANCHOR_INTERVAL_MS: int(1000, 86_400_000).default(600_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
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
  if (!result.success || lines.length > 0) {
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const cfg = result.data;
  return { ...cfg, localChain: cfg.CHAIN_RPC_URL === undefined };
}
