import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { env, projectPath } from "@/lib/config/env";
import type { Lang } from "@/lib/persona/persona";

/** Which languages each built-in engine speaks. Kept apart from the engines so choosing one loads none. */
const LANGUAGES = { flite: ["en"], "espeak-ng": ["en", "zh"] } satisfies Record<string, Lang[]>;

/** Piper speaks whatever its installed voice speaks, so its languages come from the voice's `.onnx.json`. */
export type TtsEngineName = keyof typeof LANGUAGES | "piper";

/** flite is the clearer English voice (pocketsphinx understands ~83% of its words, ~0% of espeak-ng's). */
const DEFAULT_ENGINE: Record<Lang, keyof typeof LANGUAGES> = { en: "flite", zh: "espeak-ng" };

export interface TtsChoiceOptions {
  /** Folder of Piper voices (`<voice>.onnx` + `<voice>.onnx.json`); default `<MODELS_DIR>/tts/piper`. */
  piperVoicesDir?: string;
}

export interface TtsChoice {
  engine: TtsEngineName;
  voice?: string;
  /** Set when the persona's engine cannot serve at all (its model is not installed), saying why. */
  fallback?: string;
}

export function defaultPiperVoicesDir(): string {
  return path.join(projectPath(env().MODELS_DIR), "tts", "piper");
}

/** Piper's layout: the model and its config side by side, named after the voice. */
export function piperVoiceFiles(voicesDir: string, voice: string): { model: string; config: string } {
  const model = path.join(voicesDir, `${voice}.onnx`);
  return { model, config: `${model}.json` };
}

/** Languages of a Piper voice config, from `language.code` ("en_US", "zh_CN") or else `espeak.voice` ("en-us", "cmn"). */
export function piperVoiceLanguages(config: unknown): Lang[] {
  const c = config as { language?: { code?: unknown }; espeak?: { voice?: unknown } } | null;
  const code = [c?.language?.code, c?.espeak?.voice].find((v): v is string => typeof v === "string") ?? "";
  const base = code.toLowerCase().split(/[-_]/)[0];
  if (base === "en") return ["en"];
  if (base === "zh" || base === "cmn") return ["zh"];
  return [];
}

/** The languages of an installed Piper voice, or why it cannot serve (files missing, config unreadable). */
function installedPiperLanguages(voicesDir: string, voice: string): Lang[] | string {
  const files = piperVoiceFiles(voicesDir, voice);
  if (!existsSync(files.model) || !existsSync(files.config)) return `piper voice "${voice}" not installed`;
  try {
    return piperVoiceLanguages(JSON.parse(readFileSync(files.config, "utf8")));
  } catch {
    return `piper voice "${voice}" has an unreadable ${path.basename(files.config)}`;
  }
}

/**
 * The engine and voice for a persona's voice in one language: the named engine and voice when it speaks `lang`,
 * otherwise the language's default engine with its default voice (a flite persona answering in Chinese gets espeak-ng).
 * A Piper voice that is not installed is served by the default engine too, with `fallback` saying so.
 */
export function ttsChoice(
  voice: { engine: string; id: string },
  lang: Lang,
  options: TtsChoiceOptions = {},
): TtsChoice {
  if (voice.engine === "piper") {
    const languages = installedPiperLanguages(options.piperVoicesDir ?? defaultPiperVoicesDir(), voice.id);
    if (typeof languages === "string") return { engine: DEFAULT_ENGINE[lang], fallback: languages };
    if (languages.includes(lang)) return { engine: "piper", voice: voice.id };
    return { engine: DEFAULT_ENGINE[lang] };
  }
  const named = voice.engine in LANGUAGES ? (voice.engine as keyof typeof LANGUAGES) : null;
  if (named && (LANGUAGES[named] as readonly Lang[]).includes(lang)) return { engine: named, voice: voice.id };
  return { engine: DEFAULT_ENGINE[lang] };
}
