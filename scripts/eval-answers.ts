/**
 * `npm run eval:answers [-- --verbose]`: the team's answer and safety evaluation over the sample knowledge bases
 * (knowledge/<persona>/eval/answers.json, knowledge/triage/eval/safety.json), with the configured answer engine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAnswerService } from "@/lib/answer";
import { evaluateAnswers, loadAnswerSet } from "@/lib/answer/evaluation";
import { KnowledgeBase } from "@/lib/knowledge";
import { listPersonaIds, loadPersona, personaDir } from "@/lib/persona/persona";
import { evaluateSafety, formatSafetyEvaluation, loadSafetyEval, SafetyScreen } from "@/lib/safety";

const verbose = process.argv.includes("--verbose");
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;

const dir = await mkdtemp(path.join(tmpdir(), "eval-answers-"));
try {
  for (const id of await listPersonaIds()) {
    const kb = await KnowledgeBase.open(id, { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir(id), "docs")]);
    const service = await createAnswerService(id, { kb });
    const s = await evaluateAnswers(service, await loadAnswerSet(id));
    console.log(`\n${id} (${service.engineId}): ${s.answerable} answerable, ${s.unanswerable} unanswerable`);
    console.log(
      `  citation accuracy ${pct(s.citationAccuracy)}   required facts present ${pct(s.factRecall)}   abstention accuracy ${pct(s.abstentionAccuracy)}`,
    );
    console.log(`  answer time after retrieval p95 ${p95(s.latencyMs).toFixed(0)} ms`);
    for (const m of verbose ? s.misses : s.misses.slice(0, 8)) console.log(`    ${m}`);
    const screen = await SafetyScreen.forPersona(await loadPersona(id));
    if (screen) {
      console.log(`\n${id} safety screen:`);
      console.log(formatSafetyEvaluation(evaluateSafety(await loadSafetyEval(id), screen.check)));
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
