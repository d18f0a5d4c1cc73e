import "server-only";
import { PocketsphinxAsrEngine, type PocketsphinxOptions } from "@/lib/speech/asr/pocketsphinx-engine";
import { hasWhisperModel, WhisperAsrEngine, type WhisperOptions } from "@/lib/speech/asr/whisper-engine";
import type { AsrEngine, AsrOptions, Transcript } from "@/lib/speech/types";
import { decodeWav } from "@/lib/speech/wav";

export { buildPersonaLanguageModel, writePersonaLanguageModel } from "@/lib/speech/asr/language-model";
export { isNoSpeech, NO_SPEECH } from "@/lib/speech/asr/no-speech";
export { PocketsphinxAsrEngine } from "@/lib/speech/asr/pocketsphinx-engine";
export { wordErrorRate } from "@/lib/speech/asr/wer";
export { hasWhisperModel, WhisperAsrEngine, whisperModelStatus } from "@/lib/speech/asr/whisper-engine";

export interface CreateAsrOptions {
  /** `auto`: Whisper when its model folder is complete, else pocketsphinx. */
  engine?: "auto" | "whisper" | "pocketsphinx";
  whisper?: WhisperOptions;
  pocketsphinx?: PocketsphinxOptions;
}

export async function createAsrEngine(options: CreateAsrOptions = {}): Promise<AsrEngine> {
  const choice = options.engine ?? "auto";
  const whisper = new WhisperAsrEngine(options.whisper);
  if (choice === "whisper") return whisper;
  if (choice === "auto" && (await hasWhisperModel(whisper.modelDir))) {
    return whisper;
  }
  return new PocketsphinxAsrEngine(options.pocketsphinx);
}

/** An uploaded WAV body to a transcript; format errors and "no speech" come back as AppErrors. */
export async function transcribeWav(engine: AsrEngine, bytes: Uint8Array, options?: AsrOptions): Promise<Transcript> {
  return engine.transcribe(decodeWav(bytes), options);
}
