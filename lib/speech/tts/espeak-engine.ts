import "server-only";
import type { EspeakEvent, EspeakWorker } from "@echogarden/espeak-ng-emscripten";
import { pinyin } from "pinyin-pro";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import {
  assertLanguage,
  chunkText,
  concatParts,
  coverAudio,
  type SpeechPart,
  speakableText,
  throwIfAborted,
  toSpeech,
} from "@/lib/speech/tts/compose";
import type { PhonemeTiming, Speech, TtsEngine, TtsOptions, Viseme, WordTiming } from "@/lib/speech/types";
import { ipaViseme, pinyinVisemes } from "@/lib/speech/visemes";

/** espeak-ng names its British English voice "en" (it has no "en-gb" voice file). */
const DEFAULT_VOICES: Record<Lang, string> = { en: "en", zh: "cmn-latn-pinyin" };
/** Long input is cut into sentences anyway so timings stay exact and one call never holds the thread for long. */
const MAX_CHARS = 600;
const PAUSE = "_";

let loading: Promise<EspeakWorker> | undefined;
let loaded = false;
/** Switching voices reloads espeak's dictionaries (~80 ms), so the worker's current voice is remembered. */
let currentVoice: string | undefined;

/** One espeak-ng instance per process: loading its 24 MB data file costs ~120 ms, each call after that is cheap. */
function espeakWorker(): Promise<EspeakWorker> {
  loading ??= import("@echogarden/espeak-ng-emscripten")
    .then(async ({ default: create }) => {
      const worker = new (await create()).eSpeakNGWorker();
      loaded = true;
      return worker;
    })
    .catch((err: unknown) => {
      loading = undefined;
      throw new AppError("unavailable", `espeak-ng could not be loaded: ${String(err)}`, { cause: err });
    });
  return loading;
}

/** A stretch of text spoken with one voice; `words` maps character offsets in `text` to what is shown. */
interface Run {
  voice: string;
  text: string;
  words: Map<number, { word: string; syllable?: string }>;
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
const ZH_PAUSE: Record<string, string> = {
  "，": ",",
  "、": ",",
  "；": ";",
  "：": ":",
  "。": ".",
  "！": "!",
  "？": "?",
};

/**
 * espeak-ng reads Hanzi wrongly, so Chinese goes to its `cmn-latn-pinyin` voice as tone-numbered pinyin (neutral
 * tone 5, ü as v). Latin words inside Chinese text (product names) are given to the English voice instead.
 */
function chineseRuns(text: string, zhVoice: string, enVoice: string): Run[] {
  const runs: Run[] = [];
  for (const piece of text.match(
    /[\u3400-\u9fff\uf900-\ufaff，、；：。！？\s]+|[^\u3400-\u9fff\uf900-\ufaff，、；：。！？]+/g,
  ) ?? []) {
    if (!HAN.test(piece)) {
      if (/[A-Za-z0-9]/.test(piece)) runs.push({ voice: enVoice, text: piece.trim(), words: new Map() });
      continue;
    }
    const syllables = pinyin(piece, { toneType: "num", type: "all", v: true });
    let out = "";
    const words: Run["words"] = new Map();
    for (const s of syllables) {
      if (s.isZh) {
        const syllable = s.pinyin.replace(/0$/, "5");
        if (out && !out.endsWith(" ")) out += " ";
        words.set(out.length, { word: s.origin, syllable });
        out += syllable;
      } else if (ZH_PAUSE[s.origin]) {
        out += `${ZH_PAUSE[s.origin]} `;
      }
    }
    if (out.trim()) runs.push({ voice: zhVoice, text: out.trim(), words });
  }
  return runs;
}

function englishRun(text: string, voice: string): Run {
  return { voice, text, words: new Map() };
}

function setVoice(worker: EspeakWorker, voice: string): void {
  if (voice === currentVoice) return;
  currentVoice = undefined;
  if (worker.set_voice(voice) !== 0) throw new AppError("bad_request", `unknown espeak-ng voice "${voice}"`);
  currentVoice = voice;
}

/** A pinyin syllable's visemes stand in for IPA symbols the map does not know (its initial first, then its final). */
function phonemeViseme(id: string, syllable: string | undefined, index: number): Viseme {
  const v = ipaViseme(id);
  if (v !== "sil" || !syllable) return v;
  const fallback = pinyinVisemes(syllable);
  return fallback[Math.min(index, fallback.length - 1)] ?? "sil";
}

function speakRun(worker: EspeakWorker, run: Run): SpeechPart {
  setVoice(worker, run.voice);
  const blocks: Int16Array[] = [];
  const events: EspeakEvent[] = [];
  worker.synthesize_and_get_phonemes(run.text, (samples, evs) => {
    blocks.push(samples);
    events.push(...evs);
    return false;
  });
  const sampleRate = worker.get_samplerate();
  const length = blocks.reduce((n, b) => n + b.length, 0);
  const samples = new Int16Array(length);
  let at = 0;
  for (const b of blocks) {
    samples.set(b, at);
    at += b.length;
  }
  const totalMs = (length * 1000) / sampleRate;

  // Each phoneme lasts until the next phoneme, word or end event; events with no phoneme name are pauses.
  const marks = events.filter((e) => e.type === "phoneme" || e.type === "word" || e.type === "end");
  const phonemes: PhonemeTiming[] = [];
  const words: WordTiming[] = [];
  // A word spans its own phonemes: espeak's word event can carry the start time of the previous word's last phoneme.
  let current: { word: string; syllable?: string; startMs?: number; index: number } | undefined;
  const closeWord = () => {
    const lastSpoken = phonemes.findLast((p) => p.phoneme !== PAUSE);
    if (current?.startMs !== undefined && lastSpoken && lastSpoken.endMs > current.startMs) {
      words.push({ word: current.word, startMs: current.startMs, endMs: lastSpoken.endMs });
    }
    current = undefined;
  };
  marks.forEach((e, i) => {
    const nextMs = marks.slice(i + 1).find((m) => m.audio_position > e.audio_position)?.audio_position ?? totalMs;
    if (e.type === "word") {
      closeWord();
      const offset = e.text_position - 1;
      const mapped = run.words.get(offset);
      // espeak's own word length is unreliable ("o'clock" has length 1), so the word runs to the next space.
      const word = mapped?.word ?? (run.text.slice(offset).match(/^\S+/)?.[0] ?? "").replace(/[^\p{L}\p{N}]+$/u, "");
      current = { word, syllable: mapped?.syllable, index: 0 };
    } else if (e.type === "phoneme") {
      const id = typeof e.id === "string" ? e.id.trim() : "";
      // espeak marks a clause pause twice at one position; the second would swallow the next clause's first phoneme.
      if (!id && (marks[i + 1]?.audio_position ?? totalMs) <= e.audio_position) {
        closeWord();
        return;
      }
      if (current && id) current.startMs ??= e.audio_position;
      const spokenInWord = current && id ? current.index++ : 0;
      phonemes.push({
        phoneme: id || PAUSE,
        viseme: id ? phonemeViseme(id, current?.syllable, spokenInWord) : "sil",
        startMs: e.audio_position,
        endMs: Math.max(e.audio_position, nextMs),
      });
      if (!id) closeWord();
    }
  });
  closeWord();
  return { audio: { sampleRate, samples }, phonemes: coverAudio(phonemes, totalMs, PAUSE), words };
}

export interface EspeakOptions {
  /** Voice used when a call names none; default en (British) for English and cmn-latn-pinyin for Chinese. */
  voice?: string;
}

/**
 * English and Mandarin TTS on espeak-ng compiled to WebAssembly (Emscripten), in-process. It reports phoneme and
 * word events with millisecond positions, so both phoneme and word timings are exact.
 */
export class EspeakTtsEngine implements TtsEngine {
  readonly id = "espeak-ng";
  readonly languages: Lang[] = ["en", "zh"];
  private readonly voice: string | undefined;

  constructor(options: EspeakOptions = {}) {
    this.voice = options.voice;
  }

  /** True once this process has loaded espeak-ng, so the next call pays no load time. */
  get isWarm(): boolean {
    return loaded;
  }

  async warmUp(): Promise<void> {
    await espeakWorker();
  }

  async synthesize(text: string, options: TtsOptions): Promise<Speech> {
    assertLanguage(this, options.lang);
    const spoken = speakableText(text, options.lang);
    const worker = await espeakWorker();
    const voice = options.voice ?? this.voice ?? DEFAULT_VOICES[options.lang];
    const parts: SpeechPart[] = [];
    for (const chunk of chunkText(spoken, options.lang, MAX_CHARS)) {
      throwIfAborted(options.signal);
      const runs = options.lang === "zh" ? chineseRuns(chunk, voice, DEFAULT_VOICES.en) : [englishRun(chunk, voice)];
      for (const run of runs) parts.push(speakRun(worker, run));
    }
    if (parts.length === 0) throw new AppError("bad_request", "nothing to say: no speakable words in the text");
    const joined = concatParts(parts, parts[0]!.audio.sampleRate);
    return toSpeech(joined, this.id, voice, spoken);
  }
}
