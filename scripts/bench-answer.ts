/**
 * `npm run bench:answer`: answer latency after retrieval, p50/p95, for the extractive engine on the sample
 * knowledge bases (the team's answerable questions x runs). A benchmark: it prints figures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { loadAnswerSet } from "@/lib/answer/evaluation";
import { ExtractiveAnswerEngine } from "@/lib/answer/extractive-engine";
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
} finally {
  await rm(dir, { recursive: true, force: true });
}
