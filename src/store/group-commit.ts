// Group commit: concurrent writers share one statement and one commit. The first write when
// nothing is being written goes out at once (no timer, no added latency); writes that arrive
// while a flush runs wait for it and then go out together in the next. Each caller's promise
// settles only after its own rows are committed (or failed). A group that fails is retried
// writer by writer, so one writer's bad rows can never fail another's request.

export class GroupCommit<T> {
  readonly #write: (items: T[]) => Promise<void>;
  readonly #maxItems: number;
  #queue: { items: T[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #flushing = false;

  /**
   * `write` stores the items of one group, all or nothing (one statement, or one transaction).
   * A group holds at most `maxItems` items, unless one writer alone brings more.
   */
  constructor(write: (items: T[]) => Promise<void>, opts: { maxItems: number }) {
    this.#write = write;
    this.#maxItems = opts.maxItems;
  }

  /** Resolves once `items` are committed. */
  write(items: T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ items, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const group = [this.#queue.shift()!];
        let n = group[0]!.items.length;
        while (this.#queue.length > 0 && n + this.#queue[0]!.items.length <= this.#maxItems) {
          const next = this.#queue.shift()!;
          n += next.items.length;
          group.push(next);
        }
        try {
          await this.#write(group.flatMap((g) => g.items));
          for (const g of group) g.resolve();
        } catch (err) {
          if (group.length === 1) group[0]!.reject(err);
          else {
            // Each on its own: the error is then the writer's own, and the others commit.
            for (const g of group) await this.#write(g.items).then(g.resolve, g.reject);
          }
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
