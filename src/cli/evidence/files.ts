// Local files for the `evidence` CLI: hashing documents (streamed, with node:crypto, which
// unlike the browser-safe core has SM3), reading proofs from a file or stdin, writing proofs.
// Every failure here is the caller's to fix, so it is a CliError with exit status 2.
import { createHash, getHashes } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { MAX_BUNDLE_TEXT_LENGTH } from "../../core/bundle.ts";
import { HASH_ALGS, type HashAlg } from "../../core/leaf.ts";
import { CliError, EXIT_USAGE, UsageError, type Ctx } from "./common.ts";

export { HASH_ALGS, type HashAlg };

/** `value` as a hash algorithm of the proof format, or a usage error. */
export function hashAlgOption(value: string, usage: string): HashAlg {
  if (!(HASH_ALGS as readonly string[]).includes(value)) {
    throw new UsageError(`--alg: "${value}" is not one of ${HASH_ALGS.join(", ")}`, usage);
  }
  return value as HashAlg;
}

// The format's names are OpenSSL's names for the same algorithms.
const NODE_NAMES: Record<HashAlg, string> = { sha256: "sha256", "sha3-256": "sha3-256", sm3: "sm3" };

/** node:crypto's name for `alg`; fails when this Node.js was built without it. */
function nodeHashName(alg: HashAlg): string {
  const name = NODE_NAMES[alg];
  // SM3 comes from OpenSSL, and some builds (FIPS ones, say) leave it out.
  if (!getHashes().includes(name)) {
    throw new CliError(
      `this Node.js (OpenSSL ${process.versions.openssl ?? "unknown"}) has no ${alg}: hash the document with another tool and compare the digest with evidence.digest in the proof`,
      EXIT_USAGE,
    );
  }
  return name;
}

/** What went wrong opening `display`, in words. */
function ioMessage(display: string, e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const why =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EISDIR"
          ? "it is a directory"
          : (e as Error).message;
  return `cannot read ${display}: ${why}`;
}

function stdinOf(ctx: Ctx): AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> {
  return ctx.io.stdin ?? process.stdin;
}

/**
 * 0x-hex digest of a file (or stdin for `-`) with `alg`, streamed: documents can be far
 * larger than memory.
 */
export async function hashFile(ctx: Ctx, path: string, alg: HashAlg): Promise<string> {
  const hash = createHash(nodeHashName(alg));
  const display = path === "-" ? "stdin" : path;
  try {
    const source = path === "-" ? stdinOf(ctx) : createReadStream(ctx.path(path));
    for await (const chunk of source) hash.update(chunk);
  } catch (e) {
    throw new CliError(ioMessage(display, e), EXIT_USAGE);
  }
  return "0x" + hash.digest("hex");
}

/** Fails with exit status 2 unless `path` is a readable regular file. */
export async function assertReadable(ctx: Ctx, path: string): Promise<void> {
  if (path === "-") return;
  try {
    const s = await stat(ctx.path(path));
    if (s.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
  } catch (e) {
    throw new CliError(ioMessage(path, e), EXIT_USAGE);
  }
}

// A bundle's text is bounded in characters; UTF-8 needs at most 4 bytes for each.
const MAX_PROOF_BYTES = MAX_BUNDLE_TEXT_LENGTH * 4;

/** A proof file's text, or stdin's for `-`; `maxBytes` for larger documents (a report). */
export async function readProof(ctx: Ctx, path: string, maxBytes = MAX_PROOF_BYTES): Promise<string> {
  const display = path === "-" ? "stdin" : path;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const source = path === "-" ? stdinOf(ctx) : createReadStream(ctx.path(path));
    for await (const chunk of source) {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      size += b.byteLength;
      // Someone who passes the document instead of the proof should not wait for gigabytes.
      if (size > maxBytes) {
        throw new CliError(
          `${display} is over ${maxBytes} bytes, too large to be a proof: is it the document? Give the document with --file`,
          EXIT_USAGE,
        );
      }
      chunks.push(b);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(ioMessage(display, e), EXIT_USAGE);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function writeText(ctx: Ctx, path: string, text: string): Promise<void> {
  try {
    await writeFile(ctx.path(path), text);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : (e as Error).message;
    throw new CliError(`cannot write ${path}: ${why}`, EXIT_USAGE);
  }
}
