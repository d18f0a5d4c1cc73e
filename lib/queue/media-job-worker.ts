import "server-only";
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import { AppError } from "@/lib/errors";
import { MediaService } from "@/lib/media/media-service";
import type { Lang } from "@/lib/persona/persona";
import { listPersonaIds } from "@/lib/persona/persona";
import { failureText, isPermanent } from "./job-errors";
import { redisConnection } from "./redis";
import { MEDIA_QUEUE, type MediaJobData, type MediaJobResult } from "./redis-media-queue";
import { fromWire, toWire } from "./wire";

export interface MediaJobWorkerOptions {
  url: string;
  /** Jobs taken at once: sentences and recordings from different sessions are worked on together. */
  batchSize: number;
  /** A worker that stops renewing its jobs' locks for this long (it died) loses them to another worker. */
  lockMs?: number;
}

/**
 * A media worker on the Redis queue: loads the engines once, draws every persona's avatar, then takes speak,
 * transcribe and avatar jobs. Jobs whose deadline passed before they were taken are dropped unworked.
 */
export async function startMediaJobWorker(options: MediaJobWorkerOptions): Promise<Worker> {
  const media = MediaService.fromEnv();
  await media.warm(await listPersonaIds());
  let inHand = 0;
  const lockMs = options.lockMs ?? 4000;
  const worker = new Worker<MediaJobData, string>(
    MEDIA_QUEUE,
    async (job) => {
      inHand++;
      const batch = inHand;
      try {
        if (Date.now() > job.data.deadline) throw new AppError("unavailable", "expired before a worker took it");
        const value = await perform(media, job.name, job.data.payload);
        const waitMs = Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp);
        return JSON.stringify({ payload: toWire(value), batch, waitMs } satisfies MediaJobResult);
      } catch (err) {
        const text = failureText(err);
        throw isPermanent(err) || Date.now() > job.data.deadline ? new UnrecoverableError(text) : new Error(text);
      } finally {
        inHand--;
      }
    },
    {
      connection: redisConnection(options.url, "blocking"),
      concurrency: options.batchSize,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, lockMs / 2),
      maxStalledCount: 2,
      name: `media@${hostname()}:${process.pid}`,
    },
  );
  worker.on("error", (err) => console.warn(`[media worker] ${err.message}`));
  return worker;
}

async function perform(media: MediaService, name: string, payload: string): Promise<unknown> {
  if (name === "speak") {
    const { personaId, text, lang } = fromWire<{ personaId: string; text: string; lang: Lang }>(payload);
    const out = [];
    for await (const sentence of media.speak(personaId, text, { lang })) out.push(sentence);
    return out;
  }
  if (name === "transcribe") {
    const { wav, lang } = fromWire<{ wav: Uint8Array; lang?: Lang }>(payload);
    return media.transcribe(wav, lang);
  }
  if (name === "avatar") return media.avatarFor(fromWire<{ personaId: string }>(payload).personaId);
  throw new AppError("bad_request", `unknown media job "${name}"`);
}
