import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { startWorkerProcess } from "@/lib/testing/worker-process";
import { RedisMediaQueue } from "./redis-media-queue";
import { DeadlineError } from "./types";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");
const LONG_TEXT = Array.from({ length: 25 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`).join(" ");

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("media jobs over Redis (real redis-server, two worker processes)", () => {
  let redis: TestRedisServer;
  let dir: string;
  let workers: ChildProcess[];
  let media: RedisMediaQueue;
  let inspect: Queue;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    dir = await mkdtemp(path.join(tmpdir(), "redis-media-"));
    const env = { ...process.env, REDIS_URL: redis.url, DATA_DIR: path.join(dir, "data"), MEDIA_BATCH_SIZE: "2" };
    workers = await Promise.all([startWorkerProcess("media", env), startWorkerProcess("media", env)]);
    media = new RedisMediaQueue({ url: redis.url, attempts: 3, deadlines: { speakMs: 20_000, transcribeMs: 20_000 } });
    inspect = new Queue("media", { connection: { host: "127.0.0.1", port: redis.port } });
  }, 180_000);

  afterAll(async () => {
    for (const w of workers ?? []) w.kill("SIGKILL");
    await media?.close();
    await inspect?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("speaks and transcribes through the queue, typed arrays intact, and sees both workers", async () => {
    const spoken = [];
    for await (const s of media.speak("support", "Your password link lasts one hour.", { lang: "en" })) spoken.push(s);
    expect(spoken).toHaveLength(1);
    expect(spoken[0]?.audio.samples).toBeInstanceOf(Int16Array);
    expect(spoken[0]?.audio.samples.length).toBeGreaterThan(8000);
    expect(spoken[0]?.frames[0]?.data).toBeInstanceOf(Uint8Array);
    expect(spoken[0]?.engines).toEqual({ tts: "flite", lipsync: "viseme" });
    const t = await media.transcribe(new Uint8Array(await readFile(FIXTURE)));
    expect(t.text).toBe("go forward ten meters");
    expect((await media.workers()).filter((w) => w.up)).toHaveLength(2);
  });

  it("finishes a job on the other worker when the one working on it is killed", async () => {
    const pending = (async () => {
      const out = [];
      for await (const s of media.speak("support", LONG_TEXT, { lang: "en" })) out.push(s);
      return out;
    })();
    let owner: ChildProcess | undefined;
    await until(async () => {
      const [job] = await inspect.getJobs(["active"]);
      owner = workers.find((w) => job?.processedBy?.endsWith(`:${w.pid}`));
      return owner !== undefined;
    }, 10_000);
    owner?.kill("SIGKILL");
    const started = performance.now();
    const sentences = await pending;
    expect(sentences.length).toBeGreaterThanOrEqual(20);
    expect(performance.now() - started).toBeLessThan(15_000);
    workers = workers.filter((w) => w !== owner);
  });

  it("fails fast with a clear error while Redis is down, and works again when it is back", async () => {
    await redis.stop();
    const t0 = performance.now();
    const speak = async () => {
      for await (const _ of media.speak("support", "Hello again.", { lang: "en" })) return true;
      return false;
    };
    await expect(speak()).rejects.toThrow(/job queue \(Redis at redis:\/\/127\.0\.0\.1:\d+\/?\) is unreachable/);
    expect(performance.now() - t0).toBeLessThan(1500);
    await redis.resume();
    let recovered = false;
    await until(async () => {
      recovered = await speak().catch(() => false);
      return recovered;
    }, 15_000);
    expect(recovered).toBe(true);
  });

  it("gives up at the deadline instead of waiting on a job", async () => {
    const hurried = new RedisMediaQueue({ url: redis.url, attempts: 1, deadlines: { speakMs: 5, transcribeMs: 5 } });
    try {
      const speak = async () => {
        for await (const _ of hurried.speak("support", LONG_TEXT, { lang: "en" })) return;
      };
      await expect(speak()).rejects.toBeInstanceOf(DeadlineError);
    } finally {
      await hurried.close();
    }
  });
});
