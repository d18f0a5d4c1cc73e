import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { RateLimiter } from "./rate-limiter";

afterEach(() => {
  vi.useRealTimers();
});

describe("RateLimiter in memory", () => {
  it("allows `limit` per window, then says when the window opens again", async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter({ name: "t1", limit: 3, windowMs: 60_000, store: null });
    for (let i = 0; i < 3; i++) expect(await limiter.check("a")).toEqual({ ok: true });
    expect(await limiter.check("a")).toEqual({ ok: false, retryAfterS: 60 });
    vi.advanceTimersByTime(45_000);
    expect(await limiter.check("a")).toEqual({ ok: false, retryAfterS: 15 });
    expect(await limiter.check("b")).toEqual({ ok: true }); // keys are independent
    vi.advanceTimersByTime(15_000);
    expect(await limiter.check("a")).toEqual({ ok: true });
  });

  it("is off at limit 0", async () => {
    const limiter = new RateLimiter({ name: "t2", limit: 0, store: null });
    for (let i = 0; i < 1000; i++) expect((await limiter.check("a")).ok).toBe(true);
  });

  it("enforce throws rate_limited with retryAfterS", async () => {
    const limiter = new RateLimiter({ name: "t3", limit: 1, windowMs: 60_000, store: null });
    await limiter.enforce("a", "uploads from this address");
    const err = await limiter.enforce("a", "uploads from this address").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: "rate_limited",
      retryAfterS: 60,
      message: "too many uploads from this address, retry in 60 s",
    });
  });
});

describe("RateLimiter over Redis (real redis-server)", () => {
  let server: TestRedisServer;
  const connections: Redis[] = [];
  const connect = () => {
    // What limitStore() opens: fail fast, never queue behind a Redis that is away.
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 100 });
    redis.on("error", () => {});
    connections.push(redis);
    return redis;
  };
  const ready = (redis: Redis) =>
    redis.status === "ready" ? Promise.resolve() : new Promise<void>((r) => redis.once("ready", () => r()));

  beforeAll(async () => {
    server = await TestRedisServer.start();
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await server?.stop();
  });

  it("two web processes' limiters share one budget per key", async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const web1 = new RateLimiter({ name: "turns-ip", limit: 4, store: a });
    const web2 = new RateLimiter({ name: "turns-ip", limit: 4, store: b });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await web1.check("198.51.100.9"), await web2.check("198.51.100.9"));
    // In memory each would have allowed 4 (8 in all); shared, the fifth and sixth are refused.
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false, false]);
    expect(results[4]).toMatchObject({ ok: false, retryAfterS: expect.any(Number) });
    expect((results[4] as { retryAfterS: number }).retryAfterS).toBeLessThanOrEqual(60);
    // Other keys and other limits have budgets of their own.
    expect(await web2.check("198.51.100.10")).toEqual({ ok: true });
    expect(await new RateLimiter({ name: "uploads-ip", limit: 1, store: a }).check("198.51.100.9")).toEqual({
      ok: true,
    });
  });

  it("keeps limiting, in memory, while Redis is away (at once: no waiting on the connection)", async () => {
    const redis = connect();
    await ready(redis);
    const limiter = new RateLimiter({ name: "outage", limit: 2, store: redis });
    await server.stop();
    try {
      await vi.waitFor(() => expect(redis.status).not.toBe("ready"));
      const results = [await limiter.check("k"), await limiter.check("k"), await limiter.check("k")];
      expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    } finally {
      await server.resume();
    }
    await ready(redis);
    expect(await limiter.check("k2")).toEqual({ ok: true }); // back on Redis
  });
});
