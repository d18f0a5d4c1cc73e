import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpokenSentence } from "@/lib/media/media-service";
import { LocalMediaQueue, type LocalMediaQueueOptions } from "./local-media-queue";
import { DeadlineError, type MediaPriority } from "./types";

const LONG_RECORDING = path.resolve(process.cwd(), "../shared/fixtures/speech/librivox_sense_and_sensibility_0870.wav");
const LONG_TEXT = Array.from({ length: 25 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`).join(" ");

/** Real worker processes taking one job at a time, with generous deadlines unless a test says otherwise. */
function singleJobQueue(over: Partial<LocalMediaQueueOptions> = {}): LocalMediaQueue {
  return new LocalMediaQueue({
    workers: 1,
    batchSize: 1,
    windowMs: 0,
    attempts: 1,
    deadlines: { speakMs: 30_000, transcribeMs: 30_000 },
    ...over,
  });
}

async function speakAll(queue: LocalMediaQueue, text: string, priority?: MediaPriority): Promise<SpokenSentence[]> {
  const out: SpokenSentence[] = [];
  for await (const s of queue.speak("support", text, { lang: "en", priority })) out.push(s);
  return out;
}

describe("LocalMediaQueue (real media worker processes)", () => {
  let dir: string;
  let queue: LocalMediaQueue;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "local-media-"));
    process.env.DATA_DIR = path.join(dir, "data");
    queue = singleJobQueue({ workers: 2, windowMs: 5, attempts: 3 });
    await queue.warm(["support"]);
  }, 120_000);

  afterAll(async () => {
    await queue?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("finishes a job on another worker when the one doing it dies", async () => {
    const pending = speakAll(queue, LONG_TEXT);
    // Both workers are idle: the job went to the first; kill it once it has started.
    await new Promise((r) => setTimeout(r, 300));
    const [first] = queue.pids;
    expect(first).toBeDefined();
    process.kill(first as number, "SIGKILL");
    const sentences = await pending;
    expect(sentences.length).toBeGreaterThanOrEqual(20);
    expect(sentences.every((s) => s.audio.samples.length > 0)).toBe(true);
  });

  it("serves a speaking session's next sentence before new turns that queued earlier", async () => {
    const order: string[] = [];
    const track = (label: string, priority: MediaPriority) =>
      speakAll(queue, `Sentence for ${label}.`, priority).then(() => order.push(label));
    // Two long jobs occupy both workers; then new turns queue, and a next sentence arrives last.
    const busy = [speakAll(queue, LONG_TEXT), speakAll(queue, LONG_TEXT)];
    await new Promise((r) => setTimeout(r, 50));
    const waiting = [track("new-1", "new-turn"), track("new-2", "new-turn")];
    await new Promise((r) => setTimeout(r, 20));
    waiting.push(track("next", "next-sentence"));
    await Promise.all([...busy, ...waiting]);
    expect(order[0]).toBe("next");
  });

  it("keeps speaking while a long recording is being recognised (recognition has its own lane)", async () => {
    const single = singleJobQueue();
    try {
      await single.warm(["support"]);
      const order: string[] = [];
      const recording = new Uint8Array(await readFile(LONG_RECORDING));
      const heard = single.transcribe(recording).then(() => order.push("transcript"));
      await new Promise((r) => setTimeout(r, 50));
      const spoken = speakAll(single, "Your reset link lasts one hour.").then(() => order.push("speech"));
      await Promise.all([heard, spoken]);
      expect(order).toEqual(["speech", "transcript"]);
    } finally {
      await single.close();
    }
  });

  it("gives up at the deadline so the turn can go on without a voice", async () => {
    const hurried = singleJobQueue({ deadlines: { speakMs: 1, transcribeMs: 1 } });
    try {
      await expect(speakAll(hurried, LONG_TEXT)).rejects.toBeInstanceOf(DeadlineError);
    } finally {
      await hurried.close();
    }
  });
});
