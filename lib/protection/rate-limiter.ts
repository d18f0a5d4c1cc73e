import "server-only";
import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";
import { createCounter, type LimitStore, limitStore, secondsFrom } from "./store";

export type RateCheck = { ok: true } | { ok: false; retryAfterS: number };

export interface RateLimiterOptions {
  /** Names the budget in the shared store: limiters of one name (in any web process) draw from one budget. */
  name: string;
  /** Requests allowed per window for one key; 0 turns the limiter off. */
  limit: number;
  /** Whole seconds (the store counts in seconds); default one minute. */
  windowMs?: number;
  /** The route whose refusals `enforce` counts in the metrics (`avatar_rejected_requests_total`). */
  route?: string;
  /** Default: Redis when REDIS_URL is set, else this process's memory (see store.ts). */
  store?: LimitStore;
}

const OK: RateCheck = { ok: true };

/**
 * `limit` requests per key in each window (a fixed window, counted by rate-limiter-flexible), in Redis when the
 * deployment has it so every web process shares the budget, with a memory counter standing in while Redis is
 * away. Counters expire with their window, so memory holds only the keys seen within the last window.
 */
export class RateLimiter {
  private readonly counter: RateLimiterAbstract | null;
  private readonly route: string;

  constructor({ name, limit, windowMs = 60_000, route = "other", store }: RateLimiterOptions) {
    this.route = route;
    this.counter =
      limit > 0
        ? createCounter({
            name,
            points: limit,
            durationS: Math.max(1, Math.round(windowMs / 1000)),
            store: store === undefined ? limitStore() : store,
          })
        : null;
  }

  /** Takes one request from `key`'s budget, or says how many seconds until the window opens again. */
  async check(key: string): Promise<RateCheck> {
    if (!this.counter) return OK;
    try {
      await this.counter.consume(key);
      return OK;
    } catch (res) {
      if (res instanceof RateLimiterRes) return { ok: false, retryAfterS: secondsFrom(res.msBeforeNext) };
      // Only a store failure with no insurance gets here; a limit is not worth refusing everyone over.
      console.warn(`[rate-limit] ${this.route}: counter failed, letting the request through: ${String(res)}`);
      return OK;
    }
  }

  /** As `check`, but refuses with rate_limited (429, Retry-After), e.g. `enforce(ip, "uploads from this address")`. */
  async enforce(key: string, what: string): Promise<void> {
    const rate = await this.check(key);
    if (!rate.ok) {
      const { retryAfterS } = rate;
      rejected("rate_limited", this.route);
      throw new AppError("rate_limited", `too many ${what}, retry in ${retryAfterS} s`, { retryAfterS });
    }
  }
}
