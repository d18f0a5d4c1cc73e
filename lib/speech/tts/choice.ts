import type { Lang } from "@/lib/persona/persona";

/** Which languages each built-in engine speaks. Kept apart from the engines so choosing one loads none. */
const LANGUAGES = { flite: ["en"], "espeak-ng": ["en", "zh"] } satisfies Record<string, Lang[]>;

export type TtsEngineName = keyof typeof LANGUAGES;

/** flite is the clearer English voice (pocketsphinx understands ~83% of its words, ~0% of espeak-ng's). */
const DEFAULT_ENGINE: Record<Lang, TtsEngineName> = { en: "flite", zh: "espeak-ng" };

/**
 * The engine and voice for a persona's voice in one language: the named engine and voice when it speaks `lang`,
 * otherwise the language's default engine with its default voice (a flite persona answering in Chinese gets espeak-ng).
 */
export function ttsChoice(
  voice: { engine: string; id: string },
  lang: Lang,
): { engine: TtsEngineName; voice?: string } {
  const named = voice.engine in LANGUAGES ? (voice.engine as TtsEngineName) : null;
  if (named && (LANGUAGES[named] as readonly Lang[]).includes(lang)) return { engine: named, voice: voice.id };
  return { engine: DEFAULT_ENGINE[lang] };
}
