import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Gaps from "./knowledge-gaps";

describe("knowledge-gap log", () => {
  let dir: string;
  let gaps: typeof Gaps;
  const file = (persona: string) => path.join(dir, "gaps", `${persona}.jsonl`);
  const lines = async (persona: string) => (await readFile(file(persona), "utf8")).trim().split("\n");
  const at = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  const ask = (persona: string, question: string, i: number, extra: Partial<Gaps.NewKnowledgeGap> = {}) =>
    gaps.recordKnowledgeGap(persona, { at: at(i), question, lang: "en", confidence: 0.1, ...extra });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "gaps-"));
    process.env.DATA_DIR = dir;
    gaps = await import("./knowledge-gaps");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("counts the same question up instead of adding a line: case, spacing and punctuation do not matter", async () => {
    await ask("p1", "Is parking free?", 1, { confidence: 0.2 });
    await ask("p1", "is   PARKING free", 2, { confidence: 0.3, sessionId: "s2" });
    await ask("p1", "Where do I park?", 3);
    expect(await lines("p1")).toHaveLength(2);
    expect(await gaps.listKnowledgeGaps("p1")).toEqual([
      expect.objectContaining({ question: "Where do I park?", count: 1 }),
      {
        question: "is   PARKING free",
        at: at(2),
        firstAt: at(1),
        count: 2,
        lang: "en",
        confidence: 0.3,
        sessionId: "s2",
      },
    ]);
  });

  it("writes askings that arrive together in one go, none lost", async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => ask("p2", `question ${i % 50}`, i)));
    const kept = await gaps.listKnowledgeGaps("p2");
    expect(kept).toHaveLength(50);
    expect(kept.reduce((n, g) => n + g.count, 0)).toBe(200);
  });

  it(`keeps the ${2_000} most recently asked distinct questions, dropping the oldest`, async () => {
    const n = gaps.MAX_GAPS;
    await Promise.all(Array.from({ length: n }, (_, i) => ask("p3", `distinct question number ${i}`, i)));
    await ask("p3", "distinct question number 0", n); // asked again: now the newest, so kept
    await Promise.all(Array.from({ length: 50 }, (_, i) => ask("p3", `distinct question number ${n + i}`, n + 1 + i)));
    const kept = await gaps.listKnowledgeGaps("p3");
    expect(kept).toHaveLength(gaps.MAX_GAPS);
    expect(await lines("p3")).toHaveLength(gaps.MAX_GAPS);
    expect(kept.find((g) => g.question === "distinct question number 0")).toMatchObject({ count: 2 });
    const questions = new Set(kept.map((g) => g.question));
    expect(questions.has("distinct question number 1")).toBe(false);
    expect(questions.has("distinct question number 51")).toBe(true);
  });

  it("caps what one question may store", async () => {
    await ask("p4", "x".repeat(10_000), 1);
    const [g] = await gaps.listKnowledgeGaps("p4");
    expect(g?.question.length).toBe(500);
  });

  it("reads a log written before it was bounded (one line per asking) and compacts it on the next write", async () => {
    await mkdir(path.join(dir, "gaps"), { recursive: true });
    const old = (q: string, i: number) => JSON.stringify({ at: at(i), question: q, lang: "en", confidence: 0.1 });
    await writeFile(file("p5"), `${[old("Old one", 1), old("old one!", 2), "not json", old("Other", 3)].join("\n")}\n`);
    expect(await gaps.listKnowledgeGaps("p5")).toEqual([
      expect.objectContaining({ question: "Other", count: 1 }),
      expect.objectContaining({ question: "old one!", count: 2, firstAt: at(1) }),
    ]);
    await ask("p5", "OLD ONE", 4);
    expect(await lines("p5")).toHaveLength(2);
    expect(await gaps.listKnowledgeGaps("p5")).toContainEqual(
      expect.objectContaining({ question: "OLD ONE", count: 3 }),
    );
  });

  it("sees what another process wrote since it last read the file", async () => {
    await ask("p6", "first", 1);
    expect(await gaps.listKnowledgeGaps("p6")).toHaveLength(1);
    const other = JSON.stringify({
      at: at(2),
      firstAt: at(2),
      question: "from elsewhere",
      lang: "en",
      confidence: 0,
      count: 5,
    });
    await writeFile(file("p6"), `${(await readFile(file("p6"), "utf8")) + other}\n`);
    await ask("p6", "first", 3);
    expect(await gaps.listKnowledgeGaps("p6")).toEqual([
      expect.objectContaining({ question: "first", count: 2 }),
      expect.objectContaining({ question: "from elsewhere", count: 5 }),
    ]);
  });

  it("pages newest first with a cursor and the total", async () => {
    await Promise.all(Array.from({ length: 7 }, (_, i) => ask("p7", `q${i}`, i)));
    const first = await gaps.pageKnowledgeGaps("p7", { limit: 3 });
    expect(first.gaps.map((g) => g.question)).toEqual(["q6", "q5", "q4"]);
    expect(first.total).toBe(7);
    const second = await gaps.pageKnowledgeGaps("p7", { limit: 3, before: first.nextCursor! });
    expect(second.gaps.map((g) => g.question)).toEqual(["q3", "q2", "q1"]);
    const last = await gaps.pageKnowledgeGaps("p7", { limit: 3, before: second.nextCursor! });
    expect(last).toEqual({ gaps: [expect.objectContaining({ question: "q0" })], total: 7, nextCursor: null });
    await expect(gaps.pageKnowledgeGaps("p7", { limit: 3, before: "garbage" })).rejects.toMatchObject({
      code: "bad_request",
    });
    expect(await gaps.pageKnowledgeGaps("nobody-yet", { limit: 3 })).toEqual({ gaps: [], total: 0, nextCursor: null });
  });
});
