import "server-only";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import type { AnswerEngine } from "@/lib/answer/types";
import { failureText } from "./job-errors";
import { redisConnection } from "./redis";
import { LLM_CANCEL_CHANNEL, LLM_QUEUE, type LlmJobData, type LlmJobMessage, llmChannel } from "./redis-answer-engine";

export interface LlmJobWorkerOptions {
  url: string;
  /** The local language model this worker serves (llama.cpp in its own process, or an OpenAI-compatible server). */
  engine: AnswerEngine;
  /** Answers generated at once: the engine batches them as sequences of one context. */
  concurrency: number;
}

/**
 * An llm worker on the Redis queue: takes answer jobs and publishes each event on the job's channel as it is
 * generated; a cancellation from the web process stops that generation.
 */
export async function startLlmJobWorker(options: LlmJobWorkerOptions): Promise<Worker> {
  const publisher = redisConnection(options.url, "command");
  const cancels = redisConnection(options.url, "blocking");
  const running = new Map<string, AbortController>();
  await cancels.subscribe(LLM_CANCEL_CHANNEL);
  cancels.on("message", (_channel: string, id: string) => running.get(id)?.abort());

  const worker = new Worker<LlmJobData>(
    LLM_QUEUE,
    async (job) => {
      const { id, request } = job.data;
      const controller = new AbortController();
      running.set(id, controller);
      const publish = (m: LlmJobMessage) => publisher.publish(llmChannel(id), JSON.stringify(m));
      try {
        for await (const event of options.engine.answer({ ...request, signal: controller.signal })) {
          await publish({ event });
        }
      } catch (err) {
        await publish({ failure: failureText(err) });
      } finally {
        running.delete(id);
      }
    },
    {
      connection: redisConnection(options.url, "blocking"),
      concurrency: options.concurrency,
      // A half-streamed answer cannot be replayed by another worker: a stalled job fails instead.
      maxStalledCount: 0,
      name: `llm@${hostname()}:${process.pid}`,
    },
  );
  worker.on("error", (err) => console.warn(`[llm worker] ${err.message}`));
  return worker;
}
