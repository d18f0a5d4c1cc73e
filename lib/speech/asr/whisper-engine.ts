import "server-only";
import { access } from "node:fs/promises";
import path from "node:path";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { noSpeech } from "@/lib/speech/asr/no-speech";
import { hasSpeech } from "@/lib/speech/asr/silence";
import type { AsrEngine, AsrOptions, PcmAudio, Transcript } from "@/lib/speech/types";
import { durationMs, resample } from "@/lib/speech/wav";

const RATE = 16_000;
const PULL_HINT = "npm run models:pull -- asr";
const CONFIG_FILES = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json"];
/** transformers.js file suffix per dtype; `models:pull` installs the quantized pair. */
const VARIANTS = { fp32: "", q8: "_quantized" } as const;
type WhisperDtype = keyof typeof VARIANTS;
const LANGUAGE_NAMES: Record<Lang, string> = { en: "english", zh: "chinese" };

export interface WhisperModelStatus {
  ok: boolean;
  /** The weights found, or undefined when neither the fp32 nor the quantized pair is complete. */
  dtype?: WhisperDtype;
  missing: string[];
}

/** Checks a Whisper ONNX folder (transformers.js layout) without loading it. */
export async function whisperModelStatus(dir: string): Promise<WhisperModelStatus> {
  const exists = (f: string) =>
    access(path.join(dir, f)).then(
      () => true,
      () => false,
    );
  const missing: string[] = [];
  for (const f of CONFIG_FILES) if (!(await exists(f))) missing.push(f);
  const pair = (suffix: string) => [`onnx/encoder_model${suffix}.onnx`, `onnx/decoder_model_merged${suffix}.onnx`];
  let dtype: WhisperDtype | undefined;
  for (const d of ["q8", "fp32"] as const) {
    const files = await Promise.all(pair(VARIANTS[d]).map(exists));
    if (files.every(Boolean)) dtype ??= d;
  }
  if (!dtype) missing.push(...pair(VARIANTS.q8));
  return { ok: missing.length === 0, dtype, missing };
}

export async function hasWhisperModel(dir: string): Promise<boolean> {
  return (await whisperModelStatus(dir)).ok;
}

export interface WhisperOptions {
  /** Model folder, absolute or relative to the working directory; default `models/asr/whisper-base`. */
  modelDir?: string;
  /** Threads onnxruntime may use; default its own choice. */
  threads?: number;
}

type Transcriber = (
  audio: Float32Array,
  options: Record<string, unknown>,
) => Promise<{ text: string } | { text: string }[]>;

/** Chinese and English speech recognition with a local Whisper ONNX model; never downloads. */
export class WhisperAsrEngine implements AsrEngine {
  readonly id: string;
  readonly languages: Lang[] = ["zh", "en"];
  readonly modelDir: string;
  private readonly threads?: number;
  private loading?: Promise<Transcriber>;
  /** One inference at a time: parallel runs on a few cores only slow each other down. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WhisperOptions = {}) {
    this.modelDir = path.resolve(options.modelDir ?? "models/asr/whisper-base");
    this.id = `whisper:${path.basename(this.modelDir)}`;
    this.threads = options.threads;
  }

  async transcribe(audio: PcmAudio, options: AsrOptions = {}): Promise<Transcript> {
    options.signal?.throwIfAborted();
    const pcm = resample(audio, RATE);
    if (!hasSpeech(pcm)) throw noSpeech("the audio is silent or steady noise");
    const transcriber = await this.load();
    const run = this.queue.then(async () => {
      options.signal?.throwIfAborted();
      return transcriber(
        Float32Array.from(pcm.samples, (s) => s / 32768),
        {
          ...(options.lang ? { language: LANGUAGE_NAMES[options.lang] } : {}),
          task: "transcribe",
          // Whisper sees 30 s windows; longer audio is decoded window by window with overlap.
          chunk_length_s: durationMs(pcm) > 30_000 ? 30 : 0,
        },
      );
    });
    this.queue = run.catch(() => {});
    const output = await run;
    const text = (Array.isArray(output) ? output.map((o) => o.text).join(" ") : output.text).trim();
    if (!text) throw noSpeech("no words were recognised");
    return { text, lang: options.lang ?? guessLang(text), engine: this.id, audioMs: durationMs(pcm) };
  }

  private load(): Promise<Transcriber> {
    this.loading ??= this.open();
    // A failed load is not cached, so installing the model later works without a restart.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async open(): Promise<Transcriber> {
    const status = await whisperModelStatus(this.modelDir);
    if (!status.ok || !status.dtype) {
      throw new AppError(
        "unavailable",
        `Whisper model in ${this.modelDir} is incomplete (missing ${status.missing.join(", ")}): run ${PULL_HINT}`,
      );
    }
    const { env, pipeline } = await import("@huggingface/transformers");
    // Weights come only from the folder `models:pull` filled; nothing is fetched at run time.
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    try {
      const pipe = await pipeline("automatic-speech-recognition", this.modelDir, {
        local_files_only: true,
        dtype: status.dtype,
        device: "cpu",
        ...(this.threads ? { session_options: { intraOpNumThreads: this.threads } } : {}),
      });
      return pipe as unknown as Transcriber;
    } catch (err) {
      throw new AppError("unavailable", `could not load the Whisper model in ${this.modelDir}: ${String(err)}`, {
        cause: err,
      });
    }
  }
}

function guessLang(text: string): Lang {
  return /[\u3400-\u9fff]/.test(text) ? "zh" : "en";
}
