// parseConfig: defaults, every bad value named in one ConfigError, the CHAIN_RPC_URL /
// ANCHOR_PRIVATE_KEY rule, and empty strings read as unset.
import { describe, expect, it } from "vitest";
import { ConfigError, HARDHAT_DEV_KEY, parseConfig } from "../../src/config.ts";

const KEY = "0x" + "11".repeat(32);

/** Defaults of the anchoring-transaction and endpoint variables (src/chain/fees.ts, endpoints.ts). */
const NEW_DEFAULTS = {
  LOG_FORMAT: "json",
  MAX_FEE_PER_GAS_GWEI: 200_000_000_000n,
  MAX_PRIORITY_FEE_GWEI: 5_000_000_000n,
  FEE_BUMP_PERCENT: 12.5,
  STUCK_AFTER_BLOCKS: 3,
  STUCK_AFTER_SECONDS: 120,
  LOW_BALANCE_ANCHORS: 100,
  MAX_ROOTS_PER_TX: 64,
  CHAIN_TIMEOUT_MS: 5000,
  RPC_MAX_LAG_BLOCKS: 3,
  KEY_CACHE_MS: 2000,
  PARTITION_DAYS: 7,
  TSA_TIMEOUT_MS: 10_000,
  REPORT_LANGUAGE: "zh-CN",
  TSA_RETRY_MS: 30_000,
  WEBHOOK_ALLOW_PRIVATE: false,
  WEBHOOK_TIMEOUT_MS: 10_000,
  WEBHOOK_POLL_MS: 5000,
};

/** The ConfigError parseConfig throws for `env` (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe("ConfigError");
    return err as ConfigError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe("parseConfig", () => {
  it("gives the documented defaults for an empty environment (local chain mode)", () => {
    expect(parseConfig({})).toEqual({
      PORT: 8787,
      HOST: "0.0.0.0",
      DATA_DIR: "./data",
      LOCAL_CHAIN_PORT: 8545,
      BATCH_INTERVAL_MS: 1000,
      BATCH_MAX_LEAVES: 100_000,
      // CONFIRMATIONS is optional now: the default depends on the chain (src/chain/kinds.ts).
      ...NEW_DEFAULTS,
      RATE_LIMIT_PER_MINUTE: 3000,
      PUBLIC_RATE_LIMIT_PER_MINUTE: 300,
      AUDIT_ANCHOR_INTERVAL_MS: 600_000,
      LOG_LEVEL: "info",
      localChain: true,
    });
  });

  it("parses every variable it is given", () => {
    const cfg = parseConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: "/var/lib/evidence",
      DATABASE_URL: "postgresql://u:p@db:5432/evidence",
      CHAIN_RPC_URL: "https://rpc.example.org/v1",
      ANCHOR_PRIVATE_KEY: KEY,
      CONTRACT_ADDRESS: "0x" + "Ab".repeat(20),
      LOCAL_CHAIN_PORT: "65535",
      BATCH_INTERVAL_MS: "10",
      BATCH_MAX_LEAVES: "1000000",
      CONFIRMATIONS: "12",
      RATE_LIMIT_PER_MINUTE: "0",
      PUBLIC_RATE_LIMIT_PER_MINUTE: "10000000",
      AUDIT_ANCHOR_INTERVAL_MS: "1000",
      LOG_LEVEL: "debug",
    });
    expect(cfg).toEqual({
      PORT: 0,
      HOST: "127.0.0.1",
      DATA_DIR: "/var/lib/evidence",
      DATABASE_URL: "postgresql://u:p@db:5432/evidence",
      CHAIN_RPC_URL: ["https://rpc.example.org/v1"], // a list now (several endpoints)
      ANCHOR_PRIVATE_KEY: KEY,
      CONTRACT_ADDRESS: "0x" + "Ab".repeat(20),
      LOCAL_CHAIN_PORT: 65535,
      BATCH_INTERVAL_MS: 10,
      BATCH_MAX_LEAVES: 1_000_000,
      CONFIRMATIONS: 12,
      RATE_LIMIT_PER_MINUTE: 0,
      PUBLIC_RATE_LIMIT_PER_MINUTE: 10_000_000,
      AUDIT_ANCHOR_INTERVAL_MS: 1000,
      LOG_LEVEL: "debug",
      ...NEW_DEFAULTS,
      localChain: false,
    });
  });

  it("takes REPORT_LANGUAGE=en: reports in English unless a request asks for Chinese", () => {
    expect(parseConfig({ REPORT_LANGUAGE: "en" }).REPORT_LANGUAGE).toBe("en");
  });

  it("reads the webhook settings: WEBHOOK_ALLOW_PRIVATE true/false only, a retry schedule as a list of ms", () => {
    const cfg = parseConfig({ WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SCHEDULE_MS: "10,20,30000", WEBHOOK_TIMEOUT_MS: "500", WEBHOOK_POLL_MS: "50" });
    expect(cfg).toMatchObject({ WEBHOOK_ALLOW_PRIVATE: true, WEBHOOK_RETRY_SCHEDULE_MS: [10, 20, 30_000], WEBHOOK_TIMEOUT_MS: 500, WEBHOOK_POLL_MS: 50 });
    expect(parseConfig({}).WEBHOOK_RETRY_SCHEDULE_MS).toBeUndefined(); // the Standard Webhooks schedule
    const err = configError({ WEBHOOK_ALLOW_PRIVATE: "yes", WEBHOOK_RETRY_SCHEDULE_MS: "5s,10s", WEBHOOK_TIMEOUT_MS: "0" });
    expect(err.message).toContain("WEBHOOK_ALLOW_PRIVATE: must be \"true\" or \"false\"");
    expect(err.message).toContain("WEBHOOK_RETRY_SCHEDULE_MS: must be 1 to 30 whole numbers of milliseconds");
    expect(err.message).toContain("WEBHOOK_TIMEOUT_MS: must be at least 100");
  });

  it("takes KEY_CACHE_MS=0: keys read on every request", () => {
    expect(parseConfig({ KEY_CACHE_MS: "0" }).KEY_CACHE_MS).toBe(0);
  });

  it("accepts postgres: as well as postgresql:, and http: chains", () => {
    expect(parseConfig({ DATABASE_URL: "postgres://postgres@127.0.0.1:54329/x" }).DATABASE_URL).toBe("postgres://postgres@127.0.0.1:54329/x");
    const cfg = parseConfig({ CHAIN_RPC_URL: "http://127.0.0.1:8545", ANCHOR_PRIVATE_KEY: HARDHAT_DEV_KEY });
    expect(cfg.localChain).toBe(false);
    expect(cfg.ANCHOR_PRIVATE_KEY).toBe(HARDHAT_DEV_KEY);
  });

  const bad: [name: string, value: string, reason: RegExp][] = [
    ["PORT", "abc", /whole number/],
    ["PORT", "70000", /at most 65535/],
    ["PORT", "-1", /whole number/],
    ["PORT", "80.5", /whole number/],
    ["PORT", " 80", /whole number/],
    ["PORT", "1e3", /whole number/],
    ["DATABASE_URL", "mysql://x", /postgres/],
    ["DATABASE_URL", "not a url", /postgres/],
    ["CHAIN_RPC_URL", "ftp://x", /http/],
    ["CHAIN_RPC_URL", "ws://127.0.0.1:8545", /http/],
    ["ANCHOR_PRIVATE_KEY", "0x1234", /64 hex digits/],
    ["ANCHOR_PRIVATE_KEY", "11".repeat(32), /64 hex digits/],
    ["KEY_CACHE_MS", "60001", /at most 60000/],
    ["KEY_CACHE_MS", "-1", /whole number/],
    ["CONTRACT_ADDRESS", "0x1234", /40 hex digits/],
    ["CONTRACT_ADDRESS", "0x" + "zz".repeat(20), /40 hex digits/],
    ["LOCAL_CHAIN_PORT", "0", /at least 1/],
    ["BATCH_INTERVAL_MS", "0", /at least 10/],
    ["BATCH_INTERVAL_MS", "3600001", /at most 3600000/],
    ["BATCH_MAX_LEAVES", "0", /at least 1/],
    ["CONFIRMATIONS", "0", /at least 1/],
    ["CONFIRMATIONS", "1001", /at most 1000/],
    ["RATE_LIMIT_PER_MINUTE", "-5", /whole number/],
    ["PUBLIC_RATE_LIMIT_PER_MINUTE", "10000001", /at most 10000000/],
    ["AUDIT_ANCHOR_INTERVAL_MS", "999", /at least 1000/],
    ["LOG_LEVEL", "loud", /debug|info|warn|error/],
    ["LOG_LEVEL", "INFO", /debug|info|warn|error/],
    ["REPORT_LANGUAGE", "zh", /"zh-CN" or "en"/],
    ["REPORT_LANGUAGE", "en-US", /"zh-CN" or "en"/],
  ];
  for (const [name, value, reason] of bad) {
    it(`${name}=${JSON.stringify(value.length > 20 ? value.slice(0, 20) + "…" : value)} is a ConfigError naming ${name}`, () => {
      // The chain variables need their partner so that only the bad value is wrong.
      const env: Record<string, string> = { [name]: value };
      if (name === "CHAIN_RPC_URL") env.ANCHOR_PRIVATE_KEY = KEY;
      const err = configError(env);
      const line = err.message.split("\n").find((l) => l.trim().startsWith(`${name}:`));
      expect(line, err.message).toBeDefined();
      expect(line).toMatch(reason);
      // Only that variable is reported.
      expect(err.message.split("\n").filter((l) => l.startsWith("  "))).toHaveLength(1);
    });
  }

  it("lists every bad value together, one line each", () => {
    const err = configError({
      PORT: "abc",
      DATABASE_URL: "mysql://x",
      CHAIN_RPC_URL: "ftp://x",
      ANCHOR_PRIVATE_KEY: "0x12",
      CONTRACT_ADDRESS: "0xbad",
      BATCH_INTERVAL_MS: "0",
      CONFIRMATIONS: "0",
      LOG_LEVEL: "loud",
      HOST: "ok-host",
    });
    const lines = err.message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    const named = lines.slice(1).map((l) => l.trim().split(":")[0]);
    expect(named.sort()).toEqual(
      ["ANCHOR_PRIVATE_KEY", "BATCH_INTERVAL_MS", "CHAIN_RPC_URL", "CONFIRMATIONS", "CONTRACT_ADDRESS", "DATABASE_URL", "LOG_LEVEL", "PORT"].sort(),
    );
    expect(err.message).not.toMatch(/HOST/);
  });

  it("requires ANCHOR_PRIVATE_KEY when CHAIN_RPC_URL is set", () => {
    const err = configError({ CHAIN_RPC_URL: "https://rpc.example.org" });
    expect(err.message).toMatch(/ANCHOR_PRIVATE_KEY: required when CHAIN_RPC_URL is set/);
    expect(configError({ CHAIN_RPC_URL: "https://rpc.example.org", ANCHOR_PRIVATE_KEY: "" }).message).toMatch(/ANCHOR_PRIVATE_KEY: required/);
  });

  it("lists the missing ANCHOR_PRIVATE_KEY together with other bad values", () => {
    const err = configError({ PORT: "abc", CHAIN_RPC_URL: "https://rpc.example.org", LOG_LEVEL: "loud" });
    const named = err.message.split("\n").slice(1).map((l) => l.trim().split(":")[0]);
    expect(named.sort()).toEqual(["ANCHOR_PRIVATE_KEY", "LOG_LEVEL", "PORT"]);
  });

  it("does not need ANCHOR_PRIVATE_KEY for the local chain", () => {
    expect(parseConfig({ ANCHOR_PRIVATE_KEY: undefined }).localChain).toBe(true);
  });

  it("never echoes a secret value in its message", () => {
    const secret = "0x" + "5e".repeat(31); // 31 bytes: wrong length
    const err = configError({ ANCHOR_PRIVATE_KEY: secret, DATABASE_URL: "mysql://user:hunter2@db/x" });
    expect(err.message).not.toContain(secret);
    expect(err.message).not.toContain("hunter2");
  });

  it("reads empty strings as unset: defaults apply and optional values stay absent", () => {
    const cfg = parseConfig({
      PORT: "",
      HOST: "",
      DATA_DIR: "",
      DATABASE_URL: "",
      CHAIN_RPC_URL: "",
      ANCHOR_PRIVATE_KEY: "",
      CONTRACT_ADDRESS: "",
      LOCAL_CHAIN_PORT: "",
      BATCH_INTERVAL_MS: "",
      BATCH_MAX_LEAVES: "",
      CONFIRMATIONS: "",
      RATE_LIMIT_PER_MINUTE: "",
      LOG_LEVEL: "",
    });
    expect(cfg).toEqual(parseConfig({}));
    expect("DATABASE_URL" in cfg).toBe(false);
    expect(cfg.localChain).toBe(true);
  });

  it("ignores variables it does not know (the whole process environment is passed in)", () => {
    expect(parseConfig({ PATH: "/usr/bin", HOME: "/root", npm_config_x: "y" })).toEqual(parseConfig({}));
  });
});

describe("parseConfig: anchoring transactions and endpoints", () => {
  /** The one line of `err` that names `name` (fails the test if there is none). */
  const lineOf = (err: ConfigError, name: string) => {
    const line = err.message.split("\n").find((l) => l.trim().startsWith(`${name}:`));
    expect(line, err.message).toBeDefined();
    return line!;
  };

  it("leaves CONFIRMATIONS unset when not given: the kind of chain decides (src/chain/kinds.ts)", () => {
    expect("CONFIRMATIONS" in parseConfig({})).toBe(false);
    expect("CONFIRMATIONS" in parseConfig({ CONFIRMATIONS: "" })).toBe(false);
    expect(parseConfig({ CONFIRMATIONS: "1" }).CONFIRMATIONS).toBe(1);
    expect(parseConfig({ CONFIRMATIONS: "1000" }).CONFIRMATIONS).toBe(1000);
  });

  it("reads CHAIN_RPC_URL as a comma-separated list, in order, ignoring spaces and empty entries", () => {
    const env = { ANCHOR_PRIVATE_KEY: KEY };
    expect(parseConfig({ ...env, CHAIN_RPC_URL: "http://127.0.0.1:8545" }).CHAIN_RPC_URL).toEqual(["http://127.0.0.1:8545"]);
    expect(parseConfig({ ...env, CHAIN_RPC_URL: "https://a.example/v1/key, http://10.0.0.2:8545 ,,https://c.example," }).CHAIN_RPC_URL).toEqual([
      "https://a.example/v1/key",
      "http://10.0.0.2:8545",
      "https://c.example",
    ]);
    expect(parseConfig({ ...env, CHAIN_RPC_URL: "http://a:1,http://b:2" }).localChain).toBe(false);
  });

  it("names CHAIN_RPC_URL once, and which entry is bad, when an entry of the list is not an http(s) URL", () => {
    const err = configError({ CHAIN_RPC_URL: "https://a.example,ftp://b.example, ws://c.example", ANCHOR_PRIVATE_KEY: KEY });
    const lines = err.message.split("\n").filter((l) => l.startsWith("  "));
    expect(lines).toHaveLength(1);
    expect(lineOf(err, "CHAIN_RPC_URL")).toMatch(/must be a URL \(http: or https:\)/);
    expect(lineOf(err, "CHAIN_RPC_URL")).toMatch(/entries 2, 3 of 3 are not$/);
    expect(lineOf(configError({ CHAIN_RPC_URL: "https://a.example,ftp://b.example", ANCHOR_PRIVATE_KEY: KEY }), "CHAIN_RPC_URL")).toMatch(
      /entry 2 of 2 is not$/,
    );
  });

  it("never echoes a CHAIN_RPC_URL (provider URLs carry API keys) in its message", () => {
    const err = configError({ CHAIN_RPC_URL: "https://mainnet.example/v3/s3cr3tk3y,not a url", ANCHOR_PRIVATE_KEY: KEY });
    expect(err.message).not.toContain("s3cr3tk3y");
    expect(err.message).not.toContain("not a url");
  });

  it("refuses a CHAIN_RPC_URL list without any URL", () => {
    expect(lineOf(configError({ CHAIN_RPC_URL: " , ,", ANCHOR_PRIVATE_KEY: KEY }), "CHAIN_RPC_URL")).toMatch(/at least one URL/);
  });

  it.each([
    ["0.05", 50_000_000n],
    ["200", 200_000_000_000n],
    ["0", 0n],
    ["1.5", 1_500_000_000n],
    ["0.000000001", 1n],
    ["007", 7_000_000_000n],
    ["999999999.999999999", 999_999_999_999_999_999n],
  ])("reads the gwei amount %s as %s wei, for both fee ceilings", (text, wei) => {
    const cfg = parseConfig({ MAX_FEE_PER_GAS_GWEI: text, MAX_PRIORITY_FEE_GWEI: text });
    expect(cfg.MAX_FEE_PER_GAS_GWEI).toBe(wei);
    expect(cfg.MAX_PRIORITY_FEE_GWEI).toBe(wei);
  });

  it("parses every new variable it is given", () => {
    const cfg = parseConfig({
      FEE_BUMP_PERCENT: "10",
      STUCK_AFTER_BLOCKS: "10000",
      STUCK_AFTER_SECONDS: "0",
      LOW_BALANCE_ANCHORS: "0",
      MAX_ROOTS_PER_TX: "256",
      CHAIN_TIMEOUT_MS: "100",
      RPC_MAX_LAG_BLOCKS: "1",
    });
    expect(cfg).toMatchObject({
      FEE_BUMP_PERCENT: 10,
      STUCK_AFTER_BLOCKS: 10_000,
      STUCK_AFTER_SECONDS: 0,
      LOW_BALANCE_ANCHORS: 0,
      MAX_ROOTS_PER_TX: 256,
      CHAIN_TIMEOUT_MS: 100,
      RPC_MAX_LAG_BLOCKS: 1,
    });
    expect(parseConfig({ FEE_BUMP_PERCENT: "12.5" }).FEE_BUMP_PERCENT).toBe(12.5);
    expect(parseConfig({ FEE_BUMP_PERCENT: "1" }).FEE_BUMP_PERCENT).toBe(1);
    expect(parseConfig({ FEE_BUMP_PERCENT: "500" }).FEE_BUMP_PERCENT).toBe(500);
    expect(parseConfig({ STUCK_AFTER_SECONDS: "86400", CHAIN_TIMEOUT_MS: "120000" })).toMatchObject({ STUCK_AFTER_SECONDS: 86_400, CHAIN_TIMEOUT_MS: 120_000 });
  });

  const bad: [name: string, value: string, reason: RegExp][] = [
    ...["abc", "-1", "1e9", ".5", "5.", "1,5", "0x10", " 5", "0.0000000001", "1000000000"].flatMap((v): [string, string, RegExp][] => [
      ["MAX_FEE_PER_GAS_GWEI", v, /decimal number of gwei/],
      ["MAX_PRIORITY_FEE_GWEI", v, /decimal number of gwei/],
    ]),
    ["FEE_BUMP_PERCENT", "0.5", /at least 1/],
    ["FEE_BUMP_PERCENT", "501", /at most 500/],
    ["FEE_BUMP_PERCENT", "12.345", /percentage/],
    ["FEE_BUMP_PERCENT", "-5", /percentage/],
    ["FEE_BUMP_PERCENT", "ten", /percentage/],
    ["STUCK_AFTER_BLOCKS", "0", /at least 1/],
    ["STUCK_AFTER_BLOCKS", "10001", /at most 10000/],
    ["STUCK_AFTER_SECONDS", "86401", /at most 86400/],
    ["STUCK_AFTER_SECONDS", "1.5", /whole number/],
    ["LOW_BALANCE_ANCHORS", "-1", /whole number/],
    ["MAX_ROOTS_PER_TX", "0", /at least 1/],
    ["MAX_ROOTS_PER_TX", "257", /at most 256/],
    ["CHAIN_TIMEOUT_MS", "99", /at least 100/],
    ["CHAIN_TIMEOUT_MS", "120001", /at most 120000/],
    ["RPC_MAX_LAG_BLOCKS", "0", /at least 1/],
    ["RPC_MAX_LAG_BLOCKS", "10001", /at most 10000/],
  ];
  for (const [name, value, reason] of bad) {
    it(`${name}=${JSON.stringify(value)} is a ConfigError naming ${name}`, () => {
      const err = configError({ [name]: value });
      expect(lineOf(err, name)).toMatch(reason);
      expect(err.message.split("\n").filter((l) => l.startsWith("  "))).toHaveLength(1);
    });
  }

  it("lists bad new values together with the old ones", () => {
    const err = configError({ PORT: "abc", MAX_FEE_PER_GAS_GWEI: "lots", FEE_BUMP_PERCENT: "0", CHAIN_RPC_URL: "ftp://x", ANCHOR_PRIVATE_KEY: KEY });
    const named = err.message.split("\n").slice(1).map((l) => l.trim().split(":")[0]);
    expect(named.sort()).toEqual(["CHAIN_RPC_URL", "FEE_BUMP_PERCENT", "MAX_FEE_PER_GAS_GWEI", "PORT"]);
  });
});

describe("parseConfig: the X.509 identity and time-stamps", () => {
  it("parses the certificate files, the policy and the external authority", () => {
    const cfg = parseConfig({
      SIGNING_CERT_FILE: "/etc/evidence/doc.pem",
      SIGNING_CERT_KEY_FILE: "/etc/evidence/doc-key.pem",
      TSA_CERT_FILE: "/etc/evidence/tsa.pem",
      TSA_KEY_FILE: "/etc/evidence/tsa-key.pem",
      TSA_POLICY_OID: "1.3.6.1.4.1.99999.1",
      TSA_URL: "https://tsa.example.org/tsr",
      TSA_AUTHORIZATION: "Bearer evk_abc_def",
      TSA_TIMEOUT_MS: "2500",
      TSA_RETRY_MS: "1000",
    });
    expect(cfg).toMatchObject({
      SIGNING_CERT_FILE: "/etc/evidence/doc.pem",
      SIGNING_CERT_KEY_FILE: "/etc/evidence/doc-key.pem",
      TSA_CERT_FILE: "/etc/evidence/tsa.pem",
      TSA_KEY_FILE: "/etc/evidence/tsa-key.pem",
      TSA_POLICY_OID: "1.3.6.1.4.1.99999.1",
      TSA_URL: "https://tsa.example.org/tsr",
      TSA_AUTHORIZATION: "Bearer evk_abc_def",
      TSA_TIMEOUT_MS: 2500,
      TSA_RETRY_MS: 1000,
    });
  });

  it.each([
    [{ TSA_CERT_FILE: "/x/tsa.pem" }, "TSA_KEY_FILE", /required when TSA_CERT_FILE is set/],
    [{ TSA_KEY_FILE: "/x/tsa-key.pem" }, "TSA_CERT_FILE", /required when TSA_KEY_FILE is set/],
    [{ SIGNING_CERT_FILE: "/x/doc.pem" }, "SIGNING_CERT_KEY_FILE", /required when SIGNING_CERT_FILE is set/],
    [{ SIGNING_CERT_KEY_FILE: "/x/doc-key.pem" }, "SIGNING_CERT_FILE", /required when SIGNING_CERT_KEY_FILE is set/],
    [{ TSA_POLICY_OID: "1.2.x" }, "TSA_POLICY_OID", /dotted OID/],
    [{ TSA_POLICY_OID: "3.1.2" }, "TSA_POLICY_OID", /dotted OID/],
    [{ TSA_POLICY_OID: "1" }, "TSA_POLICY_OID", /dotted OID/],
    [{ TSA_URL: "ftp://tsa.example.org" }, "TSA_URL", /must be a URL \(http: or https:\)/],
    [{ TSA_TIMEOUT_MS: "50" }, "TSA_TIMEOUT_MS", /at least 100/],
    [{ TSA_AUTHORIZATION: "Bearer a\nb" }, "TSA_AUTHORIZATION", /one line of printable ASCII/],
    [{ TSA_RETRY_MS: "3600001" }, "TSA_RETRY_MS", /at most 3600000/],
  ] as const)("%j is a ConfigError naming %s", (env, name, reason) => {
    const err = configError(env);
    const lines = err.message.split("\n").filter((l) => l.startsWith("  "));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.trim().startsWith(`${name}:`)).toBe(true);
    expect(lines[0]).toMatch(reason);
  });

  it("never echoes TSA_AUTHORIZATION (it holds a credential) in its message", () => {
    const err = configError({ TSA_AUTHORIZATION: "Bearer secret-value\u0001" });
    expect(err.message).not.toContain("secret-value");
  });

  it("lists a missing key file together with other bad values", () => {
    const err = configError({ TSA_CERT_FILE: "/x/tsa.pem", PORT: "abc" });
    const named = err.message.split("\n").slice(1).map((l) => l.trim().split(":")[0]);
    expect(named.sort()).toEqual(["PORT", "TSA_KEY_FILE"]);
  });
});
