import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  addressKey,
  CLIENT_ADDRESS_HEADER,
  normaliseAddress,
  resolveClientAddress,
  stampClientAddress,
  TrustedProxies,
} from "./client-address";

describe("normaliseAddress", () => {
  it("gives one spelling per address: ports, brackets, zones, case and IPv4-mapped forms", () => {
    expect(normaliseAddress(" 203.0.113.7 ")).toBe("203.0.113.7");
    expect(normaliseAddress("203.0.113.7:5678")).toBe("203.0.113.7");
    expect(normaliseAddress("[2001:DB8::1]:443")).toBe("2001:db8::1");
    expect(normaliseAddress("2001:0db8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(normaliseAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normaliseAddress("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(normaliseAddress("::ffff:0a01:0203")).toBe("10.1.2.3");
    expect(normaliseAddress("unknown")).toBeNull();
    expect(normaliseAddress("")).toBeNull();
  });

  it("keys IPv6 by /64", () => {
    expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8::/64");
    expect(addressKey("198.51.100.1")).toBe("198.51.100.1");
  });
});

describe("TrustedProxies", () => {
  it("matches IPs and CIDRs, IPv4 and IPv6, whatever form the peer's address takes", () => {
    const t = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8 fd00::/8,::1, ::ffff:192.168.0.0/112");
    for (const yes of ["127.0.0.1", "10.200.3.4", "fd12::5", "::1", "192.168.7.8"]) {
      expect(t.has(normaliseAddress(yes)), yes).toBe(true);
    }
    expect(t.has(normaliseAddress("::ffff:10.9.9.9"))).toBe(true);
    for (const no of ["127.0.0.2", "11.0.0.1", "fe80::1", "192.169.0.1", "unknown"]) expect(t.has(no), no).toBe(false);
  });

  it("trusts nobody when empty, and refuses entries that are not addresses", () => {
    expect(TrustedProxies.parse("").has("127.0.0.1")).toBe(false);
    for (const bad of ["nginx", "10.0.0.0/33", "10.0.0.0/", "1.2.3.4/8/1", "fd00::/129"]) {
      expect(() => TrustedProxies.parse(bad), bad).toThrow(/TRUSTED_PROXIES/);
    }
  });
});

describe("resolveClientAddress", () => {
  const none = TrustedProxies.parse("");
  const ours = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8");

  it("believes no header from a peer that is not a trusted proxy", () => {
    const headers = { realIp: "198.51.100.1", forwardedFor: "198.51.100.2" };
    expect(resolveClientAddress("203.0.113.9", headers, none)).toBe("203.0.113.9");
    expect(resolveClientAddress("::ffff:203.0.113.9", headers, ours)).toBe("203.0.113.9");
  });

  it("from a trusted proxy: X-Real-IP, else X-Forwarded-For walked from the right past trusted hops", () => {
    expect(resolveClientAddress("127.0.0.1", { realIp: "198.51.100.1" }, ours)).toBe("198.51.100.1");
    // The client wrote the first entry; our proxies appended the rest.
    const xff = "6.6.6.6, 198.51.100.7, 10.0.0.5";
    expect(resolveClientAddress("127.0.0.1", { forwardedFor: xff }, ours)).toBe("198.51.100.7");
    expect(resolveClientAddress("127.0.0.1", { forwardedFor: ["6.6.6.6", "198.51.100.7"] }, ours)).toBe("198.51.100.7");
    // X-Real-IP naming another of our proxies (a two-tier setup): keep walking.
    expect(resolveClientAddress("127.0.0.1", { realIp: "10.0.0.5", forwardedFor: xff }, ours)).toBe("198.51.100.7");
    // Nothing forwarded, or everything trusted: the last trusted hop.
    expect(resolveClientAddress("127.0.0.1", {}, ours)).toBe("127.0.0.1");
    expect(resolveClientAddress("127.0.0.1", { forwardedFor: "10.1.1.1" }, ours)).toBe("10.1.1.1");
    // An unreadable hop stops the walk at the proxy that passed it on.
    expect(resolveClientAddress("127.0.0.1", { forwardedFor: "6.6.6.6, junk, 10.0.0.5" }, ours)).toBe("10.0.0.5");
  });
});

describe("stampClientAddress on a real socket", () => {
  async function serve(trusted: TrustedProxies) {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      stampClientAddress(req, trusted);
      seen.push(req.headers);
      res.end(JSON.stringify(req.rawHeaders));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const get = (headers: Record<string, string>) =>
      new Promise<string[]>((resolve, reject) => {
        httpRequest({ port, host: "127.0.0.1", headers }, (res) => {
          let body = "";
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve(JSON.parse(body) as string[]));
        })
          .on("error", reject)
          .end();
      });
    return { seen, get, close: () => server.close() };
  }

  it("replaces a client-sent private header with the socket's address", async () => {
    const s = await serve(TrustedProxies.parse(""));
    try {
      const raw = await s.get({ "X-Avatar-Client-IP": "198.51.100.66", "x-real-ip": "198.51.100.67" });
      expect(s.seen[0]?.[CLIENT_ADDRESS_HEADER]).toBe("127.0.0.1");
      const stamped = raw.filter((_, i) => i % 2 === 0 && raw[i]?.toLowerCase() === CLIENT_ADDRESS_HEADER);
      expect(stamped).toHaveLength(1);
      expect(raw[raw.indexOf(CLIENT_ADDRESS_HEADER) + 1]).toBe("127.0.0.1");
    } finally {
      s.close();
    }
  });

  it("believes X-Real-IP when the socket's peer is a trusted proxy", async () => {
    const s = await serve(TrustedProxies.parse("127.0.0.1"));
    try {
      await s.get({ "x-real-ip": "198.51.100.67" });
      expect(s.seen[0]?.[CLIENT_ADDRESS_HEADER]).toBe("198.51.100.67");
    } finally {
      s.close();
    }
  });
});
