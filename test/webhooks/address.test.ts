// Which addresses webhooks may go to: a table of addresses in every spelling that reaches our
// own network, then whole URLs through resolveTarget (scheme, names resolving inward).
import { describe, expect, it } from "vitest";
import { forbiddenAddressReason, resolveTarget, TargetRefused } from "../../src/webhooks/address.ts";

describe("forbiddenAddressReason", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1", // CGNAT
    "100.127.255.255",
    "169.254.169.254", // cloud metadata
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.2.10",
    "::1",
    "::",
    "[::1]",
    "::ffff:10.0.0.1", // IPv4-mapped, dotted
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe", // IPv4-mapped 169.254.169.254, hex
    "0:0:0:0:0:ffff:7f00:1",
    "::127.0.0.1", // IPv4-compatible
    "64:ff9b::10.0.0.1", // NAT64 of a private address
    "2002:c0a8:0101::1", // 6to4 of 192.168.1.1
    "fd00::1",
    "[fd00::1]",
    "fc00::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "2001:db8::1",
  ])("refuses %s", (address) => {
    expect(forbiddenAddressReason(address)).not.toBeNull();
  });

  it.each(["93.184.215.14", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"])(
    "allows %s",
    (address) => {
      expect(forbiddenAddressReason(address)).toBeNull();
    },
  );

  it("says why for something that is no address", () => {
    expect(forbiddenAddressReason("localhost")).toMatch(/not an IP address/);
  });
});

describe("resolveTarget", () => {
  // A resolver of our own: names resolve as the table says, without touching the network.
  const names: Record<string, { address: string; family: number }[]> = {
    "public.example": [{ address: "93.184.215.14", family: 4 }],
    "inward.example": [{ address: "10.1.2.3", family: 4 }],
    "mixed.example": [
      { address: "93.184.215.14", family: 4 },
      { address: "::1", family: 6 },
    ],
  };
  const resolve = async (host: string) => {
    const r = names[host];
    if (!r) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return r;
  };
  const strict = { allowPrivate: false, resolve };

  it("takes a public https target and keeps the address it checked", async () => {
    const t = await resolveTarget("https://public.example/hooks", strict);
    expect(t).toMatchObject({ address: "93.184.215.14", family: 4 });
    expect(t.url.hostname).toBe("public.example");
  });

  it.each([
    ["http://public.example/", /https/],
    ["ftp://public.example/", /https/],
    ["not a url", /absolute URL/],
    ["https://user:pw@public.example/", /user name/],
    ["https://inward.example/", /10\.1\.2\.3/],
    ["https://mixed.example/", /::1/],
    ["https://nowhere.example/", /does not resolve/],
    ["https://localhost/", /./],
    ["https://127.0.0.1/", /127\.0\.0\.1/],
    ["https://[::1]/", /::1/],
    ["https://[::ffff:10.0.0.1]/", /10\.0\.0\.1/],
    ["https://169.254.169.254/latest/meta-data", /169\.254/],
    ["https://[fd00::1]/", /fd00::1/],
  ])("refuses %s", async (url, why) => {
    const err = await resolveTarget(url, { allowPrivate: false, resolve: async (h) => (h === "localhost" ? [{ address: "127.0.0.1", family: 4 }] : resolve(h)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRefused);
    expect((err as Error).message).toMatch(why);
  });

  it("allows http and inward addresses only with WEBHOOK_ALLOW_PRIVATE", async () => {
    await expect(resolveTarget("http://127.0.0.1:9/x", { allowPrivate: true })).resolves.toMatchObject({ address: "127.0.0.1" });
    await expect(resolveTarget("http://inward.example/", { allowPrivate: true, resolve })).resolves.toMatchObject({ address: "10.1.2.3" });
    await expect(resolveTarget("ftp://127.0.0.1/", { allowPrivate: true })).rejects.toThrow(/http or https/);
  });

  it("resolves real names with the system resolver: localhost is refused", async () => {
    await expect(resolveTarget("https://localhost/", { allowPrivate: false })).rejects.toThrow(TargetRefused);
  });
});
