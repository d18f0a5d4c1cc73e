import { readFileSync } from "node:fs";
import path from "node:path";
import type { PcmAudio } from "@/lib/speech/types";
import { decodeWav } from "@/lib/speech/wav";

/** Real recordings beside the checkout (../shared/fixtures/README.md); tests and the bench run from the repo root. */
export const FIXTURES_DIR = path.resolve(process.cwd(), "../shared/fixtures/speech");

export interface SpeechFixture {
  file: string;
  lang: "en" | "zh";
  transcript: string;
}

/** Transcripts as given in the fixtures README. */
export const SPEECH_FIXTURES: SpeechFixture[] = [
  { file: "cmusphinx_goforward.wav", lang: "en", transcript: "go forward ten meters" },
  {
    file: "librivox_sense_and_sensibility_0870.wav",
    lang: "en",
    transcript:
      "and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them",
  },
  {
    file: "librivox_sense_and_sensibility_0890.wav",
    lang: "en",
    transcript: "unless to be rather cold hearted and rather selfish is to be ill disposed",
  },
  { file: "aishell1_BAC009S0724W0121.wav", lang: "zh", transcript: "广州市房地产中介协会分析" },
];

export function fixtureBytes(file: string): Uint8Array {
  return readFileSync(path.join(FIXTURES_DIR, file));
}

export function fixtureAudio(file: string): PcmAudio {
  return decodeWav(fixtureBytes(file));
}
