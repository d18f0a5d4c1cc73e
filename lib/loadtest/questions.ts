/** What the simulated users say: questions per persona (typed) or recordings (spoken). */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/** A few always-present questions, so a persona without an eval set still gets realistic traffic. */
const BUILT_IN: Record<string, readonly string[]> = {
  support: [
    "how do I reset my password",
    "I was billed twice this month",
    "single sign-on keeps failing with an error when I log in",
    "what are the API rate limits",
    "my files are not syncing to my laptop",
  ],
  triage: [
    "my child has had a fever since yesterday",
    "I twisted my ankle and it is swollen",
    "I was stung by a bee and my arm is red",
    "I have had a headache for three days",
    "I cut my finger and it keeps bleeding",
  ],
};

const EvalSet = z.array(z.object({ q: z.string().min(1) }));

/** The built-in questions plus the persona's `eval/retrieval.json`, which holds lay, misspelt and Chinese ones. */
export async function loadQuestions(knowledgeDir: string, persona: string): Promise<string[]> {
  const file = path.join(knowledgeDir, persona, "eval", "retrieval.json");
  let fromEval: string[] = [];
  try {
    fromEval = EvalSet.parse(JSON.parse(await readFile(file, "utf8"))).map((e) => e.q);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${file}: ${(err as Error).message}`);
  }
  const all = [...new Set([...(BUILT_IN[persona] ?? []), ...fromEval])];
  if (all.length === 0) throw new Error(`no questions for persona "${persona}": add ${file}`);
  return all;
}

/** Every WAV in `dir` (16 kHz mono PCM16 recordings, as the turn endpoint expects). */
export async function loadRecordings(dir: string): Promise<Uint8Array[]> {
  const names = await readdir(dir).catch(() => {
    throw new Error(`no speech fixtures at ${dir}: --voice needs 16 kHz mono WAV files there`);
  });
  const wavs = names.filter((n) => n.toLowerCase().endsWith(".wav")).sort();
  if (wavs.length === 0) throw new Error(`no .wav files in ${dir}: --voice needs 16 kHz mono WAV files there`);
  return Promise.all(wavs.map(async (n) => new Uint8Array(await readFile(path.join(dir, n)))));
}
