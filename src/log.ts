// A small structured logger: one JSON object per line on stderr (or one readable line, for a
// terminal: LOG_FORMAT=pretty), filtered by level.
// Callers pass fields, never secrets; nothing here inspects or redacts values.
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** json: one JSON object per line (for log collectors); pretty: one readable line, for a terminal. */
export type LogFormat = "json" | "pretty";

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
  format: LogFormat = "json",
): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const t = new Date().toISOString();
    write(format === "json" ? JSON.stringify({ t, level: lvl, msg, ...fields }) : prettyLine(t, lvl, msg, fields));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** `21:04:05.123 INFO  request requestId=… status=202`: strings bare unless they hold spaces or quotes. */
function prettyLine(t: string, lvl: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
  return [t.slice(11, 23), lvl.toUpperCase().padEnd(5), msg, ...parts].join(" ");
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
