import "server-only";
import type { Lang } from "@/lib/persona/persona";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { FliteTtsEngine } from "@/lib/speech/tts/flite-engine";
import type { WarmableTtsEngine } from "@/lib/speech/tts/index";
import { durationMs } from "@/lib/speech/wav";

export interface TtsBenchCase {
  engine: WarmableTtsEngine;
  lang: Lang;
  voice?: string;
}

export interface TtsBenchRow {
  engine: string;
  voice: string;
  lang: Lang;
  /** First sentence from a process that has not loaded the engine yet (load time included); absent if it had. */
  coldFirstMs?: number;
  /** First sentence once loaded: the latency a turn sees. */
  warmFirstMs: number;
  /** Synthesis time / audio time over the whole passage, warm; below 1 is faster than real time. */
  rtf: number;
  audioMs: number;
}

const PASSAGES: Record<Lang, string[]> = {
  en: [
    "Please call the switchboard on 0161 555 0100 if your symptoms get worse.",
    "A temperature above 38°C in an adult is a fever, and paracetamol can help.",
    "The walk-in centre is open from 08:30 until 20:00, seven days a week.",
    "If you have chest pain or trouble breathing, call 999 now.",
  ],
  zh: [
    "如果症状加重，请致电总机 0161 555 0100。",
    "成人体温超过38度就是发烧，可以服用对乙酰氨基酚。",
    "门诊每天08:30到20:00开放。",
    "如果胸痛或呼吸困难，请立即拨打999。",
  ],
};

export const DEFAULT_TTS_BENCH: TtsBenchCase[] = [
  { engine: new FliteTtsEngine(), lang: "en", voice: "slt" },
  { engine: new FliteTtsEngine(), lang: "en", voice: "kal16" },
  { engine: new EspeakTtsEngine(), lang: "en" },
  { engine: new EspeakTtsEngine(), lang: "zh" },
];

/** First-sentence latency (cold, then warm) and real-time factor of each engine on short spoken-answer sentences. */
export async function benchTts(cases: TtsBenchCase[] = DEFAULT_TTS_BENCH, rounds = 3): Promise<TtsBenchRow[]> {
  const rows: TtsBenchRow[] = [];
  for (const { engine, lang, voice } of cases) {
    const [first, ...rest] = PASSAGES[lang];
    const options = { lang, voice };
    const wasCold = !engine.isWarm;
    let t = performance.now();
    const firstSpeech = await engine.synthesize(first!, options);
    const coldFirstMs = wasCold ? performance.now() - t : undefined;
    t = performance.now();
    await engine.synthesize(first!, options);
    const warmFirstMs = performance.now() - t;
    let workMs = 0;
    let audioMs = 0;
    for (let r = 0; r < rounds; r++) {
      for (const sentence of [first!, ...rest]) {
        t = performance.now();
        const s = await engine.synthesize(sentence, options);
        workMs += performance.now() - t;
        audioMs += durationMs(s.audio);
      }
    }
    rows.push({
      engine: engine.id,
      voice: firstSpeech.voice,
      lang,
      coldFirstMs,
      warmFirstMs,
      rtf: workMs / audioMs,
      audioMs: audioMs / rounds,
    });
  }
  return rows;
}

export function formatTtsBench(rows: TtsBenchRow[]): string {
  return [
    "TTS                          first sentence cold / warm    RTF     audio",
    ...rows.map(
      (r) =>
        `${`${r.engine}/${r.voice} (${r.lang})`.padEnd(28)} ${(r.coldFirstMs === undefined ? "-" : `${r.coldFirstMs.toFixed(0)} ms`).padStart(8)} / ${`${r.warmFirstMs.toFixed(0)} ms`.padEnd(10)}  ${r.rtf.toFixed(3)}  ${(r.audioMs / 1000).toFixed(1)} s`,
    ),
  ].join("\n");
}
