import "server-only";
import { fork } from "node:child_process";
import path from "node:path";
import type { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { AppError } from "@/lib/errors";
import { docIdFor, type IngestReport } from "@/lib/knowledge";
import type { UploadedFile } from "./ingest";
import { failureError } from "./job-errors";
import { openQueue, openQueueEvents, ready, unreachable } from "./redis";
import { fromWire, toWire } from "./wire";

export const INGEST_QUEUE = "ingest";
/** Parsing and embedding a very long document may take minutes; past this the upload reports a failure. */
const INGEST_DEADLINE_MS = 10 * 60_000;

/** Where uploaded documents are ingested: an ingest process on this machine, or ingest workers over Redis. */
export interface IngestQueue {
  ingest(personaId: string, files: UploadedFile[]): Promise<IngestReport[]>;
  close(): Promise<void>;
}

/** One short-lived ingest process per upload: the web server's event loop never parses or embeds. */
export class LocalIngestQueue implements IngestQueue {
  constructor(private readonly entry = path.resolve(process.cwd(), "workers/ingest.ts")) {}

  ingest(personaId: string, files: UploadedFile[]): Promise<IngestReport[]> {
    const child = fork(this.entry, [], {
      execArgv: ["--conditions=react-server", "--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
      let answered = false;
      child.once("message", (m: { reports?: IngestReport[]; failure?: string }) => {
        answered = true;
        if (m.reports) resolve(m.reports);
        else reject(failureError(m.failure ?? "the ingest process failed"));
        child.disconnect();
      });
      child.once("exit", (code, signal) => {
        if (!answered)
          reject(new AppError("unavailable", `the ingest process stopped (${signal ?? `exit code ${code}`})`));
      });
      child.send({ personaId, files });
    });
  }

  async close(): Promise<void> {}
}

/** One job per file on Redis; `npm run worker -- ingest` processes on any host sharing LANCEDB_URI take them. */
export class RedisIngestQueue implements IngestQueue {
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;

  constructor(private readonly url: string) {
    ({ connection: this.connection, queue: this.queue } = openQueue(url, INGEST_QUEUE));
    this.events = openQueueEvents(url, INGEST_QUEUE);
  }

  async ingest(personaId: string, files: UploadedFile[]): Promise<IngestReport[]> {
    await ready(this.connection, this.url);
    const jobs = await Promise.all(
      files.map((file) =>
        this.queue
          .add(
            "ingest",
            { payload: toWire({ personaId, file }) },
            { removeOnComplete: { age: 600 }, removeOnFail: 100 },
          )
          .catch((err) => {
            throw unreachable(this.url, err);
          }),
      ),
    );
    // Reports in upload order; a job that failed outright becomes that file's error report.
    return Promise.all(
      jobs.map(async (job, i) => {
        try {
          return fromWire<IngestReport>(await job.waitUntilFinished(this.events, INGEST_DEADLINE_MS));
        } catch (err) {
          const name = files[i]?.name ?? "";
          const message = failureError(err instanceof Error ? err.message : String(err)).message;
          return { file: name, docId: docIdFor(name), status: "error", error: message, ms: 0 } satisfies IngestReport;
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
