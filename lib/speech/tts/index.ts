import "server-only";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { normaliseForSpeech, splitSentences } from "@/lib/speech/normalise";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { FliteTtsEngine } from "@/lib/speech/tts/flite-engine";
import type { Speech, TtsEngine, TtsOptions } from "@/lib/speech/types";
import { type TtsEngineName, ttsChoice } from "./choice";

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
 * the language's default (see ./choice), and `engine.id` on every Speech says which engine that was.
 */
const ENGINES: Record<TtsEngineName, (voice: string | undefined) => WarmableTtsEngine> = {
  flite: (voice) => new FliteTtsEngine({ voice }),
  "espeak-ng": (voice) => new EspeakTtsEngine({ voice }),
};

/** The engine for a persona's voice in one language (see `ttsChoice`). */
export function createTtsEngine(voice: { engine: string; id: string }, lang: Lang): WarmableTtsEngine {
  const choice = ttsChoice(voice, lang);
  return ENGINES[choice.engine](choice.voice);
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
