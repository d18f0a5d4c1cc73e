/** Ingest process: parses, embeds and indexes one upload for the web process (see lib/queue/ingest-queue.ts). */
import { runLocalIngestProcess } from "@/lib/queue/ingest-worker";

runLocalIngestProcess();
