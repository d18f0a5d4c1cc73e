import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { personaDir } from "@/lib/persona/persona";
import { type DevsetQuestion, matchesDoc } from "@/lib/testing/devsets";
import { type Embedder, HashedNgramEmbedder } from "./embedder";
import { type IngestReport, KnowledgeBase } from "./index";

const QuestionSchema = z.object({
  q: z.string().min(1),
  lang: z.enum(["en", "zh"]),
  kind: z.string(),
  expect: z.array(z.string()),
});
export type EvalQuestion = z.infer<typeof QuestionSchema>;

export async function loadRetrievalQuestions(personaId: string): Promise<EvalQuestion[]> {
  const file = path.join(personaDir(personaId), "eval", "retrieval.json");
  return z.array(QuestionSchema).parse(JSON.parse(await readFile(file, "utf8")));
}

export interface EvalOutcome {
  question: EvalQuestion;
  /** Rank (1-based) of the first expected document in the top k, or null. */
  rank: number | null;
  confidence: number;
  abstained: boolean;
  top: string[];
}

export interface EvalSummary {
  persona: string;
  outcomes: EvalOutcome[];
  /** Answerable questions with an expected document in the top k. */
  recallAtK: number;
  mrr: number;
  /** Unanswerable questions whose confidence fell below the persona's threshold. */
  abstainedWhenUnanswerable: number;
  /** Answerable questions wrongly refused. */
  abstainedWhenAnswerable: number;
  byKind: Record<string, { n: number; recall: number }>;
  p95Ms: number;
}

/** Runs a question set against a knowledge base: recall@k and MRR for answerable questions, abstention for the rest. */
export async function evaluateRetrieval(kb: KnowledgeBase, questions: EvalQuestion[], k = 5): Promise<EvalSummary> {
  const threshold = kb.persona.retrieval.minConfidence;
  const outcomes: EvalOutcome[] = [];
  const times: number[] = [];
  for (const question of questions) {
    const t0 = performance.now();
    const res = await kb.search(question.q, { k });
    times.push(performance.now() - t0);
    const top = res.results.map((r) => r.docId);
    const idx = top.findIndex((d) => question.expect.includes(d));
    outcomes.push({
      question,
      rank: idx >= 0 ? idx + 1 : null,
      confidence: res.confidence,
      abstained: res.confidence < threshold,
      top,
    });
  }
  const answerable = outcomes.filter((o) => o.question.expect.length > 0);
  const unanswerable = outcomes.filter((o) => o.question.expect.length === 0);
  const share = (xs: EvalOutcome[], f: (o: EvalOutcome) => boolean) =>
    xs.length ? xs.filter(f).length / xs.length : 0;
  const byKind: EvalSummary["byKind"] = {};
  for (const kind of new Set(answerable.map((o) => o.question.kind))) {
    const xs = answerable.filter((o) => o.question.kind === kind);
    byKind[kind] = { n: xs.length, recall: share(xs, (o) => o.rank !== null) };
  }
  times.sort((a, b) => a - b);
  return {
    persona: kb.persona.id,
    outcomes,
    recallAtK: share(answerable, (o) => o.rank !== null),
    mrr: answerable.reduce((s, o) => s + (o.rank ? 1 / o.rank : 0), 0) / (answerable.length || 1),
    abstainedWhenUnanswerable: share(unanswerable, (o) => o.abstained),
    abstainedWhenAnswerable: share(answerable, (o) => o.abstained),
    byKind,
    p95Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.95))] ?? 0,
  };
}

// ---- Third-party development sets (../shared/devsets, `--set`) ----

/** One devset question asked of the retriever. */
export interface DevsetRetrievalOutcome {
  question: DevsetQuestion;
  /** Rank (1-based) of the first result from the question's document in the top k, or null. */
  rank: number | null;
  confidence: number;
  /** Confidence under the persona's threshold: the answer service would refuse. */
  abstained: boolean;
  /** Document ids of the top k, best first. */
  top: string[];
}

export interface DevsetRetrievalFigures {
  questions: number;
  k: number;
  answerable: { n: number; recallAtK: number; mrr: number };
  paraphrase: { n: number; recallAtK: number; mrr: number };
  /** MRR over answerable and paraphrase questions together. */
  mrr: number;
  /** Unanswerable questions whose confidence fell under the threshold. */
  unanswerable: { n: number; abstained: number };
  /** Answerable and paraphrase questions whose confidence fell under the threshold. */
  falseAbstention: number;
  p95Ms: number;
}

/**
 * A scratch knowledge base for a devset: the persona's settings and synonyms, as the product uses them, over a
 * throw-away LanceDB folder; the hashed embedder unless another is given.
 */
export async function openDevsetKnowledgeBase(
  persona: string,
  docsDir: string,
  uri: string,
  embedder?: Embedder,
): Promise<{ kb: KnowledgeBase; reports: IngestReport[] }> {
  const kb = await KnowledgeBase.open(persona, { uri, embedder: embedder ?? new HashedNgramEmbedder() });
  const reports = await kb.ingestPaths([docsDir]);
  return { kb, reports };
}

/** Asks every devset question of the retriever (top k), in file order. */
export async function runDevsetRetrieval(
  kb: KnowledgeBase,
  questions: DevsetQuestion[],
  k = 5,
): Promise<{ outcomes: DevsetRetrievalOutcome[]; ms: number[] }> {
  const threshold = kb.persona.retrieval.minConfidence;
  const outcomes: DevsetRetrievalOutcome[] = [];
  const ms: number[] = [];
  for (const question of questions) {
    const t0 = performance.now();
    const res = await kb.search(question.q, { k });
    ms.push(performance.now() - t0);
    const results = res.results.slice(0, k);
    const idx = results.findIndex((r) => matchesDoc(question, r));
    outcomes.push({
      question,
      rank: idx >= 0 ? idx + 1 : null,
      confidence: res.confidence,
      abstained: res.confidence < threshold,
      top: results.map((r) => r.docId),
    });
  }
  return { outcomes, ms };
}

/** Recall@k and MRR per kind (answerable, paraphrase), and the retriever's own abstention, for one half or all. */
export function summariseDevsetRetrieval(
  outcomes: DevsetRetrievalOutcome[],
  k = 5,
  ms: number[] = [],
): DevsetRetrievalFigures {
  const ofKind = (kind: string) => outcomes.filter((o) => o.question.kind === kind);
  const share = (xs: DevsetRetrievalOutcome[], f: (o: DevsetRetrievalOutcome) => boolean) =>
    xs.length ? xs.filter(f).length / xs.length : 0;
  const mrrOf = (xs: DevsetRetrievalOutcome[]) =>
    xs.length ? xs.reduce((s, o) => s + (o.rank ? 1 / o.rank : 0), 0) / xs.length : 0;
  const figures = (xs: DevsetRetrievalOutcome[]) => ({
    n: xs.length,
    recallAtK: share(xs, (o) => o.rank !== null),
    mrr: mrrOf(xs),
  });
  const answerable = ofKind("answerable");
  const paraphrase = ofKind("paraphrase");
  const unanswerable = ofKind("unanswerable");
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    questions: outcomes.length,
    k,
    answerable: figures(answerable),
    paraphrase: figures(paraphrase),
    mrr: mrrOf([...answerable, ...paraphrase]),
    unanswerable: { n: unanswerable.length, abstained: share(unanswerable, (o) => o.abstained) },
    falseAbstention: share([...answerable, ...paraphrase], (o) => o.abstained),
    p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
  };
}
