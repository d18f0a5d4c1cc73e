import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KnowledgeBase } from "@/lib/knowledge";
import { HashedNgramEmbedder } from "@/lib/knowledge/embedder";
import { docxParagraphFlood, docxZipBomb, plainDocx } from "@/lib/testing/docx-bombs";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { startWorkerProcess } from "@/lib/testing/worker-process";
import {
  type FromIngestProcess,
  INGEST_QUEUE,
  type LocalIngestOptions,
  LocalIngestQueue,
  RedisIngestQueue,
  readRssMb,
} from "./ingest-queue";
import { openQueue } from "./redis";

const utf8 = (s: string) => new TextEncoder().encode(s);
const WARDS = "# Ward visits\n\nWard 3 welcomes visitors from 2 pm to 8 pm; two visitors per bed at a time.";
const CAFE = "# Cafe\n\nThe hospital cafe on the ground floor opens at 7 am and serves hot meals until 7 pm.";
/** A DOCX that takes mammoth and cheerio many seconds (45,000 paragraphs): a file still in hand when a test acts. */
const slowDocx = () =>
  plainDocx(Array.from({ length: 45_000 }, (_, i) => `Paragraph ${i}: the pharmacy on level 2 fills prescriptions.`));

describe("uploads ingested by a local ingest process (limits, and per-file results that stay true)", () => {
  let dir: string;
  let childEnv: NodeJS.ProcessEnv;
  let logs: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "local-ingest-"));
    childEnv = {
      ...process.env,
      LANCEDB_URI: path.join(dir, "db"),
      DATA_DIR: path.join(dir, "data"),
      EMBEDDER: "hashed",
    };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    logs = [];
  });

  const queue = (options: LocalIngestOptions = {}) =>
    new LocalIngestQueue({ env: childEnv, deadlineMs: 90_000, memoryMb: 512, log: (l) => logs.push(l), ...options });
  const store = () => KnowledgeBase.open("triage", { uri: path.join(dir, "db"), embedder: new HashedNgramEmbedder() });
  const docIds = async () => (await (await store()).list()).map((d) => d.docId);

  it("refuses DOCX bombs with their own errors well within a short deadline, and the next upload goes through", async () => {
    let peakMb = 0;
    const q = queue({
      rssSampleMs: 50,
      readRssMb: async (pid) => {
        const mb = await readRssMb(pid);
        peakMb = Math.max(peakMb, mb ?? 0);
        return mb;
      },
    });
    const reports = await q.ingest("triage", [
      { name: "bomb.docx", bytes: docxZipBomb({ mb: 300, lie: true }) },
      { name: "flood.docx", bytes: docxParagraphFlood(400_000) },
      { name: "wards.md", bytes: utf8(WARDS) },
    ]);
    expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
      ["bomb.docx", "error", "the DOCX expands to more than 64 MB of text markup; it looks like a zip bomb"],
      ["flood.docx", "error", "the DOCX has more than 50,000 paragraphs; split it into smaller documents"],
      ["wards.md", "added", undefined],
    ]);
    // Neither the deadline nor the memory ceiling had to act: the files were refused before they were inflated.
    expect(logs.filter((l) => l.includes("killing"))).toEqual([]);
    expect(peakMb).toBeLessThan(q.rssCeilingMb);
    const again = await q.ingest("triage", [{ name: "cafe.md", bytes: utf8(CAFE) }]);
    expect(again[0]).toMatchObject({ file: "cafe.md", status: "added" });
    expect(await docIds()).toEqual(expect.arrayContaining(["wards.md", "cafe.md"]));
    expect(await docIds()).not.toContain("bomb.docx");
  });

  it("a process killed mid-upload: the committed file is reported added and is searchable, the rest are errors", async () => {
    const q = queue({
      onSpawn: (child) =>
        child.on("message", (m: FromIngestProcess) => {
          if (m.type === "start" && m.index === 1) child.kill("SIGKILL");
        }),
    });
    const reports = await q.ingest("triage", [
      {
        name: "killed-first.md",
        bytes: utf8("# Chapel\n\nThe chapel on level 1 is open day and night for quiet prayer."),
      },
      { name: "killed-slow.docx", bytes: slowDocx() },
      { name: "killed-late.md", bytes: utf8("# Shop\n\nThe shop sells flowers and newspapers.") },
    ]);
    expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
      ["killed-first.md", "added", undefined],
      ["killed-slow.docx", "error", "the ingest process stopped (SIGKILL) while this file was being ingested"],
      ["killed-late.md", "error", "not ingested: the ingest process stopped before this file (SIGKILL)"],
    ]);
    const kb = await store();
    expect((await kb.search("where can I pray quietly at night")).results[0]?.docId).toBe("killed-first.md");
    expect(await docIds()).not.toContain("killed-slow.docx");
    expect(await docIds()).not.toContain("killed-late.md");
  });

  it("kills an upload at its deadline and reports the deadline for every file not finished", async () => {
    const q = queue({ deadlineMs: 8_000 });
    const reports = await q.ingest("triage", [
      { name: "late-slow.docx", bytes: slowDocx() },
      { name: "late-next.md", bytes: utf8(CAFE) },
    ]);
    expect(reports.every((r) => r.status === "error")).toBe(true);
    // Killed while on the slow file, or (on a machine slow to start the process) before reaching it.
    expect(reports[0]?.error).toMatch(
      /^(the upload stopped after the 8 s deadline while this file was being ingested|not ingested: the ingest process stopped before this file \(the 8 s deadline passed\))$/,
    );
    expect(reports[1]?.error).toBe(
      "not ingested: the ingest process stopped before this file (the 8 s deadline passed)",
    );
    expect(logs.some((l) => l.includes("killing the ingest process: the 8 s deadline passed"))).toBe(true);
    expect(await docIds()).not.toContain("late-next.md");
  });

  it("a file that runs the process out of memory fails alone; the files after it go on in a fresh process", async () => {
    let swollen: number | undefined; // the pid whose memory reads as over the ceiling
    const q = queue({
      rssSampleMs: 20,
      readRssMb: async (pid) => (pid === swollen ? 100_000 : readRssMb(pid)),
      onSpawn: (child) =>
        child.on("message", (m: FromIngestProcess) => {
          if (m.type === "start" && m.index === 1) swollen = child.pid;
        }),
    });
    const reports = await q.ingest("triage", [
      { name: "mem-first.md", bytes: utf8("# Lifts\n\nThe lifts by the main entrance reach every floor.") },
      { name: "mem-heavy.docx", bytes: slowDocx() },
      { name: "mem-last.md", bytes: utf8("# Taxis\n\nTaxis wait at the rank outside the main entrance.") },
    ]);
    expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
      ["mem-first.md", "added", undefined],
      [
        "mem-heavy.docx",
        "error",
        "the ingest process ran out of memory on this file (its memory passed 1024 MB (100000 MB))",
      ],
      ["mem-last.md", "added", undefined],
    ]);
    expect(await docIds()).toEqual(expect.arrayContaining(["mem-first.md", "mem-last.md"]));
  });

  it("V8's heap limit applies to the ingest process: a file that passes it fails alone, the next file goes on", async () => {
    const q = queue({ memoryMb: 128 }); // enough to start and ingest a short file, not to parse 45,000 paragraphs
    const reports = await q.ingest("triage", [
      { name: "heap-heavy.docx", bytes: slowDocx() },
      { name: "heap-after.md", bytes: utf8("# Porters\n\nPorters bring wheelchairs to the main entrance on request.") },
    ]);
    expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
      [
        "heap-heavy.docx",
        "error",
        "the ingest process ran out of memory on this file (it passed its 128 MB heap limit)",
      ],
      ["heap-after.md", "added", undefined],
    ]);
  });

  it("starts nothing for a client already gone, and says so in one log line", async () => {
    let spawned = 0;
    const q = queue({ onSpawn: () => spawned++ });
    await expect(
      q.ingest("triage", [{ name: "gone.md", bytes: utf8(CAFE) }], { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: "bad_request", message: "the client left before the upload was ingested" });
    expect(spawned).toBe(0);
    expect(logs).toEqual([
      "[ingest] triage: the client left before the upload was ingested; nothing started (1 file(s))",
    ]);
  });

  it("a client leaving mid-upload: the file in hand finishes, no other starts, and the results are logged", async () => {
    const client = new AbortController();
    const q = queue({
      onSpawn: (child) =>
        child.on("message", (m: FromIngestProcess) => {
          if (m.type === "start" && m.index === 0) client.abort();
        }),
    });
    const medium = plainDocx(
      Array.from({ length: 3_000 }, (_, i) => `Note ${i}: the blood test clinic opens at 8 am.`),
    );
    const reports = await q.ingest(
      "triage",
      [
        { name: "left-medium.docx", bytes: medium },
        { name: "left-next.md", bytes: utf8(CAFE) },
      ],
      { signal: client.signal },
    );
    expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
      ["left-medium.docx", "added", undefined],
      ["left-next.md", "error", "not ingested: the client left before this file was reached"],
    ]);
    expect(logs).toContainEqual(
      "[ingest] triage: the client left during the upload; results: left-medium.docx added; left-next.md error (not ingested: the client left before this file was reached)",
    );
    expect(await docIds()).toContain("left-medium.docx");
  });
});

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

  it("does not start a file whose upload's deadline passed before a worker took it", async () => {
    const hurried = new RedisIngestQueue(redis.url, { deadlineMs: 1 });
    try {
      const [report] = await hurried.ingest("triage", [
        { name: "too-late.md", bytes: new TextEncoder().encode(PARKING) },
      ]);
      expect(report).toMatchObject({
        file: "too-late.md",
        status: "error",
        // Told by the worker, or on a busy machine decided by the queue itself: either way the deadline stopped it.
        error: expect.stringMatching(/deadline/),
      });
    } finally {
      await hurried.close();
    }
  });

  it("a client gone before the upload starts nothing; one leaving mid-upload withdraws the files no worker took", async () => {
    const logs: string[] = [];
    const q = new RedisIngestQueue(redis.url, { log: (l) => logs.push(l) });
    const { connection, queue: jobs } = openQueue(redis.url, INGEST_QUEUE);
    try {
      await expect(
        q.ingest("triage", [{ name: "gone.md", bytes: new TextEncoder().encode(PARKING) }], {
          signal: AbortSignal.abort(),
        }),
      ).rejects.toMatchObject({ code: "bad_request", message: "the client left before the upload was ingested" });
      const client = new AbortController();
      const upload = q.ingest(
        "triage",
        [
          { name: "taken.md", bytes: new TextEncoder().encode("# Lockers\n\nLockers for visitors are by the lifts.") },
          { name: "withdrawn.md", bytes: new TextEncoder().encode(PARKING) },
        ],
        { signal: client.signal },
      );
      // One worker takes one file at a time: the client leaves while it has the first and the second still waits.
      for (;;) {
        const counts = await jobs.getJobCounts("active", "waiting");
        if (counts.active === 1 && counts.waiting === 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      client.abort();
      const reports = await upload;
      expect(reports.map((r) => [r.file, r.status, r.error])).toEqual([
        ["taken.md", "added", undefined],
        ["withdrawn.md", "error", "not ingested: the client left before this file was reached"],
      ]);
      expect(logs.at(-1)).toMatch(/^\[ingest\] triage: the client left during the upload; results: taken\.md added; /);
    } finally {
      await Promise.allSettled([q.close(), jobs.close()]);
      connection.disconnect();
    }
  });
});
