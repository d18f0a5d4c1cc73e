import type { PreparedAvatar } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";
import type { SpokenSentence } from "@/lib/media/media-service";
import type { QueueStats, WorkerStatus } from "@/lib/metrics";
import type { Lang } from "@/lib/persona/persona";
import type { AsrStream, Transcript } from "@/lib/speech/types";

/**
 * Who waits for a job decides its place in the queue: a session already speaking needs its next sentence before
 * its audio runs out, so that comes before a new turn's first sentence or transcription.
 */
export type MediaPriority = "next-sentence" | "new-turn";

/** BullMQ's convention (1 is served first), used by the local queue too. */
export const PRIORITY_RANK: Record<MediaPriority, number> = { "next-sentence": 1, "new-turn": 2 };

export interface MediaJobOptions {
  priority?: MediaPriority;
  signal?: AbortSignal;
}

/**
 * The media stages as jobs, whatever carries them: forked worker processes on this machine, or BullMQ queues on
 * Redis that workers on any host take. Both retry transient failures (a worker dying) and enforce deadlines.
 */
export interface MediaQueue {
  readonly transport: "local" | "redis";
  transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript>;
  speak(personaId: string, text: string, options: { lang: Lang } & MediaJobOptions): AsyncIterable<SpokenSentence>;
  /** Recognition while the person speaks, pinned to one worker; absent where the transport cannot stream. */
  listen?(lang?: Lang, signal?: AbortSignal): AsrStream;
  avatar(personaId: string): Promise<PreparedAvatar>;
  warm(personaIds: string[]): Promise<void>;
  /** Jobs waiting and running, for metrics and health. */
  depth(): Promise<QueueDepth[]>;
  /** Media workers this process knows of and whether each is up. */
  workers(): Promise<WorkerStatus[]>;
  close(): Promise<void>;
}

/** Jobs waiting and running in one queue, and a worker's liveness: what operators see in the metrics. */
export type QueueDepth = QueueStats;
export type { WorkerStatus };

/** A job that missed its deadline: the turn degrades (text without voice) instead of waiting on. */
export class DeadlineError extends AppError {
  constructor(what: string, ms: number) {
    super("unavailable", `${what} was not ready within ${ms} ms`);
    this.name = "DeadlineError";
  }
}

/** The process doing a job went away mid-job: worth another attempt elsewhere. */
export class WorkerLostError extends AppError {
  constructor(message: string) {
    super("unavailable", message);
    this.name = "WorkerLostError";
  }
}
