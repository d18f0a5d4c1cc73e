import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { personaDir } from "@/lib/persona/persona";
import type { AnswerResult, AnswerService } from "./answer-service";

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
