import "server-only";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { TurnEvent } from "@/lib/turn/events";

/**
 * Prometheus metrics for operators, served by /api/metrics. One registry per process, kept on `globalThis`
 * because Next can evaluate this module more than once and prom-client refuses a name registered twice.
 * Labels stay bounded: personas come from a fixed folder list, kinds and reasons are codes, never free text.
 */

export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  delayed?: number;
  failed?: number;
}
export interface WorkerStatus {
  kind: string;
  id: string;
  up: boolean;
}
type QueueStatsProvider = () => Promise<QueueStats[]>;
type WorkerStatusProvider = () => Promise<WorkerStatus[]> | WorkerStatus[];

/** A session counts as active this long after its last turn started. */
const SESSION_WINDOW_MS = 5 * 60_000;
/** Bounds the session map; past it the least recently seen session is forgotten. */
const MAX_TRACKED_SESSIONS = 100_000;
/** A provider slower than this (e.g. Redis unreachable, commands queued) counts as down; scrapes must not hang. */
const PROVIDER_TIMEOUT_MS = 2_000;
/** 5 ms .. 30 s: from a cached retrieval to a slow cold turn. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30];
const BATCH_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 32, 64];

/**
 * Calls the current provider with a timeout, sharing one call between the gauges that read it: the registry
 * collects all metrics in parallel, so both gauges ask within the same scrape.
 */
function oncePerScrape<T>(provider: () => (() => Promise<T> | T) | undefined): () => Promise<T | null> {
  let pending: Promise<T | null> | undefined;
  const call = async (): Promise<T | null> => {
    const fn = provider();
    if (!fn) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("provider timed out")), PROVIDER_TIMEOUT_MS);
    });
    try {
      return await Promise.race([Promise.resolve().then(fn), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    pending ??= call().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "avatar_" });
  const registers = [registry];

  /** Sessions by last turn start; Map order is kept as last-seen order (re-inserted on each touch). */
  const sessions = new Map<string, number>();
  const providers: { queue?: QueueStatsProvider; workers?: WorkerStatusProvider } = {};
  const callQueues = oncePerScrape(() => providers.queue);
  const callWorkers = oncePerScrape(() => providers.workers);

  const dependencyUp = new Gauge({
    name: "avatar_dependency_up",
    help: "Whether a dependency answered (1) or not (0) when last checked",
    labelNames: ["dependency"] as const,
    registers,
    // The queue's state is only known once its provider answered in this scrape.
    async collect() {
      await scrapeQueues();
    },
  });

  /** Queue stats for this scrape, or null when no provider is set or it failed (queue marked down). */
  async function scrapeQueues(): Promise<QueueStats[] | null> {
    if (!providers.queue) return null;
    try {
      const stats = await callQueues();
      dependencyUp.set({ dependency: "queue" }, 1);
      return stats;
    } catch {
      dependencyUp.set({ dependency: "queue" }, 0);
      return null;
    }
  }

  /** Worker status for this scrape; a failing provider reports no workers rather than failing the scrape. */
  async function scrapeWorkers(): Promise<WorkerStatus[] | null> {
    try {
      return await callWorkers();
    } catch {
      return null;
    }
  }

  return {
    registry,
    sessions,
    providers,
    dependencyUp,
    turnStage: new Histogram({
      name: "avatar_turn_stage_seconds",
      help: "Turn timings from the done event: asr and retrieve are durations; first_* and total count from turn start",
      labelNames: ["stage", "persona", "kind"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    turns: new Counter({
      name: "avatar_turns_total",
      help: "Turns finished, by outcome (ok, cancelled by barge-in, error)",
      labelNames: ["persona", "kind", "outcome"] as const,
      registers,
    }),
    errors: new Counter({
      name: "avatar_errors_total",
      help: "Errors by code",
      labelNames: ["kind"] as const,
      registers,
    }),
    activeTurns: new Gauge({
      name: "avatar_active_turns",
      help: "Turns running now in this process",
      labelNames: ["persona"] as const,
      registers,
    }),
    activeSessions: new Gauge({
      name: "avatar_active_sessions",
      help: `Distinct sessions that started a turn in the last ${SESSION_WINDOW_MS / 60_000} minutes`,
      registers,
      collect() {
        const cutoff = Date.now() - SESSION_WINDOW_MS;
        // Oldest first, so pruning stops at the first session still inside the window.
        for (const [id, seen] of sessions) {
          if (seen >= cutoff) break;
          sessions.delete(id);
        }
        this.set(sessions.size);
      },
    }),
    degradations: new Counter({
      name: "avatar_degradations_total",
      help: "Turns that left something out so the answer could still arrive, by kind",
      labelNames: ["kind"] as const,
      registers,
    }),
    rejected: new Counter({
      name: "avatar_rejected_requests_total",
      help: "Requests refused before any work, by reason and route",
      labelNames: ["reason", "route"] as const,
      registers,
    }),
    queueWait: new Histogram({
      name: "avatar_queue_wait_seconds",
      help: "Time a job waited in its queue before a worker took it",
      labelNames: ["queue"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    jobSeconds: new Histogram({
      name: "avatar_job_seconds",
      help: "Time a worker spent on a job",
      labelNames: ["queue", "kind"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    jobs: new Counter({
      name: "avatar_jobs_total",
      help: "Jobs finished, by outcome",
      labelNames: ["queue", "kind", "outcome"] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: "avatar_batch_size",
      help: "Jobs served together in one batch",
      labelNames: ["stage"] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: "avatar_queue_depth",
      help: "Jobs in each queue by state",
      labelNames: ["queue", "state"] as const,
      registers,
      async collect() {
        const stats = await scrapeQueues();
        // Reset so a queue that is gone, or unknown while the queue is down, shows no stale depth.
        this.reset();
        for (const s of stats ?? []) {
          this.set({ queue: s.queue, state: "waiting" }, s.waiting);
          this.set({ queue: s.queue, state: "active" }, s.active);
          if (s.delayed !== undefined) this.set({ queue: s.queue, state: "delayed" }, s.delayed);
          if (s.failed !== undefined) this.set({ queue: s.queue, state: "failed" }, s.failed);
        }
      },
    }),
    workerUp: new Gauge({
      name: "avatar_worker_up",
      help: "Whether each worker process is up (1) or not (0)",
      labelNames: ["kind", "id"] as const,
      registers,
      async collect() {
        const workers = await scrapeWorkers();
        this.reset();
        for (const w of workers ?? []) this.set({ kind: w.kind, id: w.id }, w.up ? 1 : 0);
      },
    }),
    workers: new Gauge({
      name: "avatar_workers",
      help: "Worker processes up, by kind",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const workers = await scrapeWorkers();
        this.reset();
        // Every kind seen appears, so a kind with all workers down reads 0 rather than vanishing.
        for (const w of workers ?? []) this.inc({ kind: w.kind }, w.up ? 1 : 0);
      },
    }),
  };
}

type Metrics = ReturnType<typeof createMetrics>;
const KEY = Symbol.for("avatar-consult.metrics");
const holder = globalThis as typeof globalThis & { [KEY]?: Metrics };
holder[KEY] ??= createMetrics();
const m: Metrics = holder[KEY];

export const METRICS_CONTENT_TYPE: string = m.registry.contentType;

export function metricsText(): Promise<string> {
  return m.registry.metrics();
}

export type TurnTimings = Extract<TurnEvent, { type: "done" }>["timings"];

const STAGES = [
  ["asr", "asrMs"],
  ["retrieve", "retrieveMs"],
  ["first_text", "firstTextMs"],
  ["first_audio", "firstAudioMs"],
  ["first_video", "firstVideoMs"],
  ["total", "totalMs"],
] as const satisfies readonly (readonly [string, keyof TurnTimings])[];

/** Records a finished turn from its `done` event. A stage at 0 did not happen (asr on text, audio when TTS failed). */
export function observeTurn(
  persona: string,
  kind: "text" | "voice",
  done: { timings: TurnTimings; cancelled: boolean },
): void {
  for (const [stage, key] of STAGES) {
    const ms = done.timings[key];
    if (ms > 0) m.turnStage.observe({ stage, persona, kind }, ms / 1000);
  }
  m.turns.inc({ persona, kind, outcome: done.cancelled ? "cancelled" : "ok" });
}

export function turnFailed(persona: string, code: string): void {
  // No kind label: a turn can fail before its kind is known (e.g. an unreadable body).
  m.turns.inc({ persona, outcome: "error" });
  m.errors.inc({ kind: code });
}

/** Marks a turn as running and its session as active; the returned `end` may be called any number of times. */
export function turnStarted(persona: string, sessionId: string): () => void {
  const { sessions } = m;
  sessions.delete(sessionId);
  if (sessions.size >= MAX_TRACKED_SESSIONS) {
    const oldest = sessions.keys().next().value;
    if (oldest !== undefined) sessions.delete(oldest);
  }
  sessions.set(sessionId, Date.now());
  m.activeTurns.inc({ persona });
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    m.activeTurns.dec({ persona });
  };
}

export function degraded(kind: string): void {
  m.degradations.inc({ kind });
}

export function countError(kind: string): void {
  m.errors.inc({ kind });
}

export function rejected(reason: "rate_limited" | "busy" | "shutting_down", route: string): void {
  m.rejected.inc({ reason, route });
}

export function observeQueueWait(queue: string, ms: number): void {
  m.queueWait.observe({ queue }, ms / 1000);
}

export function observeJob(
  queue: string,
  kind: string,
  ms: number,
  outcome: "ok" | "failed" | "expired" | "retried",
): void {
  m.jobSeconds.observe({ queue, kind }, ms / 1000);
  m.jobs.inc({ queue, kind, outcome });
}

export function observeBatch(stage: string, size: number): void {
  m.batchSize.observe({ stage }, size);
}

/** Fills `avatar_queue_depth` at scrape time; a throwing provider marks the queue down instead of failing it. */
export function setQueueStatsProvider(fn: QueueStatsProvider): void {
  m.providers.queue = fn;
}

export function setWorkerStatusProvider(fn: WorkerStatusProvider): void {
  m.providers.workers = fn;
}

export function setDependency(name: string, up: boolean): void {
  m.dependencyUp.set({ dependency: name }, up ? 1 : 0);
}
