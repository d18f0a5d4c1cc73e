import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureAudio, SPEECH_FIXTURES } from "@/lib/speech/asr/fixtures";
import { buildPersonaLanguageModel, writePersonaLanguageModel } from "@/lib/speech/asr/language-model";
import { PocketsphinxAsrEngine } from "@/lib/speech/asr/pocketsphinx-engine";
import { wordErrorRate } from "@/lib/speech/asr/wer";

/**
 * A persona's documents about the novel: its names and phrases, in sentences of their own (not the recordings'
 * exact sentences), as a knowledge base would hold them.
 */
const DOCUMENTS = [
  "Mister John Dashwood is the half brother of Elinor and Marianne. He had promised his father to do everything in his power for them.",
  "Then he had leisure to consider how much he might prudently give. His wife thought it rather much.",
  "Fanny Dashwood is cold hearted and rather selfish. To be selfish is to be ill disposed towards one's own family.",
  "Unless he gave them money, there was little he could do for them. How much there might be in his power was the question.",
];

const dir = await mkdtemp(path.join(tmpdir(), "persona-lm-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("buildPersonaLanguageModel", () => {
  it("writes a well-formed ARPA unigram + bigram model of dictionary words only", async () => {
    const arpa = await buildPersonaLanguageModel(["Dashwood triage xyzzyq. Go forward!"]);
    expect(arpa).toMatch(/^\\data\\\nngram 1=\d+\nngram 2=\d+/);
    expect(arpa).toContain(" dashwood");
    expect(arpa).not.toContain("xyzzyq");
    expect(arpa).toMatch(/-99\.0000 <s> /);
    expect(arpa.trim().endsWith("\\end\\")).toBe(true);
  });

  it("makes pocketsphinx hear the persona's domain words better than the general model", async () => {
    const lm = path.join(dir, "persona.arpa");
    await writePersonaLanguageModel(lm, DOCUMENTS);
    const general = new PocketsphinxAsrEngine();
    const persona = new PocketsphinxAsrEngine({ lm });
    for (const f of SPEECH_FIXTURES.filter((x) => x.file.startsWith("librivox"))) {
      const audio = fixtureAudio(f.file);
      const [g, p] = await Promise.all([general.transcribe(audio), persona.transcribe(audio)]);
      const [gw, pw] = [wordErrorRate(f.transcript, g.text), wordErrorRate(f.transcript, p.text)];
      // Measured: 0870 0.318 -> 0.182, 0890 0.429 -> 0.000.
      expect(pw, `${f.file}: general "${g.text}", persona "${p.text}"`).toBeLessThan(gw);
    }
  });
});
