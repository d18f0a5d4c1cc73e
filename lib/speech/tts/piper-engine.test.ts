import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchTts, formatTtsBench } from "@/lib/speech/tts/bench";
import { EspeakTtsEngine } from "@/lib/speech/tts/espeak-engine";
import { createTtsEngine, FliteTtsEngine, PiperTtsEngine } from "@/lib/speech/tts/index";
import { type PhonemisedClause, piperIdSpans, splitClauses } from "@/lib/speech/tts/piper-engine";
import { writeTinyPiperVoice } from "@/lib/speech/tts/piper-tiny-voice";
import { trackProblems } from "@/lib/speech/tts/speech-checks";
import { durationMs } from "@/lib/speech/wav";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "piper-"));
  await writeTinyPiperVoice(dir, "en_US-tiny-x_low");
  await writeTinyPiperVoice(dir, "en_US-tiny-durations", { durations: true, hop: 300, sampleRate: 24_000 });
  await writeTinyPiperVoice(dir, "en_US-tiny-speakers", { flatOutput: true, speakers: 3 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VOWELS = /^[ˈˌ]?[aɑɒæʌeɛəɜᵻiɪyʏɨoɔøœɤuʊɯ]/;

describe("piperIdSpans (real espeak-ng phonemes)", () => {
  it("builds Piper's id sequence: BOS, phonemes with PAD after each, spaces, clause punctuation, EOS", async () => {
    const espeak = new EspeakTtsEngine();
    const clauses: PhonemisedClause[] = [];
    for (const { text, mark } of splitClauses("Hello, it is eleven o'clock.")) {
      clauses.push({ ...(await espeak.synthesize(text, { lang: "en", voice: "en-us" })), mark });
    }
    const idMap = { _: [0], "^": [1], $: [2], " ": [3], ",": [4], ".": [5] } as Record<string, number[]>;
    const symbols = [..."həlˈoʊɪɾzᵻɛvnkɑː"];
    symbols.forEach((s, i) => {
      idMap[s] = [10 + i];
    });
    const { spans, missing } = piperIdSpans(clauses, idMap);
    const names = Object.fromEntries(Object.entries(idMap).map(([k, [v]]) => [v, k]));
    const ids = spans.flatMap((s) => s.ids);
    // What piper-phonemize gives for this sentence with the en-us voice.
    expect(ids.map((id) => names[id]).join("")).toBe(`^_${[..."həlˈoʊ, ɪɾ ɪz ᵻlˈɛvən əklˈɑːk."].join("_")}_$`);
    expect(missing).toEqual([]);
    expect(piperIdSpans(clauses, { _: [0], "^": [1], $: [2] }).missing).toContain("ə");
  });
});

describe("splitClauses", () => {
  it("cuts where espeak-ng ends clauses, with Piper's punctuation", () => {
    expect(splitClauses("Yes, call us: now; or wait. OK? Fine!")).toEqual([
      { text: "Yes,", mark: "," },
      { text: "call us:", mark: ":" },
      { text: "now;", mark: ";" },
      { text: "or wait.", mark: "." },
      { text: "OK?", mark: "?" },
      { text: "Fine!", mark: "!" },
    ]);
    expect(splitClauses("您好，请拨打九九九。")).toEqual([
      { text: "您好，", mark: "," },
      { text: "请拨打九九九。", mark: "." },
    ]);
    expect(splitClauses("It is o'clock")).toEqual([{ text: "It is o'clock", mark: undefined }]);
  });
});

describe("PiperTtsEngine (tiny voice, real espeak-ng phonemisation)", () => {
  const engine = () => new PiperTtsEngine({ voice: "en_US-tiny-x_low", voicesDir: dir });

  it("speaks at the voice's sample rate, longer text giving longer audio, with timings covering it", async () => {
    const piper = engine();
    const short = await piper.synthesize("Call the GP.", { lang: "en" });
    const long = await piper.synthesize("Call the GP if your temperature stays above 38 degrees for two days.", {
      lang: "en",
    });
    expect(piper.id).toBe("piper:en_US-tiny-x_low");
    expect(piper.languages).toEqual(["en"]);
    expect(short.engine).toBe("piper:en_US-tiny-x_low");
    expect(short.audio.sampleRate).toBe(16_000);
    expect(durationMs(long.audio)).toBeGreaterThan(2.5 * durationMs(short.audio));
    expect(long.spokenText).toContain("thirty-eight");
    for (const s of [short, long]) {
      expect(trackProblems(s)).toEqual([]);
      expect(s.audio.samples.some((x) => Math.abs(x) > 10_000)).toBe(true);
      const vowels = s.phonemes.filter((p) => VOWELS.test(p.phoneme));
      expect(vowels.length).toBeGreaterThan(2);
      for (const v of vowels) expect(v.viseme).not.toBe("sil");
    }
    expect(long.words.map((w) => w.word).slice(0, 4)).toEqual(["Call", "the", "G", "P"]);
    for (const [i, w] of long.words.entries()) {
      expect(w.endMs).toBeGreaterThan(w.startMs);
      if (i > 0) expect(w.startMs).toBeGreaterThanOrEqual(long.words[i - 1]!.endMs);
    }
    // The model's audio ends with the sentence; Piper's 0.2 s sentence silence follows.
    expect(long.phonemes.at(-1)!.viseme).toBe("sil");
    expect(long.phonemes.at(-1)!.endMs - long.phonemes.at(-1)!.startMs).toBeGreaterThanOrEqual(200);
  });

  it("uses the model's own durations when it outputs them", async () => {
    const piper = new PiperTtsEngine({ voice: "en_US-tiny-durations", voicesDir: dir });
    const s = await piper.synthesize("Hello there.", { lang: "en" });
    expect(s.audio.sampleRate).toBe(24_000);
    expect(trackProblems(s)).toEqual([]);
    // Every id is 300 samples (12.5 ms) and a phoneme's span is its symbols plus the PAD after each.
    const spoken = s.phonemes.filter((p) => p.viseme !== "sil");
    for (const p of spoken) {
      const ms = p.endMs - p.startMs;
      expect(ms / 12.5).toBeCloseTo(Math.round(ms / 12.5), 6);
      expect(Math.round(ms / 12.5)).toBe(2 * [...p.phoneme.normalize("NFD")].length);
    }
  });

  it("feeds `sid` to multi-speaker voices and reads [1, S] audio", async () => {
    const piper = new PiperTtsEngine({ voice: "en_US-tiny-speakers", voicesDir: dir, speaker: 2 });
    const s = await piper.synthesize("Yes.", { lang: "en" });
    expect(trackProblems(s)).toEqual([]);
    expect(durationMs(s.audio)).toBeGreaterThan(200);
  });

  it("speaks Mandarin with a cmn voice, Hanzi read by espeak-ng as Piper's Chinese voices were trained", async () => {
    await writeTinyPiperVoice(dir, "zh_CN-tiny-x_low", { espeakVoice: "cmn" });
    const piper = new PiperTtsEngine({ voice: "zh_CN-tiny-x_low", voicesDir: dir });
    const s = await piper.synthesize("您好，体温38度请拨打999。", { lang: "zh" });
    expect(piper.languages).toEqual(["zh"]);
    expect(s.spokenText).toBe("您好，体温三十八度请拨打九九九。");
    expect(trackProblems(s)).toEqual([]);
    expect(s.phonemes.filter((p) => p.viseme !== "sil").length).toBeGreaterThanOrEqual(25);
  });

  it("refuses a language the voice does not speak", async () => {
    await expect(engine().synthesize("你好。", { lang: "zh" })).rejects.toThrow(/does not speak "zh"/);
  });

  it("measures its real-time factor", async () => {
    const rows = await benchTts([{ engine: engine(), lang: "en" }], 2);
    console.log(formatTtsBench(rows));
    expect(rows[0]!.rtf).toBeLessThan(1);
  });
});

describe("PiperTtsEngine errors", () => {
  it("names the missing files and models:pull", async () => {
    const piper = new PiperTtsEngine({ voice: "en_GB-alba-medium", voicesDir: dir });
    const missing = path.join(dir, "en_GB-alba-medium.onnx");
    await expect(piper.warmUp()).rejects.toThrow(
      new RegExp(`not installed: ${missing} and ${missing}\\.json not found.*npm run models:pull`),
    );
  });

  it("says so when the model or its config is corrupt", async () => {
    await writeTinyPiperVoice(dir, "corrupt-model");
    await writeFile(path.join(dir, "corrupt-model.onnx"), "not a model");
    await expect(new PiperTtsEngine({ voice: "corrupt-model", voicesDir: dir }).warmUp()).rejects.toThrow(
      /corrupt-model\.onnx could not be loaded \(corrupt or not an ONNX model/,
    );
    await writeTinyPiperVoice(dir, "corrupt-config");
    await writeFile(path.join(dir, "corrupt-config.onnx.json"), "{");
    await expect(new PiperTtsEngine({ voice: "corrupt-config", voicesDir: dir }).warmUp()).rejects.toThrow(
      /corrupt-config\.onnx\.json is not valid JSON/,
    );
    await writeFile(path.join(dir, "corrupt-config.onnx.json"), JSON.stringify({ audio: {} }));
    await expect(new PiperTtsEngine({ voice: "corrupt-config", voicesDir: dir }).warmUp()).rejects.toThrow(
      /is not a Piper voice config \(audio\.sample_rate/,
    );
  });
});

describe("createTtsEngine with a Piper voice", () => {
  it("picks Piper when the voice is installed and speaks the language", () => {
    const piper = createTtsEngine({ engine: "piper", id: "en_US-tiny-x_low" }, "en", { piperVoicesDir: dir });
    expect(piper).toBeInstanceOf(PiperTtsEngine);
    expect(piper.id).toBe("piper:en_US-tiny-x_low");
    // An English voice asked for Chinese: the language's default engine, as for any engine that cannot speak it.
    expect(createTtsEngine({ engine: "piper", id: "en_US-tiny-x_low" }, "zh", { piperVoicesDir: dir }).id).toBe(
      "espeak-ng",
    );
  });

  it("falls back to the language's default engine when the voice is missing, and says so", async () => {
    const voice = { engine: "piper", id: "en_GB-alba-medium" };
    const en = createTtsEngine(voice, "en", { piperVoicesDir: dir });
    expect(en).toBeInstanceOf(FliteTtsEngine);
    expect(en.id).toBe('flite (fallback: piper voice "en_GB-alba-medium" not installed)');
    const s = await en.synthesize("Hello.", { lang: "en" });
    expect(s.engine).toBe(en.id);
    expect(trackProblems(s)).toEqual([]);
    await en.warmUp();
    expect(en.isWarm).toBe(true);
    expect(createTtsEngine(voice, "zh", { piperVoicesDir: dir }).id).toMatch(/^espeak-ng \(fallback: piper voice/);
  });
});
