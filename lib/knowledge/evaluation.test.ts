import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { personaDir } from "@/lib/persona/persona";
import { parseDevsetQuestions } from "@/lib/testing/devsets";
import { evaluateRetrieval, loadRetrievalQuestions, runDevsetRetrieval, summariseDevsetRetrieval } from "./evaluation";
import { KnowledgeBase } from "./index";

// A quality floor over the shipped sample knowledge bases and the team's question set: a change that breaks
// synonym expansion, misspelling tolerance, Chinese search or confidence fails here (figures in the README).
describe.each(["triage", "support"])("sample knowledge base: %s", (persona) => {
  let dir: string;
  let kb: KnowledgeBase;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `eval-${persona}-`));
    kb = await KnowledgeBase.open(persona, { uri: path.join(dir, "db") });
    const reports = await kb.ingestPaths([path.join(personaDir(persona), "docs")]);
    expect(reports.filter((r) => r.status === "error")).toEqual([]);
    expect(reports.length).toBeGreaterThanOrEqual(15);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds the answering document in the top 5 for questions phrased unlike the text, in both languages", async () => {
    const s = await evaluateRetrieval(kb, await loadRetrievalQuestions(persona));
    expect(s.recallAtK).toBeGreaterThanOrEqual(0.92);
    expect(s.byKind.misspelling?.recall).toBeGreaterThanOrEqual(0.85);
    const zh = s.outcomes.filter((o) => o.question.lang === "zh" && o.question.expect.length);
    expect(zh.length).toBeGreaterThanOrEqual(4);
    expect(zh.filter((o) => o.rank !== null).length / zh.length).toBeGreaterThanOrEqual(0.8);
    expect(s.abstainedWhenUnanswerable).toBeGreaterThanOrEqual(0.5);
    expect(s.abstainedWhenAnswerable).toBeLessThanOrEqual(0.12);
  });
});

describe("devset retrieval figures", () => {
  const questions = parseDevsetQuestions(
    [
      { q: "stroke", doc: "(^|/)stroke\\.md$", kind: "answerable" },
      { q: "shingles", doc: "(^|/)shingles\\.md$", kind: "answerable" },
      { q: "face drooped", doc: "(^|/)stroke\\.md$", kind: "paraphrase" },
      { q: "narcolepsy", kind: "unanswerable" },
    ]
      .map((x) => JSON.stringify(x))
      .join("\n"),
  );
  const hit = (docId: string) => ({ docId, source: `../shared/devsets/medical/docs/${docId}` });
  const answers: Record<string, { results: { docId: string; source: string }[]; confidence: number }> = {
    stroke: { results: [hit("stroke.md"), hit("tia.md")], confidence: 0.9 },
    shingles: {
      results: [hit("copd.md"), hit("a.md"), hit("b.md"), hit("c.md"), hit("d.md"), hit("shingles.md")],
      confidence: 0.3,
    },
    "face drooped": { results: [hit("tia.md"), hit("stroke.md")], confidence: 0.5 },
    narcolepsy: { results: [hit("sleep-apnea.txt")], confidence: 0.2 },
  };
  const kb = {
    persona: { retrieval: { minConfidence: 0.35 } },
    search: async (q: string) => answers[q],
  } as unknown as KnowledgeBase;

  it("gives recall@5 and MRR per kind from the doc pattern, counting only the top 5", async () => {
    const { outcomes } = await runDevsetRetrieval(kb, questions, 5);
    expect(outcomes.map((o) => o.rank)).toEqual([1, null, 2, null]);
    const s = summariseDevsetRetrieval(outcomes, 5);
    expect(s.answerable).toEqual({ n: 2, recallAtK: 0.5, mrr: 0.5 });
    expect(s.paraphrase).toEqual({ n: 1, recallAtK: 1, mrr: 0.5 });
    expect(s.mrr).toBeCloseTo(1 / 3 + 1 / 6);
    expect(s.unanswerable).toEqual({ n: 1, abstained: 1 });
    expect(s.falseAbstention).toBeCloseTo(1 / 3);
  });
});
