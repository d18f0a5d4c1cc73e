/**
 * `tsx --conditions=react-server scripts/make-tiny-gguf.ts <out.gguf> [--embd 64] [--layers 2] [--heads 4]
 * [--ff 128] [--ctx 1024] [--type f32|f16|q8_0] [--seed 1] [--no-template]`: writes a tiny random-weight llama GGUF
 * for trying the LLM engine's plumbing without downloading a model.
 */
import { parseArgs } from "node:util";
import { type TinyWeightType, writeTinyGguf } from "@/lib/answer/llm/gguf-writer";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    embd: { type: "string" },
    layers: { type: "string" },
    heads: { type: "string" },
    ff: { type: "string" },
    ctx: { type: "string" },
    type: { type: "string" },
    seed: { type: "string" },
    "no-template": { type: "boolean" },
  },
});

const out = positionals[0];
if (!out) {
  console.error(
    "usage: make-tiny-gguf <out.gguf> [--embd N] [--layers N] [--heads N] [--ff N] [--ctx N] [--type f32|f16|q8_0] [--seed N] [--no-template]",
  );
  process.exit(2);
}
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const type = values.type as TinyWeightType | undefined;
if (type && !["f32", "f16", "q8_0"].includes(type)) {
  console.error(`--type must be f32, f16 or q8_0, not "${type}"`);
  process.exit(2);
}
const options = Object.fromEntries(
  Object.entries({
    embeddingLength: num(values.embd),
    blockCount: num(values.layers),
    headCount: num(values.heads),
    feedForwardLength: num(values.ff),
    contextLength: num(values.ctx),
    seed: num(values.seed),
    weightType: type,
    chatTemplate: values["no-template"] ? null : undefined,
  }).filter(([, v]) => v !== undefined),
);
const bytes = await writeTinyGguf(out, options);
console.log(`${out}: ${(bytes / 1024).toFixed(0)} KiB`);
