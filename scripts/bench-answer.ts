/**
 * `npm run bench:answer [-- --model file.gguf]`: answer latency after retrieval, p50/p95, for the extractive engine
 * on the sample knowledge bases (the team's answerable questions x runs), and first-token latency and decode speed
 * of the llama.cpp engine: on the given GGUF, else on the project's tiny test model (random weights). A benchmark:
 * it prints figures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { loadAnswerSet } from "@/lib/answer/evaluation";
import { ExtractiveAnswerEngine } from "@/lib/answer/extractive-engine";
import { benchLlm } from "@/lib/answer/llm/bench";
import { writeTinyGguf } from "@/lib/answer/llm/gguf-writer";
import type { Passage } from "@/lib/answer/types";
import { KnowledgeBase } from "@/lib/knowledge";
import { personaDir } from "@/lib/persona/persona";

const RUNS = 5;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

const dir = await mkdtemp(path.join(tmpdir(), "bench-answer-"));
try {
  console.log(`machine: ${cpus().length} cores, node ${process.version}`);
  console.log("engine       persona   questions  first text p50/p95 ms   full answer p50/p95 ms");
  for (const id of ["triage", "support"]) {
    const kb = await KnowledgeBase.open(id, { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir(id), "docs")]);
    const engine = new ExtractiveAnswerEngine((q) => kb.retriever.expand(q));
    const questions = (await loadAnswerSet(id)).answerable;
    const first: number[] = [];
    const full: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      for (const item of questions) {
        const found = await kb.search(item.q);
        const passages: Passage[] = found.results.map((x, i) => ({ ...x, n: i + 1 }));
        const t0 = performance.now();
        let firstAt = 0;
        for await (const ev of engine.answer({
          question: item.q,
          lang: item.lang,
          persona: kb.persona,
          passages,
          history: [],
        })) {
          if (ev.type === "delta" && !firstAt) firstAt = performance.now() - t0;
        }
        first.push(firstAt);
        full.push(performance.now() - t0);
      }
    }
    console.log(
      `${engine.id.padEnd(12)} ${id.padEnd(9)} ${String(questions.length).padStart(9)}  ${pct(first, 50).toFixed(1).padStart(8)} / ${pct(first, 95).toFixed(1).padEnd(8)}      ${pct(full, 50).toFixed(1).padStart(8)} / ${pct(full, 95).toFixed(1)}`,
    );
  }

  const modelArg = process.argv.indexOf("--model");
  const model = modelArg > 0 ? process.argv[modelArg + 1] : undefined;
  const modelPath = model ?? path.join(dir, "tiny.gguf");
  if (!model) await writeTinyGguf(modelPath);
  console.log(`\nllama.cpp engine on ${model ?? "the tiny test GGUF (random weights: speed only, no meaning)"}`);
  console.log("threads  answers at once  load ms  first token p50/p95 ms  tokens/s per answer  total tokens/s");
  for (const [threads, concurrency] of [
    [1, 1],
    [cpus().length, 1],
    [1, 4],
  ] as const) {
    const r = await benchLlm({ modelPath, gpu: false, threads, concurrency, runs: 6, maxTokens: 48 });
    console.log(
      `${String(threads).padStart(7)}  ${String(concurrency).padStart(15)}  ${r.loadMs.toFixed(0).padStart(7)}  ${`${r.firstTokenMs.p50.toFixed(0)} / ${r.firstTokenMs.p95.toFixed(0)}`.padStart(22)}  ${r.tokensPerSecond.p50.toFixed(0).padStart(19)}  ${r.aggregateTokensPerSecond.toFixed(0).padStart(14)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
