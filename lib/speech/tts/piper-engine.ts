import "server-only";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type * as Ort from "onnxruntime-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { defaultPiperVoicesDir, piperVoiceFiles, piperVoiceLanguages } from "@/lib/speech/tts/choice";
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
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import type { PhonemeTiming, Speech, TtsEngine, TtsOptions, Viseme, WordTiming } from "@/lib/speech/types";
import { ipaViseme } from "@/lib/speech/visemes";

const PULL_HINT = "npm run models:pull";
/** Piper phonemises per sentence; our sentences are cut to this length like the other engines' input. */
const MAX_CHARS = 600;
/** Piper (C++) puts 0.2 s of silence after each sentence; the model itself ends a sentence almost at once. */
const SENTENCE_SILENCE_S = 0.2;
/** Piper's special symbols: padding (also interspersed after every phoneme), beginning and end of sentence. */
const PAD = "_";
const BOS = "^";
const EOS = "$";
/** Clause punctuation espeak-ng reports as clause terminators, as Piper writes them (CJK marks as their ASCII kin). */
const TERMINATORS: Record<string, string> = {
  ".": ".",
  "?": "?",
  "!": "!",
  ",": ",",
  ":": ":",
  ";": ";",
  "。": ".",
  "？": "?",
  "！": "!",
  "，": ",",
  "、": ",",
  "：": ":",
  "；": ";",
};
/** Piper follows a comma, colon or semicolon with a space; sentence ends get none. */
const SPACED = new Set([",", ":", ";"]);

const VoiceConfigSchema = z.object({
  audio: z.object({ sample_rate: z.number().int().positive() }),
  espeak: z.object({ voice: z.string().min(1) }),
  inference: z
    .object({
      noise_scale: z.number().default(0.667),
      length_scale: z.number().default(1),
      noise_w: z.number().default(0.8),
    })
    .default({ noise_scale: 0.667, length_scale: 1, noise_w: 0.8 }),
  phoneme_id_map: z.record(z.string(), z.array(z.number().int().nonnegative()).min(1)),
  num_speakers: z.number().int().positive().default(1),
});

export type PiperVoiceConfig = z.infer<typeof VoiceConfigSchema>;

export interface PiperOptions {
  /** Voice file name without `.onnx`, e.g. `en_GB-alba-medium`. */
  voice: string;
  /** Folder holding `<voice>.onnx` and `<voice>.onnx.json`; default `<MODELS_DIR>/tts/piper`. */
  voicesDir?: string;
  /** Speaker of a multi-speaker voice (its `sid`); default 0. */
  speaker?: number;
  /** onnxruntime intra-op threads; its default is one per core. */
  threads?: number;
}

interface LoadedVoice {
  config: PiperVoiceConfig;
  languages: Lang[];
  session: Ort.InferenceSession;
  ort: typeof Ort;
  audioOutput: string;
  /** An output with per-id durations, which some exports add; then timings need no estimate. */
  durationOutput?: string;
}

/** One stretch of the id sequence: an espeak phoneme, the gap between two words, punctuation, or BOS/EOS. */
export interface IdSpan {
  phoneme: string;
  viseme: Viseme;
  ids: number[];
  /** How long espeak-ng itself makes this stretch: the weight when the model reports no durations. */
  espeakMs: number;
  /** Index into the espeak words, for phoneme spans. */
  word?: number;
}

/** One clause as espeak-ng phonemised it (its phoneme events, with pauses as PAD), and the punctuation closing it. */
export interface PhonemisedClause {
  phonemes: PhonemeTiming[];
  words: WordTiming[];
  mark?: string;
}

/**
 * A sentence cut where espeak-ng ends its clauses, each with Piper's form of its closing punctuation. Each clause is
 * then phonemised on its own: espeak's engine track drops the first phoneme after a clause pause (the pause event
 * and the next phoneme share a position), which Piper's ids must not.
 */
export function splitClauses(sentence: string): { text: string; mark?: string }[] {
  return sentence
    .split(/(?<=[.,;:!?](?=\s|$)|[。，、；：！？])\s*/)
    .filter((piece) => /[\p{L}\p{N}]/u.test(piece))
    .map((piece) => {
      const text = piece.trim();
      return { text, mark: TERMINATORS[text.at(-1) ?? ""] };
    });
}

/**
 * Piper's input ids for one sentence, from espeak-ng's phonemes for it (the same IPA, word by word, that Piper gets
 * from espeak_TextToPhonemes): BOS, then each phoneme's codepoints (NFD) each followed by PAD, words separated by a
 * space, each clause closed by its punctuation (plus a space after , : ;), then EOS. Symbols the voice does not know
 * are skipped, as Piper does, and reported in `missing`.
 */
export function piperIdSpans(
  clauses: PhonemisedClause[],
  idMap: Record<string, number[]>,
): { spans: IdSpan[]; missing: string[] } {
  const missing = new Set<string>();
  const pad = idMap[PAD] ?? [];
  const idsOf = (symbols: string) =>
    [...symbols.normalize("NFD")].flatMap((ch) => {
      const ids = idMap[ch];
      if (ids) return [...ids, ...pad];
      missing.add(ch);
      return [];
    });
  const silence = (phoneme: string, ids: number[], espeakMs: number): IdSpan => ({
    phoneme,
    viseme: "sil",
    ids,
    espeakMs,
  });

  const spans: IdSpan[] = [silence(BOS, [...(idMap[BOS] ?? []), ...pad], 0)];
  // espeak's pauses (before, inside and after a clause) weigh on the silence Piper has there: BOS, space, punctuation.
  let pauseMs = 0;
  let wordBase = 0;
  for (const clause of clauses) {
    let word: number | undefined;
    for (const p of clause.phonemes) {
      if (p.phoneme === PAD) {
        pauseMs += p.endMs - p.startMs;
        continue;
      }
      const inWord = clause.words.findIndex((w) => w.startMs <= p.startMs && p.startMs < w.endMs);
      const thisWord = inWord >= 0 ? wordBase + inWord : word;
      if (word !== undefined && thisWord !== word) {
        spans.push(silence(" ", idsOf(" "), pauseMs));
        pauseMs = 0;
      }
      if (pauseMs > 0) spans.at(-1)!.espeakMs += pauseMs;
      pauseMs = 0;
      word = thisWord;
      const ms = p.endMs - p.startMs;
      spans.push({ phoneme: p.phoneme, viseme: ipaViseme(p.phoneme), ids: idsOf(p.phoneme), espeakMs: ms, word });
    }
    wordBase += clause.words.length;
    if (clause.mark) {
      spans.push(silence(clause.mark, idsOf(SPACED.has(clause.mark) ? `${clause.mark} ` : clause.mark), pauseMs));
      pauseMs = 0;
    }
  }
  spans.push(silence(EOS, idMap[EOS] ?? [], pauseMs));
  return { spans, missing: [...missing] };
}

/**
 * Timings of the spans over `audioMs` of model audio. With the model's own per-id durations each span gets its ids'
 * share; otherwise (Piper's standard export outputs audio only) the audio is shared out in proportion to espeak-ng's
 * durations for the same phonemes: an estimate, since the voice's rhythm is its own, but one that keeps vowels long,
 * stops short and pauses at the punctuation where the voice pauses.
 */
function spanTimings(
  spans: IdSpan[],
  audioMs: number,
  durations?: ArrayLike<number>,
): { phonemes: PhonemeTiming[]; wordOf: (number | undefined)[] } {
  let at = 0;
  const weights = spans.map((s) => {
    const ids = s.ids.length;
    let w = s.espeakMs;
    if (durations) {
      w = 0;
      for (let i = at; i < at + ids; i++) w += Math.max(0, Number(durations[i] ?? 0));
    }
    at += ids;
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const phonemes: PhonemeTiming[] = [];
  const wordOf: (number | undefined)[] = [];
  let t = 0;
  spans.forEach((s, i) => {
    const ms = total > 0 ? (weights[i]! / total) * audioMs : 0;
    phonemes.push({ phoneme: s.phoneme, viseme: s.viseme, startMs: t, endMs: t + ms });
    wordOf.push(s.word);
    t += ms;
  });
  return { phonemes, wordOf };
}

/** Words spanning their phonemes' times; `names` are espeak's words, which `wordOf` indexes. */
function wordTimings(phonemes: PhonemeTiming[], wordOf: (number | undefined)[], names: string[]): WordTiming[] {
  const words: WordTiming[] = [];
  phonemes.forEach((p, i) => {
    const w = wordOf[i];
    if (w !== undefined && w === wordOf[i - 1]) words.at(-1)!.endMs = p.endMs;
    else if (w !== undefined) words.push({ word: names[w] ?? "", startMs: p.startMs, endMs: p.endMs });
  });
  return words.filter((w) => w.endMs > w.startMs);
}

/** Float audio to 16-bit PCM, scaled so the loudest sample is full scale, as Piper does. */
function toPcm16(audio: Float32Array): Int16Array {
  let peak = 0;
  for (const x of audio) peak = Math.max(peak, Math.abs(x));
  const scale = 32767 / Math.max(0.01, peak);
  return Int16Array.from(audio, (x) => Math.max(-32768, Math.min(32767, Math.round(x * scale))));
}

/**
 * TTS with a Piper VITS voice (ONNX) on onnxruntime-node, CPU. Text is phonemised by espeak-ng with the voice's own
 * espeak voice, exactly the phonemes Piper feeds its models, one model run per sentence.
 */
export class PiperTtsEngine implements TtsEngine {
  readonly id: string;
  readonly voice: string;
  private readonly files: { model: string; config: string };
  private readonly options: PiperOptions;
  private readonly espeak = new EspeakTtsEngine();
  private loading: Promise<LoadedVoice> | undefined;
  private loaded: LoadedVoice | undefined;

  constructor(options: PiperOptions) {
    if (!options.voice || /[/\\]/.test(options.voice)) {
      throw new AppError("bad_request", `Piper voice "${options.voice}" is not a voice file name`);
    }
    this.options = options;
    this.voice = options.voice;
    this.id = `piper:${options.voice}`;
    this.files = piperVoiceFiles(options.voicesDir ?? defaultPiperVoicesDir(), options.voice);
  }

  /** The loaded voice's languages; none until it is loaded (warmUp or the first synthesis). */
  get languages(): Lang[] {
    return this.loaded?.languages ?? [];
  }

  get isWarm(): boolean {
    return this.loaded !== undefined && this.espeak.isWarm;
  }

  /** Loads the voice (once) and espeak-ng; rejects with a clear AppError when the voice is missing or unusable. */
  async warmUp(): Promise<void> {
    await Promise.all([this.load(), this.espeak.warmUp()]);
  }

  async synthesize(text: string, options: TtsOptions): Promise<Speech> {
    const voice = await this.load();
    assertLanguage(this, options.lang);
    if (options.voice && options.voice !== this.voice) {
      throw new AppError("bad_request", `${this.id} speaks only its own voice, not "${options.voice}"`);
    }
    const spoken = speakableText(text, options.lang);
    const parts: SpeechPart[] = [];
    for (const chunk of chunkText(spoken, options.lang, MAX_CHARS)) {
      throwIfAborted(options.signal);
      parts.push(await this.speakSentence(voice, chunk));
    }
    const joined = concatParts(parts, voice.config.audio.sample_rate);
    return toSpeech(joined, this.id, this.voice, spoken);
  }

  private async speakSentence(voice: LoadedVoice, sentence: string): Promise<SpeechPart> {
    // espeak-ng's English path hands text to the named voice unchanged; its Chinese path would rewrite it as pinyin
    // for another voice, while Piper's Chinese voices were trained on espeak's cmn voice reading Hanzi.
    const clauses: PhonemisedClause[] = [];
    for (const { text, mark } of splitClauses(sentence)) {
      const trace = await this.espeak.synthesize(text, { lang: "en", voice: voice.config.espeak.voice });
      clauses.push({ phonemes: trace.phonemes, words: trace.words, mark });
    }
    const { spans } = piperIdSpans(clauses, voice.config.phoneme_id_map);
    const ids = spans.flatMap((s) => s.ids);
    const { ort, session, config } = voice;
    const { noise_scale, length_scale, noise_w } = config.inference;
    const feeds: Record<string, Ort.Tensor> = {
      input: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new ort.Tensor("int64", BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new ort.Tensor("float32", Float32Array.of(noise_scale, length_scale, noise_w), [3]),
    };
    if (session.inputNames.includes("sid")) {
      feeds.sid = new ort.Tensor("int64", BigInt64Array.of(BigInt(this.options.speaker ?? 0)), [1]);
    }
    let results: Ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (err) {
      throw new AppError("internal", `${this.id} failed on a ${ids.length}-id sentence: ${String(err)}`, {
        cause: err,
      });
    }
    const audio = results[voice.audioOutput];
    if (audio?.type !== "float32" || audio.dims.slice(0, -1).some((d) => d !== 1) || audio.size === 0) {
      throw new AppError(
        "internal",
        `${this.id}: expected float32 audio [1,...,1,samples], got ${audio?.type} [${audio?.dims.join(",")}]`,
      );
    }
    const durations = voice.durationOutput ? results[voice.durationOutput] : undefined;
    const usable = durations && durations.size === ids.length ? (durations.data as ArrayLike<number>) : undefined;

    const rate = config.audio.sample_rate;
    const modelSamples = toPcm16(audio.data as Float32Array);
    const samples = new Int16Array(modelSamples.length + Math.round(SENTENCE_SILENCE_S * rate));
    samples.set(modelSamples);
    const modelMs = (modelSamples.length * 1000) / rate;
    const timed = spanTimings(spans, modelMs, usable);
    return {
      audio: { sampleRate: rate, samples },
      phonemes: coverAudio(timed.phonemes, (samples.length * 1000) / rate, PAD),
      words: wordTimings(
        timed.phonemes,
        timed.wordOf,
        clauses.flatMap((c) => c.words.map((w) => w.word)),
      ),
    };
  }

  private load(): Promise<LoadedVoice> {
    this.loading ??= this.open().catch((err: unknown) => {
      // A voice installed later is picked up by the next call.
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async open(): Promise<LoadedVoice> {
    const { model, config: configPath } = this.files;
    const present = await Promise.all(
      [model, configPath].map((f) =>
        stat(f).then(
          (s) => s.isFile(),
          () => false,
        ),
      ),
    );
    const absent = [model, configPath].filter((_, i) => !present[i]);
    if (absent.length) {
      throw new AppError(
        "unavailable",
        `Piper voice "${this.voice}" is not installed: ${absent.join(" and ")} not found. Install it with \`${PULL_HINT}\`, or copy ${path.basename(model)} and ${path.basename(configPath)} from a Piper voice release into ${path.dirname(model)}.`,
      );
    }
    const json = await readJson(configPath);
    const config = parseVoiceConfig(json, configPath);
    const languages = piperVoiceLanguages(json);
    const ort = await import("onnxruntime-node");
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: ["cpu"],
        ...(this.options.threads ? { intraOpNumThreads: this.options.threads } : {}),
      });
    } catch (err) {
      throw new AppError(
        "unavailable",
        `Piper voice model ${model} could not be loaded (corrupt or not an ONNX model: ${err instanceof Error ? err.message : String(err)}); reinstall it with \`${PULL_HINT}\``,
        { cause: err },
      );
    }
    const lacking = ["input", "input_lengths", "scales"].filter((n) => !session.inputNames.includes(n));
    if (lacking.length || session.outputNames.length === 0) {
      await session.release();
      throw new AppError(
        "unavailable",
        `${model} is not a Piper voice: it lacks the input(s) ${lacking.join(", ")} (it has ${session.inputNames.join(", ")})`,
      );
    }
    const audioOutput = session.outputNames.includes("output") ? "output" : session.outputNames[0]!;
    const durationOutput = session.outputNames.find((n) => n !== audioOutput && /dur|w_ceil/i.test(n));
    this.loaded = { config, languages, session, ort, audioOutput, durationOutput };
    return this.loaded;
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new AppError("unavailable", `Piper voice config ${file} is not valid JSON: ${String(err)}`, { cause: err });
  }
}

function parseVoiceConfig(json: unknown, file: string): PiperVoiceConfig {
  const parsed = VoiceConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new AppError("unavailable", `Piper voice config ${file} is not a Piper voice config (${problems})`);
  }
  return parsed.data;
}
