import { describe, expect, it } from "vitest";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { envelopeByPhoneme, trackProblems } from "@/lib/speech/tts/speech-checks";
import { durationMs } from "@/lib/speech/wav";

const engine = new EspeakTtsEngine();

describe("EspeakTtsEngine (real espeak-ng audio)", () => {
  it("speaks English with phoneme and word timings that match the audio", async () => {
    const s = await engine.synthesize("Hello, it is eleven o'clock. Call the GP.", { lang: "en" });
    const ms = durationMs(s.audio);
    expect(s.engine).toBe("espeak-ng");
    expect(s.voice).toBe("en");
    expect(s.audio.sampleRate).toBe(22_050);
    expect(ms).toBeGreaterThan(1500);
    expect(ms).toBeLessThan(6000);
    expect(trackProblems(s)).toEqual([]);
    expect(s.words.map((w) => w.word)).toEqual(["Hello", "it", "is", "eleven", "o'clock", "Call", "the", "G", "P"]);
    for (const [i, w] of s.words.entries()) {
      expect(w.endMs).toBeGreaterThan(w.startMs);
      if (i > 0) expect(w.startMs).toBeGreaterThanOrEqual(s.words[i - 1]!.endMs);
    }
    const { speechDb, silenceDb } = envelopeByPhoneme(s);
    expect(speechDb - silenceDb).toBeGreaterThan(15);
  });

  it("speaks Mandarin through pinyin, one word timing per character", async () => {
    const s = await engine.synthesize("您好，体温38度请拨打999。", { lang: "zh" });
    const ms = durationMs(s.audio);
    expect(s.voice).toBe("cmn-latn-pinyin");
    expect(s.spokenText).toBe("您好，体温三十八度请拨打九九九。");
    // 15 syllables at 3-6 per second.
    expect(ms).toBeGreaterThan(2000);
    expect(ms).toBeLessThan(6000);
    expect(trackProblems(s)).toEqual([]);
    expect(s.words.map((w) => w.word).join("")).toBe("您好体温三十八度请拨打九九九");
    expect(s.phonemes.filter((p) => p.viseme !== "sil").length).toBeGreaterThanOrEqual(25);
    const { speechDb, silenceDb } = envelopeByPhoneme(s);
    expect(speechDb - silenceDb).toBeGreaterThan(15);
  });

  it("gives Latin words inside Chinese to the English voice", async () => {
    const zhOnly = await engine.synthesize("我是支持顾问。", { lang: "zh" });
    const mixed = await engine.synthesize("我是 Northwind Cloud 支持顾问。", { lang: "zh" });
    expect(mixed.words.map((w) => w.word)).toEqual(["我", "是", "Northwind", "Cloud", "支", "持", "顾", "问"]);
    expect(durationMs(mixed.audio)).toBeGreaterThan(durationMs(zhOnly.audio) + 500);
    expect(trackProblems(mixed)).toEqual([]);
  });

  it("refuses empty text and unknown voices clearly", async () => {
    await expect(engine.synthesize(" ", { lang: "zh" })).rejects.toThrow(/nothing to say/);
    await expect(engine.synthesize("Hi.", { lang: "en", voice: "xx-nope" })).rejects.toThrow(/unknown espeak-ng voice/);
  });
});
