import { cp, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { hasOnnxEmbeddingModel, OnnxSentenceEmbedder } from "@/lib/knowledge/onnx-embedder";
import { writeTinySentenceModel } from "@/lib/testing/tiny-onnx";

const VOCAB = ["my", "password", "reset", "login", "fails", "the", "cat", "sat", "on", "mat", "query", "passage"];

let root: string;
let modelDir: string;
let embedder: OnnxSentenceEmbedder;
const loaded: OnnxSentenceEmbedder[] = [];

async function load(dir: string, options?: Parameters<typeof OnnxSentenceEmbedder.load>[1]) {
  const created = await OnnxSentenceEmbedder.load(dir, options);
  loaded.push(created);
  return created;
}

/** A fresh copy of the tiny model, to break or rename without touching the shared one. */
async function copyModel(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(modelDir, dir, { recursive: true });
  return dir;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

async function expectUnavailable(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("unavailable");
  expect((err as AppError).message).toMatch(pattern);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "onnx-embedder-"));
  modelDir = join(root, "tiny-minilm");
  await writeTinySentenceModel(modelDir, { dim: 16, vocab: VOCAB });
  embedder = await load(modelDir);
});

afterAll(async () => {
  await Promise.all(loaded.map((e) => e.dispose()));
  await rm(root, { recursive: true, force: true });
});

describe("OnnxSentenceEmbedder", () => {
  it("reads its identity and size from the model folder", () => {
    expect(embedder.id).toBe("onnx:tiny-minilm-16");
    expect(embedder.dimensions).toBe(16);
    expect(embedder.lexical).toBe(false);
    expect(embedder.prefixes).toEqual({ query: "", passage: "" });
  });

  it("embeds a batch into unit vectors of the model's dimension, in input order", async () => {
    const texts = ["my password reset", "the cat sat on the mat", "login", "my password reset"];
    const vectors = await embedder.embed(texts, "passage");
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(16);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    }
    expect(Array.from(vectors[3]!)).toEqual(Array.from(vectors[0]!));
    // Batched (and length-sorted) results match one text at a time, so order is restored correctly.
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text], "passage");
      expect(dot(alone!, vectors[i]!)).toBeCloseTo(1, 5);
    }
  });

  it("splits inputs larger than a batch and returns nothing for no texts", async () => {
    const small = await load(modelDir, { batchSize: 2 });
    const texts = ["cat", "the cat sat", "mat", "password", "login fails", "my login"];
    const [batched, whole] = await Promise.all([small.embed(texts, "query"), embedder.embed(texts, "query")]);
    for (const [i, v] of batched.entries()) expect(dot(v, whole[i]!)).toBeCloseTo(1, 5);
    expect(await small.embed([], "query")).toEqual([]);
  });

  it("puts texts that share words closer than unrelated ones", async () => {
    const [question, related, unrelated] = await embedder.embed(
      ["my password reset fails", "password reset", "the cat sat on the mat"],
      "passage",
    );
    expect(dot(question!, related!)).toBeGreaterThan(dot(question!, unrelated!) + 0.2);
  });

  it("embeds Chinese text character by character", async () => {
    const [headache, fever, password] = await embedder.embed(["我头痛", "头痛发烧", "忘记密码怎么登录"], "query");
    expect(headache).toHaveLength(16);
    expect(dot(headache!, fever!)).toBeGreaterThan(dot(headache!, password!));
  });

  it("uses e5's query and passage prefixes for an e5 folder, or the ones given", async () => {
    const e5 = await load(await copyModel("multilingual-e5-small"));
    expect(e5.prefixes).toEqual({ query: "query: ", passage: "passage: " });
    const [asQuery] = await e5.embed(["the cat"], "query");
    const [asPassage] = await e5.embed(["the cat"], "passage");
    expect(dot(asQuery!, asPassage!)).toBeLessThan(0.999);

    const custom = await load(modelDir, { prefixes: { query: "query: ", passage: "" } });
    const [prefixed] = await custom.embed(["the cat"], "query");
    expect(Array.from(prefixed!)).toEqual(Array.from(asQuery!));
  });

  it("reads prompts from config_sentence_transformers.json", async () => {
    const dir = await copyModel("prompted");
    await writeFile(
      join(dir, "config_sentence_transformers.json"),
      JSON.stringify({ prompts: { query: "query: ", document: "passage: " } }),
    );
    expect((await load(dir)).prefixes).toEqual({ query: "query: ", passage: "passage: " });
  });
});

describe("OnnxSentenceEmbedder errors", () => {
  it("names the folder, the missing files and models:pull when the folder is missing", async () => {
    const missing = join(root, "nowhere");
    await expectUnavailable(
      OnnxSentenceEmbedder.load(missing),
      new RegExp(`${missing}.*config\\.json, tokenizer\\.json, tokenizer_config\\.json.*model\\.onnx.*models:pull`),
    );
  });

  it("lists a missing tokenizer", async () => {
    const dir = await copyModel("no-tokenizer");
    await rm(join(dir, "tokenizer.json"));
    await expectUnavailable(OnnxSentenceEmbedder.load(dir), /missing tokenizer\.json\)/);
  });

  it("asks for the requested weights when only the others are there", async () => {
    await expectUnavailable(
      OnnxSentenceEmbedder.load(modelDir, { dtype: "q8" }),
      /missing onnx\/model_quantized\.onnx\)/,
    );
  });

  it("reports a corrupt model.onnx as a load error", async () => {
    const dir = await copyModel("corrupt-model");
    await writeFile(join(dir, "onnx", "model.onnx"), "this is not a protobuf");
    await expectUnavailable(
      OnnxSentenceEmbedder.load(dir),
      /could not load the .* model in .*corrupt-model: .*model\.onnx failed/,
    );
  });

  it("reports a malformed tokenizer.json as a load error", async () => {
    const dir = await copyModel("bad-tokenizer");
    await writeFile(join(dir, "tokenizer.json"), "{ not json");
    await expectUnavailable(
      OnnxSentenceEmbedder.load(dir),
      /could not load the .* model in .*bad-tokenizer: tokenizer\.json is not valid JSON/,
    );
  });
});

describe("hasOnnxEmbeddingModel", () => {
  it("is true for a complete folder, with either weights file", async () => {
    expect(hasOnnxEmbeddingModel(modelDir)).toBe(true);
    const dir = await copyModel("quantized-only");
    await rename(join(dir, "onnx", "model.onnx"), join(dir, "onnx", "model_quantized.onnx"));
    expect(hasOnnxEmbeddingModel(dir)).toBe(true);
    expect((await load(dir)).dimensions).toBe(16);
  });

  it("is false for a missing or incomplete folder", async () => {
    expect(hasOnnxEmbeddingModel(join(root, "nowhere"))).toBe(false);
    const dir = await copyModel("no-weights");
    await rm(join(dir, "onnx"), { recursive: true });
    expect(hasOnnxEmbeddingModel(dir)).toBe(false);
  });
});
