import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/**
 * The private request header that carries the client's address from the web server (workers/web.ts) to the route
 * handlers. The server deletes whatever a client sent under this name before it sets its own, so a handler can
 * believe it; `next start` has no such step, which is why `npm start` runs workers/web.ts instead.
 */
export const CLIENT_ADDRESS_HEADER = "x-avatar-client-ip";

/**
 * An address as one canonical string, or null when it is not an IP address: brackets, a port and an IPv6 zone are
 * dropped, IPv6 is lower-cased and an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket reports
 * an IPv4 peer) becomes the IPv4 address, so one client has one key however it arrived.
 */
export function normaliseAddress(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1] ?? "";
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.indexOf(":")); // "1.2.3.4:5678"
  s = s.replace(/%.*$/, ""); // zone id: fe80::1%eth0
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6) return null;
  const groups = expandIPv6(s);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return compressIPv6(groups);
}

/** The eight 16-bit groups of a valid IPv6 address (with an embedded dotted IPv4 tail, if any). */
function expandIPv6(s: string): number[] {
  let text = s.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952 text: the longest run (two or more) of zero groups becomes "::". */
function compressIPv6(groups: number[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

/**
 * The rate-limit key of an address: an IPv4 address as it is, an IPv6 address as its /64 network (one subscriber's
 * allocation, in which a client may pick any address it likes), loopback as it is.
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6 || address === "::1") return address;
  return `${compressIPv6([...expandIPv6(address).slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** TRUSTED_PROXIES: the proxies whose forwarding headers are believed (IPs and CIDRs, IPv4 and IPv6). */
export class TrustedProxies {
  private constructor(
    private readonly list: BlockList,
    readonly size: number,
  ) {}

  /** Parses `10.0.0.0/8, 127.0.0.1, ::1, fd00::/8`; an entry that is neither an IP nor a CIDR is an error. */
  static parse(text: string): TrustedProxies {
    const list = new BlockList();
    const entries = text
      .split(/[\s,]+/)
      .map((e) => e.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const [ip = "", prefix, extra] = entry.split("/");
      const address = normaliseAddress(ip);
      const wasMapped = address !== null && isIP(address) === 4 && isIP(ip.replace(/^\[|\]$/g, "")) === 6;
      const family = address ? (isIP(address) === 4 ? "ipv4" : "ipv6") : null;
      let bits = prefix === undefined ? undefined : Number(prefix);
      if (bits !== undefined && wasMapped) bits -= 96; // ::ffff:10.0.0.0/104 is 10.0.0.0/8
      const max = family === "ipv4" ? 32 : 128;
      if (
        !address ||
        !family ||
        extra !== undefined ||
        (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > max || prefix === ""))
      ) {
        throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or a CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
      }
      if (bits === undefined) list.addAddress(address, family);
      else list.addSubnet(address, bits, family);
    }
    return new TrustedProxies(list, entries.length);
  }

  has(address: string | null | undefined): boolean {
    if (!address || this.size === 0) return false;
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}

function headerText(value: string | string[] | undefined | null): string {
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

/**
 * Who sent a request. The connection's peer is the client unless it is a trusted proxy; then the proxy's
 * `X-Real-IP` is believed, and `X-Forwarded-For` is walked from the right (the entries nearest to us, appended by
 * our own proxies) for as long as the hop found is itself a trusted proxy. Entries further left were written by
 * the client or proxies we do not know, so they never pick the key. An unreadable hop stops the walk at the last
 * proxy that handed it over.
 */
export function resolveClientAddress(
  peer: string | undefined,
  headers: { forwardedFor?: string | string[] | null; realIp?: string | string[] | null },
  trusted: TrustedProxies,
): string {
  let address = normaliseAddress(peer ?? "") ?? "unknown";
  if (!trusted.has(address)) return address;
  // Several X-Real-IP values mean a proxy appended instead of replacing: the last is the nearest one's.
  const realIp = normaliseAddress(headerText(headers.realIp).split(",").at(-1) ?? "");
  if (realIp) address = realIp;
  const hops = headerText(headers.forwardedFor).split(",");
  while (trusted.has(address) && hops.length > 0) {
    const hop = normaliseAddress(hops.pop() ?? "");
    if (!hop) break;
    address = hop;
  }
  return address;
}

/**
 * Stamps a Node request with its client's address under CLIENT_ADDRESS_HEADER, first removing any value the client
 * sent under that name (both from `headers`, which Next reads, and from `rawHeaders`).
 */
export function stampClientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const address = resolveClientAddress(
    req.socket.remoteAddress,
    { forwardedFor: req.headers["x-forwarded-for"], realIp: req.headers["x-real-ip"] },
    trusted,
  );
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? "";
    if (name.toLowerCase() !== CLIENT_ADDRESS_HEADER) raw.push(name, req.rawHeaders[i + 1] ?? "");
  }
  raw.push(CLIENT_ADDRESS_HEADER, address);
  req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
  req.headers[CLIENT_ADDRESS_HEADER] = address;
  return address;
}
