import { describe, expect, it } from "vitest";
import { clientIp } from "./client-ip";

const req = (headers: Record<string, string>) => new Request("http://localhost/", { headers });

describe("clientIp", () => {
  it("takes the address our proxy wrote, not one the client sent", () => {
    expect(clientIp(req({ "x-real-ip": "203.0.113.7", "x-forwarded-for": "10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-forwarded-for": "1.2.3.4, 203.0.113.7" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-forwarded-for": " 203.0.113.7 " }))).toBe("203.0.113.7");
  });

  it('falls back to "local" when no proxy is in front', () => {
    expect(clientIp(req({}))).toBe("local");
    expect(clientIp(req({ "x-forwarded-for": "", "x-real-ip": " " }))).toBe("local");
  });
});
