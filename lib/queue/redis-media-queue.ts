import "server-only";
import type { Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { PreparedAvatar } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";
import type { SpokenSentence } from "@/lib/media/media-service";
import { observeBatch, observeJob, observeQueueWait } from "@/lib/metrics";
import type { Lang } from "@/lib/persona/persona";
import type { Transcript } from "@/lib/speech/types";
import { failureError } from "./job-errors";
import { openQueue, openQueueEvents, ready, unreachable } from "./redis";
import {
  DeadlineError,
  type MediaJobOptions,
  type MediaPriority,
  type MediaQueue,
  PRIORITY_RANK,
  type QueueDepth,
  type WorkerStatus,
} from "./types";
import { fromWire, toWire } from "./wire";

export const MEDIA_QUEUE = "media";

/** What a media job carries: its input as wire JSON and the time after which nobody waits for it. */
export interface MediaJobData {
  payload: string;
  deadline: number;
}

export type MediaJobName = "speak" | "transcribe" | "avatar";

/**
 * A worker's answer: the value as wire JSON, how many jobs that worker had in hand (its batch), and how long the job
 * waited before a worker took it (two hosts' clocks; BullMQ stamps both ends).
 */
export interface MediaJobResult {
  payload: string;
  batch: number;
  waitMs: number;
}

export interface RedisMediaQueueOptions {
  url: string;
  attempts: number;
  deadlines: { speakMs: number; transcribeMs: number };
}

/**
 * The media queue over Redis (BullMQ): any number of `npm run worker -- media` processes on any host take jobs.
 * Priorities put a speaking session's next sentence first; a job whose worker dies is found stalled and taken
 * by another worker; transient failures are retried with backoff; a job later than its deadline degrades the
 * turn; while Redis is away, requests fail at once with a clear error and work again when it is back.
 */
export class RedisMediaQueue implements MediaQueue {
  readonly transport = "redis" as const;
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;

  constructor(private readonly options: RedisMediaQueueOptions) {
    ({ connection: this.connection, queue: this.queue } = openQueue(options.url, MEDIA_QUEUE));
    this.events = openQueueEvents(options.url, MEDIA_QUEUE);
  }

  transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript> {
    return this.run<Transcript>("transcribe", { wav, lang }, "new-turn", this.options.deadlines.transcribeMs, signal);
  }

  async *speak(
    personaId: string,
    text: string,
    options: { lang: Lang } & MediaJobOptions,
  ): AsyncGenerator<SpokenSentence> {
    yield* await this.run<SpokenSentence[]>(
      "speak",
      { personaId, text, lang: options.lang },
      options.priority ?? "new-turn",
      this.options.deadlines.speakMs,
      options.signal,
    );
  }

  avatar(personaId: string): Promise<PreparedAvatar> {
    return this.run<PreparedAvatar>("avatar", { personaId }, "new-turn", this.options.deadlines.transcribeMs);
  }

  /** Workers warm themselves when they start; here we only make sure Redis answers. */
  async warm(): Promise<void> {
    await ready(this.connection, this.options.url, 5000);
  }

  async depth(): Promise<QueueDepth[]> {
    const c = await this.queue.getJobCounts("waiting", "prioritized", "active", "delayed", "failed");
    return [
      {
        queue: MEDIA_QUEUE,
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
      },
    ];
  }

  async workers(): Promise<WorkerStatus[]> {
    const list = await this.queue.getWorkers();
    // BullMQ names a worker's connection "bull:<queue>:w:<worker name>"; ours are "media@<host>:<pid>".
    return list.map((w) => ({ kind: "media", id: w.rawname?.split(":w:")[1] ?? w.addr ?? "unknown", up: true }));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }

  private async run<T>(
    name: MediaJobName,
    input: unknown,
    priority: MediaPriority,
    deadlineMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
    signal?.throwIfAborted();
    await ready(this.connection, this.options.url);
    const started = performance.now();
    const deadline = Date.now() + deadlineMs;
    const late = () => new DeadlineError(name === "speak" ? "speech" : name, deadlineMs);
    let job: Job<MediaJobData, string>;
    try {
      job = await this.queue.add(
        name,
        { payload: toWire(input), deadline },
        {
          priority: PRIORITY_RANK[priority],
          attempts: this.options.attempts,
          backoff: { type: "exponential", delay: 50 },
          removeOnComplete: { age: 60, count: 2000 },
          removeOnFail: { age: 3600, count: 2000 },
        },
      );
    } catch (err) {
      throw unreachable(this.options.url, err);
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), deadlineMs);
      onAbort = () => reject(signal?.reason ?? new AppError("bad_request", "cancelled"));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const finished = job.waitUntilFinished(this.events, deadlineMs + 1000);
      finished.catch(() => {}); // it may still fail after the deadline has answered
      const raw = await Promise.race([finished, stop]);
      const result = JSON.parse(raw) as MediaJobResult;
      observeJob(MEDIA_QUEUE, name, performance.now() - started, "ok");
      observeBatch(MEDIA_QUEUE, result.batch);
      observeQueueWait(MEDIA_QUEUE, result.waitMs);
      return fromWire<T>(result.payload);
    } catch (caught) {
      // A worker that found the job past its deadline says so before our own timer does.
      const err = !(caught instanceof AppError) && Date.now() >= deadline ? late() : caught;
      const expired = err instanceof DeadlineError;
      observeJob(MEDIA_QUEUE, name, performance.now() - started, expired ? "expired" : "failed");
      if (expired || signal?.aborted) job.remove().catch(() => {}); // still waiting: nobody needs it any more
      if (err instanceof AppError) throw err;
      throw failureError(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }
}
