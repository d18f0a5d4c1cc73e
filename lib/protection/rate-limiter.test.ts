import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { RateLimiter } from "./rate-limiter";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("RateLimiter", () => {
  it("allows `limit` per window, then says when the next one is free", () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) expect(limiter.check("a")).toEqual({ ok: true });
    // One token comes back every 20 s.
    expect(limiter.check("a")).toEqual({ ok: false, retryAfterS: 20 });
    c.advance(15_000);
    expect(limiter.check("a")).toEqual({ ok: false, retryAfterS: 5 });
    c.advance(5_000);
    expect(limiter.check("a")).toEqual({ ok: true });
    expect(limiter.check("b")).toEqual({ ok: true }); // keys are independent
  });

  it("refills fully after an idle window and never beyond the limit", () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 1_000, now: c.now });
    limiter.check("a");
    limiter.check("a");
    c.advance(10_000);
    expect(limiter.check("a").ok).toBe(true);
    expect(limiter.check("a").ok).toBe(true);
    expect(limiter.check("a")).toEqual({ ok: false, retryAfterS: 1 });
  });

  it("is off at limit 0", () => {
    const limiter = new RateLimiter({ limit: 0 });
    for (let i = 0; i < 1000; i++) expect(limiter.check("a").ok).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it("keeps memory bounded: idle keys are pruned and the cap evicts the least recently seen", () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000, maxKeys: 100, now: c.now });
    for (let i = 0; i < 50; i++) limiter.check(`idle-${i}`);
    c.advance(1_000);
    limiter.check("fresh");
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 500; i++) limiter.check(`k-${i}`);
    expect(limiter.size).toBe(100);
    expect(limiter.check("k-499").ok).toBe(false); // recent keys are kept
    expect(limiter.check("k-0").ok).toBe(true); // the oldest was forgotten
  });

  it("enforce throws rate_limited with retryAfterS", () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000, now: () => 0 });
    limiter.enforce("a", "uploads from this address");
    const err = (() => {
      try {
        limiter.enforce("a", "uploads from this address");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: "rate_limited",
      retryAfterS: 60,
      message: "too many uploads from this address, retry in 60 s",
    });
  });
});
