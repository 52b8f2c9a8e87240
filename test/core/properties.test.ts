// Property tests (fast-check): paths verify, bit flips are rejected, the bundle parser only ever throws CoreError.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { parseBundle, parseBundleText } from "../../src/core/bundle.ts";
import { CoreError } from "../../src/core/errors.ts";
import { buildTree } from "../../src/core/merkle.ts";
import { rootFromInclusionProof, verifyInclusion } from "../../src/core/rfc9162.ts";
import { anchoredFixture } from "../verify/fixture.ts";

// 100 locally; CI raises it (FC_RUNS=10000) like OpenZeppelin's merkle-tree.
const numRuns = Number(process.env.FC_RUNS ?? 100);
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("Merkle properties", () => {
  it("every path of a random tree verifies", () => {
    fc.assert(
      fc.property(fc.array(hash32, { minLength: 1, maxLength: 200 }), (leaves) => {
        const tree = buildTree(leaves);
        for (let i = 0; i < leaves.length; i++) {
          if (!verifyInclusion(i, leaves.length, leaves[i]!, tree.path(i), tree.root)) return false;
        }
        return true;
      }),
      { numRuns },
    );
  });

  it("a single flipped bit in the leaf, a path hash or the root is rejected", () => {
    fc.assert(
      fc.property(
        fc.array(hash32, { minLength: 2, maxLength: 200 }).chain((leaves) =>
          fc.tuple(fc.constant(leaves), fc.nat(leaves.length - 1), fc.nat(), fc.nat(255)),
        ),
        ([leaves, index, target, bit]) => {
          const tree = buildTree(leaves);
          const leaf = Uint8Array.from(leaves[index]!);
          const path = tree.path(index).map((p) => Uint8Array.from(p));
          const root = Uint8Array.from(tree.root);
          const slots = [leaf, root, ...path];
          const victim = slots[target % slots.length]!;
          victim[bit >> 3]! ^= 1 << (bit & 7);
          return !verifyInclusion(index, leaves.length, leaf, path, root);
        },
      ),
      { numRuns },
    );
  });

  it("the verifier throws only CoreError for arbitrary index, size and path", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double()), fc.oneof(fc.integer(), fc.double()), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 70 }), (i, n, path) => {
        try {
          rootFromInclusionProof(i, n, new Uint8Array(32), path);
        } catch (e) {
          return e instanceof CoreError;
        }
        return true;
      }),
      { numRuns },
    );
  });
});

describe("bundle parser properties", () => {
  const valid = anchoredFixture().bundles[2]!;

  it("throws nothing but CoreError on random JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseBundle(json);
        } catch (e) {
          return e instanceof CoreError && e.code === "invalid-bundle" && typeof e.path === "string";
        }
        return false; // a random value is never a valid bundle
      }),
      { numRuns },
    );
  });

  it("throws nothing but CoreError on random text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        try {
          parseBundleText(text);
        } catch (e) {
          return e instanceof CoreError;
        }
        return false;
      }),
      { numRuns },
    );
  });

  it("throws nothing but CoreError when one field of a valid bundle is replaced by random JSON", () => {
    const pointers: string[][] = [];
    const walk = (v: unknown, at: string[]): void => {
      if (typeof v === "object" && v !== null) for (const [k, c] of Object.entries(v)) walk(c, [...at, k]);
      pointers.push(at);
    };
    walk(valid, []);
    fc.assert(
      fc.property(fc.constantFrom(...pointers.filter((p) => p.length > 0)), fc.jsonValue(), (at, value) => {
        const copy = JSON.parse(JSON.stringify(valid));
        let o = copy;
        for (const k of at.slice(0, -1)) o = o[k];
        o[at[at.length - 1]!] = value;
        try {
          const parsed = parseBundle(copy);
          // Accepted: then the replaced value was itself valid there.
          return parsed.format === "evidence-proof/v1";
        } catch (e) {
          return e instanceof CoreError && e.code === "invalid-bundle";
        }
      }),
      { numRuns },
    );
  });

  it("round-trips valid bundles", () => {
    expect(toHex(new Uint8Array(0))).toBe("0x");
    expect(parseBundle(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });
});
