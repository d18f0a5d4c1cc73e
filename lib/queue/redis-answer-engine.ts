import "server-only";
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { AnswerEngine, AnswerEvent, AnswerRequest } from "@/lib/answer/types";
import { AppError } from "@/lib/errors";
import { observeJob } from "@/lib/metrics";
import { failureError } from "./job-errors";
import { openQueue, ready, redisConnection, unreachable } from "./redis";

export const LLM_QUEUE = "llm";
/** A job's events travel on its own channel; cancellations on one shared channel every llm worker listens to. */
export const llmChannel = (id: string) => `avatar:llm:${id}`;
export const LLM_CANCEL_CHANNEL = "avatar:llm:cancel";

export interface LlmJobData {
  id: string;
  request: Omit<AnswerRequest, "signal">;
}

/** What a worker publishes on the job's channel: the engine's events, or why it failed. */
export type LlmJobMessage = { event: AnswerEvent } | { failure: string };

/**
 * Answers from `npm run worker -- llm` processes over Redis (BullMQ): the web processes hold no model; any number
 * of llm workers on GPU hosts take answers, each batching many at once on one loaded model. Text streams back as
 * it is generated (Redis pub/sub on the job's own channel); cancelling stops the generation in the worker.
 */
export class RedisAnswerEngine implements AnswerEngine {
  readonly id: string;
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly channels: Channels;

  constructor(
    private readonly options: {
      url: string;
      engineId: string;
      /** Silence this long from the worker mid-answer (it died) fails the answer. */
      idleMs: number;
    },
  ) {
    this.id = options.engineId;
    this.channels = new Channels(options.url);
    ({ connection: this.connection, queue: this.queue } = openQueue(options.url, LLM_QUEUE));
  }

  async *answer(request: AnswerRequest): AsyncIterable<AnswerEvent> {
    const { signal, ...rest } = request;
    signal?.throwIfAborted();
    await ready(this.connection, this.options.url);
    const id = randomUUID();
    const started = performance.now();
    const inbox = new Inbox(this.options.idleMs);
    const onAbort = () => {
      this.connection.publish(LLM_CANCEL_CHANNEL, id).catch(() => {});
      inbox.close();
    };
    try {
      // Subscribed before the job exists, so not one delta is missed.
      await this.channels.open(llmChannel(id), (text) => inbox.push(JSON.parse(text) as LlmJobMessage));
      try {
        // One attempt: a worker that dies mid-answer has already said part of it; the answer service falls back.
        await this.queue.add("answer", { id, request: rest } satisfies LlmJobData, {
          jobId: id,
          removeOnComplete: { age: 60, count: 1000 },
          removeOnFail: { age: 3600, count: 1000 },
        });
      } catch (err) {
        throw unreachable(this.options.url, err);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      for await (const message of inbox) {
        if ("failure" in message) throw failureError(message.failure);
        yield message.event;
        if (message.event.type === "done") break;
      }
      observeJob(LLM_QUEUE, "answer", performance.now() - started, "ok");
    } catch (err) {
      observeJob(LLM_QUEUE, "answer", performance.now() - started, "failed");
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.channels.close(llmChannel(id));
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue.close(), this.channels.quit()]);
  }
}

/** One subscriber connection for every answer in flight, routing each job's channel to its reader. */
class Channels {
  private readonly readers = new Map<string, (text: string) => void>();
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = redisConnection(url, "blocking");
    this.redis.on("message", (channel: string, text: string) => this.readers.get(channel)?.(text));
  }

  async open(channel: string, reader: (text: string) => void): Promise<void> {
    this.readers.set(channel, reader);
    await this.redis.subscribe(channel);
  }

  close(channel: string): void {
    this.readers.delete(channel);
    this.redis.unsubscribe(channel).catch(() => {});
  }

  async quit(): Promise<void> {
    await this.redis.quit();
  }
}

/** Messages from the subscription, read in order by the answer's generator. */
class Inbox {
  private readonly items: LlmJobMessage[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(private readonly idleMs: number) {}

  push(m: LlmJobMessage): void {
    this.items.push(m);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LlmJobMessage> {
    for (;;) {
      const next = this.items.shift();
      if (next) yield next;
      else if (this.closed) return;
      else if (!(await this.arrival())) {
        throw new AppError("unavailable", `the llm worker went silent for ${this.idleMs} ms mid-answer`);
      }
    }
  }

  /** Resolves true when something arrives (or the inbox closes), false after `idleMs` of nothing. */
  private arrival(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, this.idleMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(true);
      };
    });
  }
}
