import "server-only";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import type { IngestReport } from "@/lib/knowledge";
import { ingestFiles, notIngested, wrote } from "./ingest";
import {
  type FromIngestProcess,
  INGEST_QUEUE,
  type IngestJob,
  LocalIngestQueue,
  type ToIngestProcess,
} from "./ingest-queue";
import { failureText } from "./job-errors";
import { redisConnection } from "./redis";
import { fromWire, toWire } from "./wire";

/**
 * The local ingest process: takes one upload from its parent and reports each file as it starts and as soon as it is
 * final (each report is on its way before the next file starts), so if this process dies or is killed the parent
 * still knows what was committed. A `stop` message lets the file in hand finish and starts no other.
 */
export function runLocalIngestProcess(): void {
  let stopReason: string | undefined;
  // Resolves once the message is written to the channel: it survives this process being killed right after.
  const send = (m: FromIngestProcess) =>
    new Promise<void>((resolve) => {
      if (!process.send) return resolve();
      process.send(m, undefined, undefined, () => resolve());
    });
  // A parent gone (the web server stopped) can neither hear the results nor hold the write lock: stop too.
  process.once("disconnect", () => process.exit(0));
  process.on("message", (msg: ToIngestProcess) => {
    if (msg.type === "stop") {
      stopReason ??= msg.reason;
      return;
    }
    const { personaId, files, first, optimize } = msg;
    ingestFiles(personaId, files, {
      optimize,
      stopReason: () => stopReason,
      onStart: (i) => send({ type: "start", index: first + i }),
      onReport: (i, report) => send({ type: "report", index: first + i, report }),
    })
      .then(
        () => send({ type: "done" }),
        (err) => send({ type: "failure", failure: failureText(err) }),
      )
      // Gone at once: nothing (an open LanceDB handle, say) keeps it alive, and the parent's 'close' follows.
      .finally(() => process.exit(0));
  });
}

/**
 * An ingest worker on the Redis queue: one file at a time (writes to one LanceDB table are best not interleaved),
 * each into the persona's table at LANCEDB_URI, which must be the store the web processes read. Each file goes
 * through the same ingest process as on one machine, under the same deadline and memory ceiling.
 */
export async function startIngestJobWorker(url: string, options: { ingest?: LocalIngestQueue } = {}): Promise<Worker> {
  const local = options.ingest ?? new LocalIngestQueue({ optimize: false });
  // Tables written since the queue was last empty: compacted once when it empties, not after every file.
  const touched = new Set<string>();
  const worker = new Worker<{ payload: string }, string>(
    INGEST_QUEUE,
    async (job) => {
      const { personaId, file, deadlineAt } = fromWire<IngestJob>(job.data.payload);
      if (deadlineAt !== undefined && Date.now() >= deadlineAt) {
        return toWire(notIngested(file.name, "the upload's deadline passed before an ingest worker took this file"));
      }
      try {
        const [report] = await local.ingest(personaId, [file], { deadlineAt });
        if (wrote(report)) touched.add(personaId);
        return toWire(report as IngestReport);
      } catch (err) {
        throw new Error(failureText(err));
      }
    },
    { connection: redisConnection(url, "blocking"), concurrency: 1, name: `ingest@${hostname()}:${process.pid}` },
  );
  worker.on("error", (err) => console.warn(`[ingest worker] ${err.message}`));
  worker.on("drained", () => {
    const personas = [...touched];
    touched.clear();
    for (const id of personas) void local.compact(id);
  });
  return worker;
}
