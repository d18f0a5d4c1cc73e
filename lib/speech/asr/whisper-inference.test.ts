import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_WHISPER_TRANSCRIPTS, type TinyWhisperVocab, writeTinyWhisperModel } from "@/lib/speech/asr/tiny-whisper";
import { WhisperAsrEngine, whisperModelStatus } from "@/lib/speech/asr/whisper-engine";
import type { PcmAudio } from "@/lib/speech/types";
import { decodeWav, durationMs } from "@/lib/speech/wav";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");

let root: string;
let modelDir: string;
let vocab: TinyWhisperVocab;
let audio: PcmAudio;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "tiny-whisper-"));
  modelDir = path.join(root, "tiny-whisper");
  vocab = await writeTinyWhisperModel(modelDir);
  audio = decodeWav(readFileSync(FIXTURE));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the tiny Whisper folder", () => {
  it("is complete in the quantized layout models:pull installs", async () => {
    expect(await whisperModelStatus(modelDir)).toEqual({ ok: true, dtype: "q8", missing: [] });
  });

  it("has a byte-level BPE tokenizer that round-trips the scripted transcripts", async () => {
    const { AutoTokenizer, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
    for (const lang of ["en", "zh"] as const) {
      const ids = tokenizer.encode(` ${TINY_WHISPER_TRANSCRIPTS[lang]}`, { add_special_tokens: false });
      expect(ids).toEqual(vocab.scripts[lang]);
      expect(tokenizer.decode(ids)).toBe(` ${TINY_WHISPER_TRANSCRIPTS[lang]}`);
    }
  });
});

describe("WhisperAsrEngine inference on the tiny model", () => {
  let engine: WhisperAsrEngine;
  beforeAll(() => {
    engine = new WhisperAsrEngine({ modelDir, threads: 1 });
  });

  it("transcribes a real recording through the encoder, the merged decoder and its cache", async () => {
    const started = performance.now();
    const transcript = await engine.transcribe(audio, { lang: "en" });
    const elapsedMs = performance.now() - started;
    expect(transcript).toEqual({
      text: "go forward ten meters",
      lang: "en",
      engine: "whisper:tiny-whisper",
      audioMs: durationMs(audio),
    });
    expect(transcript.audioMs).toBeGreaterThan(2000);
    // Loading two tiny graphs and decoding six steps; the bound only catches a hang or a runaway decode.
    expect(elapsedMs).toBeLessThan(30_000);
  });

  it("forces the requested language token: zh yields the Chinese script", async () => {
    const transcript = await engine.transcribe(audio, { lang: "zh" });
    expect(transcript).toMatchObject({ text: "向前走十米", lang: "zh", engine: "whisper:tiny-whisper" });
  });

  it("defaults to English without a language and guesses the language from the text", async () => {
    const transcript = await engine.transcribe(audio);
    expect(transcript).toMatchObject({ text: "go forward ten meters", lang: "en" });
  });

  it("loads the fp32 file names too", async () => {
    const fp32Dir = path.join(root, "fp32");
    await writeTinyWhisperModel(fp32Dir, { variants: ["fp32"], transcripts: { en: "hello there" } });
    expect((await whisperModelStatus(fp32Dir)).dtype).toBe("fp32");
    const transcript = await new WhisperAsrEngine({ modelDir: fp32Dir }).transcribe(audio, { lang: "en" });
    expect(transcript).toMatchObject({ text: "hello there", engine: "whisper:fp32" });
  });
});
