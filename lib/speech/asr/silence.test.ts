import { describe, expect, it } from "vitest";
import { fixtureAudio, SPEECH_FIXTURES } from "@/lib/speech/asr/fixtures";
import { detectSpeech, hasSpeech, splitAtSilences } from "@/lib/speech/asr/silence";
import type { PcmAudio } from "@/lib/speech/types";

const RATE = 16_000;

function noise(ms: number, amplitude: number, seed = 1): Int16Array {
  let s = seed;
  return Int16Array.from({ length: (RATE * ms) / 1000 }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((s / 0x7fffffff) * 2 - 1) * amplitude);
  });
}

function join(...parts: Int16Array[]): PcmAudio {
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { sampleRate: RATE, samples };
}

const rms = (x: Int16Array) => Math.sqrt(x.reduce((sum, v) => sum + v * v, 0) / x.length);

describe("detectSpeech", () => {
  it("finds the speech in every real recording", () => {
    for (const f of SPEECH_FIXTURES) {
      const audio = fixtureAudio(f.file);
      const segments = detectSpeech(audio);
      expect(segments.length, f.file).toBeGreaterThan(0);
      const speechMs = segments.reduce((ms, s) => ms + s.endMs - s.startMs, 0);
      const totalMs = (audio.samples.length * 1000) / RATE;
      expect(speechMs / totalMs, f.file).toBeGreaterThan(0.6);
    }
  });

  it("places speech between added pauses where it was put", () => {
    const speech = fixtureAudio("cmusphinx_goforward.wav").samples;
    const segments = detectSpeech(join(noise(1000, 30), speech, noise(1500, 30, 2)));
    expect(segments[0]!.startMs).toBeGreaterThanOrEqual(900);
    expect(segments.at(-1)!.endMs).toBeLessThanOrEqual(1000 + 2790 + 200);
  });

  it("hears nothing in digital silence, faint hiss or loud steady noise", () => {
    expect(hasSpeech(join(new Int16Array(RATE * 2)))).toBe(false);
    expect(hasSpeech(join(noise(2000, 20)))).toBe(false);
    expect(hasSpeech(join(noise(2000, 12_000)))).toBe(false);
    expect(detectSpeech(join(new Int16Array(5)))).toEqual([]);
  });

  it("ignores a single click", () => {
    expect(hasSpeech(join(noise(1000, 30), noise(30, 20_000, 3), noise(1000, 30, 4)))).toBe(false);
  });
});

describe("splitAtSilences", () => {
  it("leaves short audio whole", () => {
    const audio = fixtureAudio("cmusphinx_goforward.wav");
    const pieces = splitAtSilences(audio, 5000);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.audio.samples.length).toBe(audio.samples.length);
  });

  it("cuts long audio within the limit at quiet points, losing no sample", () => {
    const [go, a, b] = SPEECH_FIXTURES.slice(0, 3).map((f) => fixtureAudio(f.file).samples);
    const gap = noise(400, 40);
    const audio = join(a!, gap, b!, gap, go!, gap, a!);
    const pieces = splitAtSilences(audio, 8000);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.reduce((n, p) => n + p.audio.samples.length, 0)).toBe(audio.samples.length);
    const overall = rms(audio.samples);
    for (const p of pieces) {
      expect(p.audio.samples.length / RATE).toBeLessThanOrEqual(8);
      if (p.offsetMs === 0) continue;
      // Each cut lands in an inserted gap or a natural pause: the 100 ms around it are far quieter than speech.
      const at = Math.round((p.offsetMs / 1000) * RATE);
      expect(rms(audio.samples.subarray(at - 800, at + 800)), `cut at ${p.offsetMs} ms`).toBeLessThan(overall / 4);
    }
  });
});
