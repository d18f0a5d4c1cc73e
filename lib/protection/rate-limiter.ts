import "server-only";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";

export type RateCheck = { ok: true } | { ok: false; retryAfterS: number };

export interface RateLimiterOptions {
  /** Requests allowed per window for one key; 0 turns the limiter off. */
  limit: number;
  windowMs?: number;
  /** Keys remembered at most; past it the least recently seen key is forgotten (it starts with a full bucket). */
  maxKeys?: number;
  /** The route whose refusals `enforce` counts in the metrics (`avatar_rejected_requests_total`). */
  route?: string;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const OK: RateCheck = { ok: true };

/**
 * A token bucket per key: `limit` requests at once, refilled evenly over the window, so a steady `limit` per window
 * passes and more does not. O(1) per call: the map is kept in last-seen order, so idle keys (whose bucket has
 * refilled and so equals no entry at all) are pruned from its front, and the cap evicts from there too.
 *
 * In-process: with several web processes each keeps its own buckets, so behind a load balancer a client gets at
 * most its share per process (the limit per process it reaches); that is fine for abuse protection.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly route: string;

  constructor({
    limit,
    windowMs = 60_000,
    maxKeys = 100_000,
    now = () => performance.now(),
    route = "other",
  }: RateLimiterOptions) {
    this.route = route;
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
    this.now = now;
  }

  /** Takes one request from `key`'s budget, or says how many seconds until one is free. */
  check(key: string): RateCheck {
    if (this.limit === 0) return OK;
    const now = this.now();
    this.prune(now);
    const perMs = this.limit / this.windowMs;
    const prev = this.buckets.get(key);
    const tokens = prev ? Math.min(this.limit, prev.tokens + (now - prev.at) * perMs) : this.limit;
    this.buckets.delete(key); // re-inserted below, at the back: most recently seen
    const ok = tokens >= 1;
    this.buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return ok ? OK : { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
  }

  /** As `check`, but refuses with rate_limited (429, Retry-After), e.g. `enforce(ip, "uploads from this address")`. */
  enforce(key: string, what: string): void {
    const rate = this.check(key);
    if (!rate.ok) {
      const { retryAfterS } = rate;
      rejected("rate_limited", this.route);
      throw new AppError("rate_limited", `too many ${what}, retry in ${retryAfterS} s`, { retryAfterS });
    }
  }

  /** Keys remembered now (tests check that memory stays bounded). */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at < this.windowMs) return;
      this.buckets.delete(key);
    }
  }
}
