import { afterEach, describe, expect, it, vi } from "vitest";

const URL_ = "http://localhost/api/metrics";

/** env() caches its first read, so each case sets the variable and loads the route afresh. */
async function loadRoute(token: string | undefined) {
  if (token === undefined) delete process.env.METRICS_TOKEN;
  else process.env.METRICS_TOKEN = token;
  vi.resetModules();
  return import("./route");
}

describe("GET /api/metrics", () => {
  afterEach(() => {
    delete process.env.METRICS_TOKEN;
  });

  it("serves Prometheus text, uncached, when no token is configured", async () => {
    const { GET } = await loadRoute(undefined);
    const { turnStarted } = await import("@/lib/metrics");
    turnStarted("support", "route-test")();
    const res = await GET(new Request(URL_));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    expect(text).toContain("# TYPE avatar_turn_stage_seconds histogram");
    expect(text).toMatch(/^avatar_active_turns\{persona="support"\} 0$/m);
  });

  it("wants the bearer token when METRICS_TOKEN is set", async () => {
    const { GET } = await loadRoute("s3cret-scrape-token");

    const missing = await GET(new Request(URL_));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await missing.json()).error.code).toBe("unauthorized");

    const wrong = await GET(new Request(URL_, { headers: { authorization: "Bearer s3cret-scrape-tokeN" } }));
    expect(wrong.status).toBe(401);
    const basic = await GET(new Request(URL_, { headers: { authorization: "Basic s3cret-scrape-token" } }));
    expect(basic.status).toBe(401);

    const ok = await GET(new Request(URL_, { headers: { authorization: "Bearer s3cret-scrape-token" } }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("avatar_process_resident_memory_bytes");
  });
});
