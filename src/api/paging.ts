// Cursor paging for list endpoints: reading `?after=<cursor>&limit=<n>`. Pages are answered
// as `{items, next}` (src/store/paging.ts), `next` being the cursor of the following page.
import type { Context } from "hono";
import { KEY_ID_RE } from "../auth/keys.ts";
import { validationFailed, type FieldError } from "../errors.ts";
import { PRINCIPAL_ID_RE, UUID_RE } from "../services/access.ts";

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export interface Paging<C> {
  after: C | undefined;
  limit: number;
}

/**
 * Reads `after` and `limit`. `cursor` parses `after`, returning undefined when it is not a
 * cursor of this list (a cursor is an id of the list's kind, never free text).
 */
export function parsePaging<C>(c: Context, cursor: (raw: string) => C | undefined): Paging<C> {
  const errors: FieldError[] = [];
  const rawLimit = c.req.query("limit");
  let limit = DEFAULT_PAGE;
  if (rawLimit !== undefined) {
    if (/^\d{1,4}$/.test(rawLimit) && Number(rawLimit) >= 1 && Number(rawLimit) <= MAX_PAGE) limit = Number(rawLimit);
    else errors.push({ field: "limit", reason: `must be a whole number from 1 to ${MAX_PAGE}` });
  }
  const rawAfter = c.req.query("after");
  let after: C | undefined;
  if (rawAfter !== undefined) {
    after = cursor(rawAfter);
    if (after === undefined) errors.push({ field: "after", reason: "must be the `next` value of a previous page" });
  }
  if (errors.length > 0) throw validationFailed(errors);
  return { after, limit };
}

const matching = (re: RegExp) => (raw: string) => (re.test(raw) ? raw : undefined);
export const principalCursor = matching(PRINCIPAL_ID_RE);
export const keyCursor = matching(KEY_ID_RE);
export const uuidCursor = (raw: string) => (UUID_RE.test(raw) ? raw.toLowerCase() : undefined);

/** A sequence-number cursor: a plain decimal integer. */
export const seqCursor = (raw: string): number | undefined => (/^\d{1,15}$/.test(raw) ? Number(raw) : undefined);
