import "server-only";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import { type IngestReport, KnowledgeBase } from "@/lib/knowledge";
import { ingestFiles, optimize, type UploadedFile } from "./ingest";
import { INGEST_QUEUE } from "./ingest-queue";
import { failureText } from "./job-errors";
import { redisConnection } from "./redis";
import { fromWire, toWire } from "./wire";

/** The local ingest process: takes one upload from its parent, answers with the reports, and goes. */
export function runLocalIngestProcess(): void {
  process.once("message", (msg: { personaId: string; files: UploadedFile[] }) => {
    ingestFiles(msg.personaId, msg.files)
      .then(
        (reports) => process.send?.({ reports }),
        (err) => process.send?.({ failure: failureText(err) }),
      )
      .finally(() => process.disconnect?.());
  });
}

/**
 * An ingest worker on the Redis queue: one file at a time (writes to one LanceDB table are best not interleaved),
 * each into the persona's table at LANCEDB_URI, which must be the store the web processes read.
 */
export async function startIngestJobWorker(url: string): Promise<Worker> {
  // Tables written since the queue was last empty: compacted once when it empties, not after every file.
  const touched = new Set<string>();
  const worker = new Worker<{ payload: string }, string>(
    INGEST_QUEUE,
    async (job) => {
      const { personaId, file } = fromWire<{ personaId: string; file: UploadedFile }>(job.data.payload);
      try {
        const [report] = await ingestFiles(personaId, [file], { optimize: false });
        if (report?.status === "added" || report?.status === "updated") touched.add(personaId);
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
    for (const id of personas) void KnowledgeBase.open(id).then(optimize);
  });
  return worker;
}
