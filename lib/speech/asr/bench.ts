import "server-only";
import { fixtureAudio, SPEECH_FIXTURES, type SpeechFixture } from "@/lib/speech/asr/fixtures";
import { wordErrorRate } from "@/lib/speech/asr/wer";
import type { AsrEngine, PcmAudio } from "@/lib/speech/types";
import { durationMs } from "@/lib/speech/wav";

export interface AsrBenchRow {
  file: string;
  audioMs: number;
  /** Whole-buffer transcription time, process start-up included. */
  transcribeMs: number;
  /** transcribeMs / audioMs: below 1 is faster than real time. */
  rtf: number;
  wer: number;
  text: string;
  /** Streamed at real-time pace: from the last chunk written to the transcript (what the person waits for). */
  streamLatencyMs?: number;
}

export interface AsrBenchOptions {
  fixtures?: SpeechFixture[];
  /** Chunk size of the real-time stream, as a browser's AudioWorklet would post it. */
  chunkMs?: number;
  /** Skip the real-time streaming run (it takes as long as the audio). */
  skipStreaming?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function streamLatency(engine: AsrEngine, audio: PcmAudio, chunkMs: number): Promise<number | undefined> {
  if (!engine.stream) return undefined;
  const stream = engine.stream({ lang: "en" });
  const size = Math.round((audio.sampleRate * chunkMs) / 1000);
  const started = performance.now();
  for (let i = 0, n = 0; i < audio.samples.length; i += size, n++) {
    stream.write(audio.samples.subarray(i, i + size));
    // Pace against the clock rather than sleeping a fixed time, so timer drift does not pile up.
    await sleep(Math.max(0, started + (n + 1) * chunkMs - performance.now()));
  }
  const ended = performance.now();
  await stream.end();
  return performance.now() - ended;
}

/** Real-time factor, word error rate and streaming latency of an ASR engine on the shared real recordings. */
export async function benchAsr(engine: AsrEngine, options: AsrBenchOptions = {}): Promise<AsrBenchRow[]> {
  const fixtures = (options.fixtures ?? SPEECH_FIXTURES).filter((f) => engine.languages.includes(f.lang));
  const rows: AsrBenchRow[] = [];
  for (const f of fixtures) {
    const audio = fixtureAudio(f.file);
    const t0 = performance.now();
    const t = await engine.transcribe(audio, { lang: f.lang });
    const transcribeMs = performance.now() - t0;
    const audioMs = durationMs(audio);
    rows.push({
      file: f.file,
      audioMs,
      transcribeMs,
      rtf: transcribeMs / audioMs,
      wer: wordErrorRate(f.transcript, t.text),
      text: t.text,
      streamLatencyMs: options.skipStreaming ? undefined : await streamLatency(engine, audio, options.chunkMs ?? 100),
    });
  }
  return rows;
}

export function formatAsrBench(engineId: string, rows: AsrBenchRow[]): string {
  const lines = rows.map(
    (r) =>
      `${r.file.padEnd(42)} ${(r.audioMs / 1000).toFixed(1).padStart(5)} s  RTF ${r.rtf.toFixed(3)}  WER ${r.wer.toFixed(3)}` +
      (r.streamLatencyMs === undefined ? "" : `  end->text ${r.streamLatencyMs.toFixed(0)} ms`),
  );
  const audio = rows.reduce((s, r) => s + r.audioMs, 0);
  const work = rows.reduce((s, r) => s + r.transcribeMs, 0);
  return [`ASR ${engineId}`, ...lines, `overall RTF ${(work / audio).toFixed(3)}`].join("\n");
}
