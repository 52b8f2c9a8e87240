// API key format, generation and checking. Pure apart from the random source.
//
//   evk_<id>_<secret><check>
//   id:     12 base32 characters (60 random bits): public, shown in listings and logs
//   secret: 52 base32 characters (256 random bits)
//   check:  7 base32 characters, CRC-32 of everything before it
//
// The fixed `evk_` prefix and the checksum let secret scanners find leaked keys with few
// false positives (the scheme GitHub's tokens use). Only SHA-256 of the whole key is
// stored: the key carries 256 random bits, so a slow password hash would add nothing.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";
import { sha256 } from "../core/hash.ts";

export const KEY_PREFIX = "evk_";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
const KEY_RE = /^evk_([a-z2-7]{12})_([a-z2-7]{52})([a-z2-7]{7})$/;
export const KEY_ID_RE = /^[a-z2-7]{12}$/;

/** RFC 4648 base32, lowercase, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function checksum(body: string): string {
  const c = crc32(body);
  return base32(new Uint8Array([c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255]));
}

export interface NewKey {
  id: string;
  /** The whole key: give it to the holder once, never store it. */
  key: string;
  /** What is stored. */
  hash: Uint8Array;
}

export function generateKey(random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): NewKey {
  const id = base32(random(8)).slice(0, 12);
  const secret = base32(random(32));
  const body = `${KEY_PREFIX}${id}_${secret}`;
  const key = body + checksum(body);
  return { id, key, hash: hashKey(key) };
}

export function hashKey(key: string): Uint8Array {
  return sha256(new TextEncoder().encode(key));
}

/** The key id if `key` is well-formed and its checksum holds; undefined otherwise. */
export function parseKey(key: string): string | undefined {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const body = key.slice(0, key.length - 7);
  return checksum(body) === m[3] ? m[1] : undefined;
}

/** Constant-time comparison of a presented key with a stored hash. */
export function keyMatches(key: string, storedHash: Uint8Array): boolean {
  const h = hashKey(key);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}
