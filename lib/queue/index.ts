import "server-only";
import { env } from "@/lib/config/env";
import { type IngestQueue, LocalIngestQueue, RedisIngestQueue } from "./ingest-queue";
import { LocalMediaQueue } from "./local-media-queue";
import { RedisMediaQueue } from "./redis-media-queue";
import type { MediaQueue } from "./types";

export type { MediaPriority, MediaQueue, QueueDepth, WorkerStatus } from "./types";
export { DeadlineError } from "./types";

/** The configured media queue: BullMQ on REDIS_URL when set, else a pool of worker processes on this machine. */
export function createMediaQueue(): MediaQueue {
  const e = env();
  const deadlines = { speakMs: e.MEDIA_DEADLINE_MS, transcribeMs: e.ASR_DEADLINE_MS };
  if (e.REDIS_URL) return new RedisMediaQueue({ url: e.REDIS_URL, attempts: e.QUEUE_ATTEMPTS, deadlines });
  return new LocalMediaQueue({
    workers: e.MEDIA_WORKERS,
    batchSize: e.MEDIA_BATCH_SIZE,
    windowMs: e.MEDIA_BATCH_WINDOW_MS,
    attempts: e.QUEUE_ATTEMPTS,
    deadlines,
  });
}

const holder = globalThis as { __avatarIngestQueue?: IngestQueue };

/** Where uploads are ingested: ingest workers over Redis when REDIS_URL is set, else a process on this machine. */
export function ingestQueue(): IngestQueue {
  const { REDIS_URL } = env();
  holder.__avatarIngestQueue ??= REDIS_URL ? new RedisIngestQueue(REDIS_URL) : new LocalIngestQueue();
  return holder.__avatarIngestQueue;
}
