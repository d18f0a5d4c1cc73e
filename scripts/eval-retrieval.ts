/**
 * `npm run eval:retrieval [-- --verbose]`: ingests each persona's sample documents into a scratch LanceDB folder
 * and scores the team's question set (knowledge/<persona>/eval/retrieval.json): recall@5, MRR, abstention.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { KnowledgeBase } from "@/lib/knowledge";
import { evaluateRetrieval, loadRetrievalQuestions } from "@/lib/knowledge/evaluation";
import { listPersonaIds, personaDir } from "@/lib/persona/persona";

const verbose = process.argv.includes("--verbose");
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const dir = await mkdtemp(path.join(tmpdir(), "eval-retrieval-"));
try {
  let totalAnswerable = 0;
  let totalHits = 0;
  for (const id of await listPersonaIds()) {
    const kb = await KnowledgeBase.open(id, { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir(id), "docs")]);
    const questions = await loadRetrievalQuestions(id);
    const s = await evaluateRetrieval(kb, questions, 5);
    const answerable = s.outcomes.filter((o) => o.question.expect.length);
    totalAnswerable += answerable.length;
    totalHits += answerable.filter((o) => o.rank !== null).length;
    console.log(
      `\n${id}: ${questions.length} questions (${answerable.length} answerable), threshold ${kb.persona.retrieval.minConfidence}`,
    );
    console.log(`  recall@5 ${pct(s.recallAtK)}   MRR ${s.mrr.toFixed(3)}   search p95 ${s.p95Ms.toFixed(1)} ms`);
    for (const [kind, v] of Object.entries(s.byKind))
      console.log(`    ${kind.padEnd(12)} n=${String(v.n).padStart(2)}  recall@5 ${pct(v.recall)}`);
    console.log(
      `  abstained on unanswerable ${pct(s.abstainedWhenUnanswerable)}   wrongly abstained on answerable ${pct(s.abstainedWhenAnswerable)}`,
    );
    for (const o of s.outcomes) {
      const miss = o.question.expect.length ? o.rank === null : !o.abstained;
      const falseAbstain = o.question.expect.length > 0 && o.abstained;
      if (!verbose && !miss && !falseAbstain) continue;
      const mark = miss ? "MISS" : falseAbstain ? "ABST" : "ok  ";
      console.log(
        `    ${mark} [${o.question.kind}] conf ${o.confidence.toFixed(2)} "${o.question.q}" -> ${o.top.slice(0, 3).join(", ") || "(none)"} (want ${o.question.expect.join(" | ") || "abstain"})`,
      );
    }
  }
  console.log(
    `\noverall recall@5 ${pct(totalHits / (totalAnswerable || 1))} over ${totalAnswerable} answerable questions`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
