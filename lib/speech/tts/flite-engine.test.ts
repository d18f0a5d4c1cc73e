import { describe, expect, it } from "vitest";
import { wordErrorRate } from "@/lib/speech/asr/wer";
import { FliteTtsEngine, parsePsdur } from "@/lib/speech/tts/flite-engine";
import { envelopeByPhoneme, recognise, trackProblems } from "@/lib/speech/tts/speech-checks";
import { durationMs } from "@/lib/speech/wav";

const engine = new FliteTtsEngine();

describe("FliteTtsEngine (real flite audio)", () => {
  it("speaks a sentence with plausible duration and a gap-free phoneme track", async () => {
    const s = await engine.synthesize("Please call the switchboard if your symptoms get worse [2].", { lang: "en" });
    const ms = durationMs(s.audio);
    expect(s.engine).toBe("flite");
    expect(s.voice).toBe("slt");
    expect(s.audio.sampleRate).toBe(16_000);
    expect(s.spokenText).toBe("Please call the switchboard if your symptoms get worse.");
    // ~10 words: between 1.5 and 6 seconds at any sane speaking rate.
    expect(ms).toBeGreaterThan(1500);
    expect(ms).toBeLessThan(6000);
    expect(trackProblems(s)).toEqual([]);
    expect(s.phonemes.some((p) => p.phoneme === "s" && p.viseme === "SS")).toBe(true);
    expect(s.phonemes.some((p) => p.viseme === "PP")).toBe(true);
  });

  it("is louder where phonemes are spoken than in its pauses", async () => {
    const s = await engine.synthesize("Hello. I am the triage nurse, and I can help you today.", { lang: "en" });
    const { speechDb, silenceDb } = envelopeByPhoneme(s);
    expect(speechDb - silenceDb).toBeGreaterThan(15);
  });

  it("is intelligible: pocketsphinx recognises most words", async () => {
    const text = "Please call your doctor if the pain gets worse";
    const s = await engine.synthesize(`${text}.`, { lang: "en" });
    const heard = await recognise(s);
    const accuracy = 1 - wordErrorRate(text, heard);
    console.log(`flite/slt -> pocketsphinx: "${heard}" (word accuracy ${(accuracy * 100).toFixed(0)}%)`);
    expect(accuracy).toBeGreaterThanOrEqual(0.6);
  });

  it("speaks every voice at 16 kHz", async () => {
    for (const voice of ["kal16", "awb", "rms"]) {
      const s = await engine.synthesize("Good morning.", { lang: "en", voice });
      expect(s.voice).toBe(voice);
      expect(s.audio.sampleRate).toBe(16_000);
      expect(durationMs(s.audio)).toBeGreaterThan(400);
    }
  });

  it("handles a 3,000-character text sentence by sentence (flite alone crashes near 1,400)", async () => {
    const sentence = "The clinic is open from 08:30 until 18:00, and a nurse will call you back within 2 hours. ";
    const text = sentence.repeat(Math.ceil(3000 / sentence.length));
    expect(text.length).toBeGreaterThanOrEqual(3000);
    const s = await engine.synthesize(text, { lang: "en" });
    expect(trackProblems(s)).toEqual([]);
    // 34 sentences of ~5 s each.
    expect(durationMs(s.audio)).toBeGreaterThan(34 * 3000);
  });

  it("refuses empty text and languages it does not speak, clearly", async () => {
    await expect(engine.synthesize("   \n ", { lang: "en" })).rejects.toThrow(/nothing to say/);
    await expect(engine.synthesize("[1]", { lang: "en" })).rejects.toThrow(/nothing to say/);
    await expect(engine.synthesize("您好", { lang: "zh" })).rejects.toThrow(/flite.*does not speak "zh"/);
    await expect(engine.synthesize("Hi.", { lang: "en", voice: "nope" })).rejects.toThrow(/unknown flite voice/);
  });

  it("parses -psdur output into contiguous spans", () => {
    expect(parsePsdur("pau:0.164 hh:0.255 ow:0.523 \n")).toEqual([
      { phoneme: "pau", viseme: "sil", startMs: 0, endMs: 164 },
      { phoneme: "hh", viseme: "kk", startMs: 164, endMs: 255 },
      { phoneme: "ow", viseme: "oh", startMs: 255, endMs: 523 },
    ]);
  });
});
