import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { personaDir } from "@/lib/persona/persona";
import { evaluateRetrieval, loadRetrievalQuestions } from "./evaluation";
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
