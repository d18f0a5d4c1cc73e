import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FliteTtsEngine } from "@/lib/speech/tts";
import { encodeWav, resample } from "@/lib/speech/wav";
import { QUESTION_WAV } from "../playwright.config";

/**
 * The fake microphone's recording: a spoken question made with the project's own TTS, then silence long enough
 * for the page's voice activity detection to end the utterance (Chromium loops the file).
 */
export default async function globalSetup(): Promise<void> {
  const speech = await new FliteTtsEngine({ voice: "kal16" }).synthesize("How do I reset my password?", { lang: "en" });
  const audio = resample(speech.audio, 16000);
  const lead = new Int16Array(16000 * 0.8);
  const tail = new Int16Array(16000 * 6);
  const samples = new Int16Array(lead.length + audio.samples.length + tail.length);
  samples.set(audio.samples, lead.length);
  await mkdir(path.dirname(QUESTION_WAV), { recursive: true });
  await writeFile(QUESTION_WAV, encodeWav({ sampleRate: 16000, samples }));
}
