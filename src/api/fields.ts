// Field validators shared by request schemas: bounded text that PostgreSQL can store,
// principal ids, and timestamps.
import { z } from "zod";
import { RFC3339_RE } from "../core/leaf.ts";
import { PRINCIPAL_ID_RE } from "../services/access.ts";

const wellFormed = (s: string) => s.isWellFormed();

/** Non-empty text of at most `max` characters that PostgreSQL text and jsonb can hold. */
export const text = (max: number) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine(wellFormed, "must be well-formed Unicode (no lone surrogates)")
    // PostgreSQL text and jsonb cannot hold U+0000: let it be a 422 here, not a 500 at insert.
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters (U+0000)");

export const principalId = z
  .string({ error: "required: a principal id" })
  .regex(PRINCIPAL_ID_RE, "must be 1-64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");

/** An RFC 3339 date-time, returned as a Date. */
export const dateTime = z
  .string()
  .max(64, "must be at most 64 characters")
  .regex(RFC3339_RE, "must be an RFC 3339 date-time, e.g. 2026-11-27T10:00:00Z")
  .transform((s, ctx) => {
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: "custom", message: "is not a real date and time" });
      return z.NEVER;
    }
    return d;
  });
