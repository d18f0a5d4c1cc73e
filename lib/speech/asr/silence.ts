import type { PcmAudio } from "@/lib/speech/types";
import { frameLevels } from "@/lib/speech/wav";

/** Energy-based voice activity detection: no model, a few milliseconds per minute of audio. */

const FRAME_MS = 10;

export interface SpeechSegment {
  startMs: number;
  endMs: number;
}

export interface VadOptions {
  /** Below this peak level (dBFS) the whole recording counts as silence. */
  minPeakDb?: number;
  /** Speech rises at least this far (dB) above the noise floor; steady noise or hum does not. */
  minDynamicRangeDb?: number;
  /** Pauses shorter than this stay inside one segment. */
  mergeGapMs?: number;
  /** Bursts shorter than this (clicks, taps) are ignored. */
  minSegmentMs?: number;
  /** Kept either side of each segment, so soft word onsets and endings are not clipped. */
  padMs?: number;
}

const DEFAULTS: Required<VadOptions> = {
  minPeakDb: -55,
  minDynamicRangeDb: 12,
  mergeGapMs: 300,
  minSegmentMs: 100,
  padMs: 100,
};

function percentile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? -100;
}

/**
 * Finds the spans that hold speech. The threshold adapts to each recording: it sits between the noise floor
 * (the quietest 5% of 10 ms frames) and the speech level (the loudest 5%), so it works on quiet and loud
 * microphones alike; a recording whose level barely varies (silence, hiss, hum) has no speech at all.
 */
export function detectSpeech(audio: PcmAudio, options: VadOptions = {}): SpeechSegment[] {
  const o = { ...DEFAULTS, ...options };
  const levels = frameLevels(audio, FRAME_MS);
  if (levels.length === 0) return [];
  const sorted = levels.slice().sort();
  const floor = percentile(sorted, 0.05);
  const peak = percentile(sorted, 0.95);
  if (peak < o.minPeakDb || peak - floor < o.minDynamicRangeDb) return [];
  const threshold = floor + Math.max(6, 0.3 * (peak - floor));

  const segments: SpeechSegment[] = [];
  let start = -1;
  for (let f = 0; f <= levels.length; f++) {
    const active = f < levels.length && levels[f]! >= threshold;
    if (active && start < 0) start = f;
    if (!active && start >= 0) {
      const seg = { startMs: start * FRAME_MS, endMs: f * FRAME_MS };
      const last = segments.at(-1);
      if (last && seg.startMs - last.endMs < o.mergeGapMs) last.endMs = seg.endMs;
      else segments.push(seg);
      start = -1;
    }
  }
  const totalMs = levels.length * FRAME_MS;
  return segments
    .filter((s) => s.endMs - s.startMs >= o.minSegmentMs)
    .map((s) => ({ startMs: Math.max(0, s.startMs - o.padMs), endMs: Math.min(totalMs, s.endMs + o.padMs) }));
}

export function hasSpeech(audio: PcmAudio, options?: VadOptions): boolean {
  return detectSpeech(audio, options).length > 0;
}

export interface AudioPiece {
  audio: PcmAudio;
  /** Where the piece starts in the original audio. */
  offsetMs: number;
}

/** Loudness is smoothed over this window when looking for a cut, so a cut lands in a pause, not a stop consonant. */
const CUT_WINDOW_FRAMES = 15;

/**
 * Cuts audio longer than `maxMs` into pieces of at most `maxMs`, each cut at the quietest moment in the last
 * `searchFraction` of the allowed length (a pause between words or sentences where there is one).
 */
export function splitAtSilences(audio: PcmAudio, maxMs: number, searchFraction = 0.4): AudioPiece[] {
  const frameSamples = Math.round((audio.sampleRate * FRAME_MS) / 1000);
  const maxFrames = Math.max(1, Math.floor(maxMs / FRAME_MS));
  const levels = frameLevels(audio, FRAME_MS);
  const energy = Float64Array.from(levels, (db) => 10 ** (db / 10));
  const cuts: number[] = [0];
  let start = 0;
  while (audio.samples.length - start * frameSamples > maxFrames * frameSamples) {
    const from = start + Math.max(1, Math.floor(maxFrames * (1 - searchFraction)));
    const to = start + maxFrames;
    let best = to;
    let bestEnergy = Number.POSITIVE_INFINITY;
    for (let f = from; f <= to; f++) {
      let sum = 0;
      const lo = Math.max(0, f - (CUT_WINDOW_FRAMES >> 1));
      const hi = Math.min(energy.length, lo + CUT_WINDOW_FRAMES);
      for (let i = lo; i < hi; i++) sum += energy[i]!;
      const mean = sum / Math.max(1, hi - lo);
      // `<=` prefers the latest of equally quiet points, so pieces stay close to the limit.
      if (mean <= bestEnergy) {
        bestEnergy = mean;
        best = f;
      }
    }
    cuts.push(best);
    start = best;
  }
  return cuts.map((frame, i) => {
    const begin = frame * frameSamples;
    const next = cuts[i + 1];
    const end = next === undefined ? audio.samples.length : next * frameSamples;
    return {
      audio: { sampleRate: audio.sampleRate, samples: audio.samples.subarray(begin, end) },
      offsetMs: (begin * 1000) / audio.sampleRate,
    };
  });
}
