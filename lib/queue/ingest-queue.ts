import "server-only";
import { type ChildProcess, fork } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import type { IngestReport } from "@/lib/knowledge";
import { failed, notIngested, type OptimizeWhen, type UploadedFile, wrote } from "./ingest";
import { failureError } from "./job-errors";
import { openQueue, openQueueEvents, ready, unreachable } from "./redis";
import { fromWire, toWire } from "./wire";

export const INGEST_QUEUE = "ingest";

export interface IngestOptions {
  /**
   * The client's request: aborted before the upload starts, nothing is started; aborted while it runs, the file in
   * hand is finished (killing a commit halfway is worse), no further file is started, and the results go to the log.
   */
  signal?: AbortSignal;
}

/** Where uploaded documents are ingested: an ingest process on this machine, or ingest workers over Redis. */
export interface IngestQueue {
  ingest(personaId: string, files: UploadedFile[], options?: IngestOptions): Promise<IngestReport[]>;
  close(): Promise<void>;
}

/** One Redis job: a file of an upload, and when the upload's deadline passes (ms since the epoch). */
export interface IngestJob {
  personaId: string;
  file: UploadedFile;
  deadlineAt?: number;
}

/** The parent's messages to a local ingest process; `first` is the index in the upload of the first file sent. */
export type ToIngestProcess =
  | { type: "ingest"; personaId: string; files: UploadedFile[]; first: number; optimize: OptimizeWhen }
  | { type: "stop"; reason: string };

/** A local ingest process's messages: each file as it starts and once final, then done (or a failure up front). */
export type FromIngestProcess =
  | { type: "start"; index: number }
  | { type: "report"; index: number; report: IngestReport }
  | { type: "done" }
  | { type: "failure"; failure: string };

const CLIENT_LEFT = "the client left before the upload was ingested";
const CLIENT_LEFT_STOP = "the client left before this file was reached";

export interface LocalIngestOptions {
  /** The ingest process's entry point. */
  entry?: string;
  /** An upload (its processes, compaction included) still running after this is killed; default INGEST_DEADLINE_MS. */
  deadlineMs?: number;
  /** The ingest process's V8 heap limit (--max-old-space-size); default INGEST_MEMORY_MB. */
  memoryMb?: number;
  /**
   * Resident memory past which the ingest process is killed. V8's heap limit does not bound native memory (zlib
   * buffers, LanceDB); default memoryMb + 512.
   */
  rssCeilingMb?: number;
  /** How often the ingest process's RSS is read. */
  rssSampleMs?: number;
  /** A process's RSS in MB, undefined where it cannot be read (Linux /proc by default). */
  readRssMb?: (pid: number) => Promise<number | undefined>;
  /** Compact the table after an upload that wrote; the Redis ingest worker compacts once its queue empties instead. */
  optimize?: boolean;
  /** The ingest process's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Sees each ingest process as it starts (tests watch or kill it). */
  onSpawn?: (child: ChildProcess) => void;
  log?: (line: string) => void;
}

export interface LocalIngestCallOptions extends IngestOptions {
  /** When to kill the upload (ms since the epoch), if sooner than the configured deadline from now. */
  deadlineAt?: number;
}

/** How a run of the ingest process ended when it did not finish. */
interface Stopped {
  /** deadline and memory: killed by this queue; crash: anything else. */
  cause: "deadline" | "memory" | "crash";
  /** The report of the file the process was working on. */
  onFile: string;
  /** Why the files not reached were not ingested. */
  before: string;
  /** Index of the file in hand, if any. */
  current?: number;
}

type RunEnd = { ok: true } | { ok: false; stopped: Stopped } | { ok: false; failure: string };

/** V8's last words when its heap limit is reached. */
const V8_OUT_OF_MEMORY = /heap out of memory|Allocation failed|out of memory/i;

/**
 * One short-lived ingest process per upload: the web server's event loop never parses or embeds, and a document
 * that exhausts the process takes only the process down. The process reports each file as soon as it is final, so
 * the results stay true whatever happens next; it is killed at the deadline (compaction included, so no upload holds
 * the persona's write lock past it) and when its memory passes the ceiling (that file then fails alone and the rest
 * go on in a fresh process).
 */
export class LocalIngestQueue implements IngestQueue {
  readonly deadlineMs: number;
  readonly memoryMb: number;
  readonly rssCeilingMb: number;
  private readonly entry: string;
  private readonly rssSampleMs: number;
  private readonly readRssMb: (pid: number) => Promise<number | undefined>;
  private readonly optimize: boolean;
  private readonly childEnv: NodeJS.ProcessEnv | undefined;
  private readonly onSpawn: ((child: ChildProcess) => void) | undefined;
  private readonly log: (line: string) => void;

  constructor(options: LocalIngestOptions = {}) {
    this.entry = options.entry ?? path.resolve(process.cwd(), "workers/ingest.ts");
    this.deadlineMs = options.deadlineMs ?? env().INGEST_DEADLINE_MS;
    this.memoryMb = options.memoryMb ?? env().INGEST_MEMORY_MB;
    this.rssCeilingMb = options.rssCeilingMb ?? this.memoryMb + 512;
    this.rssSampleMs = options.rssSampleMs ?? 250;
    this.readRssMb = options.readRssMb ?? readRssMb;
    this.optimize = options.optimize ?? true;
    this.childEnv = options.env;
    this.onSpawn = options.onSpawn;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  async ingest(
    personaId: string,
    files: UploadedFile[],
    options: LocalIngestCallOptions = {},
  ): Promise<IngestReport[]> {
    refuseIfGone(personaId, files, options.signal, this.log);
    if (files.length === 0) return [];
    const deadlineAt = Math.min(options.deadlineAt ?? Number.POSITIVE_INFINITY, Date.now() + this.deadlineMs);
    const reports: (IngestReport | undefined)[] = files.map(() => undefined);
    const stop = new StopSwitch();
    const onAbort = () => stop.pull(CLIENT_LEFT_STOP);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let first = 0;
      for (;;) {
        const optimize: OptimizeWhen = !this.optimize ? "never" : reports.some(wrote) ? "always" : "if-written";
        const end = await this.run(personaId, files, first, reports, { deadlineAt, optimize, stop });
        if (end.ok) break;
        if ("failure" in end) {
          // Before any file (the persona's table would not open, say) the upload fails as a whole; after some, the
          // committed files keep their reports.
          if (!reports.some(Boolean)) throw failureError(end.failure);
          const { message } = failureError(end.failure);
          files.forEach((f, i) => {
            reports[i] ??= failed(f.name, message);
          });
          break;
        }
        const { stopped } = end;
        const current = stopped.current;
        if (current !== undefined && !reports[current]) reports[current] = failed(files[current]!.name, stopped.onFile);
        const next = reports.findIndex((r) => !r);
        if (next === -1) break; // every file has its report: the process went down while compacting
        // The file that exhausted memory fails alone; the others go to a fresh process, within the same deadline.
        if (stopped.cause === "memory" && current !== undefined && !stop.reason && Date.now() < deadlineAt) {
          const rest = files.length - next;
          this.log(
            `[ingest] ${personaId}: ${files[current]!.name} ran the ingest process out of memory; ${rest} file(s) go on in a fresh one`,
          );
          first = next;
          continue;
        }
        files.forEach((f, i) => {
          reports[i] ??= notIngested(f.name, stopped.before);
        });
        break;
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    const final = reports.map(
      (r, i) => r ?? notIngested(files[i]!.name, "the ingest process stopped before this file"),
    );
    if (options.signal?.aborted) {
      this.log(`[ingest] ${personaId}: the client left during the upload; results: ${summary(final)}`);
    }
    return final;
  }

  /** Compacts a persona's table in an ingest process, under the same deadline and memory ceiling. */
  async compact(personaId: string): Promise<void> {
    const deadlineAt = Date.now() + this.deadlineMs;
    const end = await this.run(personaId, [], 0, [], { deadlineAt, optimize: "always", stop: new StopSwitch() });
    if (!end.ok)
      this.log(
        `[ingest] ${personaId}: compaction did not finish (${"failure" in end ? end.failure : end.stopped.before})`,
      );
  }

  /** One ingest process over files[first..]: fills `reports` as the process reports, and says how it ended. */
  private run(
    personaId: string,
    files: UploadedFile[],
    first: number,
    reports: (IngestReport | undefined)[],
    run: { deadlineAt: number; optimize: OptimizeWhen; stop: StopSwitch },
  ): Promise<RunEnd> {
    const child = fork(this.entry, [], {
      execArgv: ["--conditions=react-server", "--import", "tsx", `--max-old-space-size=${this.memoryMb}`],
      env: this.childEnv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    this.onSpawn?.(child);
    return new Promise((resolve) => {
      let current: number | undefined;
      let done = false;
      let failure: string | undefined;
      let killedFor: { cause: "deadline" | "memory"; why: string } | undefined;
      let v8OutOfMemory = false;
      let peakMb = 0;
      let closed = false;
      const kill = (cause: "deadline" | "memory", why: string) => {
        if (killedFor || closed) return;
        killedFor = { cause, why };
        const on = current === undefined ? "" : ` while on ${files[current]?.name}`;
        this.log(`[ingest] ${personaId}: killing the ingest process: ${why}${on}`);
        child.kill("SIGKILL");
      };
      const deadline = secondsText(this.deadlineMs);
      const timer = setTimeout(
        () => kill("deadline", `the ${deadline} deadline passed`),
        Math.min(2 ** 31 - 1, Math.max(0, run.deadlineAt - Date.now())),
      );
      const sampler = setInterval(() => {
        if (child.pid === undefined) return;
        void this.readRssMb(child.pid)
          .catch(() => undefined)
          .then((mb) => {
            if (mb === undefined) return;
            peakMb = Math.max(peakMb, mb);
            if (mb > this.rssCeilingMb)
              kill("memory", `its memory passed ${this.rssCeilingMb} MB (${Math.round(mb)} MB)`);
          });
      }, this.rssSampleMs);
      child.stderr?.on("data", (d: Buffer) => {
        process.stderr.write(d);
        if (V8_OUT_OF_MEMORY.test(d.toString())) v8OutOfMemory = true;
      });
      child.on("message", (m: FromIngestProcess) => {
        if (m.type === "start") current = m.index;
        else if (m.type === "report") {
          reports[m.index] = m.report;
          if (current === m.index) current = undefined;
        } else if (m.type === "done") done = true;
        else if (m.type === "failure") failure = m.failure;
      });
      child.on("error", (err) => this.log(`[ingest] ${personaId}: ingest process: ${err.message}`));
      const onStop = (reason: string) => {
        if (child.connected) child.send({ type: "stop", reason } satisfies ToIngestProcess, () => undefined);
      };
      run.stop.listen(onStop);
      // 'close' comes after the exit and after every message the process sent has been delivered.
      child.once("close", (code, signal) => {
        closed = true;
        clearTimeout(timer);
        clearInterval(sampler);
        run.stop.listen(undefined);
        if (done) return resolve({ ok: true });
        if (failure !== undefined) return resolve({ ok: false, failure });
        const how = signal ?? `exit code ${code}`;
        let stopped: Stopped;
        if (killedFor?.cause === "deadline") {
          stopped = {
            cause: "deadline",
            onFile: `the upload stopped after the ${deadline} deadline while this file was being ingested`,
            before: `the ingest process stopped before this file (the ${deadline} deadline passed)`,
          };
        } else if (killedFor?.cause === "memory" || v8OutOfMemory) {
          const limit = killedFor ? killedFor.why : `it passed its ${this.memoryMb} MB heap limit`;
          stopped = {
            cause: "memory",
            onFile: `the ingest process ran out of memory on this file (${limit})`,
            before: "the ingest process stopped before this file (it ran out of memory)",
          };
        } else {
          stopped = {
            cause: "crash",
            onFile: `the ingest process stopped (${how}) while this file was being ingested`,
            before: `the ingest process stopped before this file (${how})`,
          };
          this.log(`[ingest] ${personaId}: the ingest process stopped (${how}), peak RSS ${Math.round(peakMb)} MB`);
        }
        resolve({ ok: false, stopped: { ...stopped, current } });
      });
      child.send(
        {
          type: "ingest",
          personaId,
          files: files.slice(first),
          first,
          optimize: run.optimize,
        } satisfies ToIngestProcess,
        () => undefined,
      );
      if (run.stop.reason) onStop(run.stop.reason);
    });
  }

  async close(): Promise<void> {}
}

/** Stopping an upload: once pulled it stays pulled, and the running process (if any) is told. */
class StopSwitch {
  reason: string | undefined;
  private listener: ((reason: string) => void) | undefined;
  pull(reason: string): void {
    this.reason ??= reason;
    this.listener?.(this.reason);
  }
  listen(listener: ((reason: string) => void) | undefined): void {
    this.listener = listener;
  }
}

/** A process's resident memory from /proc (Linux), in MB. */
export async function readRssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** Grace after an upload's deadline for a worker's own deadline report to arrive over Redis. */
const REPORT_GRACE_MS = 15_000;

/** One job per file on Redis; `npm run worker -- ingest` processes on any host sharing LANCEDB_URI take them. */
export class RedisIngestQueue implements IngestQueue {
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly deadlineMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly url: string,
    options: { deadlineMs?: number; log?: (line: string) => void } = {},
  ) {
    ({ connection: this.connection, queue: this.queue } = openQueue(url, INGEST_QUEUE));
    this.events = openQueueEvents(url, INGEST_QUEUE);
    this.deadlineMs = options.deadlineMs ?? env().INGEST_DEADLINE_MS;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  async ingest(personaId: string, files: UploadedFile[], options: IngestOptions = {}): Promise<IngestReport[]> {
    refuseIfGone(personaId, files, options.signal, this.log);
    await ready(this.connection, this.url);
    // The workers stop at the same moment (each kills its ingest process then), whatever their own clocks' start.
    const deadlineAt = Date.now() + this.deadlineMs;
    const jobs = await Promise.all(
      files.map((file) =>
        this.queue
          .add(
            "ingest",
            { payload: toWire({ personaId, file, deadlineAt } satisfies IngestJob) },
            { removeOnComplete: { age: 600 }, removeOnFail: 100 },
          )
          .catch((err) => {
            throw unreachable(this.url, err);
          }),
      ),
    );
    const deadline = secondsText(this.deadlineMs);
    const cancels: ((why: string) => void)[] = [];
    const onAbort = () => {
      jobs.forEach((job, i) => {
        void withdraw(job).then((removed) => removed && cancels[i]?.(CLIENT_LEFT_STOP));
      });
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort(); // it went while the jobs were being added
    // Reports in upload order; a job that failed outright becomes that file's error report.
    const reports = await Promise.all(
      jobs.map(async (job, i): Promise<IngestReport> => {
        const name = files[i]?.name ?? "";
        const withdrawn = new Promise<string>((resolve) => {
          cancels[i] = resolve;
        });
        try {
          const wait = job.waitUntilFinished(this.events, Math.max(1, deadlineAt - Date.now()) + REPORT_GRACE_MS);
          const outcome = await Promise.race([wait.then((r: string) => ({ r })), withdrawn.then((why) => ({ why }))]);
          if ("why" in outcome) return notIngested(name, outcome.why);
          return fromWire<IngestReport>(outcome.r);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (/timed out/i.test(message)) {
            return (await withdraw(job))
              ? notIngested(name, `no ingest worker took this file within the ${deadline} deadline`)
              : failed(name, `the ingest worker did not report on this file within the ${deadline} deadline`);
          }
          return failed(name, failureError(message).message);
        }
      }),
    );
    options.signal?.removeEventListener("abort", onAbort);
    if (options.signal?.aborted) {
      this.log(`[ingest] ${personaId}: the client left during the upload; results: ${summary(reports)}`);
    }
    return reports;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}

/** Takes a job off the queue if no worker has it yet; false if it is running or over. */
async function withdraw(job: Job): Promise<boolean> {
  try {
    const state = await job.getState();
    if (state !== "waiting" && state !== "prioritized" && state !== "delayed") return false;
    await job.remove();
    return true;
  } catch {
    return false; // taken by a worker in the meantime (its lock refuses the removal)
  }
}

/** An upload whose client has already gone is not started; the log says so, since nobody else will hear it. */
function refuseIfGone(
  personaId: string,
  files: UploadedFile[],
  signal: AbortSignal | undefined,
  log: (l: string) => void,
) {
  if (!signal?.aborted) return;
  log(`[ingest] ${personaId}: ${CLIENT_LEFT}; nothing started (${files.length} file(s))`);
  throw new AppError("bad_request", CLIENT_LEFT);
}

function summary(reports: IngestReport[]): string {
  return reports.map((r) => `${r.file} ${r.status}${r.error ? ` (${r.error})` : ""}`).join("; ");
}

function secondsText(ms: number): string {
  return `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
