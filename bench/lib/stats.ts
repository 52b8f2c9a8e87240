// Small statistics and formatting helpers for the bench: medians, percentiles, rates, and
// human-readable numbers for the printed table.

/** Median of the values (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

/** 1234567 -> "1.23 M", 12345 -> "12.3 k". */
export function si(x: number, unit = ""): string {
  if (!Number.isFinite(x)) return "n/a";
  const abs = Math.abs(x);
  const [div, suffix] = abs >= 1e9 ? [1e9, " G"] : abs >= 1e6 ? [1e6, " M"] : abs >= 1e3 ? [1e3, " k"] : [1, " "];
  const v = x / div;
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${s}${suffix}${unit}`.trimEnd();
}

/** Milliseconds with sensible precision. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "n/a";
}

/** Awaits `ms` milliseconds. */
export const sleep = (delayMs: number) => new Promise<void>((r) => setTimeout(r, delayMs));
