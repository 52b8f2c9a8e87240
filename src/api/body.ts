// Reading a JSON request body: media type, size limit, JSON syntax, then a zod schema.
// Every failure is a ServiceError naming the field (as a JSON pointer) and the reason.
import type { Context } from "hono";
import type { z } from "zod";
import { concatBytes } from "../core/bytes.ts";
import { ServiceError, validationFailed, type FieldError } from "../errors.ts";
import type { AppEnv } from "./context.ts";

/** Turns zod issues into JSON-pointer field errors, one per unknown key too. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map((p) => "/" + escapePointer(String(p))).join("");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: `${base}/${escapePointer(key)}`, reason: "unknown field" });
    } else {
      out.push({ field: base, reason: issue.message });
    }
  }
  return out;
}

/** One JSON-pointer reference token (RFC 6901): "~" as "~0", "/" as "~1". */
function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Reads at most `maxBytes` of the body and parses it as JSON. When a middleware already read
 * the body (the idempotency middleware hashes it before the handler runs), those bytes are
 * used: the stream can be read only once. The checks and their order are the same either way.
 */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const early = (c.var as Partial<AppEnv["Variables"]>).rawBody;
  let bytes: Uint8Array;
  if (early) {
    checkMediaType(c);
    // The middleware read up to the route registry's limit; the handler's own may be smaller.
    if (early.byteLength > maxBytes) throw tooLarge(maxBytes);
    bytes = early;
  } else {
    bytes = await readRawBody(c, maxBytes);
  }
  let text: string;
  try {
    text = UTF8_STRICT.decode(bytes);
  } catch {
    throw new ServiceError("malformed-json", "the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ServiceError("malformed-json", `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The raw bytes of a JSON request body: 415 unless the content type is JSON, then 413 when
 * the declared or the actual length passes `maxBytes`. Consumes the request stream.
 */
export async function readRawBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  checkMediaType(c);
  return readBodyBytes(c, maxBytes);
}

/**
 * The raw bytes of a request body of any media type: 413 when the declared or the actual
 * length passes `maxBytes`. Consumes the request stream.
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const header = c.req.header("content-length");
  const declared = Number(header ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (header !== undefined && /^\d+$/.test(header)) {
    // A declared length within the limit: Node's HTTP parser delivers exactly that many bytes,
    // so the body is read whole, without the web stream that reading by chunks builds over
    // the socket (about a tenth of a one-item submission's CPU). A Request built by hand may
    // carry more than it declares: still refused.
    const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }
  return readCapped(c.req.raw, maxBytes);
}

function checkMediaType(c: Context): void {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    throw new ServiceError("unsupported-media-type", `content-type must be application/json, got "${type || "none"}"`);
  }
}

/** Reads the body as a stream and stops as soon as it passes the limit (chunked uploads too). */
async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

/** Reads and validates a JSON body against `schema`. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  const json = await readJson(c, maxBytes);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw validationFailed(fieldErrors(parsed.error));
  return parsed.data;
}

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });

function tooLarge(maxBytes: number): ServiceError {
  return new ServiceError("payload-too-large", `the body exceeds ${maxBytes} bytes`);
}
