import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FliteTtsEngine } from "@/lib/speech/tts";
import { encodeWav, resample } from "@/lib/speech/wav";
import { makeDocx, makePdf } from "@/lib/testing/documents";
import { QUESTION_WAV, UPLOADS } from "../playwright.config";

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

  await mkdir(UPLOADS, { recursive: true });
  await writeFile(
    path.join(UPLOADS, "shuttle-bus.pdf"),
    makePdf(
      [
        [
          "Shuttle bus timetable",
          "The free hospital shuttle bus leaves the main car park every 20 minutes from 07:00 to 19:00.",
          "The shuttle bus stops at the outpatient entrance and the maternity unit.",
        ],
      ],
      { title: "Shuttle bus timetable" },
    ),
  );
  await writeFile(
    path.join(UPLOADS, "pharmacy-hours.docx"),
    await makeDocx([
      "# Outpatient pharmacy opening hours",
      "The outpatient pharmacy opens at 09:00 on Saturday and closes at 13:00.",
      "On weekdays the outpatient pharmacy is open from 08:30 to 18:00.",
    ]),
  );
}
