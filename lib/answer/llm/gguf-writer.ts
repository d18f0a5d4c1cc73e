import "server-only";
import { writeFile } from "node:fs/promises";
import { seededRandom } from "@/lib/random";

/**
 * Writes tiny llama-architecture GGUF v3 files with random weights, so the LLM engine's whole path (worker,
 * node-llama-cpp, streaming, aborts) runs in tests and benches without downloading a model. The text such a
 * model writes is gibberish; what it exercises is the mechanics.
 */

export type TinyWeightType = "f32" | "f16" | "q8_0";

export interface TinyGgufOptions {
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  feedForwardLength: number;
  contextLength: number;
  weightType: TinyWeightType;
  /** Seeds the weights: the same seed writes the same file. */
  seed: number;
  /** A Jinja chat template; null leaves it out and node-llama-cpp picks a chat wrapper itself. */
  chatTemplate: string | null;
  /** Metadata keys to leave out, to write deliberately malformed files for tests. */
  omitKeys: string[];
}

/** ChatML, which node-llama-cpp recognises; with a byte-level vocabulary its markers are plain text. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

export const TINY_GGUF_DEFAULTS: TinyGgufOptions = {
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  feedForwardLength: 128,
  // A byte per token: the grounded prompt's persona and rules alone take ~900 of it.
  contextLength: 2048,
  weightType: "f32",
  seed: 1,
  chatTemplate: CHATML_TEMPLATE,
  omitKeys: [],
};

const ALIGNMENT = 32;
const QK8_0 = 32;

enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  STRING = 8,
  ARRAY = 9,
}

enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
}

type MetaValue =
  | { type: ValueType.UINT32; value: number }
  | { type: ValueType.FLOAT32; value: number }
  | { type: ValueType.STRING; value: string }
  | { type: ValueType.ARRAY; of: ValueType.STRING; value: string[] }
  | { type: ValueType.ARRAY; of: ValueType.INT32 | ValueType.FLOAT32; value: number[] };

interface Tensor {
  name: string;
  /** ggml order: ne0 (the contiguous row length) first. */
  dims: number[];
  type: GgmlType;
  data: Uint8Array;
}

/** Little-endian byte sink that grows as needed. */
class Sink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    this.bytes(new Uint8Array((alignment - (this.length % alignment)) % alignment));
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half from a float, round-to-nearest; the weights here never need subnormals or infinities. */
export function toHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  const mantissa = x & 0x7fffff;
  const half = sign | (exp << 10) | (mantissa >>> 13);
  return half + ((mantissa >>> 12) & 1);
}

function encode(values: Float32Array, type: GgmlType): Uint8Array {
  if (type === GgmlType.F32) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (type === GgmlType.F16) {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]!);
    return new Uint8Array(out.buffer);
  }
  // Q8_0: blocks of 32 values, each an f16 scale then 32 int8s.
  const blocks = values.length / QK8_0;
  const out = Buffer.alloc(blocks * (2 + QK8_0));
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let i = 0; i < QK8_0; i++) amax = Math.max(amax, Math.abs(values[b * QK8_0 + i]!));
    const d = amax / 127;
    const base = b * (2 + QK8_0);
    out.writeUInt16LE(toHalf(d), base);
    for (let i = 0; i < QK8_0; i++) out.writeInt8(d ? Math.round(values[b * QK8_0 + i]! / d) : 0, base + 2 + i);
  }
  return out;
}

/** The byte-level SPM vocabulary: `<unk>`, `<s>`, `</s>`, then one token per byte value. */
export function byteVocabulary(): { tokens: string[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  return { tokens, types };
}

/** The GGUF file's bytes. */
export function tinyGguf(options: Partial<TinyGgufOptions> = {}): Buffer {
  const o = { ...TINY_GGUF_DEFAULTS, ...options };
  if (o.embeddingLength % o.headCount) throw new Error("embeddingLength must be a multiple of headCount");
  if (o.weightType === "q8_0" && (o.embeddingLength % QK8_0 || o.feedForwardLength % QK8_0)) {
    throw new Error("q8_0 needs embeddingLength and feedForwardLength to be multiples of 32");
  }
  const { tokens, types } = byteVocabulary();
  const vocab = tokens.length;
  const embd = o.embeddingLength;
  const ff = o.feedForwardLength;

  const meta: [string, MetaValue][] = [
    ["general.architecture", { type: ValueType.STRING, value: "llama" }],
    ["general.name", { type: ValueType.STRING, value: "tiny-random-llama" }],
    ["general.alignment", { type: ValueType.UINT32, value: ALIGNMENT }],
    ["llama.context_length", { type: ValueType.UINT32, value: o.contextLength }],
    ["llama.embedding_length", { type: ValueType.UINT32, value: embd }],
    ["llama.block_count", { type: ValueType.UINT32, value: o.blockCount }],
    ["llama.feed_forward_length", { type: ValueType.UINT32, value: ff }],
    ["llama.attention.head_count", { type: ValueType.UINT32, value: o.headCount }],
    ["llama.attention.layer_norm_rms_epsilon", { type: ValueType.FLOAT32, value: 1e-5 }],
    ["tokenizer.ggml.model", { type: ValueType.STRING, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: ValueType.ARRAY, of: ValueType.STRING, value: tokens }],
    ["tokenizer.ggml.token_type", { type: ValueType.ARRAY, of: ValueType.INT32, value: types }],
    ["tokenizer.ggml.unknown_token_id", { type: ValueType.UINT32, value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: ValueType.UINT32, value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: ValueType.UINT32, value: 2 }],
  ];
  if (o.chatTemplate !== null)
    meta.push(["tokenizer.chat_template", { type: ValueType.STRING, value: o.chatTemplate }]);
  const kept = meta.filter(([key]) => !o.omitKeys.includes(key));

  const random = seededRandom(o.seed);
  // Uniform in [-s, s]; s ~ 1/sqrt(fan-in) keeps activations in a sane range through the layers.
  const weights = (n: number, fanIn: number) => {
    const s = 1 / Math.sqrt(fanIn);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (random() * 2 - 1) * s;
    return v;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const wt = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 }[o.weightType];
  const matrix = (name: string, ne0: number, ne1: number, scale = ne0): Tensor => ({
    name,
    dims: [ne0, ne1],
    type: wt,
    data: encode(weights(ne0 * ne1, scale), wt),
  });
  // Norm weights stay F32, as llama.cpp's converters write them.
  const norm = (name: string): Tensor => ({ name, dims: [embd], type: GgmlType.F32, data: encode(ones(embd), 0) });

  // token_embd scaled up so the first layer's input is not vanishingly small.
  const tensors: Tensor[] = [matrix("token_embd.weight", embd, vocab, 1)];
  for (let i = 0; i < o.blockCount; i++) {
    tensors.push(
      norm(`blk.${i}.attn_norm.weight`),
      matrix(`blk.${i}.attn_q.weight`, embd, embd),
      matrix(`blk.${i}.attn_k.weight`, embd, embd),
      matrix(`blk.${i}.attn_v.weight`, embd, embd),
      matrix(`blk.${i}.attn_output.weight`, embd, embd),
      norm(`blk.${i}.ffn_norm.weight`),
      matrix(`blk.${i}.ffn_gate.weight`, embd, ff),
      matrix(`blk.${i}.ffn_up.weight`, embd, ff),
      matrix(`blk.${i}.ffn_down.weight`, ff, embd),
    );
  }
  tensors.push(norm("output_norm.weight"), matrix("output.weight", embd, vocab));

  const out = new Sink();
  out.u32(0x46554747); // "GGUF"
  out.u32(3);
  out.u64(tensors.length);
  out.u64(kept.length);
  for (const [key, v] of kept) {
    out.str(key);
    out.u32(v.type);
    if (v.type === ValueType.STRING) out.str(v.value);
    else if (v.type === ValueType.UINT32) out.u32(v.value);
    else if (v.type === ValueType.FLOAT32) out.f32(v.value);
    else {
      out.u32(v.of);
      out.u64(v.value.length);
      for (const item of v.value) {
        if (typeof item === "string") out.str(item);
        else if (v.of === ValueType.INT32) out.i32(item);
        else out.f32(item);
      }
    }
  }
  let offset = 0;
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.type);
    out.u64(offset);
    offset += Math.ceil(t.data.length / ALIGNMENT) * ALIGNMENT;
  }
  out.pad(ALIGNMENT);
  for (const t of tensors) {
    out.bytes(t.data);
    out.pad(ALIGNMENT);
  }
  return out.result();
}

/** Writes a tiny GGUF to `file`; returns its size in bytes. */
export async function writeTinyGguf(file: string, options: Partial<TinyGgufOptions> = {}): Promise<number> {
  const bytes = tinyGguf(options);
  await writeFile(file, bytes);
  return bytes.length;
}
