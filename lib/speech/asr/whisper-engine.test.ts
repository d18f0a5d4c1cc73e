import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { fixtureAudio } from "@/lib/speech/asr/fixtures";
import { createAsrEngine } from "@/lib/speech/asr/index";
import { PocketsphinxAsrEngine } from "@/lib/speech/asr/pocketsphinx-engine";
import { wordErrorRate } from "@/lib/speech/asr/wer";
import { hasWhisperModel, WhisperAsrEngine, whisperModelStatus } from "@/lib/speech/asr/whisper-engine";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "whisper-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(name: string, files: string[]): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(path.join(dir, "onnx"), { recursive: true });
  await Promise.all(files.map((f) => writeFile(path.join(dir, f), "{}")));
  return dir;
}

const CONFIGS = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json"];

describe("Whisper model detection", () => {
  it("accepts the quantized pair that models:pull installs, or the fp32 pair", async () => {
    const q8 = await folder("q8", [
      ...CONFIGS,
      "onnx/encoder_model_quantized.onnx",
      "onnx/decoder_model_merged_quantized.onnx",
    ]);
    expect(await whisperModelStatus(q8)).toEqual({ ok: true, dtype: "q8", missing: [] });
    const fp32 = await folder("fp32", [...CONFIGS, "onnx/encoder_model.onnx", "onnx/decoder_model_merged.onnx"]);
    expect((await whisperModelStatus(fp32)).dtype).toBe("fp32");
  });

  it("lists what is missing from an incomplete folder", async () => {
    const partial = await folder("partial", ["config.json", "onnx/encoder_model_quantized.onnx"]);
    const status = await whisperModelStatus(partial);
    expect(status.ok).toBe(false);
    expect(status.missing).toEqual([
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "onnx/encoder_model_quantized.onnx",
      "onnx/decoder_model_merged_quantized.onnx",
    ]);
    expect(await hasWhisperModel(path.join(root, "absent"))).toBe(false);
  });
});

describe("WhisperAsrEngine without a model", () => {
  it("names the missing files and the pull command, and never downloads", async () => {
    const engine = new WhisperAsrEngine({ modelDir: path.join(root, "absent") });
    expect(engine.id).toBe("whisper:absent");
    expect(engine.languages).toEqual(["zh", "en"]);
    const err = await engine.transcribe(fixtureAudio("cmusphinx_goforward.wav"), { lang: "en" }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("unavailable");
    expect((err as AppError).message).toMatch(
      /missing config\.json, .*encoder_model_quantized\.onnx.*npm run models:pull -- asr/,
    );
  });

  it("reports a folder whose files are not a loadable model as unavailable", async () => {
    const broken = await folder("broken", [
      ...CONFIGS,
      "onnx/encoder_model_quantized.onnx",
      "onnx/decoder_model_merged_quantized.onnx",
    ]);
    const err = await new WhisperAsrEngine({ modelDir: broken })
      .transcribe(fixtureAudio("cmusphinx_goforward.wav"))
      .catch((e) => e);
    expect((err as AppError).code).toBe("unavailable");
    expect((err as AppError).message).toMatch(/could not load the Whisper model/);
  });
});

describe("createAsrEngine", () => {
  it("chooses Whisper when its folder is complete, pocketsphinx otherwise", async () => {
    const complete = path.join(root, "q8");
    expect((await createAsrEngine({ whisper: { modelDir: complete } })).id).toBe("whisper:q8");
    expect(await createAsrEngine({ whisper: { modelDir: path.join(root, "absent") } })).toBeInstanceOf(
      PocketsphinxAsrEngine,
    );
    expect((await createAsrEngine({ engine: "pocketsphinx", whisper: { modelDir: complete } })).id).toBe(
      "pocketsphinx",
    );
  });
});

describe("wordErrorRate", () => {
  it("counts substitutions, deletions and insertions against the reference length", () => {
    expect(wordErrorRate("go forward ten meters", "go forward ten meters")).toBe(0);
    expect(wordErrorRate("go forward ten meters", "go for ward ten")).toBe(0.75);
    expect(wordErrorRate("a b c d", "a x c d e")).toBe(0.5);
    expect(wordErrorRate("", "")).toBe(0);
    expect(wordErrorRate("", "noise")).toBe(1);
  });

  it("ignores case and punctuation, equates Mr and mister, and scores Chinese per character", () => {
    expect(wordErrorRate("And Mister John Dashwood, then.", "and mr john dashwood then")).toBe(0);
    expect(wordErrorRate("广州市房地产中介协会分析", "广州市房地产中介协会分折")).toBeCloseTo(1 / 12);
  });
});
