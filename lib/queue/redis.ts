import "server-only";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { AppError } from "@/lib/errors";
import { setDependency } from "@/lib/metrics";

/**
 * Connections to Redis. Callers that answer people (`command`) give up on a command after one reconnect attempt
 * and check `ready()` first, so a request gets a clear error instead of hanging in ioredis's offline queue;
 * workers' blocking reads (`blocking`) wait and reconnect by themselves. Both reconnect with a capped backoff.
 */
export function redisConnection(url: string, role: "command" | "blocking"): Redis {
  const retryStrategy = (attempt: number) => Math.min(100 * attempt, 2000);
  const redis =
    role === "command"
      ? new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy })
      : new Redis(url, { maxRetriesPerRequest: null, retryStrategy });
  // Without a listener ioredis prints every failed reconnect as an unhandled error event.
  redis.on("error", () => {});
  redis.on("ready", () => setDependency("redis", true));
  redis.on("close", () => setDependency("redis", false));
  return redis;
}

/**
 * The web side of a BullMQ queue: a fail-fast connection (check it with `ready()` before adding jobs) and, when the
 * caller waits for results, the queue's event stream. Connection errors surface on each call instead of as events.
 */
export function openQueue(url: string, name: string): { connection: Redis; queue: Queue } {
  const connection = redisConnection(url, "command");
  const queue = new Queue(name, { connection, skipWaitingForReady: true });
  queue.on("error", () => {});
  return { connection, queue };
}

export function openQueueEvents(url: string, name: string): QueueEvents {
  const events = new QueueEvents(name, { connection: redisConnection(url, "blocking") });
  events.on("error", () => {});
  return events;
}

/** Waits briefly for a connection still being made (start-up); a Redis that is down fails at once. */
export async function ready(redis: Redis, url: string, waitMs = 1000): Promise<void> {
  if (redis.status === "ready") return;
  if (redis.status === "connecting" || redis.status === "wait" || redis.status === "connect") {
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), waitMs);
      const done = (v: boolean) => {
        clearTimeout(timer);
        redis.off("ready", onReady);
        resolve(v);
      };
      const onReady = () => done(true);
      redis.on("ready", onReady);
    });
    if (ok) return;
  }
  throw unreachable(url);
}

export function unreachable(url: string, cause?: unknown): AppError {
  const why = cause instanceof Error ? `: ${cause.message}` : "";
  return new AppError("unavailable", `the job queue (Redis at ${redact(url)}) is unreachable${why}`, { cause });
}

/** Never print a password from a URL. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "redis";
  }
}
