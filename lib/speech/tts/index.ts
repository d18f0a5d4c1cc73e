import "server-only";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { normaliseForSpeech, splitSentences } from "@/lib/speech/normalise";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { FliteTtsEngine } from "@/lib/speech/tts/flite-engine";
import type { Speech, TtsEngine, TtsOptions } from "@/lib/speech/types";

export { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
export { FLITE_VOICES, FliteTtsEngine } from "@/lib/speech/tts/flite-engine";

/** A TTS engine with the two optional start-up hooks both built-in engines have. */
export interface WarmableTtsEngine extends TtsEngine {
  readonly isWarm: boolean;
  warmUp(): Promise<void>;
}

/*
 * Engines by persona `voice.engine`. Piper VITS voices (ONNX, run on onnxruntime-node from `models/`) plug in here
 * as a third entry once `models:pull` can install them; until then a persona naming an unknown engine is served by
 * the language's default below, and `engine.id` on every Speech says which engine that was.
 */
const ENGINES: Record<string, (voice: string | undefined) => WarmableTtsEngine> = {
  flite: (voice) => new FliteTtsEngine({ voice }),
  "espeak-ng": (voice) => new EspeakTtsEngine({ voice }),
};

/** flite is the clearer English voice (pocketsphinx understands ~83% of its words, ~0% of espeak-ng's). */
const DEFAULT_ENGINE: Record<Lang, string> = { en: "flite", zh: "espeak-ng" };

/**
 * The engine for a persona's voice in one language: the named engine and voice when it speaks `lang`, otherwise the
 * language's default engine with its default voice (a flite persona answering in Chinese gets espeak-ng).
 */
export function createTtsEngine(voice: { engine: string; id: string }, lang: Lang): WarmableTtsEngine {
  const make = ENGINES[voice.engine];
  if (make) {
    const engine = make(voice.id);
    if (engine.languages.includes(lang)) return engine;
  }
  return ENGINES[DEFAULT_ENGINE[lang]]!(undefined);
}

/**
 * One Speech per sentence, synthesised only when the consumer asks for the next, so sentence 1 can be playing
 * while sentence 2 is made. Sentences with nothing to say (a lone citation) are skipped; a text with nothing to
 * say at all is an error.
 */
export async function* synthesizeSentences(
  engine: TtsEngine,
  text: string,
  options: TtsOptions,
): AsyncGenerator<Speech, void, undefined> {
  const sentences = splitSentences(text, options.lang).filter((s) =>
    /[\p{L}\p{N}]/u.test(normaliseForSpeech(s, options.lang)),
  );
  if (sentences.length === 0) {
    throw new AppError("bad_request", "nothing to say: the text is empty once citations and markup are removed");
  }
  for (const sentence of sentences) {
    if (options.signal?.aborted) return;
    yield await engine.synthesize(sentence, options);
  }
}
