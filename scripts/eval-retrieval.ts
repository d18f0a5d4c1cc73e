/**
 * `npm run eval:retrieval [-- --verbose]`: ingests each persona's sample documents into a scratch LanceDB folder
 * and scores the team's question set (knowledge/<persona>/eval/retrieval.json): recall@5, MRR, abstention.
 *
 * `npm run eval:retrieval -- --set ../shared/devsets/medical [--persona triage] [--json] [--verbose]`: the same
 * over a third-party development set (its docs/ into a scratch store under the matching persona, its
 * questions.jsonl): recall@5 for answerable and paraphrase questions and MRR, for the tuning half (odd lines) and
 * the reporting half (even lines) apart. `--verbose` (or `--show-failures`) lists the tuning half's misses only.
 * Hashed embedder unless `--configured-engines`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createEmbedder, KnowledgeBase } from "@/lib/knowledge";
import {
  evaluateRetrieval,
  loadRetrievalQuestions,
  openDevsetKnowledgeBase,
  runDevsetRetrieval,
  summariseDevsetRetrieval,
} from "@/lib/knowledge/evaluation";
import { listPersonaIds, personaDir } from "@/lib/persona/persona";
import {
  byHalf,
  DEVSET_HALVES,
  type DevsetArgs,
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

if (args.set) await evalDevset(args.set, args).catch(fail);
else await evalTeamSets();

function fail(err: unknown): never {
  console.error(`eval:retrieval: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

async function evalTeamSets() {
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
}

async function evalDevset(setDir: string, opts: DevsetArgs) {
  const K = 5;
  const set = await loadDevset(setDir, { persona: opts.persona });
  const dir = await mkdtemp(path.join(tmpdir(), "eval-retrieval-set-"));
  try {
    const t0 = performance.now();
    const embedder = opts.configuredEngines ? await createEmbedder() : undefined;
    const { kb, reports } = await openDevsetKnowledgeBase(set.persona, set.docsDir, path.join(dir, "db"), embedder);
    const ingestMs = performance.now() - t0;
    const failed = reports.filter((r) => r.status === "error");
    const { outcomes, ms } = await runDevsetRetrieval(kb, set.questions, K);
    const halves = byHalf(outcomes);
    const times = byHalf(outcomes.map((o, i) => ({ question: o.question, ms: ms[i]! })));
    const figures = Object.fromEntries(
      DEVSET_HALVES.map((h) => [
        h,
        summariseDevsetRetrieval(
          halves[h],
          K,
          times[h].map((t) => t.ms),
        ),
      ]),
    ) as Record<(typeof DEVSET_HALVES)[number], ReturnType<typeof summariseDevsetRetrieval>>;
    const tuningMisses = halves.tuning
      .filter((o) => o.question.kind !== "unanswerable" && o.rank === null)
      .map((o) => ({
        line: o.question.line,
        kind: o.question.kind,
        q: o.question.q,
        want: String(o.question.doc),
        confidence: Number(o.confidence.toFixed(3)),
        top: o.top,
      }));
    const info = {
      set: set.name,
      dir: set.dir,
      persona: set.persona,
      embedder: kb.store.embedder.id,
      threshold: kb.persona.retrieval.minConfidence,
      documents: reports.length - failed.length,
      chunks: reports.reduce((s, r) => s + (r.chunks ?? 0), 0),
      ingestErrors: failed.map((r) => `${r.file}: ${r.error}`),
      ingestMs: Math.round(ingestMs),
    };
    if (opts.json) {
      console.log(JSON.stringify({ ...info, k: K, halves: figures, ...(opts.verbose && { tuningMisses }) }, null, 2));
      return;
    }
    console.log(
      `\n${set.name} set -> persona ${set.persona}: ${info.documents} documents, ${info.chunks} chunks, ingested in ${(ingestMs / 1000).toFixed(1)} s; embedder ${info.embedder}; confidence threshold ${info.threshold}`,
    );
    for (const e of info.ingestErrors) console.log(`  INGEST ERROR ${e}`);
    const row = (label: string, f: (x: (typeof figures)["tuning"]) => string): [string, string, string] => [
      label,
      f(figures.tuning),
      f(figures.reporting),
    ];
    console.log(
      halvesTable(
        [
          row(`answerable recall@${K}`, (x) => pctOf(x.answerable.recallAtK, x.answerable.n)),
          row(`paraphrase recall@${K}`, (x) => pctOf(x.paraphrase.recallAtK, x.paraphrase.n)),
          row("MRR (answerable + paraphrase)", (x) => x.mrr.toFixed(3)),
          row("MRR answerable / paraphrase", (x) => `${x.answerable.mrr.toFixed(3)} / ${x.paraphrase.mrr.toFixed(3)}`),
          row("unanswerable under threshold", (x) => pctOf(x.unanswerable.abstained, x.unanswerable.n)),
          row("answerable+paraphrase under threshold", (x) =>
            pctOf(x.falseAbstention, x.answerable.n + x.paraphrase.n),
          ),
          row("search p95", (x) => `${x.p95Ms.toFixed(1)} ms`),
        ],
        { tuning: halves.tuning.length, reporting: halves.reporting.length },
      ),
    );
    if (opts.verbose) {
      console.log(`\n  TUNING half misses (not in the top ${K}); the reporting half's are not shown:`);
      for (const m of tuningMisses)
        console.log(
          `    MISS line ${m.line} [${m.kind}] conf ${m.confidence.toFixed(2)} "${m.q}" -> ${m.top.join(", ") || "(none)"} (want ${m.want})`,
        );
      if (!tuningMisses.length) console.log("    (none)");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
