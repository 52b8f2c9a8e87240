// The verification page's pure logic: what it says for each kind of verdict (as the text a
// reader sees), the times in UTC and in the reader's zone, and hashing the document in hand.
// The browser itself is exercised by test/e2e/verify-page.test.ts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { sha256 } from "../../src/core/hash.ts";
import { jsonRpcReader, verdictOf, verifyBundle, type ChainReader } from "../../src/verify/index.ts";
import { freePort } from "../helpers/chain.ts";
import { digestDocument } from "../../src/web/verify/digest.ts";
import { buildView, formatBytes, formatTimes, headlineBody, viewToText, type ViewContext } from "../../src/web/verify/view.ts";
import { anchoredFixture, fakeReader } from "../verify/fixture.ts";
import { baseBundle, CONTRACT_PATH, fileDigest, OTHER_PATH, proofText } from "../helpers/vectors.ts";

const relay: ViewContext["chain"] = { kind: "relay", url: "https://evidence.example/v1/chain/rpc" };
const ctx = (over: Partial<ViewContext> = {}): ViewContext => ({ chain: relay, document: null, minConfirmations: 1, timeZone: "Europe/Berlin", ...over });

async function view(input: unknown, opts: { chain?: ChainReader; documentDigest?: string; documentUnavailable?: string }, c: ViewContext) {
  const result = await verifyBundle(input, opts);
  return buildView(result, verdictOf(result), c);
}

describe("formatTimes", () => {
  it("gives the UTC time and the reader's, with the zone and its offset", () => {
    expect(formatTimes("2026-11-27T09:31:12Z", "Europe/Berlin")).toEqual({
      utc: "27 November 2026, 09:31:12 UTC",
      local: "27 November 2026, 10:31:12",
      zone: "Europe/Berlin, UTC+01:00",
      localClock: "10:31:12",
      otherDay: false,
    });
    // Summer time, Unix seconds.
    expect(formatTimes(Date.parse("2026-07-01T12:00:00Z") / 1000, "Europe/Berlin").zone).toBe("Europe/Berlin, UTC+02:00");
    expect(formatTimes("2026-11-27T09:31:12Z", "UTC").zone).toBe("UTC");
  });

  it("says so when the reader's date is not the UTC date", () => {
    const t = formatTimes("2026-11-27T23:30:00Z", "Pacific/Auckland");
    expect(t.otherDay).toBe(true);
    expect(t.local).toBe("28 November 2026, 12:30:00");
  });
});

describe("buildView", () => {
  const { bundles, facts } = anchoredFixture();
  const bundle = bundles[1]!;
  const docDigest = toHex(sha256(new TextEncoder().encode("document 1")));
  const doc = { name: "contract.pdf", bytes: 10, alg: "sha256", digest: docDigest, note: null };

  it("valid with the document: the document existed, unchanged, no later than the block's time, in UTC and local time", async () => {
    const v = await view(bundle, { chain: fakeReader(facts), documentDigest: docDigest }, ctx({ document: doc }));
    expect(v.kind).toBe("valid");
    expect(v.label).toBe("VALID");
    const when = formatTimes(bundle.anchor!.blockTimestamp, "Europe/Berlin");
    expect(v.meaning[0]).toBe(`This document existed, unchanged, no later than ${when.utc} (${when.localClock} your time, ${when.zone}).`);
    expect(v.checks.map((c) => `${c.name}:${c.state}`)).toEqual(
      ["format", "document", "leaf", "root", "chain", "transaction", "block", "log", "contract", "confirmations"].map((n) => `${n}:ok`),
    );
    const text = viewToText(v);
    for (const s of [bundle.anchor!.txHash, bundle.anchor!.contract.toLowerCase(), bundle.evidence.digest, "chain 31337 (local development chain)", "this service’s relay"]) {
      expect(text).toContain(s);
    }
    expect(text).toContain("For full independence, verify with your own node.");
  });

  it("valid without a document: about the record, and asks for the document", async () => {
    const v = await view(bundle, { chain: fakeReader(facts) }, ctx());
    expect(v.kind).toBe("valid");
    expect(v.meaning[0]).toMatch(/^The record this proof is about existed, unchanged, no later than /);
    expect(v.meaning[1]).toMatch(/^No document was checked/);
  });

  it("offline: consistent, the anchor time only as the proof states it", async () => {
    const v = await view(proofText(baseBundle()), { documentDigest: fileDigest(CONTRACT_PATH) }, ctx({ chain: { kind: "offline" } }));
    expect(v.kind).toBe("consistent");
    expect(v.label).toBe("CONSISTENT — ANCHOR NOT CHECKED");
    expect(v.meaning).toContain("The document you chose is the one this proof was made for.");
    expect(v.groups[0]!.facts[0]!.label).toBe("Anchor time stated by the proof (UTC)");
    expect(v.checks.filter((c) => c.state === "skipped").map((c) => c.name)).toEqual(["chain", "transaction", "block", "log", "contract", "confirmations"]);
  });

  it("the wrong document: not valid, in plain words", async () => {
    const v = await view(proofText(baseBundle()), { documentDigest: fileDigest(OTHER_PATH) }, ctx({ chain: { kind: "offline" } }));
    expect(v.kind).toBe("invalid");
    expect(v.label).toBe("NOT VALID");
    expect(v.meaning[0]).toMatch(/^The document you chose is not the document this proof was made for/);
    expect(v.meaning[1]).toBe(
      "The proof itself is intact: it is about a file whose sha256 digest is 0x5c889ffaffb33d2877aa40fc40249df50e5b48c5e75d5fbc739d410b9bec32bd.",
    );
    expect(v.checks.find((c) => c.name === "document")!.state).toBe("failed");
  });

  it("a chain that cannot be reached (a closed port): COULD NOT VERIFY, never NOT VALID", async () => {
    const down = jsonRpcReader(`http://127.0.0.1:${await freePort()}`, { timeoutMs: 5000 });
    const v = await view(bundle, { chain: down }, ctx({ chain: { kind: "custom", url: "https://node.example/" } }));
    expect(v.kind).toBe("inconclusive");
    expect(v.label).toBe("COULD NOT VERIFY");
    expect(v.meaning[0]).toMatch(/^The blockchain could not be reached at the address you gave/);
    expect(v.checks.find((c) => c.name === "chain")!.state).toBe("unavailable");
    expect(viewToText(v)).not.toContain("NOT VALID");
  });

  it("a document given but not hashed: the document check could not run, so never the plain VALID", async () => {
    const v = await view(bundle, { chain: fakeReader(facts), documentUnavailable: "too large" }, ctx());
    expect(v.kind).toBe("inconclusive");
    expect(v.checks.find((c) => c.name === "document")!.state).toBe("unavailable");
  });

  it("shows the anchor time in Beijing time beside UTC", async () => {
    const v = await view(bundle, { chain: fakeReader(facts) }, ctx());
    const beijing = new Date((bundle.anchor!.blockTimestamp + 8 * 3600) * 1000);
    const facts0 = v.groups[0]!.facts.find((f) => f.label === "The same in Beijing time (UTC+08:00)")!;
    expect(facts0.value).toBe(formatTimes(beijing.toISOString(), "UTC").local);
  });

  it("not anchored yet, and a proof that is not a proof", async () => {
    const pending = await view({ ...bundle, anchor: null }, {}, ctx());
    expect(pending.kind).toBe("pending");
    expect(pending.label).toBe("NOT YET ANCHORED");
    const junk = await view("not json", {}, ctx());
    expect(junk.kind).toBe("invalid");
    expect(junk.checks[0]).toMatchObject({ name: "format", state: "failed" });
    expect(junk.meaning[0]).toMatch(/^The proof could not be read as an evidence proof/);
    expect(junk.groups.map((g) => g.title)).toEqual(["Your document", "How it was checked"]);
  });
});

describe("digestDocument", () => {
  const data = new Uint8Array(readFileSync(CONTRACT_PATH));

  it("sha256 with WebCrypto or without it, sha3-256 bundled: the digests node:crypto gives", async () => {
    const want = "0x" + createHash("sha256").update(data).digest("hex");
    expect(await digestDocument("sha256", data)).toEqual({ digest: want, note: null });
    expect(await digestDocument("sha256", data, (alg, d) => crypto.subtle.digest(alg, d))).toEqual({ digest: want, note: null });
    expect(await digestDocument("sha3-256", data)).toEqual({ digest: "0x" + createHash("sha3-256").update(data).digest("hex"), note: null });
  });

  it("sm3: hashed here too (sm-crypto), the digest node:crypto's OpenSSL gives", async () => {
    expect(await digestDocument("sm3", data)).toEqual({ digest: "0x" + createHash("sm3").update(data).digest("hex"), note: null });
    // The standard's own example (GB/T 32905-2016, A.1): "abc".
    expect((await digestDocument("sm3", new TextEncoder().encode("abc"))).digest).toBe("0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  });
});

it("headlineBody: the library's sentence without the verdict words the banner shows", () => {
  expect(headlineBody("NOT VALID: the document check failed: the document's sha256 digest is 0x12.")).toBe("The document check failed: the document's sha256 digest is 0x12.");
  expect(headlineBody("CONSISTENT, ANCHOR NOT CHECKED: the proof is internally consistent.")).toBe("The proof is internally consistent.");
  expect(headlineBody("NOT YET ANCHORED: the proof is well-formed.")).toBe("The proof is well-formed.");
  expect(headlineBody("VALID: digest 0x5c889ffa… existed no later than 2026-11-27T09:31:12Z.")).toBe("Digest 0x5c889ffa… existed no later than 2026-11-27T09:31:12Z.");
});

it("formatBytes", () => {
  expect([0, 1, 999, 1000, 15_300, 2_500_000].map((n) => formatBytes(n))).toEqual(["0 bytes", "1 byte", "999 bytes", "1.0 kB", "15 kB", "2.5 MB"]);
});
