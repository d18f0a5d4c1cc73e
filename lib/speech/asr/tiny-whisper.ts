import "server-only";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { seededRandom } from "@/lib/random";
import { BOOL, encodeModel, FLOAT, floatTensor, INT64, int64Tensor, valueInfo } from "@/lib/testing/onnx-graph";

// onnx-proto is CommonJS with a single `module.exports` object: Node's ESM loader only sees the default export.
const { onnx } = onnxProto;

/**
 * A tiny Whisper model folder in the layout of a transformers.js (Xenova / optimum) ONNX export, so the Whisper
 * engine's whole inference path — feature extraction, encoder, merged decoder with its key/value cache, greedy
 * generation with Whisper's prefix tokens and logits processors, byte-level BPE decoding — runs in tests without
 * downloading weights.
 *
 * The graphs have Whisper's interface and do real work on it: the encoder projects the log-mel features to
 * `last_hidden_state`, the decoder embeds the tokens it is fed, appends them to its self-attention cache and
 * projects the encoder states into the cross-attention cache. What it cannot do is listen: its logits read the
 * language token back out of the cache (position 1 of the decoded sequence) and the sequence length, and score the
 * next token of that language's scripted transcript, then <|endoftext|>. So the text depends on the language token
 * transformers.js forces and on the cache being carried between steps, and is known in advance.
 */
export interface TinyWhisperOptions {
  /** The text "heard" per forced language; also the words the tokenizer knows. */
  transcripts?: Partial<Record<TinyWhisperLanguage, string>>;
  /** File names to write: `q8` (what `models:pull` installs, `*_quantized.onnx`), `fp32`, or both. */
  variants?: ("fp32" | "q8")[];
  /** Hidden size; split over `heads` attention heads. */
  dModel?: number;
  heads?: number;
  decoderLayers?: number;
  encoderLayers?: number;
  seed?: number;
}

export type TinyWhisperLanguage = "en" | "zh";

export const TINY_WHISPER_TRANSCRIPTS: Record<TinyWhisperLanguage, string> = {
  en: "go forward ten meters",
  zh: "向前走十米",
};

/** Whisper's special tokens in the order of the real vocabulary (languages in Whisper's order: en, zh, …). */
const LANGUAGES: TinyWhisperLanguage[] = ["en", "zh"];
const SPECIAL_TOKENS = [
  "<|endoftext|>",
  "<|startoftranscript|>",
  ...LANGUAGES.map((l) => `<|${l}|>`),
  "<|translate|>",
  "<|transcribe|>",
  "<|startoflm|>",
  "<|startofprev|>",
  "<|nospeech|>",
  "<|notimestamps|>",
];
/** <|startoftranscript|> <|lang|> <|task|> <|notimestamps|>: what transformers.js feeds before the first new token. */
const PREFIX_LENGTH = 4;
const LANGUAGE_POSITION = 1;
const MEL_BINS = 80;
const MEL_FRAMES = 3000;
const SOURCE_POSITIONS = 1500;
const TARGET_POSITIONS = 448;
const { INT, INTS, GRAPH } = onnx.AttributeProto.AttributeType;

/** The ids a test may want to check against. */
export interface TinyWhisperVocab {
  tokens: string[];
  id(token: string): number;
  /** The token ids the decoder emits for each language, before <|endoftext|>. */
  scripts: Record<TinyWhisperLanguage, number[]>;
}

/** Writes the configs, tokenizer and `onnx/{encoder_model,decoder_model_merged}[_quantized].onnx` into `dir`. */
export async function writeTinyWhisperModel(dir: string, options: TinyWhisperOptions = {}): Promise<TinyWhisperVocab> {
  const transcripts = { ...TINY_WHISPER_TRANSCRIPTS, ...options.transcripts };
  const dModel = options.dModel ?? 8;
  const heads = options.heads ?? 2;
  if (dModel % heads !== 0) throw new Error(`dModel ${dModel} is not divisible by ${heads} heads`);
  const dims: Dims = { dModel, heads, headDim: dModel / heads, decoderLayers: options.decoderLayers ?? 2 };
  const encoderLayers = options.encoderLayers ?? 1;
  const seed = options.seed ?? 1;

  const bpe = byteLevelBpe(LANGUAGES.map((l) => transcripts[l]));
  const tokens = [...bpe.vocab, ...SPECIAL_TOKENS];
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const id = (t: string) => {
    const found = ids.get(t);
    if (found === undefined) throw new Error(`no token ${t}`);
    return found;
  };
  const scripts = Object.fromEntries(
    LANGUAGES.map((l) => [l, pieces(transcripts[l]).map((p) => id(toByteLevel(p)))]),
  ) as Record<TinyWhisperLanguage, number[]>;
  const eos = id("<|endoftext|>");
  const sot = id("<|startoftranscript|>");
  const noTimestamps = id("<|notimestamps|>");
  const space = id(toByteLevel(" "));
  const langToId = Object.fromEntries(LANGUAGES.map((l) => [`<|${l}|>`, id(`<|${l}|>`)]));
  const taskToId = { transcribe: id("<|transcribe|>"), translate: id("<|translate|>") };

  await mkdir(path.join(dir, "onnx"), { recursive: true });
  const json = (file: string, value: unknown) => writeFile(path.join(dir, file), JSON.stringify(value, null, 2));
  const encoder = encoderGraph(dims, seed);
  const decoder = decoderGraph(dims, tokens.length, {
    eos,
    langIndex: (token) => LANGUAGES.findIndex((l) => `<|${l}|>` === tokens[token]) + 1,
    scripts: LANGUAGES.map((l) => scripts[l]),
    seed: seed + 1,
  });
  const suffixes = (options.variants ?? ["q8"]).map((v) => (v === "q8" ? "_quantized" : ""));
  await Promise.all([
    json("config.json", {
      _name_or_path: "avatar-consult/tiny-whisper",
      architectures: ["WhisperForConditionalGeneration"],
      model_type: "whisper",
      is_encoder_decoder: true,
      activation_function: "gelu",
      d_model: dModel,
      encoder_layers: encoderLayers,
      encoder_attention_heads: heads,
      encoder_ffn_dim: dModel * 4,
      decoder_layers: dims.decoderLayers,
      decoder_attention_heads: heads,
      decoder_ffn_dim: dModel * 4,
      num_hidden_layers: encoderLayers,
      num_mel_bins: MEL_BINS,
      max_source_positions: SOURCE_POSITIONS,
      max_target_positions: TARGET_POSITIONS,
      max_length: TARGET_POSITIONS,
      vocab_size: tokens.length,
      decoder_start_token_id: sot,
      bos_token_id: eos,
      eos_token_id: eos,
      pad_token_id: eos,
      begin_suppress_tokens: [space, eos],
      suppress_tokens: [],
      scale_embedding: false,
      use_cache: true,
    }),
    json("generation_config.json", {
      alignment_heads: [[dims.decoderLayers - 1, 0]],
      begin_suppress_tokens: [space, eos],
      bos_token_id: eos,
      decoder_start_token_id: sot,
      eos_token_id: eos,
      pad_token_id: eos,
      forced_decoder_ids: [
        [1, null],
        [2, taskToId.transcribe],
      ],
      is_multilingual: true,
      lang_to_id: langToId,
      task_to_id: taskToId,
      no_timestamps_token_id: noTimestamps,
      max_initial_timestamp_index: 50,
      max_length: TARGET_POSITIONS,
      return_timestamps: false,
      // Whisper suppresses tokens the model must never emit as text; here the prompt-only specials.
      suppress_tokens: ["<|startoflm|>", "<|startofprev|>", "<|nospeech|>"].map(id),
    }),
    json("preprocessor_config.json", {
      processor_class: "WhisperProcessor",
      feature_extractor_type: "WhisperFeatureExtractor",
      feature_size: MEL_BINS,
      sampling_rate: 16_000,
      hop_length: 160,
      chunk_length: 30,
      n_fft: 400,
      n_samples: 480_000,
      nb_max_frames: MEL_FRAMES,
      padding_side: "right",
      padding_value: 0,
      return_attention_mask: false,
    }),
    json("tokenizer.json", whisperTokenizer(tokens, bpe.merges, id)),
    json("tokenizer_config.json", {
      tokenizer_class: "WhisperTokenizer",
      add_prefix_space: false,
      bos_token: "<|endoftext|>",
      eos_token: "<|endoftext|>",
      pad_token: "<|endoftext|>",
      unk_token: "<|endoftext|>",
      clean_up_tokenization_spaces: true,
      errors: "replace",
      model_max_length: 1024,
      additional_special_tokens: SPECIAL_TOKENS.slice(1),
    }),
    ...suffixes.flatMap((suffix) => [
      writeFile(path.join(dir, "onnx", `encoder_model${suffix}.onnx`), encoder),
      writeFile(path.join(dir, "onnx", `decoder_model_merged${suffix}.onnx`), decoder),
    ]),
  ]);
  return { tokens, id, scripts };
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

/**
 * GPT-2's byte-to-character table: printable bytes stand for themselves, the rest map from U+0100 up (space: Ġ).
 * `BYTE_TOKENS` lists them in the order of GPT-2's vocabulary (so "Ġ" is 220), `BYTE_TO_CHAR` by byte value.
 */
const BYTE_TOKENS: string[] = [];
const BYTE_TO_CHAR: string[] = new Array(256);
{
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  const bytes = Array.from({ length: 256 }, (_, b) => b);
  const order = [...bytes.filter(printable), ...bytes.filter((b) => !printable(b))];
  for (const b of order) {
    const char = String.fromCharCode(printable(b) ? b : 256 + extra++);
    BYTE_TOKENS.push(char);
    BYTE_TO_CHAR[b] = char;
  }
}

function toByteLevel(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => BYTE_TO_CHAR[b]!).join("");
}

/** Whisper's text tokens: words with their leading space, Han characters one by one. */
function pieces(text: string): string[] {
  return ` ${text.trim()}`.match(/ ?[\u3400-\u9fff]| ?[^\s\u3400-\u9fff]+/gu) ?? [];
}

/**
 * The 256 byte tokens, then one token per piece of the transcripts, each built by merging its byte characters left to
 * right (so every intermediate prefix is a token too, as BPE requires).
 */
function byteLevelBpe(texts: string[]): { vocab: string[]; merges: [string, string][] } {
  const vocab = new Set(BYTE_TOKENS);
  const merges = new Map<string, [string, string]>();
  for (const piece of texts.flatMap(pieces)) {
    const chars = [...toByteLevel(piece)];
    let current = chars[0]!;
    for (const next of chars.slice(1)) {
      merges.set(`${current} ${next}`, [current, next]);
      current += next;
      vocab.add(current);
    }
  }
  return { vocab: [...vocab], merges: [...merges.values()] };
}

/** A Hugging Face `tokenizers` byte-level BPE pipeline as openai/whisper-* exports it. */
function whisperTokenizer(tokens: string[], merges: [string, string][], id: (t: string) => number): unknown {
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
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        special("<|startoftranscript|>"),
        special("<|notimestamps|>"),
        { Sequence: { id: "A", type_id: 0 } },
        special("<|endoftext|>"),
      ],
      pair: [
        special("<|startoftranscript|>"),
        special("<|notimestamps|>"),
        { Sequence: { id: "A", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "<|endoftext|>", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ["<|startoftranscript|>", "<|notimestamps|>", "<|endoftext|>"].map((t) => [
          t,
          { id: t, ids: [id(t)], tokens: [t] },
        ]),
      ),
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      merges,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// ONNX graphs

interface Dims {
  dModel: number;
  heads: number;
  headDim: number;
  decoderLayers: number;
}

/**
 * `input_features` float [batch, 80, 3000] -> `last_hidden_state` float [batch, 1500, d_model]: pairs of mel frames
 * (Whisper's stride-2 convolution halves 3000 frames to 1500 positions) projected by a seeded linear map.
 */
function encoderGraph({ dModel }: Dims, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const window = 2 * MEL_BINS;
  const weights = Float32Array.from({ length: window * dModel }, () => (random() * 2 - 1) / Math.sqrt(window));
  return model("tiny_whisper_encoder", {
    input: [valueInfo("input_features", FLOAT, ["batch_size", MEL_BINS, MEL_FRAMES])],
    output: [valueInfo("last_hidden_state", FLOAT, ["batch_size", SOURCE_POSITIONS, dModel])],
    initializer: [
      floatTensor("frame_projection", [window, dModel], weights),
      int64Tensor("frame_pairs_shape", [3], [0, SOURCE_POSITIONS, window]),
    ],
    node: [
      node("Transpose", ["input_features"], ["frames"], [ints("perm", [0, 2, 1])]),
      node("Reshape", ["frames", "frame_pairs_shape"], ["frame_pairs"]),
      node("MatMul", ["frame_pairs", "frame_projection"], ["last_hidden_state"]),
    ],
  });
}

interface Script {
  eos: number;
  /** 1 + the language's index in the script table for a language token, 0 for any other token. */
  langIndex(token: number): number;
  scripts: number[][];
  seed: number;
}

/**
 * The merged decoder as optimum exports it for Whisper: one graph serving the first step (`use_cache_branch`
 * false: the whole prefix, empty caches, cross-attention keys computed from `encoder_hidden_states`) and later steps
 * (one new token, the caches from the step before, cross-attention keys passed through).
 *
 * Every layer's self-attention cache is `past ++ embed(input_ids)` reshaped to [batch, heads, length, head_dim].
 * The key table's first column holds 1 + the language index for language tokens, so the logits can read the forced
 * language back from the cache at position 1; the sequence length picks the step of that language's script.
 */
function decoderGraph(dims: Dims, vocabSize: number, script: Script): Uint8Array {
  const { dModel, heads, headDim, decoderLayers } = dims;
  const random = seededRandom(script.seed);
  const table = (rows: number, cols: number) =>
    Float32Array.from({ length: rows * cols }, () => (random() * 2 - 1) * 0.1);
  const keyTable = table(vocabSize, dModel);
  for (let t = 0; t < vocabSize; t++) keyTable[t * dModel] = script.langIndex(t);
  const valueTable = table(vocabSize, dModel);

  // Rows: 0 for "no language token", then one per language; columns: the sequence length so far.
  const steps = PREFIX_LENGTH + Math.max(...script.scripts.map((s) => s.length)) + 1;
  const rows = script.scripts.length + 1;
  const logitTable = new Float32Array(rows * steps * vocabSize);
  for (let row = 0; row < rows; row++) {
    const tokens = row === 0 ? [] : script.scripts[row - 1]!;
    for (let length = 0; length < steps; length++) {
      const next = tokens[length - PREFIX_LENGTH] ?? script.eos;
      logitTable[(row * steps + length) * vocabSize + next] = 10;
    }
  }

  const cacheDims = (sequence: string) => ["batch_size", heads, sequence, headDim];
  const past = (i: number, kind: string) => `past_key_values.${i}.${kind}`;
  const present = (i: number, kind: string) => `present.${i}.${kind}`;
  const layers = Array.from({ length: decoderLayers }, (_, i) => i);

  const crossWeights = layers.flatMap((i) =>
    ["key", "value"].map((kind) => floatTensor(`cross_${kind}_${i}`, [dModel, dModel], table(dModel, dModel))),
  );
  const initializer: Onnx.ITensorProto[] = [
    floatTensor("key_table", [vocabSize, dModel], keyTable),
    floatTensor("value_table", [vocabSize, dModel], valueTable),
    floatTensor("logit_table", [rows, steps, vocabSize], logitTable),
    ...crossWeights,
    int64Tensor("heads_shape", [4], [0, 0, heads, headDim]),
    int64Tensor("index_0", [], [0]),
    int64Tensor("index_1", [], [1]),
    int64Tensor("index_2", [], [2]),
    int64Tensor("language_position", [], [LANGUAGE_POSITION]),
    int64Tensor("last_step", [], [steps - 1]),
  ];

  /** [batch, length, d_model] -> [batch, heads, length, head_dim]. */
  const splitHeads = (input: string, output: string): Onnx.INodeProto[] => [
    node("Reshape", [input, "heads_shape"], [`${output}_split`]),
    node("Transpose", [`${output}_split`], [output], [ints("perm", [0, 2, 1, 3])]),
  ];

  const selfNodes = layers.flatMap((i) =>
    (["key", "value"] as const).flatMap((kind) => [
      node("Gather", [`${kind}_table`, "input_ids"], [`new_${kind}_${i}_embedded`]),
      ...splitHeads(`new_${kind}_${i}_embedded`, `new_${kind}_${i}`),
      node(
        "Concat",
        [past(i, `decoder.${kind}`), `new_${kind}_${i}`],
        [present(i, `decoder.${kind}`)],
        [int("axis", 2)],
      ),
    ]),
  );

  // Cross-attention cache: computed from the encoder on the first step, passed through after.
  const crossOutputs = layers.flatMap((i) => ["key", "value"].map((kind) => present(i, `encoder.${kind}`)));
  const computeCross: Onnx.IGraphProto = {
    name: "compute_cross_attention_cache",
    input: [],
    output: crossOutputs.map((name) => valueInfo(`computed_${name}`, FLOAT, cacheDims("encoder_sequence_length_out"))),
    node: layers.flatMap((i) =>
      ["key", "value"].flatMap((kind) => [
        node("MatMul", ["encoder_hidden_states", `cross_${kind}_${i}`], [`cross_${kind}_${i}_projected`]),
        ...splitHeads(`cross_${kind}_${i}_projected`, `computed_${present(i, `encoder.${kind}`)}`),
      ]),
    ),
  };
  const reuseCross: Onnx.IGraphProto = {
    name: "reuse_cross_attention_cache",
    input: [],
    output: crossOutputs.map((name) => valueInfo(`reused_${name}`, FLOAT, cacheDims("encoder_sequence_length_out"))),
    node: layers.flatMap((i) =>
      ["key", "value"].map((kind) =>
        node("Identity", [past(i, `encoder.${kind}`)], [`reused_${present(i, `encoder.${kind}`)}`]),
      ),
    ),
  };

  const logitNodes: Onnx.INodeProto[] = [
    // Sequence length so far (past + new) and the number of new tokens, as scalars.
    node("Shape", [present(0, "decoder.key")], ["cache_shape"]),
    node("Gather", ["cache_shape", "index_2"], ["total_length"]),
    node("Shape", ["input_ids"], ["input_shape"]),
    node("Gather", ["input_shape", "index_1"], ["new_length"]),
    node("Sub", ["total_length", "new_length"], ["past_length"]),
    node("Add", ["past_length", "index_1"], ["first_length"]),
    node("Add", ["total_length", "index_1"], ["end_length"]),
    // Each new position p predicts the token after it, having seen p + 1 tokens.
    node("Range", ["first_length", "end_length", "index_1"], ["lengths_unclamped"]),
    node("Min", ["lengths_unclamped", "last_step"], ["lengths"]),
    // The forced language: the first key column of the token at position 1, [batch].
    node("Gather", [present(0, "decoder.key"), "language_position"], ["language_keys"], [int("axis", 2)]),
    node("Gather", ["language_keys", "index_0"], ["language_head"], [int("axis", 1)]),
    node("Gather", ["language_head", "index_0"], ["language_value"], [int("axis", 1)]),
    node("Cast", ["language_value"], ["language_row"], [int("to", INT64)]),
    node("Gather", ["logit_table", "language_row"], ["language_logits"]),
    node("Gather", ["language_logits", "lengths"], ["logits"], [int("axis", 1)]),
  ];

  return model("tiny_whisper_decoder_merged", {
    input: [
      valueInfo("input_ids", INT64, ["batch_size", "decoder_sequence_length"]),
      valueInfo("encoder_hidden_states", FLOAT, ["batch_size", "encoder_sequence_length / 2", dModel]),
      ...layers.flatMap((i) => [
        valueInfo(past(i, "decoder.key"), FLOAT, cacheDims("past_decoder_sequence_length")),
        valueInfo(past(i, "decoder.value"), FLOAT, cacheDims("past_decoder_sequence_length")),
        valueInfo(past(i, "encoder.key"), FLOAT, cacheDims("encoder_sequence_length_out")),
        valueInfo(past(i, "encoder.value"), FLOAT, cacheDims("encoder_sequence_length_out")),
      ]),
      valueInfo("use_cache_branch", BOOL, [1]),
    ],
    output: [
      valueInfo("logits", FLOAT, ["batch_size", "decoder_sequence_length", vocabSize]),
      ...layers.flatMap((i) => [
        valueInfo(present(i, "decoder.key"), FLOAT, cacheDims("past_decoder_sequence_length + 1")),
        valueInfo(present(i, "decoder.value"), FLOAT, cacheDims("past_decoder_sequence_length + 1")),
        valueInfo(present(i, "encoder.key"), FLOAT, cacheDims("encoder_sequence_length_out")),
        valueInfo(present(i, "encoder.value"), FLOAT, cacheDims("encoder_sequence_length_out")),
      ]),
    ],
    initializer,
    node: [
      ...selfNodes,
      node("If", ["use_cache_branch"], crossOutputs, [
        graph("then_branch", reuseCross),
        graph("else_branch", computeCross),
      ]),
      ...logitNodes,
    ],
  });
}

function model(name: string, graphProto: Omit<Onnx.IGraphProto, "name">): Uint8Array {
  return encodeModel({ name, ...graphProto });
}

function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: Onnx.IAttributeProto[] = [],
): Onnx.INodeProto {
  return { opType, input, output, attribute, name: `${opType}_${output[0]}` };
}

function int(name: string, i: number): Onnx.IAttributeProto {
  return { name, i, type: INT };
}

function ints(name: string, values: number[]): Onnx.IAttributeProto {
  return { name, ints: values, type: INTS };
}

function graph(name: string, g: Onnx.IGraphProto): Onnx.IAttributeProto {
  return { name, g, type: GRAPH };
}
