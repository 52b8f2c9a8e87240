// Pseudo-random leaf hashes that every process makes alike: n × 32 bytes filled by xorshift32
// from `seed`. Fast (no hashing, no CSPRNG), so tests and benches can make millions, and a
// fast-check counterexample's seed reproduces its leaves.
export function xorshiftLeaves(n: number, seed = 0x9e3779b9): Uint8Array {
  const words = new Uint32Array(n * 8);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer);
}
