import { describe, expect, it } from "vitest";
import { benchTts, formatTtsBench } from "@/lib/speech/tts/bench";
import { createTtsEngine, EspeakTtsEngine, FliteTtsEngine, synthesizeSentences } from "@/lib/speech/tts/index";
import { trackProblems } from "@/lib/speech/tts/speech-checks";
import type { Speech } from "@/lib/speech/types";
import { mouthTrack } from "@/lib/speech/visemes";
import { durationMs } from "@/lib/speech/wav";

describe("createTtsEngine", () => {
  it("uses the persona's engine where it speaks the language, else the language's default", () => {
    expect(createTtsEngine({ engine: "flite", id: "kal16" }, "en")).toBeInstanceOf(FliteTtsEngine);
    expect(createTtsEngine({ engine: "flite", id: "kal16" }, "zh")).toBeInstanceOf(EspeakTtsEngine);
    expect(createTtsEngine({ engine: "espeak-ng", id: "en-gb-x-rp" }, "en")).toBeInstanceOf(EspeakTtsEngine);
    // A Piper voice whose model is not installed yet: the default engine serves, and says so in Speech.engine.
    expect(createTtsEngine({ engine: "piper", id: "en_GB-alba-medium" }, "en")).toBeInstanceOf(FliteTtsEngine);
  });
});

describe("synthesizeSentences", () => {
  it("yields one Speech per sentence, skipping a lone citation", async () => {
    const engine = createTtsEngine({ engine: "flite", id: "slt" }, "en");
    const got: Speech[] = [];
    const text = "Your temperature is 38.5 degrees [1]. Take paracetamol, e.g. Calpol, every 4 hours. [2]";
    for await (const s of synthesizeSentences(engine, text, { lang: "en" })) got.push(s);
    expect(got.map((s) => s.spokenText)).toEqual([
      "Your temperature is thirty-eight point five degrees.",
      "Take paracetamol, for example Calpol, every four hours.",
    ]);
    for (const s of got) expect(trackProblems(s)).toEqual([]);
  });

  it("streams a 3,000-character Chinese answer sentence by sentence", async () => {
    const engine = createTtsEngine({ engine: "flite", id: "slt" }, "zh");
    const text = "如果症状加重，请致电总机 0161 555 0100。成人体温超过38度就是发烧。".repeat(75);
    expect(text.length).toBeGreaterThanOrEqual(3000);
    let n = 0;
    for await (const s of synthesizeSentences(engine, text, { lang: "zh" })) {
      expect(s.engine).toBe("espeak-ng");
      expect(trackProblems(s)).toEqual([]);
      n++;
    }
    expect(n).toBe(150);
  });

  it("stops when aborted and refuses empty text", async () => {
    const engine = createTtsEngine({ engine: "flite", id: "slt" }, "en");
    const controller = new AbortController();
    const got: Speech[] = [];
    for await (const s of synthesizeSentences(engine, "One. Two. Three.", { lang: "en", signal: controller.signal })) {
      got.push(s);
      controller.abort();
    }
    expect(got).toHaveLength(1);
    const empty = synthesizeSentences(engine, " [1] ", { lang: "en" });
    await expect(empty.next()).rejects.toThrow(/nothing to say/);
  });
});

describe("lip-sync on real speech", () => {
  it("opens the mouth while flite speaks and closes it in the pauses", async () => {
    const s = await new FliteTtsEngine().synthesize("Hello. How are you today?", { lang: "en" });
    const frames = mouthTrack(s.phonemes, durationMs(s.audio));
    const frameOf = (ms: number) => Math.floor((ms * 25) / 1000);
    const vowel = s.phonemes.find((p) => p.viseme === "aa" || p.viseme === "oh")!;
    const pauses = s.phonemes.filter((p) => p.viseme === "sil" && p.endMs - p.startMs >= 150);
    expect(pauses.length).toBeGreaterThanOrEqual(2);
    expect(
      Math.max(...frames.slice(frameOf(vowel.startMs), frameOf(vowel.endMs) + 2).map((f) => f.open)),
    ).toBeGreaterThan(0.4);
    expect(frames[frameOf(pauses[0]!.startMs + 30)]!.open).toBeLessThan(0.1);
    expect(frames.at(-1)!.open).toBeLessThan(0.1);
  });
});

describe("benchTts", () => {
  it("measures latency and real-time factor", async () => {
    const rows = await benchTts(undefined, 2);
    console.log(formatTtsBench(rows));
    for (const r of rows) {
      expect(r.rtf).toBeGreaterThan(0);
      expect(r.rtf).toBeLessThan(1);
    }
  });
});
