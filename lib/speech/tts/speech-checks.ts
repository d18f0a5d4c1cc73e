import "server-only";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Speech } from "@/lib/speech/types";
import { durationMs, encodeWav, frameLevels, resample } from "@/lib/speech/wav";

/*
 * Checks on real synthesised audio, shared by the engine tests: they compare an engine's claimed timings with
 * the audio itself and with an independent recogniser, so no engine can pass with invented timings.
 */

/** Problems with a phoneme track: gaps, overlaps, backwards spans, or not covering the audio. */
export function trackProblems(speech: Speech): string[] {
  const problems: string[] = [];
  const audioMs = durationMs(speech.audio);
  const ph = speech.phonemes;
  if (ph.length === 0) return ["no phonemes"];
  if (ph[0]!.startMs !== 0) problems.push(`starts at ${ph[0]!.startMs} ms`);
  ph.forEach((p, i) => {
    if (!(p.endMs > p.startMs)) problems.push(`#${i} ${p.phoneme} is empty or backwards`);
    const prev = ph[i - 1];
    if (prev && Math.abs(prev.endMs - p.startMs) > 0.5) problems.push(`#${i} ${p.phoneme} gap/overlap`);
  });
  if (Math.abs(ph.at(-1)!.endMs - audioMs) > 1) problems.push(`ends at ${ph.at(-1)!.endMs} of ${audioMs} ms`);
  return problems;
}

/** Mean level (dBFS) of 40 ms frames lying wholly inside spoken phonemes, and inside silences. */
export function envelopeByPhoneme(speech: Speech): { speechDb: number; silenceDb: number } {
  const frameMs = 40;
  const levels = frameLevels(speech.audio, frameMs);
  const spoken: number[] = [];
  const silent: number[] = [];
  levels.forEach((db, f) => {
    const start = f * frameMs;
    const end = start + frameMs;
    const p = speech.phonemes.find((x) => x.startMs <= start && x.endMs >= end);
    if (p) (p.viseme === "sil" ? silent : spoken).push(db);
  });
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return { speechDb: mean(spoken), silenceDb: mean(silent) };
}

const MODEL = "/usr/share/pocketsphinx/model/en-us";

/** What pocketsphinx hears in the speech (resampled to the 16 kHz it requires). */
export async function recognise(speech: Speech): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tts-asr-"));
  try {
    const file = path.join(dir, "speech.wav");
    await writeFile(file, encodeWav(resample(speech.audio, 16_000)));
    const { stdout } = await promisify(execFile)("pocketsphinx_continuous", [
      ...["-infile", file, "-hmm", `${MODEL}/en-us`, "-lm", `${MODEL}/en-us.lm.bin`],
      ...["-dict", `${MODEL}/cmudict-en-us.dict`, "-logfn", "/dev/null"],
    ]);
    return stdout.trim().replace(/\s+/g, " ");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
