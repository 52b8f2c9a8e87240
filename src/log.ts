// A small structured logger: one JSON object per line on stderr, filtered by level.
// Callers pass fields, never secrets; nothing here inspects or redacts values.
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => process.stderr.write(l + "\n")): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** For tests and tools that want silence. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What of an error goes into a log line. Drizzle's "Failed query: … params: …" messages carry
 * the query parameters (salts, digests, meta), which must stay out of logs: for those only
 * the database's own error (the cause) is kept.
 */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  if (err.message.startsWith("Failed query") && err.cause instanceof Error) {
    const code = (err.cause as { code?: unknown }).code;
    return { error: `database error: ${err.cause.message}`, errorName: err.cause.name, ...(code ? { code } : {}) };
  }
  return { error: err.message, errorName: err.name };
}
