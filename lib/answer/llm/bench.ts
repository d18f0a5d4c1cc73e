import "server-only";
import type { PromptInput } from "@/lib/answer/prompt";
import { LlmWorkerClient, type LlmWorkerClientOptions } from "./worker-client";

export interface LlmBenchOptions extends LlmWorkerClientOptions {
  /** Answers measured (after one warm-up answer). */
  runs?: number;
  /** Answers generated at once in each round; above 1 it measures batching across sequences. */
  concurrency?: number;
  maxTokens?: number;
  prompt?: PromptInput;
}

export interface LlmBenchResult {
  modelPath: string;
  threads: number;
  concurrency: number;
  /** Worker start and model load. */
  loadMs: number;
  promptTokens: number;
  firstTokenMs: { p50: number; p95: number };
  /** Decode speed of one answer (tokens after the first over the time after the first); p5 is the slow tail. */
  tokensPerSecond: { p50: number; p5: number };
  /** All tokens generated over all wall time, across concurrent answers. */
  aggregateTokensPerSecond: number;
}

/** A grounded question like the app's: a short system prompt, three passages, one question. */
const SAMPLE: PromptInput = {
  systemPrompt: "You are a hospital triage nurse. Be calm and brief.",
  question: "How long should I wait before seeing a doctor about a fever?",
  lang: "en",
  history: [],
  passages: [
    "Adults with a fever above 39 °C for more than three days should see a doctor.",
    "Seek help at once for fever with a stiff neck, confusion or a rash that does not fade under pressure.",
    "Drink plenty of fluids and rest; paracetamol can bring the temperature down.",
  ].map((text, i) => ({
    n: i + 1,
    docId: `fever-${i}`,
    title: "Fever in adults",
    source: "fever.pdf",
    page: i + 1,
    heading: "When to get help",
    text,
    score: 1,
  })),
};

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

/** Loads a GGUF model in its own worker and measures first-token latency and decode speed. */
export async function benchLlm(options: LlmBenchOptions): Promise<LlmBenchResult> {
  const { runs = 5, concurrency = 1, maxTokens = 64, prompt = SAMPLE } = options;
  const worker = new LlmWorkerClient(options);
  try {
    const t0 = performance.now();
    await worker.ready();
    const loadMs = performance.now() - t0;

    let promptTokens = 0;
    let session = 0;
    const one = async () => {
      // A distinct first line defeats the sequence's prefix cache: every answer pays its whole prompt, as a new
      // session's first turn does.
      const cold = { ...prompt, systemPrompt: `Session ${++session}. ${prompt.systemPrompt}` };
      const start = performance.now();
      let first = 0;
      let tokens = 0;
      for await (const e of worker.generate(
        { kind: "grounded", prompt: cold },
        { maxTokens, temperature: 0, seed: 1 },
      )) {
        if (e.type === "start") promptTokens = e.promptTokens;
        else if (e.type === "delta" && !first) first = performance.now() - start;
        else if (e.type === "end") tokens = e.tokens;
      }
      const total = performance.now() - start;
      return { first, tokens, rate: tokens > 1 ? ((tokens - 1) * 1000) / (total - first) : 0 };
    };

    await one();
    const firsts: number[] = [];
    const rates: number[] = [];
    let tokens = 0;
    const wall = performance.now();
    for (let r = 0; r < runs; r++) {
      for (const m of await Promise.all(Array.from({ length: concurrency }, one))) {
        firsts.push(m.first);
        rates.push(m.rate);
        tokens += m.tokens;
      }
    }
    return {
      modelPath: options.modelPath,
      threads: worker.config.threads,
      concurrency,
      loadMs,
      promptTokens,
      firstTokenMs: { p50: pct(firsts, 50), p95: pct(firsts, 95) },
      tokensPerSecond: { p50: pct(rates, 50), p5: pct(rates, 5) },
      aggregateTokensPerSecond: (tokens * 1000) / (performance.now() - wall),
    };
  } finally {
    await worker.close();
  }
}
