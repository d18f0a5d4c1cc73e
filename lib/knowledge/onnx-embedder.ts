import "server-only";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { FeatureExtractionPipeline } from "@huggingface/transformers";
import { AppError } from "@/lib/errors";
import type { Embedder } from "@/lib/knowledge/embedder";

const PULL_HINT = "npm run models:pull -- embedding";
const CONFIG_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"];
/** The weights transformers.js loads per dtype; `models:pull` installs the quantized ones. */
const WEIGHTS = { q8: "onnx/model_quantized.onnx", fp32: "onnx/model.onnx" } as const;
export type EmbeddingDtype = keyof typeof WEIGHTS;

export interface OnnxEmbeddingModelStatus {
  ok: boolean;
  /** The weights found (quantized first), or undefined when neither file is there. */
  dtype?: EmbeddingDtype;
  missing: string[];
}

/**
 * Checks a sentence-embedding folder (transformers.js layout) with a few `stat`s, without loading it.
 * `dtype` asks for those weights only; otherwise either file will do.
 */
export function onnxEmbeddingModelStatus(dir: string, dtype?: EmbeddingDtype): OnnxEmbeddingModelStatus {
  const missing = CONFIG_FILES.filter((f) => !existsSync(path.join(/*turbopackIgnore: true*/ dir, f)));
  const candidates = dtype ? [dtype] : (Object.keys(WEIGHTS) as EmbeddingDtype[]);
  const found = candidates.find((d) => existsSync(path.join(/*turbopackIgnore: true*/ dir, WEIGHTS[d])));
  if (!found) missing.push(candidates.map((d) => WEIGHTS[d]).join(" or "));
  return { ok: missing.length === 0, dtype: found, missing };
}

/** True when `dir` holds a complete model, so engine selection can prefer it over the hashed n-grams. */
export function hasOnnxEmbeddingModel(dir: string): boolean {
  return onnxEmbeddingModelStatus(dir).ok;
}

/** Text put before each input; instruction-tuned models (e5) are trained with "query: " / "passage: ". */
export interface EmbeddingPrefixes {
  query: string;
  passage: string;
}

export interface OnnxEmbedderOptions {
  /** Which weights to load; default the quantized ones when the folder has them. */
  dtype?: EmbeddingDtype;
  /** Prefixes to use; default read from the folder (sentence-transformers prompts, or an e5 model name). */
  prefixes?: EmbeddingPrefixes;
  /** Texts per inference: larger batches amortise the call, but pad every text to the longest one. */
  batchSize?: number;
  /** Threads onnxruntime may use; default its own choice. */
  threads?: number;
}

const E5_PREFIXES: EmbeddingPrefixes = { query: "query: ", passage: "passage: " };
const NO_PREFIXES: EmbeddingPrefixes = { query: "", passage: "" };

/**
 * Sentence embeddings from a local Hugging Face ONNX export (MiniLM, e5, ...) through transformers.js:
 * mean pooling over the attention mask, then unit length. Never downloads: a missing model is an error.
 */
export class OnnxSentenceEmbedder implements Embedder {
  readonly lexical = false;
  /** One inference at a time: parallel runs on a few cores only slow each other down. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly id: string,
    readonly dimensions: number,
    readonly modelDir: string,
    readonly prefixes: EmbeddingPrefixes,
    private readonly extractor: FeatureExtractionPipeline,
    private readonly batchSize: number,
  ) {}

  /** Loads the model in `dir` and embeds one probe text, so a model that loads but cannot run fails here. */
  static async load(dir: string, options: OnnxEmbedderOptions = {}): Promise<OnnxSentenceEmbedder> {
    const modelDir = path.resolve(dir);
    const status = onnxEmbeddingModelStatus(modelDir, options.dtype);
    const dtype = status.dtype;
    if (!status.ok || !dtype) {
      throw new AppError(
        "unavailable",
        `sentence-embedding model in ${modelDir} is incomplete (missing ${status.missing.join(", ")}): ` +
          `run ${PULL_HINT} to install one`,
      );
    }
    const failed = (what: string, err: unknown, detail = message(err)) =>
      new AppError("unavailable", `could not ${what} the sentence-embedding model in ${modelDir}: ${detail}`, {
        cause: err,
      });

    const { env, pipeline } = await import("@huggingface/transformers");
    // Weights come only from the folder `models:pull` filled; nothing is fetched at run time.
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    let extractor: FeatureExtractionPipeline;
    try {
      extractor = await pipeline("feature-extraction", modelDir, {
        local_files_only: true,
        dtype,
        device: "cpu",
        ...(options.threads ? { session_options: { intraOpNumThreads: options.threads } } : {}),
      });
    } catch (err) {
      // transformers.js reports bad JSON without the file's name; onnxruntime names the weights file itself.
      const broken = CONFIG_FILES.find((f) => readJson(path.join(modelDir, f)) === undefined);
      throw failed("load", err, broken && `${broken} is not valid JSON (${message(err)})`);
    }
    let probe: Float32Array[];
    try {
      probe = await runBatch(extractor, ["dimension probe"]);
    } catch (err) {
      await extractor.dispose();
      throw failed("run", err);
    }
    const dimensions = probe[0]?.length ?? 0;
    // The model's own name when the export records it: two 384-dim models in one folder must not share an id.
    const name = String(readJson(path.join(modelDir, "config.json"))?._name_or_path ?? "")
      .split("/")
      .pop();
    const id = `onnx:${name || path.basename(modelDir)}-${dimensions}`;
    const prefixes = options.prefixes ?? folderPrefixes(modelDir);
    return new OnnxSentenceEmbedder(
      id,
      dimensions,
      modelDir,
      prefixes,
      extractor,
      Math.max(1, options.batchSize ?? 16),
    );
  }

  async embed(texts: string[], kind: "query" | "passage"): Promise<Float32Array[]> {
    const prefix = this.prefixes[kind];
    // Similar lengths share a batch so short texts are not padded to a long one's length; order is restored below.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    const vectors: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const slots = order.slice(start, start + this.batchSize);
      // Each batch queues on its own, so a query arriving during a long ingest waits for one batch, not all.
      const batch = await this.serialised(() =>
        runBatch(
          this.extractor,
          slots.map((i) => prefix + texts[i]),
        ),
      );
      slots.forEach((slot, j) => {
        vectors[slot] = batch[j]!;
      });
    }
    return vectors;
  }

  /** Frees the onnxruntime session; the embedder cannot be used afterwards. */
  async dispose(): Promise<void> {
    await this.serialised(() => this.extractor.dispose());
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }
}

async function runBatch(extractor: FeatureExtractionPipeline, texts: string[]): Promise<Float32Array[]> {
  const output = await extractor(texts, { pooling: "mean", normalize: true });
  const [rows, dim] = output.dims as [number, number];
  const data = output.data as Float32Array;
  // Copies, so each vector owns its memory rather than pinning the whole batch's buffer.
  return Array.from({ length: rows }, (_, r) => data.slice(r * dim, (r + 1) * dim));
}

/**
 * sentence-transformers exports name their prompts in `config_sentence_transformers.json`; older e5 exports
 * do not, so an e5 model name (config `_name_or_path` or the folder) implies e5's documented prefixes.
 */
function folderPrefixes(modelDir: string): EmbeddingPrefixes {
  const prompts = readJson(path.join(modelDir, "config_sentence_transformers.json"))?.prompts as
    | Partial<Record<string, string>>
    | undefined;
  const passage = prompts?.passage ?? prompts?.document;
  if (typeof prompts?.query === "string" || typeof passage === "string") {
    return { query: prompts?.query ?? "", passage: passage ?? "" };
  }
  const name = `${readJson(path.join(modelDir, "config.json"))?._name_or_path ?? ""} ${path.basename(modelDir)}`;
  return /(^|[^a-z0-9])e5([^a-z0-9]|$)/i.test(name) ? E5_PREFIXES : NO_PREFIXES;
}

/** The parsed object, or undefined when the file is absent or not valid JSON. */
function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(/*turbopackIgnore: true*/ file)) return undefined;
  try {
    return JSON.parse(readFileSync(/*turbopackIgnore: true*/ file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
