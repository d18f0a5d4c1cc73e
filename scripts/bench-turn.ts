/**
 * `npm run bench:turn`: time to first audio and first video frame (TTFF) for typed and spoken turns on both personas,
 * with the default engines, through the same pipeline the web server runs (answers in process, speech and lip-sync
 * in the media worker process). Spoken questions are real recordings; TTFF counts from the end of the upload, or,
 * for "live" turns, from the end of speech: the recording is streamed to recognition in real time as the page does,
 * and the turn starts when the last chunk has been sent.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { type AnswerService, createAnswerService } from "@/lib/answer";
import { KnowledgeBase } from "@/lib/knowledge";
import { MediaWorkerClient } from "@/lib/media/worker-client";
import { personaDir } from "@/lib/persona/persona";
import { decodeWav } from "@/lib/speech/wav";
import type { LiveSpeech } from "@/lib/turn/live-speech";
import { TurnOrchestrator, type TurnRequest } from "@/lib/turn/orchestrator";

const RUNS = 3;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

const TEXT: Record<string, string[]> = {
  triage: [
    "what are the signs of dehydration",
    "my child has a high temperature",
    "孩子发烧怎么办",
    "how long should I press on a cut",
  ],
  support: ["how do I reset my password", "my files are not syncing", "如何申请退款", "what does error NW-429 mean"],
};
const VOICE = ["cmusphinx_goforward.wav", "librivox_sense_and_sensibility_0890.wav"];

const dir = await mkdtemp(path.join(tmpdir(), "bench-turn-"));
const media = new MediaWorkerClient();
try {
  const kbs = new Map<string, KnowledgeBase>();
  for (const id of Object.keys(TEXT)) {
    const kb = await KnowledgeBase.open(id, { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir(id), "docs")]);
    kbs.set(id, kb);
  }
  await media.warm(Object.keys(TEXT));
  // Let the recogniser's waiting decoders finish loading, as they have long before anybody speaks.
  await new Promise((r) => setTimeout(r, 2000));
  // A fresh answer service per turn: its answer cache would otherwise serve every repeat of a question.
  const turns = new TurnOrchestrator({
    media,
    answers: (id): Promise<AnswerService> => createAnswerService(id, { kb: kbs.get(id) }),
    lipsyncEngine: "viseme",
  });
  /** Streams a recording to live recognition in real time (100 ms chunks, as the page sends them). */
  const speakLive = async (personaId: string, wav: Uint8Array): Promise<LiveSpeech> => {
    const samples = decodeWav(wav).samples;
    const stream = media.listen();
    const started = performance.now();
    for (let at = 0, n = 0; at < samples.length; at += 1600, n++) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + n * 100 - performance.now())));
      stream.write(samples.slice(at, at + 1600));
    }
    return {
      id: "bench",
      personaId,
      sessionId: "bench",
      stream,
      samples: samples.length,
      nextSeq: 0,
      broken: false,
      lastSeen: 0,
    };
  };
  const measure = async (req: TurnRequest) => {
    for await (const e of turns.run(req)) {
      if (e.type === "done") return e.timings;
      if (e.type === "error") throw new Error(e.message);
    }
    throw new Error("no done event");
  };

  console.log(`machine: ${cpus().length} cores, node ${process.version}; ${RUNS} runs per question, no answer cache`);
  console.log("persona  kind   turns  first audio p50/p95 ms  first video p50/p95 ms  (asr p50 ms)");
  for (const persona of Object.keys(TEXT)) {
    for (const kind of ["text", "voice", "live"] as const) {
      const audio: number[] = [];
      const video: number[] = [];
      const asr: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const requests: TurnRequest[] =
          kind === "text"
            ? TEXT[persona]!.map((q) => ({ personaId: persona, text: q }))
            : await Promise.all(
                VOICE.map(async (f) => ({
                  personaId: persona,
                  wav: new Uint8Array(await readFile(path.resolve("../shared/fixtures/speech", f))),
                })),
              );
        for (const req of requests) {
          if (kind === "live" && req.wav) req.live = await speakLive(persona, req.wav);
          const t = await measure(req);
          audio.push(t.firstAudioMs);
          video.push(t.firstVideoMs);
          asr.push(t.asrMs);
        }
      }
      console.log(
        `${persona.padEnd(8)} ${kind.padEnd(6)} ${String(audio.length).padStart(5)}  ${`${pct(audio, 50)} / ${pct(audio, 95)}`.padStart(22)}  ${`${pct(video, 50)} / ${pct(video, 95)}`.padStart(22)}  ${kind === "text" ? "" : `(${pct(asr, 50)})`}`,
      );
    }
  }
  const lengths = await Promise.all(
    VOICE.map(async (f) => decodeWav(new Uint8Array(await readFile(path.resolve("../shared/fixtures/speech", f))))),
  );
  console.log(
    `spoken questions: ${lengths.map((a) => `${(a.samples.length / a.sampleRate).toFixed(1)} s`).join(", ")}`,
  );
} finally {
  media.close();
  await rm(dir, { recursive: true, force: true });
}
