import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { KnowledgeBase } from "@/lib/knowledge";
import { personaDir } from "@/lib/persona/persona";
import { type DevsetQuestion, matchesDoc } from "@/lib/testing/devsets";
import { type AnswerResult, AnswerService, type SafetyScreenFn } from "./answer-service";
import { ExtractiveAnswerEngine } from "./extractive-engine";
import { FaqMatcher } from "./faq";
import { InMemorySessionMemory } from "./session-memory";
import { type SpeakabilityIssue, type SpeakabilityOptions, speakabilityIssues } from "./speakable";
import type { AnswerEngine } from "./types";

const AnswerSetSchema = z.object({
  answerable: z.array(
    z.object({
      q: z.string(),
      lang: z.enum(["en", "zh"]),
      expect: z.array(z.string()),
      mustMention: z.array(z.string()).default([]),
    }),
  ),
  unanswerable: z.array(z.object({ q: z.string() })),
});
export type AnswerSet = z.infer<typeof AnswerSetSchema>;

export async function loadAnswerSet(personaId: string): Promise<AnswerSet> {
  const file = path.join(personaDir(personaId), "eval", "answers.json");
  return AnswerSetSchema.parse(JSON.parse(await readFile(file, "utf8")));
}

export interface AnswerEvalSummary {
  answerable: number;
  unanswerable: number;
  /** Answerable questions answered (not refused) whose citations include an expected document. */
  citationAccuracy: number;
  /** Answerable questions whose answer contains every required fact (case and spacing ignored). */
  factRecall: number;
  /** Correct abstentions on unanswerable plus correct answers (no abstention) on answerable, over all. */
  abstentionAccuracy: number;
  misses: string[];
  latencyMs: number[];
}

const loose = (s: string) => s.toLowerCase().replace(/\s+/g, "");

export async function evaluateAnswers(service: AnswerService, set: AnswerSet): Promise<AnswerEvalSummary> {
  const ask = async (q: string): Promise<AnswerResult> => {
    let result: AnswerResult | undefined;
    for await (const ev of service.ask(q)) if (ev.type === "done") result = ev.result;
    if (!result) throw new Error(`no result for "${q}"`);
    return result;
  };
  let cited = 0;
  let facts = 0;
  let abstainRight = 0;
  const misses: string[] = [];
  const latencyMs: number[] = [];
  for (const item of set.answerable) {
    const r = await ask(item.q);
    latencyMs.push(r.timings.totalMs - r.timings.retrieveMs - r.timings.safetyMs);
    if (!r.abstained) abstainRight++;
    const citeOk = !r.abstained && r.citations.some((c) => item.expect.includes(c.docId));
    const factOk = item.mustMention.every((m) => loose(r.answer).includes(loose(m)));
    if (citeOk) cited++;
    if (factOk) facts++;
    if (!citeOk || !factOk) {
      misses.push(
        `${r.abstained ? "ABSTAINED" : !citeOk ? "WRONG CITATION" : "MISSING FACT"} "${item.q}" -> ${r.citations.map((c) => c.docId).join(", ") || "-"} (want ${item.expect.join(" | ")}; must mention ${item.mustMention.join(", ")})`,
      );
    }
  }
  for (const item of set.unanswerable) {
    const r = await ask(item.q);
    if (r.abstained) abstainRight++;
    else
      misses.push(
        `ANSWERED "${item.q}" (conf ${r.confidence.toFixed(2)}) -> ${r.citations.map((c) => c.docId).join(", ")}`,
      );
  }
  const n = set.answerable.length;
  return {
    answerable: n,
    unanswerable: set.unanswerable.length,
    citationAccuracy: cited / (n || 1),
    factRecall: facts / (n || 1),
    abstentionAccuracy: abstainRight / (n + set.unanswerable.length || 1),
    misses,
    latencyMs,
  };
}

// ---- Third-party development sets (../shared/devsets, `--set`) ----

/** One devset question put through the answer service, as a turn would be. */
export interface DevsetAnswerOutcome {
  question: DevsetQuestion;
  result: AnswerResult;
  /** Answered by the safety screen's escalation: outside what the devsets score (see their README). */
  escalated: boolean;
  /** An answer was given (neither refused nor escalated). */
  answered: boolean;
  /** Answered, and the citations include the question's document. */
  grounded: boolean;
  /** Why the given answer is not fit to be said aloud (empty when it is, and when no answer was given). */
  speakability: SpeakabilityIssue[];
}

export interface DevsetAnswerFigures {
  questions: number;
  /** Questions the safety screen escalated; left out of every figure below. */
  escalated: number;
  escalatedByKind: Record<string, number>;
  answerable: { n: number; answered: number; grounded: number };
  paraphrase: { n: number; answered: number; grounded: number };
  /** Grounded over answerable + paraphrase questions. */
  grounded: number;
  /** Grounded over the answerable + paraphrase questions that were answered. */
  groundedWhenAnswered: number;
  /** Unanswerable questions refused. */
  unanswerable: { n: number; refused: number };
  /** Answerable + paraphrase questions refused. */
  falseAbstention: number;
  /** Given answers (any kind) fit to be said aloud, and the rules the others broke (answers breaking each). */
  speakable: { answers: number; fit: number; share: number; byRule: Record<string, number> };
  p95Ms: number;
}

/** Asks every question once, without a session (so each answer carries what a first turn carries). */
export async function runDevsetAnswers(
  service: AnswerService,
  questions: DevsetQuestion[],
  options: SpeakabilityOptions = {},
): Promise<DevsetAnswerOutcome[]> {
  const outcomes: DevsetAnswerOutcome[] = [];
  for (const question of questions) {
    let result: AnswerResult | undefined;
    for await (const ev of service.ask(question.q)) if (ev.type === "done") result = ev.result;
    if (!result) throw new Error(`no result for "${question.q}"`);
    const escalated = result.via === "safety";
    const answered = !escalated && !result.abstained;
    outcomes.push({
      question,
      result,
      escalated,
      answered,
      grounded: answered && result.citations.some((c) => matchesDoc(question, c)),
      speakability: answered ? speakabilityIssues(result.answer, result.citations, options) : [],
    });
  }
  return outcomes;
}

export function summariseDevsetAnswers(outcomes: DevsetAnswerOutcome[]): DevsetAnswerFigures {
  const scored = outcomes.filter((o) => !o.escalated);
  const ofKind = (kind: string) => scored.filter((o) => o.question.kind === kind);
  const share = (xs: DevsetAnswerOutcome[], f: (o: DevsetAnswerOutcome) => boolean) =>
    xs.length ? xs.filter(f).length / xs.length : 0;
  const figures = (xs: DevsetAnswerOutcome[]) => ({
    n: xs.length,
    answered: share(xs, (o) => o.answered),
    grounded: share(xs, (o) => o.grounded),
  });
  const answerable = ofKind("answerable");
  const paraphrase = ofKind("paraphrase");
  const both = [...answerable, ...paraphrase];
  const unanswerable = ofKind("unanswerable");
  const given = scored.filter((o) => o.answered);
  const byRule: Record<string, number> = {};
  for (const o of given)
    for (const rule of new Set(o.speakability.map((i) => i.rule))) byRule[rule] = (byRule[rule] ?? 0) + 1;
  const fit = given.filter((o) => !o.speakability.length).length;
  const ms = scored.map((o) => o.result.timings.totalMs).sort((a, b) => a - b);
  return {
    questions: outcomes.length,
    escalated: outcomes.length - scored.length,
    escalatedByKind: Object.fromEntries(
      ["answerable", "paraphrase", "unanswerable"].map((k) => [
        k,
        outcomes.filter((o) => o.escalated && o.question.kind === k).length,
      ]),
    ),
    answerable: figures(answerable),
    paraphrase: figures(paraphrase),
    grounded: share(both, (o) => o.grounded),
    groundedWhenAnswered: share(
      both.filter((o) => o.answered),
      (o) => o.grounded,
    ),
    unanswerable: { n: unanswerable.length, refused: share(unanswerable, (o) => o.result.abstained) },
    falseAbstention: share(both, (o) => o.result.abstained),
    speakable: { answers: given.length, fit, share: given.length ? fit / given.length : 0, byRule },
    p95Ms: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))] ?? 0,
  };
}

/**
 * The answer service for a devset: the product's own (safety screen, retrieval, confidence gate, engine with the
 * extractive fallback, citations), without the persona's curated FAQ, which was written for the team's sample
 * documents and would answer third-party questions from them. The extractive engine unless another is given.
 */
export function devsetAnswerService(
  kb: KnowledgeBase,
  options: { engine?: AnswerEngine; screen?: SafetyScreenFn | null; firstTextDeadlineMs?: number } = {},
): AnswerService {
  const extractive = new ExtractiveAnswerEngine((q) => kb.retriever.expand(q));
  return new AnswerService(
    kb,
    options.engine ?? extractive,
    extractive,
    new FaqMatcher([]),
    new InMemorySessionMemory(),
    options.screen ?? null,
    options.firstTextDeadlineMs,
  );
}
