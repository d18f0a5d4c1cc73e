import { describe, expect, it } from "vitest";
import { assertSameOrigin, expectedOrigin } from "./same-origin";

/** As `next start` hands a route handler its request: the URL from the server's own hostname and port. */
const req = (headers: Record<string, string>, method = "POST", url = "http://localhost:3000/api/kb/triage/reindex") =>
  new Request(url, { method, headers });

const refused = (r: Request) => {
  try {
    assertSameOrigin(r);
  } catch (err) {
    return err as { code: string; message: string };
  }
  return null;
};

describe("expectedOrigin", () => {
  it("takes the host the browser addressed (X-Forwarded-Host, then Host), not the URL Next built", () => {
    expect(expectedOrigin(req({}))).toBe("http://localhost:3000");
    expect(expectedOrigin(req({ host: "kb.example.org:3000" }))).toBe("http://kb.example.org:3000");
    expect(
      expectedOrigin(
        req({ host: "127.0.0.1:3000", "x-forwarded-host": "KB.example.org", "x-forwarded-proto": "https" }),
      ),
    ).toBe("https://kb.example.org");
    // several proxies: the first value is the one the browser addressed; default ports are dropped
    expect(
      expectedOrigin(
        req({ "x-forwarded-host": "kb.example.org:443, internal:3000", "x-forwarded-proto": "https,http" }),
      ),
    ).toBe("https://kb.example.org");
    expect(expectedOrigin(req({ host: "kb.example.org", "x-forwarded-proto": "gopher" }))).toBe(
      "http://kb.example.org",
    );
  });
});

describe("assertSameOrigin", () => {
  it("lets safe methods through without any header", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(refused(req({}, method))).toBeNull();
  });

  it("accepts Sec-Fetch-Site: same-origin, and an Origin equal to the request's own origin", () => {
    expect(refused(req({ "sec-fetch-site": "same-origin" }))).toBeNull();
    expect(refused(req({ origin: "http://localhost:3000" }))).toBeNull();
    expect(refused(req({ host: "kb.example.org", origin: "http://KB.example.org:80" }, "DELETE"))).toBeNull();
    expect(
      refused(
        req({
          host: "10.0.0.2:3000",
          "x-forwarded-host": "kb.example.org",
          "x-forwarded-proto": "https",
          origin: "https://kb.example.org",
        }),
      ),
    ).toBeNull();
  });

  it("refuses another port, a sibling subdomain, another scheme and an opaque origin", () => {
    const host = { host: "kb.example.org" };
    for (const origin of [
      "http://kb.example.org:8080",
      "http://blog.example.org",
      "https://kb.example.org",
      "null",
      "not a url",
    ]) {
      const err = refused(req({ ...host, origin }));
      expect(err, origin).toMatchObject({ code: "forbidden", message: expect.stringContaining(origin) });
    }
  });

  it("lets Sec-Fetch-Site decide when a browser sent it, whatever Origin says", () => {
    for (const site of ["same-site", "cross-site", "none"]) {
      expect(refused(req({ "sec-fetch-site": site, origin: "http://localhost:3000" })), site).toMatchObject({
        code: "forbidden",
        message: expect.stringContaining(site),
      });
    }
    expect(refused(req({ "sec-fetch-site": "same-origin", origin: "http://localhost:8080" }))).toBeNull();
  });

  it("refuses a write that names no origin at all, saying what to send", () => {
    expect(refused(req({}, "DELETE"))).toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/without Origin or Sec-Fetch-Site.*Origin: http:\/\/localhost:3000/),
    });
  });
});
