/**
 * `npm run worker -- media`: a worker process that takes jobs from the Redis queue (REDIS_URL), on this host or any
 * other sharing the same Redis and LanceDB. Without REDIS_URL, `npm start` runs the workers it needs itself.
 */
import { env } from "@/lib/config/env";
import { startMediaJobWorker } from "@/lib/queue/media-job-worker";
import { redact } from "@/lib/queue/redis";

const KINDS = ["media"] as const;

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
  const worker = await startMediaJobWorker({ url: e.REDIS_URL, batchSize: e.MEDIA_BATCH_SIZE });
  console.log(
    `[worker] ${kind} ready in ${Math.round(performance.now() - t0)} ms: ${e.MEDIA_BATCH_SIZE} jobs at once from ${redact(e.REDIS_URL)}`,
  );
  // Stop taking jobs, let the ones in hand finish, then go.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      console.log(`[worker] ${kind}: ${sig}, finishing jobs in hand`);
      worker.close().finally(() => process.exit(0));
    });
  }
}

main().catch((err) => {
  console.error(`[worker] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
