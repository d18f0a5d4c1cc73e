import { describe, expect, it } from "vitest";
import { clientIp } from "./client-ip";

const req = (headers: Record<string, string>) => new Request("http://localhost/", { headers });

describe("clientIp", () => {
  it("takes the address the web server stamped, never the client's forwarding headers", () => {
    expect(clientIp(req({ "x-avatar-client-ip": "203.0.113.7" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-avatar-client-ip": "203.0.113.7", "x-real-ip": "10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-real-ip": "203.0.113.7", "x-forwarded-for": "1.2.3.4, 203.0.113.7" }))).toBe("local");
  });

  it("keys an IPv6 client by its /64 network, and an IPv4-mapped one by its IPv4 address", () => {
    expect(clientIp(req({ "x-avatar-client-ip": "2001:db8:1:2:aaaa::1" }))).toBe("2001:db8:1:2::/64");
    expect(clientIp(req({ "x-avatar-client-ip": "2001:db8:1:2:bbbb::9" }))).toBe("2001:db8:1:2::/64");
    expect(clientIp(req({ "x-avatar-client-ip": "::ffff:192.0.2.1" }))).toBe("192.0.2.1");
    expect(clientIp(req({ "x-avatar-client-ip": "::1" }))).toBe("::1");
  });

  it('answers "local" without the web server in front (dev server, tests) or with a header it cannot read', () => {
    expect(clientIp(req({}))).toBe("local");
    expect(clientIp(req({ "x-avatar-client-ip": "not an address" }))).toBe("local");
  });
});
