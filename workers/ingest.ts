/**
 * Ingest process: parses, embeds and indexes one upload for the web process (or a Redis ingest worker), reporting each
 * file as it goes; its parent kills it at the deadline or past its memory ceiling (see lib/queue/ingest-queue.ts).
 */
import { runLocalIngestProcess } from "@/lib/queue/ingest-worker";

runLocalIngestProcess();
