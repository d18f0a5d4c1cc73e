import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnswerService, createAnswerService } from "@/lib/answer";
import { KnowledgeBase } from "@/lib/knowledge";
import { MediaService } from "@/lib/media/media-service";
import { personaDir } from "@/lib/persona/persona";
import { LocalMediaQueue } from "@/lib/queue/local-media-queue";
import { decodeWav } from "@/lib/speech/wav";
import type { TurnEvent } from "./events";
import { TurnOrchestrator } from "./orchestrator";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");

async function collect(stream: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("TurnOrchestrator (real answer service, real speech and lip-sync in process)", () => {
  let dir: string;
  let turns: TurnOrchestrator;
  const services = new Map<string, Promise<AnswerService>>();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "turn-"));
    process.env.DATA_DIR = path.join(dir, "data");
    for (const id of ["triage", "support"]) {
      const kb = await KnowledgeBase.open(id, { uri: path.join(dir, "db") });
      await kb.ingestPaths([path.join(personaDir(id), "docs")]);
      services.set(id, createAnswerService(id, { kb }));
    }
    const media = new MediaService({
      knowledgeDir: path.resolve("knowledge"),
      avatarCacheDir: path.join(dir, "avatars"),
    });
    turns = new TurnOrchestrator({
      media,
      answers: (id) => services.get(id) ?? Promise.reject(new Error(`no persona ${id}`)),
      lipsyncEngine: "viseme",
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("streams a typed turn: transcript, sources, text, then audio and frames per sentence, then done", async () => {
    const events = await collect(turns.run({ personaId: "support", sessionId: "a", text: "how do I set up webhooks" }));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("turn");
    expect(events[1]).toEqual({ type: "transcript", text: "how do I set up webhooks", lang: "en" });
    expect(types.indexOf("sources")).toBeLessThan(types.indexOf("text"));
    expect(types.indexOf("text")).toBeLessThan(types.indexOf("audio"));
    expect(types.at(-1)).toBe("done");
    const audio = events.filter((e) => e.type === "audio");
    const video = events.filter((e) => e.type === "video");
    expect(audio.length).toBeGreaterThan(0);
    expect(video.length).toBe(audio.length);
    const first = audio[0]!;
    const pcm = decodeWav(Buffer.from(first.data, "base64"));
    expect((pcm.samples.length / pcm.sampleRate) * 1000).toBeCloseTo(first.durationMs, -1);
    expect(audio[1] ? audio[1].startMs : first.durationMs).toBeCloseTo(first.durationMs, -1);
    expect(video[0]?.frames.length).toBeGreaterThan(0);
    const done = events.at(-1);
    if (done?.type !== "done") throw new Error("no done");
    expect(done.engines).toMatchObject({ asr: "none", llm: "extractive", tts: "flite", lipsync: "viseme" });
    expect(done.citations.length).toBeGreaterThan(0);
    expect(done.timings.firstAudioMs).toBeGreaterThanOrEqual(done.timings.firstTextMs);
    expect(done.timings.totalMs).toBeGreaterThanOrEqual(done.timings.firstVideoMs);
  });

  it("transcribes a spoken question first", async () => {
    const wav = new Uint8Array(await readFile(FIXTURE));
    const events = await collect(turns.run({ personaId: "support", sessionId: "v", wav }));
    expect(events[1]).toEqual({ type: "transcript", text: "go forward ten meters", lang: "en", live: false });
    const done = events.at(-1);
    expect(done).toMatchObject({ type: "done", engines: { asr: "pocketsphinx" } });
  });

  it("puts the escalation first on the triage desk", async () => {
    const events = await collect(turns.run({ personaId: "triage", text: "my husband collapsed and is not breathing" }));
    const safety = events.find((e) => e.type === "safety");
    expect(safety).toMatchObject({ level: "emergency" });
    expect(events.findIndex((e) => e.type === "safety")).toBeLessThan(events.findIndex((e) => e.type === "text"));
    expect(events.some((e) => e.type === "sources")).toBe(false);
    expect(events.some((e) => e.type === "audio")).toBe(true);
  });

  it("escalates an emergency happening to someone else at once, and answers nothing else", async () => {
    const events = await collect(
      turns.run({ personaId: "triage", text: "my dad is having chest pain and can't breathe" }),
    );
    const safety = events.filter((e) => e.type === "safety");
    expect(safety).toEqual([expect.objectContaining({ level: "emergency" })]);
    const message = safety[0]?.type === "safety" ? safety[0].message : "";
    expect(message).toMatch(/^This sounds like an emergency/);
    const text = events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");
    expect(text).toBe(message);
    expect(events.some((e) => e.type === "sources")).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: "done", citations: [], cancelled: false });
  });

  it("answers a question about an emergency from the documents, with the emergency line said first", async () => {
    const events = await collect(
      turns.run({ personaId: "triage", text: "How can I tell if my dad is having a heart attack?" }),
    );
    const types = events.map((e) => e.type);
    const safety = events.filter((e) => e.type === "safety");
    expect(safety).toHaveLength(1);
    const message = safety[0]?.type === "safety" ? safety[0].message : "";
    expect(safety[0]).toMatchObject({ level: "emergency" });
    expect(message).toMatch(/^If this is happening now.*call 999 straight away/);
    expect(types.indexOf("safety")).toBeLessThan(types.indexOf("text"));
    // The line first, then an answer with its sources: not the escalation alone.
    const text = events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");
    expect(text.startsWith(message)).toBe(true);
    expect(text.length).toBeGreaterThan(message.length + 40);
    expect(types).toContain("sources");
    const done = events.at(-1);
    if (done?.type !== "done") throw new Error("no done");
    expect(done.abstained).toBe(false);
    expect(done.citations.length).toBeGreaterThan(0);
    expect(types).toContain("audio");
  });

  it("cancels the turn still speaking when the same session asks again (barge-in)", async () => {
    const first = turns.run({
      personaId: "triage",
      sessionId: "b",
      text: "what should I do about a migraine headache",
    });
    // Read by hand: breaking out of for-await would close the stream instead of leaving it to be cancelled.
    for (let e = await first.next(); !e.done && e.value.type !== "text"; e = await first.next()) {
      // until the first answer text: the turn is now speaking
    }
    const second = collect(turns.run({ personaId: "triage", sessionId: "b", text: "what are the visiting hours" }));
    const rest = await collect(first);
    expect(rest.at(-1)).toMatchObject({ type: "done", cancelled: true });
    const next = await second;
    expect(next.at(-1)).toMatchObject({ type: "done", cancelled: false });
  });

  it("still answers in text when speech misses its deadline (a slow media engine)", async () => {
    // A real worker process behind a queue whose speech deadline no engine can meet.
    const late = new LocalMediaQueue({
      workers: 1,
      batchSize: 1,
      windowMs: 0,
      attempts: 1,
      deadlines: { speakMs: 1, transcribeMs: 30_000 },
    });
    try {
      const slow = new TurnOrchestrator({
        media: late,
        answers: (id) => services.get(id) ?? Promise.reject(new Error(`no persona ${id}`)),
        lipsyncEngine: "viseme",
      });
      const events = await collect(slow.run({ personaId: "support", text: "how do I reset my password" }));
      expect(events.some((e) => e.type === "text")).toBe(true);
      expect(events.some((e) => e.type === "audio")).toBe(false);
      expect(events.find((e) => e.type === "notice")).toMatchObject({ code: "speech_late" });
      expect(events.at(-1)).toMatchObject({ type: "done", cancelled: false });
    } finally {
      await late.close();
    }
  });

  it("keeps only the speech lead ahead of the listener, sending later sentences as they become needed", async () => {
    const lead = 1000;
    const paced = new TurnOrchestrator({
      media: new MediaService({ knowledgeDir: path.resolve("knowledge"), avatarCacheDir: path.join(dir, "avatars") }),
      answers: (id) => services.get(id) ?? Promise.reject(new Error(`no persona ${id}`)),
      lipsyncEngine: "viseme",
      speechLeadMs: lead,
    });
    const arrivals: { startMs: number; at: number }[] = [];
    for await (const e of paced.run({ personaId: "support", text: "how do I set up webhooks" })) {
      if (e.type === "audio") arrivals.push({ startMs: e.startMs, at: performance.now() });
    }
    expect(arrivals.length).toBeGreaterThan(1);
    const first = arrivals[0]!.at;
    // No sentence arrives earlier than `lead` before it is due to play (a busy machine only makes it later).
    for (const a of arrivals.slice(1)) expect(a.at - first).toBeGreaterThanOrEqual(a.startMs - lead - 20);
    expect(arrivals.at(-1)!.startMs).toBeGreaterThan(lead);
  });

  it("answers bad requests with an error event", async () => {
    const events = await collect(turns.run({ personaId: "support", text: "   " }));
    expect(events.at(-1)).toMatchObject({ type: "error", code: "bad_request" });
  });
});
