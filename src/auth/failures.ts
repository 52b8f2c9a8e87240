// Failed authentications per client address, in fixed one-minute windows. A burst (many
// failures from one address in a window) is written to the audit log once per window, and
// an address past the hard limit is told to back off (429) before its keys are even looked
// up. In memory: a restart forgets the counts, which costs an attacker nothing it could
// not get by waiting a minute.

export interface FailureVerdict {
  /** Failures from this address in the current window, this one included. */
  count: number;
  /** True exactly once per window: when the count reaches the burst threshold. */
  burst: boolean;
}

export interface FailureTrackerOptions {
  windowMs?: number;
  /** Failures in one window that make a burst worth an audit entry. */
  burstThreshold?: number;
  /** Failures in one window after which the address gets 429 until the window ends. */
  blockThreshold?: number;
  now?: () => number;
}

interface Window {
  start: number;
  count: number;
  keyIds: Set<string>;
}

export class FailureTracker {
  readonly windowMs: number;
  readonly burstThreshold: number;
  readonly blockThreshold: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(opts: FailureTrackerOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.burstThreshold = opts.burstThreshold ?? 10;
    this.blockThreshold = opts.blockThreshold ?? 100;
    this.#now = opts.now ?? Date.now;
  }

  #window(address: string): Window {
    const now = this.#now();
    let w = this.#windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      if (this.#windows.size >= 10_000) this.#prune(now);
      w = { start: now, count: 0, keyIds: new Set() };
      this.#windows.set(address, w);
    }
    return w;
  }

  #prune(now: number): void {
    for (const [a, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(a);
    // Still full: an address flood. Forgetting is safer than growing without bound.
    if (this.#windows.size >= 10_000) this.#windows.clear();
  }

  /** Seconds until `address` may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const w = this.#windows.get(address);
    if (!w || w.count < this.blockThreshold) return 0;
    const left = w.start + this.windowMs - this.#now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Records one failure; `keyId` is the public id of a well-formed key, if any. */
  record(address: string, keyId?: string): FailureVerdict & { keyIds: string[] } {
    const w = this.#window(address);
    w.count += 1;
    if (keyId !== undefined && w.keyIds.size < 10) w.keyIds.add(keyId);
    return { count: w.count, burst: w.count === this.burstThreshold, keyIds: [...w.keyIds] };
  }
}
