import type { Lang } from "@/lib/persona/persona";

/** Mono 16-bit PCM. ASR takes 16 kHz; TTS engines return their native rate. */
export interface PcmAudio {
  sampleRate: number;
  samples: Int16Array;
}

export interface WordTiming {
  word: string;
  startMs: number;
  endMs: number;
}

export interface Transcript {
  text: string;
  lang: Lang;
  /** Present when the engine reports them. */
  words?: WordTiming[];
  engine: string;
  /** Length of the audio that was transcribed. */
  audioMs: number;
}

export interface AsrOptions {
  lang?: Lang;
  signal?: AbortSignal;
}

/** Audio pushed while the person is still speaking, so decoding overlaps the speech. */
export interface AsrStream {
  write(chunk: Int16Array): void;
  end(): Promise<Transcript>;
  abort(): void;
}

export interface AsrEngine {
  readonly id: string;
  readonly languages: Lang[];
  transcribe(audio: PcmAudio, options?: AsrOptions): Promise<Transcript>;
  /** Optional: engines that can decode while audio arrives. */
  stream?(options?: AsrOptions): AsrStream;
}

/** One phoneme (in the engine's own alphabet, plus a normalised `viseme`) with its time span. */
export interface PhonemeTiming {
  phoneme: string;
  viseme: Viseme;
  startMs: number;
  endMs: number;
}

export interface Speech {
  audio: PcmAudio;
  phonemes: PhonemeTiming[];
  words: WordTiming[];
  engine: string;
  voice: string;
  /** The text actually spoken after normalisation (numbers, units, no citations). */
  spokenText: string;
}

export interface TtsOptions {
  lang: Lang;
  /** Engine-specific voice id; each engine has a default. */
  voice?: string;
  signal?: AbortSignal;
}

export interface TtsEngine {
  readonly id: string;
  readonly languages: Lang[];
  synthesize(text: string, options: TtsOptions): Promise<Speech>;
}

/** The 15 Oculus/Meta visemes. */
export const VISEMES = [
  "sil",
  "PP",
  "FF",
  "TH",
  "DD",
  "kk",
  "CH",
  "SS",
  "nn",
  "RR",
  "aa",
  "E",
  "ih",
  "oh",
  "ou",
] as const;
export type Viseme = (typeof VISEMES)[number];

/** Mouth pose for one video frame, each 0..1: how open, how wide, how rounded (lips pushed forward). */
export interface MouthPose {
  open: number;
  width: number;
  round: number;
}
