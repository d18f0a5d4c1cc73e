import "server-only";
import type { Redis } from "ioredis";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { env } from "@/lib/config/env";
import { redisConnection } from "@/lib/queue/redis";

/** Where counters live: null for this process's memory, or a Redis connection shared by every web process. */
export type LimitStore = Redis | null;

const KEY = Symbol.for("avatar-consult.limit-store");
const holder = globalThis as typeof globalThis & { [KEY]?: { redis: LimitStore } };

/**
 * The store for this deployment's limits: Redis when REDIS_URL is set, so that several web processes behind a load
 * balancer share one budget per client instead of each granting its own; memory on one machine. One connection
 * per process, a fail-fast one: a limit must never wait for a Redis that is away.
 */
export function limitStore(): LimitStore {
  if (!holder[KEY]) {
    const url = env().REDIS_URL;
    holder[KEY] = { redis: url ? redisConnection(url, "command") : null };
  }
  return holder[KEY].redis;
}

export interface CounterSpec {
  /** Names the counters in Redis (`avatar:limit:<name>:<key>`); limits with the same name share budgets. */
  name: string;
  /** Points per window. */
  points: number;
  durationS: number;
  store: LimitStore;
}

/**
 * A rate-limiter-flexible counter over the store. Over Redis, a memory counter insures it: while Redis is away
 * (not connected, or a command fails) each process counts on its own, so the limits still hold, per process, and
 * the site stays up.
 */
export function createCounter({ name, points, durationS, store }: CounterSpec): RateLimiterAbstract {
  const options = { keyPrefix: `avatar:limit:${name}`, points, duration: durationS };
  if (!store) return new RateLimiterMemory(options);
  return new RateLimiterRedis({
    ...options,
    storeClient: store,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}

/** Whole seconds until `msBeforeNext` has passed, at least 1 (a Retry-After of 0 invites an immediate retry). */
export function secondsFrom(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
