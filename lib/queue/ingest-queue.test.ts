import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KnowledgeBase } from "@/lib/knowledge";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { startWorkerProcess } from "@/lib/testing/worker-process";
import { RedisIngestQueue } from "./ingest-queue";

const PARKING = "# Parking\n\nVisitors park in car park B; the first hour is free and the barrier takes cards.";

describe("uploads ingested by an ingest worker over Redis (real redis-server, shared LanceDB folder)", () => {
  let redis: TestRedisServer;
  let dir: string;
  let worker: ChildProcess;
  let queue: RedisIngestQueue;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    dir = await mkdtemp(path.join(tmpdir(), "redis-ingest-"));
    worker = await startWorkerProcess("ingest", {
      ...process.env,
      REDIS_URL: redis.url,
      LANCEDB_URI: path.join(dir, "db"),
      DATA_DIR: path.join(dir, "data"),
    });
    queue = new RedisIngestQueue(redis.url);
  }, 120_000);

  afterAll(async () => {
    worker?.kill("SIGKILL");
    await queue?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports each file in upload order, and the web side finds what the worker wrote", async () => {
    const reports = await queue.ingest("triage", [
      { name: "parking.md", bytes: new TextEncoder().encode(PARKING) },
      { name: "broken.pdf", bytes: new TextEncoder().encode("this is not a PDF") },
    ]);
    expect(reports.map((r) => [r.file, r.status])).toEqual([
      ["parking.md", "added"],
      ["broken.pdf", "error"],
    ]);
    expect(reports[1]?.error).toMatch(/pdf/i);
    const kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "db") });
    const found = await kb.retriever.search("where do visitors leave the car");
    expect(found.results[0]?.docId).toBe("parking.md");
  });
});
