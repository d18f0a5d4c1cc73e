import "server-only";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { normaliseForSpeech } from "@/lib/speech/normalise";
import { splitSentences } from "@/lib/speech/sentences";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { FliteTtsEngine } from "@/lib/speech/tts/flite-engine";
import { PiperTtsEngine } from "@/lib/speech/tts/piper-engine";
import type { Speech, TtsEngine, TtsOptions } from "@/lib/speech/types";
import { type TtsChoiceOptions, type TtsEngineName, ttsChoice } from "./choice";

export { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
export { FLITE_VOICES, FliteTtsEngine } from "@/lib/speech/tts/flite-engine";
export { PiperTtsEngine } from "@/lib/speech/tts/piper-engine";

/** A TTS engine with the two optional start-up hooks both built-in engines have. */
export interface WarmableTtsEngine extends TtsEngine {
  readonly isWarm: boolean;
  warmUp(): Promise<void>;
}

/** Engines by persona `voice.engine`; a Piper voice is used only once `models:pull` (or an admin) installed it. */
const ENGINES: Record<TtsEngineName, (voice: string | undefined, options: TtsChoiceOptions) => WarmableTtsEngine> = {
  flite: (voice) => new FliteTtsEngine({ voice }),
  "espeak-ng": (voice) => new EspeakTtsEngine({ voice }),
  piper: (voice, options) => new PiperTtsEngine({ voice: voice ?? "", voicesDir: options.piperVoicesDir }),
};

/**
 * The engine for a persona's voice in one language (see `ttsChoice`). When the persona's engine cannot serve (a Piper
 * voice not installed) the default engine stands in, and its id and every Speech's `engine` name the fallback.
 */
export function createTtsEngine(
  voice: { engine: string; id: string },
  lang: Lang,
  options: TtsChoiceOptions = {},
): WarmableTtsEngine {
  const choice = ttsChoice(voice, lang, options);
  const engine = ENGINES[choice.engine](choice.voice, options);
  return choice.fallback ? standingIn(engine, choice.fallback) : engine;
}

/**
 * The engine itself with a different id: built on it (not wrapping it) so it stays that engine to callers
 * (instanceof, isWarm, warmUp, languages), while the turn's `done` event shows that a fallback served.
 */
function standingIn(engine: WarmableTtsEngine, reason: string): WarmableTtsEngine {
  const id = `${engine.id} (fallback: ${reason})`;
  const synthesize = async (text: string, options: TtsOptions): Promise<Speech> => ({
    ...(await engine.synthesize(text, options)),
    engine: id,
  });
  return Object.create(engine, { id: { value: id }, synthesize: { value: synthesize } });
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
