import "server-only";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { seededRandom } from "@/lib/random";
import { encodeModel, FLOAT, floatTensor, INT64, valueInfo } from "@/lib/testing/onnx-graph";

// onnx-proto is CommonJS with a single `module.exports` object: Node's ESM loader only sees the default export.
const { onnx } = onnxProto;

/**
 * A tiny sentence-embedding model folder in the layout of a Hugging Face ONNX export (BERT WordPiece tokenizer,
 * `onnx/model.onnx`), so the ONNX embedder's whole path runs in tests without downloading weights. The graph
 * looks each token up in a seeded random table: different words give different vectors, identical texts
 * identical ones, and texts sharing words land close together after mean pooling.
 */
export interface TinySentenceModelOptions {
  /** Hidden size of `last_hidden_state`. */
  dim?: number;
  /** Words the tokenizer knows (lower-cased); anything else becomes [UNK]. */
  vocab?: string[];
  /** Seed of the embedding table, so two folders can hold different "models". */
  seed?: number;
}

const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const DEFAULT_WORDS = ["the", "a", "is", "of", "and", "to", "in", "my", "how", "what", "password", "login", "reset"];
/** Han characters are split one per token by BERT's normaliser, so each needs its own entry. */
const HAN_CHARACTERS = [..."我你他的是不了在有人这个们中大医生病头痛肚子疼发烧密码登录重置忘记怎么"];

/** Writes `config.json`, `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx` into `dir`. */
export async function writeTinySentenceModel(dir: string, options: TinySentenceModelOptions = {}): Promise<void> {
  const dim = options.dim ?? 16;
  const words = [...new Set((options.vocab ?? DEFAULT_WORDS).map((w) => w.toLowerCase()))];
  const tokens = [...new Set([...SPECIAL_TOKENS, ...words, ...HAN_CHARACTERS])];
  await mkdir(path.join(dir, "onnx"), { recursive: true });
  const json = (file: string, value: unknown) => writeFile(path.join(dir, file), JSON.stringify(value, null, 2));
  await Promise.all([
    json("config.json", {
      model_type: "bert",
      architectures: ["BertModel"],
      hidden_size: dim,
      vocab_size: tokens.length,
      max_position_embeddings: 512,
      type_vocab_size: 2,
    }),
    json("tokenizer.json", bertTokenizer(tokens)),
    json("tokenizer_config.json", {
      tokenizer_class: "BertTokenizer",
      do_lower_case: true,
      tokenize_chinese_chars: true,
      model_max_length: 512,
      pad_token: "[PAD]",
      unk_token: "[UNK]",
      cls_token: "[CLS]",
      sep_token: "[SEP]",
      mask_token: "[MASK]",
    }),
    writeFile(path.join(dir, "onnx", "model.onnx"), tinySentenceGraph(tokens.length, dim, options.seed ?? 1)),
  ]);
}

/** A Hugging Face `tokenizers` WordPiece pipeline as `bert-base-uncased` exports it. */
function bertTokenizer(tokens: string[]): unknown {
  const id = (t: string) => tokens.indexOf(t);
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]"), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]")],
      pair: [
        special("[CLS]"),
        { Sequence: { id: "A", type_id: 0 } },
        special("[SEP]"),
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
    },
  };
}

/**
 * `last_hidden_state = (word_table[input_ids] + type_table[token_type_ids]) * attention_mask`: BERT's
 * interface (int64 [batch, sequence] in, float [batch, sequence, dim] out) with no layers in between.
 */
function tinySentenceGraph(vocabSize: number, dim: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const wordTable = Float32Array.from({ length: vocabSize * dim }, () => random() * 2 - 1);
  // Special tokens sit in every text: small vectors keep them from pulling unrelated texts together.
  for (let i = 0; i < SPECIAL_TOKENS.length * dim; i++) wordTable[i]! *= 0.05;
  const typeTable = Float32Array.from({ length: 2 * dim }, () => (random() * 2 - 1) * 0.05);
  const tokenInput = (name: string) => valueInfo(name, INT64, ["batch", "sequence"]);

  const graph: Onnx.IGraphProto = {
    name: "tiny_sentence_encoder",
    input: [tokenInput("input_ids"), tokenInput("attention_mask"), tokenInput("token_type_ids")],
    output: [valueInfo("last_hidden_state", FLOAT, ["batch", "sequence", dim])],
    initializer: [
      floatTensor("word_table", [vocabSize, dim], wordTable),
      floatTensor("type_table", [2, dim], typeTable),
      { name: "last_axis", dims: [1], dataType: INT64, int64Data: [-1] },
    ],
    node: [
      { opType: "Gather", input: ["word_table", "input_ids"], output: ["word_vectors"] },
      { opType: "Gather", input: ["type_table", "token_type_ids"], output: ["type_vectors"] },
      { opType: "Add", input: ["word_vectors", "type_vectors"], output: ["token_vectors"] },
      {
        opType: "Cast",
        input: ["attention_mask"],
        output: ["mask_float"],
        attribute: [{ name: "to", i: FLOAT, type: onnx.AttributeProto.AttributeType.INT }],
      },
      { opType: "Unsqueeze", input: ["mask_float", "last_axis"], output: ["mask_column"] },
      { opType: "Mul", input: ["token_vectors", "mask_column"], output: ["last_hidden_state"] },
    ],
  };
  return encodeModel(graph);
}
