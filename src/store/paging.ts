// Cursor pages over ordered rows: queries fetch `limit + 1` rows, and the extra row only says
// that a next page exists. The cursor is the last shown row's key (an id or a seq).

export interface Page<T, C> {
  items: T[];
  /** Pass as `after` for the following page; null on the last. */
  next: C | null;
}

/** A page of at most `limit` from `rows` (fetched with limit + 1). */
export function pageOf<T, C>(rows: T[], limit: number, cursorOf: (row: T) => C): Page<T, C> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
