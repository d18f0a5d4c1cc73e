/**
 * `npm run worker -- media|llm|ingest`: a worker process that takes jobs from the Redis queue (REDIS_URL), on this host or
 * any other sharing the same Redis. Without REDIS_URL, `npm start` runs the workers it needs itself.
 */
import type { Worker } from "bullmq";
import { localLanguageModel } from "@/lib/answer";
import { env } from "@/lib/config/env";
import { startIngestJobWorker } from "@/lib/queue/ingest-worker";
import { startLlmJobWorker } from "@/lib/queue/llm-job-worker";
import { startMediaJobWorker } from "@/lib/queue/media-job-worker";
import { redact } from "@/lib/queue/redis";

const KINDS = ["media", "llm", "ingest"] as const;

async function start(kind: (typeof KINDS)[number], url: string): Promise<{ worker: Worker; what: string }> {
  const e = env();
  if (kind === "media") {
    const worker = await startMediaJobWorker({ url, batchSize: e.MEDIA_BATCH_SIZE });
    return { worker, what: `${e.MEDIA_BATCH_SIZE} jobs at once` };
  }
  if (kind === "ingest") {
    return { worker: await startIngestJobWorker(url), what: `one file at a time into ${e.LANCEDB_URI}` };
  }
  const engine = localLanguageModel();
  if (!engine) throw new Error("no language model configured: set LLM_MODEL_PATH to a GGUF (npm run models:pull)");
  const worker = await startLlmJobWorker({ url, engine, concurrency: e.LLM_SEQUENCES });
  return { worker, what: `${engine.id}, ${e.LLM_SEQUENCES} answers at once` };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (!KINDS.includes(kind as (typeof KINDS)[number])) {
    throw new Error(`usage: npm run worker -- ${KINDS.join("|")}`);
  }
  const e = env();
  if (!e.REDIS_URL) {
    throw new Error("a worker takes jobs from Redis: set REDIS_URL (without it, `npm start` runs its own workers)");
  }
  const t0 = performance.now();
  const { worker, what } = await start(kind as (typeof KINDS)[number], e.REDIS_URL);
  console.log(
    `[worker] ${kind} ready in ${Math.round(performance.now() - t0)} ms: ${what} from ${redact(e.REDIS_URL)}`,
  );
  // Stop taking jobs, let the ones in hand finish, then go; with Redis unreachable closing cannot complete, so
  // the grace period bounds it.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      console.log(`[worker] ${kind}: ${sig}, finishing jobs in hand`);
      const grace = new Promise((resolve) => setTimeout(resolve, e.SHUTDOWN_GRACE_MS).unref());
      void Promise.race([worker.close(), grace]).finally(() => process.exit(0));
    });
  }
}

main().catch((err) => {
  console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
