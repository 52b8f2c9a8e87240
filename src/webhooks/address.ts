// Where a webhook may be sent: the scheme rule (https only, unless private targets are allowed)
// and the address rule (no loopback, private, link-local, shared, multicast or otherwise
// special address, in any IPv6 spelling of it), checked on the addresses a name RESOLVES to,
// at registration and again before every delivery. The delivery then connects to exactly the
// address checked (./send.ts pins it), so a name that re-resolves elsewhere (DNS rebinding)
// cannot move a delivery into our network.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** IPv4 ranges no webhook goes to (IANA special-purpose registry, RFC 6890 and successors). */
const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // CGNAT shared space (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

/** IPv6 ranges no webhook goes to. Forms that embed an IPv4 address are unwrapped first (v4Inside). */
const V6_BLOCKED: [string, number][] = [
  ["::", 96], // unspecified, loopback, IPv4-compatible (deprecated)
  ["::ffff:0:0", 96], // IPv4-mapped: reached only when unwrapping failed
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215)
  ["100::", 64], // discard-only
  ["2001::", 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking...)
  ["2001:db8::", 32], // documentation
  ["3fff::", 20], // documentation (RFC 9637)
  ["5f00::", 16], // segment routing SIDs
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

// Two lists: Node's BlockList matches an IPv4 address against IPv6 rules through its mapped
// form (::ffff:a.b.c.d), which the IPv4-mapped rule would then refuse whatever the address.
const blocked4 = new BlockList();
for (const [a, p] of V4_BLOCKED) blocked4.addSubnet(a, p, "ipv4");
const blocked6 = new BlockList();
for (const [a, p] of V6_BLOCKED) blocked6.addSubnet(a, p, "ipv6");

/** The eight 16-bit groups of an IPv6 address (a zone id is dropped); null when it is not one. */
function groups(address: string): number[] | null {
  let s = address.replace(/%.*$/, "");
  if (isIP(s) !== 6) return null;
  // A dotted IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array<string>(fill).fill("0"), ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => g >= 0 && g <= 0xffff) ? all : null;
}

/**
 * The IPv4 address an IPv6 address carries, in the forms that reach it: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
function v4Inside(address: string): string | null {
  const g = groups(address);
  if (!g) return null;
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zero = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zero(5) && (g[5] === 0xffff || g[5] === 0)) return quad(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return quad(g[6]!, g[7]!);
  if (g[0] === 0x2002) return quad(g[1]!, g[2]!);
  return null;
}

/**
 * Why `address` (an IP literal) may not receive webhooks, or null when it may. Not an IP
 * address at all is a reason too.
 */
export function forbiddenAddressReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, "");
  const kind = isIP(bare.replace(/%.*$/, ""));
  if (kind === 0) return `${address} is not an IP address`;
  if (kind === 4) return blocked4.check(bare, "ipv4") ? `${bare} is a loopback, private, link-local or reserved address` : null;
  const inner = v4Inside(bare);
  // An address that carries an IPv4 one reaches that one: its rule decides (::1 and :: are
  // carried 0.0.0.1 and 0.0.0.0, refused with 0.0.0.0/8).
  if (inner !== null) return blocked4.check(inner, "ipv4") ? `${bare} carries ${inner}, a loopback, private, link-local or reserved address` : null;
  const plain = bare.replace(/%.*$/, "");
  return blocked6.check(plain, "ipv6") ? `${plain} is a loopback, private, link-local, multicast or reserved address` : null;
}

export interface ResolvedTarget {
  url: URL;
  /** The address to connect to: one that was checked. */
  address: string;
  family: 4 | 6;
}

export interface TargetRules {
  /** WEBHOOK_ALLOW_PRIVATE: http and any address (tests, local development). */
  allowPrivate: boolean;
  /** Name resolution; the system resolver by default (tests may hand in their own). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

/** Why a target is refused: a message that can be shown to the tenant that registered it. */
export class TargetRefused extends Error {
  override name = "TargetRefused";
}

const systemResolve = (host: string) => lookup(host, { all: true, verbatim: true });

/**
 * Parses and checks a webhook URL and resolves its host: every address the name has must be
 * allowed (a name that also points inward is refused whole), and the first is the one to
 * connect to. Throws TargetRefused saying why.
 */
export async function resolveTarget(raw: string, rules: TargetRules): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused("must be an absolute URL");
  }
  if (url.protocol !== "https:" && !(rules.allowPrivate && url.protocol === "http:")) {
    throw new TargetRefused(rules.allowPrivate ? "must be an http or https URL" : "must be an https URL");
  }
  if (url.username !== "" || url.password !== "") throw new TargetRefused("must not carry a user name or password");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (rules.resolve ?? systemResolve)(host);
    } catch (err) {
      throw new TargetRefused(`its host ${host} does not resolve (${(err as { code?: string }).code ?? "error"})`);
    }
  }
  const first = addresses[0];
  if (!first) throw new TargetRefused(`its host ${host} has no address`);
  if (!rules.allowPrivate) {
    for (const a of addresses) {
      const why = forbiddenAddressReason(a.address);
      if (why !== null) throw new TargetRefused(`its host ${host} resolves to ${why}; webhooks go to public addresses only`);
    }
  }
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
