/**
 * Models `npm run models:pull` can install. Every engine works without them; each one installed upgrades a
 * stage (see README, "Models and licences"). Paths are relative to the models folder.
 */
export interface ModelFile {
  /** Path inside the source repository. */
  path: string;
  /** Where it goes, relative to the models folder. */
  to: string;
  /** Pinned SHA-256; when absent the server's LFS checksum header (x-linked-etag) is required instead. */
  sha256?: string;
}

export interface ModelEntry {
  id: string;
  kind: "llm" | "embedding" | "asr" | "voice";
  description: string;
  licence: string;
  repo: string;
  revision: string;
  files: ModelFile[];
}

export const CATALOG: ModelEntry[] = [
  {
    id: "qwen2.5-1.5b-instruct",
    kind: "llm",
    description: "Qwen2.5 1.5B Instruct, Q4_K_M GGUF (~1.1 GB): the answer engine's language model",
    licence: "Apache-2.0",
    repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
    revision: "main",
    files: [{ path: "qwen2.5-1.5b-instruct-q4_k_m.gguf", to: "llm/qwen2.5-1.5b-instruct-q4_k_m.gguf" }],
  },
  {
    id: "multilingual-minilm",
    kind: "embedding",
    description: "paraphrase-multilingual-MiniLM-L12-v2, ONNX int8 (~120 MB): multilingual sentence embeddings",
    licence: "Apache-2.0",
    repo: "Xenova/paraphrase-multilingual-MiniLM-L12-v2",
    revision: "main",
    files: ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model_quantized.onnx"].map((p) => ({
      path: p,
      to: `embedding/${p}`,
    })),
  },
  {
    id: "whisper-base",
    kind: "asr",
    description: "Whisper base, ONNX (~200 MB): speech recognition in Chinese and English",
    licence: "MIT",
    repo: "onnx-community/whisper-base",
    revision: "main",
    files: [
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "onnx/encoder_model_quantized.onnx",
      "onnx/decoder_model_merged_quantized.onnx",
    ].map((p) => ({ path: p, to: `asr/whisper-base/${p}` })),
  },
  {
    id: "piper-en-gb-alba",
    kind: "voice",
    description:
      "Piper VITS voice en_GB-alba-medium, ONNX (~60 MB): persona voice {engine: piper, id: en_GB-alba-medium}",
    licence: "CC-BY-4.0 (voice data); MIT (Piper)",
    repo: "rhasspy/piper-voices",
    revision: "main",
    files: ["en/en_GB/alba/medium/en_GB-alba-medium.onnx", "en/en_GB/alba/medium/en_GB-alba-medium.onnx.json"].map(
      (p) => ({ path: p, to: `tts/piper/${p.split("/").pop()}` }),
    ),
  },
];
