import { describe, expect, it } from "vitest";
import { parseDevsetQuestions } from "@/lib/testing/devsets";
import type { AnswerResult, AnswerService, AnswerStreamEvent } from "./answer-service";
import { runDevsetAnswers, summariseDevsetAnswers } from "./evaluation";

const questions = parseDevsetQuestions(
  [
    { q: "what is a stroke", doc: "(^|/)stroke\\.md$", kind: "answerable" },
    { q: "what is shingles", doc: "(^|/)shingles\\.md$", kind: "answerable" },
    { q: "my face drooped", doc: "(^|/)stroke\\.md$", kind: "paraphrase" },
    { q: "crushing chest pain", doc: "(^|/)heart-attack\\.md$", kind: "paraphrase" },
    { q: "what is narcolepsy", kind: "unanswerable" },
    { q: "crash diets", kind: "unanswerable" },
  ]
    .map((x) => JSON.stringify(x))
    .join("\n"),
);

const result = (r: Partial<AnswerResult>): AnswerResult => ({
  answer: "",
  citations: [],
  engine: "extractive",
  via: "engine",
  safety: { level: "none", message: "" },
  abstained: false,
  confidence: 0.9,
  lang: "en",
  timings: { safetyMs: 0, retrieveMs: 1, firstTextMs: 2, totalMs: 3 },
  ...r,
});
const cite = (docId: string, n = 1) => ({ n, docId, title: docId, source: `docs/${docId}`, page: null });

const replies: Record<string, AnswerResult> = {
  "what is a stroke": result({ answer: "A stroke is a brain attack. [1]", citations: [cite("stroke.md")] }),
  // Answered, but from the wrong document and not fit to be said aloud.
  "what is shingles": result({ answer: "and spreads to the nerves. [1]", citations: [cite("copd.md")] }),
  "my face drooped": result({ answer: "I couldn't find that.", abstained: true, via: "refusal", confidence: 0.1 }),
  "crushing chest pain": result({ answer: "Call 911 now.", via: "safety", engine: "safety-rules" }),
  "what is narcolepsy": result({ answer: "I couldn't find that.", abstained: true, via: "refusal" }),
  "crash diets": result({ answer: "Aim to lose weight slowly. [1]", citations: [cite("high-blood-pressure.md")] }),
};
const service = {
  async *ask(q: string): AsyncIterable<AnswerStreamEvent> {
    yield { type: "done", result: replies[q]! };
  },
} as unknown as AnswerService;

describe("devset answers", () => {
  it("scores grounding, abstention beside false abstention and speakability, leaving escalations out", async () => {
    const outcomes = await runDevsetAnswers(service, questions);
    expect(outcomes.map((o) => [o.answered, o.grounded, o.escalated])).toEqual([
      [true, true, false],
      [true, false, false],
      [false, false, false],
      [false, false, true],
      [false, false, false],
      [true, false, false],
    ]);
    expect(outcomes[1]!.speakability.map((i) => i.rule)).toEqual(["lowercase-start"]);
    const s = summariseDevsetAnswers(outcomes);
    expect(s.escalated).toBe(1);
    expect(s.escalatedByKind).toEqual({ answerable: 0, paraphrase: 1, unanswerable: 0 });
    expect(s.answerable).toEqual({ n: 2, answered: 1, grounded: 0.5 });
    expect(s.paraphrase).toEqual({ n: 1, answered: 0, grounded: 0 });
    expect(s.grounded).toBeCloseTo(1 / 3);
    expect(s.groundedWhenAnswered).toBe(0.5);
    expect(s.unanswerable).toEqual({ n: 2, refused: 0.5 });
    expect(s.falseAbstention).toBeCloseTo(1 / 3);
    expect(s.speakable).toEqual({ answers: 3, fit: 2, share: 2 / 3, byRule: { "lowercase-start": 1 } });
  });
});
