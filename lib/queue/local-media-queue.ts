import "server-only";
import type { PreparedAvatar } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";
import type { SpokenSentence } from "@/lib/media/media-service";
import { MediaWorkerClient } from "@/lib/media/worker-client";
import { observeBatch, observeJob, observeQueueWait } from "@/lib/metrics";
import type { Lang } from "@/lib/persona/persona";
import type { AsrStream, Transcript } from "@/lib/speech/types";
import {
  DeadlineError,
  type MediaJobOptions,
  type MediaPriority,
  type MediaQueue,
  PRIORITY_RANK,
  type QueueDepth,
  WorkerLostError,
  type WorkerStatus,
} from "./types";

export interface LocalMediaQueueOptions {
  /** Media worker processes (at least one). */
  workers: number;
  /** Jobs one worker works on at once; jobs gathered within `windowMs` go out together. */
  batchSize: number;
  windowMs: number;
  attempts: number;
  deadlines: { speakMs: number; transcribeMs: number };
  /** Worker entry file (tests). */
  entry?: string;
}

/**
 * Recognition decodes in pocketsphinx's own processes while the worker's thread stays free, so transcriptions have
 * their own lane and never hold a worker's synthesis slot (a 5 s recording would otherwise stall speech for ~1.5 s).
 */
type Lane = "speech" | "asr";
const ASR_PER_WORKER = 2;

interface Slot {
  client: MediaWorkerClient;
  active: Record<Lane, number>;
}

interface Job {
  kind: string;
  rank: number;
  order: number;
  enqueuedAt: number;
  attempt: number;
  controller: AbortController;
  run(client: MediaWorkerClient, signal: AbortSignal): Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  settled: boolean;
}

/**
 * The media queue on one machine: a pool of media worker processes fed from one priority queue in this process.
 * Same behaviour as the Redis queue: priorities, retries when a worker dies mid-job (on another worker or a fresh
 * one), and deadlines after which the caller degrades instead of waiting.
 */
export class LocalMediaQueue implements MediaQueue {
  readonly transport = "local" as const;
  private readonly slots: Slot[];
  private readonly waiting: Job[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalMediaQueueOptions) {
    this.slots = Array.from({ length: Math.max(1, options.workers) }, () => ({
      client: new MediaWorkerClient(options.entry),
      active: { speech: 0, asr: 0 },
    }));
  }

  transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript> {
    return this.submit("transcribe", "new-turn", this.options.deadlines.transcribeMs, signal, (c, s) =>
      c.transcribe(wav, lang, s),
    );
  }

  async *speak(
    personaId: string,
    text: string,
    options: { lang: Lang } & MediaJobOptions,
  ): AsyncGenerator<SpokenSentence> {
    const sentences = await this.submit(
      "speak",
      options.priority ?? "new-turn",
      this.options.deadlines.speakMs,
      options.signal,
      async (c, s) => {
        const out: SpokenSentence[] = [];
        for await (const sentence of c.speak(personaId, text, { lang: options.lang, signal: s })) out.push(sentence);
        return out;
      },
    );
    yield* sentences;
  }

  /** A live recognition session on the least busy worker (its decoding runs in pocketsphinx's own process). */
  listen(lang?: Lang, signal?: AbortSignal): AsrStream {
    const slot = this.slots.reduce((best, s) => (s.active.asr < best.active.asr ? s : best));
    return slot.client.listen(lang, signal);
  }

  avatar(personaId: string): Promise<PreparedAvatar> {
    return this.submit("avatar", "new-turn", this.options.deadlines.transcribeMs, undefined, (c) =>
      c.avatar(personaId),
    );
  }

  /** Every worker loads its engines and draws the avatars, so no first turn pays for it. */
  async warm(personaIds: string[]): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.client.warm(personaIds)));
  }

  async depth(): Promise<QueueDepth[]> {
    const active = this.slots.reduce((n, s) => n + s.active.speech + s.active.asr, 0);
    return [{ queue: "media", waiting: this.waiting.length, active }];
  }

  async workers(): Promise<WorkerStatus[]> {
    return this.slots.map((slot, i) => ({ kind: "media", id: `local-${i}`, up: slot.client.pid !== undefined }));
  }

  async close(): Promise<void> {
    for (const slot of this.slots) slot.client.close();
  }

  /** The worker pids, for operators and fault tests. */
  get pids(): (number | undefined)[] {
    return this.slots.map((s) => s.client.pid);
  }

  private submit<T>(
    kind: string,
    priority: MediaPriority,
    deadlineMs: number,
    signal: AbortSignal | undefined,
    run: (client: MediaWorkerClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      const job: Job = {
        kind,
        rank: PRIORITY_RANK[priority],
        order: this.order++,
        enqueuedAt: performance.now(),
        attempt: 1,
        controller,
        run,
        settled: false,
        resolve: (v) => settle(() => resolve(v as T)),
        reject: (e) => settle(() => reject(e)),
      };
      const deadline = setTimeout(() => {
        observeJob("media", kind, performance.now() - job.enqueuedAt, "expired");
        job.reject(new DeadlineError(kind === "speak" ? "speech" : kind, deadlineMs));
      }, deadlineMs);
      const onAbort = () => job.reject(signal?.reason ?? new AppError("bad_request", "cancelled"));
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = (done: () => void) => {
        if (job.settled) return;
        job.settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener("abort", onAbort);
        const i = this.waiting.indexOf(job);
        if (i >= 0) this.waiting.splice(i, 1);
        controller.abort(); // a job still running in a worker stops there too
        done();
      };
      this.enqueue(job);
    });
  }

  private enqueue(job: Job): void {
    this.waiting.push(job);
    this.waiting.sort((a, b) => a.rank - b.rank || a.order - b.order);
    this.timer ??= setTimeout(() => this.dispatch(), this.options.windowMs);
  }

  /** Sends waiting jobs, most urgent first, to the least busy worker with room in the job's lane. */
  private dispatch(): void {
    this.timer = undefined;
    let sent = 0;
    for (let i = 0; i < this.waiting.length; ) {
      const job = this.waiting[i] as Job;
      const slot = this.freeSlot(laneOf(job));
      if (!slot) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      sent++;
      void this.execute(job, slot);
    }
    if (sent) observeBatch("media", sent);
  }

  private freeSlot(lane: Lane): Slot | undefined {
    const capacity = lane === "asr" ? ASR_PER_WORKER : this.options.batchSize;
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.active[lane] < capacity && (!best || s.active[lane] < best.active[lane])) best = s;
    }
    return best;
  }

  private async execute(job: Job, slot: Slot): Promise<void> {
    observeQueueWait("media", performance.now() - job.enqueuedAt);
    const lane = laneOf(job);
    slot.active[lane]++;
    const started = performance.now();
    try {
      const value = await job.run(slot.client, job.controller.signal);
      observeJob("media", job.kind, performance.now() - started, "ok");
      job.resolve(value);
    } catch (err) {
      if (err instanceof WorkerLostError && job.attempt < this.options.attempts && !job.settled) {
        observeJob("media", job.kind, performance.now() - started, "retried");
        job.attempt++;
        // The slot's client restarts its worker on the next job; the retry goes wherever is free first.
        setTimeout(() => !job.settled && this.enqueue(job), 25 * 2 ** job.attempt);
      } else {
        observeJob("media", job.kind, performance.now() - started, "failed");
        job.reject(err);
      }
    } finally {
      slot.active[lane]--;
      if (this.waiting.length) this.timer ??= setTimeout(() => this.dispatch(), 0);
    }
  }
}

function laneOf(job: Job): Lane {
  return job.kind === "transcribe" ? "asr" : "speech";
}
