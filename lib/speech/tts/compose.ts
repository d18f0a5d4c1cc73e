import "server-only";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { normaliseForSpeech } from "@/lib/speech/normalise";
import { splitSentences } from "@/lib/speech/sentences";
import type { PcmAudio, PhonemeTiming, Speech, TtsEngine, WordTiming } from "@/lib/speech/types";

/** Normalised text, or a clear error when nothing is left to say. */
export function speakableText(text: string, lang: Lang): string {
  const spoken = normaliseForSpeech(text, lang);
  if (!/[\p{L}\p{N}]/u.test(spoken)) {
    throw new AppError("bad_request", "nothing to say: the text is empty once citations and markup are removed");
  }
  return spoken;
}

export function assertLanguage(engine: TtsEngine, lang: Lang): void {
  if (!engine.languages.includes(lang)) {
    throw new AppError(
      "bad_request",
      `TTS engine "${engine.id}" does not speak "${lang}" (it speaks ${engine.languages.join(", ")})`,
    );
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError("bad_request", "speech synthesis was cancelled", { cause: signal.reason });
}

/**
 * Sentences no longer than `maxChars`: engines that fail on long input get sentences, and a sentence that is still
 * too long is cut at its last comma, then its last space, before the limit.
 */
export function chunkText(spoken: string, lang: Lang, maxChars: number): string[] {
  const out: string[] = [];
  for (let rest of splitSentences(spoken, lang)) {
    while (rest.length > maxChars) {
      const head = rest.slice(0, maxChars);
      const cut = Math.max(head.search(/[,;:，；：][^,;:，；：]*$/), head.lastIndexOf(" "));
      const at = cut > maxChars / 3 ? cut + 1 : maxChars;
      out.push(rest.slice(0, at).trim());
      rest = rest.slice(at).trim();
    }
    if (rest) out.push(rest);
  }
  return out;
}

export interface SpeechPart {
  audio: PcmAudio;
  phonemes: PhonemeTiming[];
  words: WordTiming[];
}

/** Joins parts end to end, shifting each part's timings by the audio before it. */
export function concatParts(parts: SpeechPart[], sampleRate: number): SpeechPart {
  const total = parts.reduce((n, p) => n + p.audio.samples.length, 0);
  const samples = new Int16Array(total);
  const phonemes: PhonemeTiming[] = [];
  const words: WordTiming[] = [];
  let at = 0;
  for (const p of parts) {
    if (p.audio.sampleRate !== sampleRate) {
      throw new AppError("internal", `cannot join ${p.audio.sampleRate} Hz audio to ${sampleRate} Hz audio`);
    }
    const offsetMs = (at * 1000) / sampleRate;
    samples.set(p.audio.samples, at);
    for (const ph of p.phonemes) phonemes.push({ ...ph, startMs: ph.startMs + offsetMs, endMs: ph.endMs + offsetMs });
    for (const w of p.words) words.push({ ...w, startMs: w.startMs + offsetMs, endMs: w.endMs + offsetMs });
    at += p.audio.samples.length;
  }
  return { audio: { sampleRate, samples }, phonemes, words };
}

/**
 * Makes a phoneme track cover [0, durationMs] exactly: gaps become silence, spans are clipped to the audio and
 * adjacent silences merge, so consumers can rely on a gap-free, non-overlapping, monotonic track.
 */
export function coverAudio(phonemes: PhonemeTiming[], durationMs: number, silence: string): PhonemeTiming[] {
  const out: PhonemeTiming[] = [];
  const push = (p: PhonemeTiming) => {
    if (p.endMs - p.startMs <= 0) return;
    const last = out.at(-1);
    if (last && last.viseme === "sil" && p.viseme === "sil") last.endMs = p.endMs;
    else out.push(p);
  };
  let at = 0;
  for (const p of phonemes) {
    const start = Math.min(Math.max(p.startMs, at), durationMs);
    const end = Math.min(p.endMs, durationMs);
    if (start > at) push({ phoneme: silence, viseme: "sil", startMs: at, endMs: start });
    if (end > start) {
      push({ ...p, startMs: start, endMs: end });
      at = end;
    }
  }
  if (at < durationMs) push({ phoneme: silence, viseme: "sil", startMs: at, endMs: durationMs });
  return out;
}

export function toSpeech(part: SpeechPart, engine: string, voice: string, spokenText: string): Speech {
  return { ...part, engine, voice, spokenText };
}
