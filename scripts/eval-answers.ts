/**
 * `npm run eval:answers [-- --verbose]`: the team's answer and safety evaluation over the sample knowledge bases
 * (knowledge/<persona>/eval/answers.json, knowledge/triage/eval/safety.json), with the configured answer engine.
 *
 * `npm run eval:answers -- --set ../shared/devsets/support [--persona support] [--json] [--verbose]`: a third-party
 * development set put through the product's answer service (safety screen, retrieval, confidence gate, extractive
 * engine, citations; not the persona's FAQ, written for the sample documents): grounded answers, abstention beside
 * false abstention, and answers fit to be said aloud, for the tuning half (odd lines) and the reporting half (even
 * lines) apart. `--verbose` (or `--show-failures`) lists the tuning half's failures only. Hashed embedder and
 * extractive engine unless `--configured-engines`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAnswerEngine, createAnswerService } from "@/lib/answer";
import {
  type DevsetAnswerFigures,
  type DevsetAnswerOutcome,
  devsetAnswerService,
  evaluateAnswers,
  loadAnswerSet,
  runDevsetAnswers,
  summariseDevsetAnswers,
} from "@/lib/answer/evaluation";
import { env } from "@/lib/config/env";
import { createEmbedder, KnowledgeBase } from "@/lib/knowledge";
import { openDevsetKnowledgeBase } from "@/lib/knowledge/evaluation";
import { listPersonaIds, loadPersona, personaDir } from "@/lib/persona/persona";
import { evaluateSafety, formatSafetyEvaluation, loadSafetyEval, SafetyScreen } from "@/lib/safety";
import {
  byHalf,
  DEVSET_HALVES,
  type DevsetArgs,
  type DevsetHalf,
  halvesTable,
  loadDevset,
  parseDevsetArgs,
  pctOf,
} from "@/lib/testing/devsets";

const args = (() => {
  try {
    return parseDevsetArgs(process.argv.slice(2));
  } catch (err) {
    return fail(err);
  }
})();
const verbose = args.verbose;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;

// Refusals are logged as knowledge gaps: keep this run's out of the real log (before anything reads the settings).
process.env.DATA_DIR = path.join(await mkdtemp(path.join(tmpdir(), "eval-answers-data-")), "data");

if (args.set) await evalDevset(args.set, args).catch(fail);
else await evalTeamSets();

function fail(err: unknown): never {
  console.error(`eval:answers: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

async function evalTeamSets() {
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
}

/** Why a tuning-half question failed, for the failure list; null when it did not. */
function failureOf(o: DevsetAnswerOutcome): string | null {
  if (o.escalated) return "ESCALATED (not scored)";
  const { kind } = o.question;
  if (kind === "unanswerable") return o.answered ? "ANSWERED UNANSWERABLE" : null;
  if (!o.answered) return "REFUSED";
  if (!o.grounded) return o.result.citations.length ? "WRONG DOCUMENT" : "NO CITATION";
  return o.speakability.length ? "NOT SPEAKABLE" : null;
}

async function evalDevset(setDir: string, opts: DevsetArgs) {
  const set = await loadDevset(setDir, { persona: opts.persona });
  const dir = await mkdtemp(path.join(tmpdir(), "eval-answers-set-"));
  try {
    const t0 = performance.now();
    const embedder = opts.configuredEngines ? await createEmbedder() : undefined;
    const { kb, reports } = await openDevsetKnowledgeBase(set.persona, set.docsDir, path.join(dir, "db"), embedder);
    const ingestMs = performance.now() - t0;
    const screen = await SafetyScreen.forPersona(kb.persona);
    const service = devsetAnswerService(kb, {
      engine: opts.configuredEngines ? createAnswerEngine(kb) : undefined,
      screen: screen?.check ?? null,
      firstTextDeadlineMs: env().LLM_DEADLINE_MS,
    });
    const outcomes = await runDevsetAnswers(service, set.questions);
    const halves = byHalf(outcomes);
    const figures = Object.fromEntries(DEVSET_HALVES.map((h) => [h, summariseDevsetAnswers(halves[h])])) as Record<
      DevsetHalf,
      DevsetAnswerFigures
    >;
    const failures = halves.tuning.flatMap((o) => {
      const why = failureOf(o);
      if (!why) return [];
      return [
        {
          why,
          line: o.question.line,
          kind: o.question.kind,
          q: o.question.q,
          want: o.question.doc ? String(o.question.doc) : "refusal",
          confidence: Number(o.result.confidence.toFixed(3)),
          cited: o.result.citations.map((c) => c.docId),
          answer: o.result.answer,
          problems: o.speakability.map((i) => `${i.rule}: ${i.detail}`),
        },
      ];
    });
    const failed = reports.filter((r) => r.status === "error");
    const info = {
      set: set.name,
      dir: set.dir,
      persona: set.persona,
      engine: service.engineId,
      embedder: kb.store.embedder.id,
      safetyScreen: !!screen,
      threshold: kb.persona.retrieval.minConfidence,
      documents: reports.length - failed.length,
      ingestErrors: failed.map((r) => `${r.file}: ${r.error}`),
      ingestMs: Math.round(ingestMs),
    };
    if (opts.json) {
      console.log(
        JSON.stringify({ ...info, halves: figures, ...(opts.verbose && { tuningFailures: failures }) }, null, 2),
      );
      return;
    }
    console.log(
      `\n${set.name} set -> persona ${set.persona}: ${info.documents} documents; engine ${info.engine}, embedder ${info.embedder}; confidence threshold ${info.threshold}${screen ? "; safety screen on" : ""}`,
    );
    for (const e of info.ingestErrors) console.log(`  INGEST ERROR ${e}`);
    const row = (label: string, f: (x: DevsetAnswerFigures) => string): [string, string, string] => [
      label,
      f(figures.tuning),
      f(figures.reporting),
    ];
    const rules = [...new Set(DEVSET_HALVES.flatMap((h) => Object.keys(figures[h].speakable.byRule)))].sort();
    console.log(
      halvesTable(
        [
          row("answerable: answered at all", (x) => pctOf(x.answerable.answered, x.answerable.n)),
          row("answerable: grounded", (x) => pctOf(x.answerable.grounded, x.answerable.n)),
          row("paraphrase: answered at all", (x) => pctOf(x.paraphrase.answered, x.paraphrase.n)),
          row("paraphrase: grounded", (x) => pctOf(x.paraphrase.grounded, x.paraphrase.n)),
          row("grounded (answerable + paraphrase)", (x) => pctOf(x.grounded, x.answerable.n + x.paraphrase.n)),
          row("grounded, of those answered", (x) => {
            const n = Math.round(x.answerable.answered * x.answerable.n + x.paraphrase.answered * x.paraphrase.n);
            return pctOf(x.groundedWhenAnswered, n);
          }),
          row("unanswerable refused", (x) => pctOf(x.unanswerable.refused, x.unanswerable.n)),
          row("false abstention (answerable + paraphrase)", (x) =>
            pctOf(x.falseAbstention, x.answerable.n + x.paraphrase.n),
          ),
          row("fit to be said aloud (given answers)", (x) => pctOf(x.speakable.share, x.speakable.answers)),
          ...rules.map((rule) => row(`  answers with ${rule}`, (x) => String(x.speakable.byRule[rule] ?? 0))),
          row("escalated by the safety screen (not scored)", (x) => {
            const k = x.escalatedByKind;
            return `${x.escalated} (${k.answerable} answerable, ${k.paraphrase} paraphrase, ${k.unanswerable} unanswerable)`;
          }),
          row("answer time p95 (whole turn, no TTS)", (x) => `${x.p95Ms} ms`),
        ],
        { tuning: halves.tuning.length, reporting: halves.reporting.length },
      ),
    );
    if (opts.verbose) {
      console.log("\n  TUNING half failures; the reporting half's are not shown:");
      for (const f of failures) {
        console.log(
          `    ${f.why} line ${f.line} [${f.kind}] conf ${f.confidence.toFixed(2)} "${f.q}" -> cited ${f.cited.join(", ") || "-"} (want ${f.want})`,
        );
        if (f.why !== "REFUSED" && !f.why.startsWith("ESCALATED"))
          console.log(`      answer: ${f.answer.replace(/\s+/g, " ")}`);
        for (const p of f.problems) console.log(`      - ${p}`);
      }
      if (!failures.length) console.log("    (none)");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
