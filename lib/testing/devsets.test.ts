import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byHalf, loadDevset, matchesDoc, parseDevsetArgs, parseDevsetQuestions } from "./devsets";

const lines = [
  { q: "What is (are) Stroke ?", doc: "(^|/)stroke\\.md$", kind: "answerable", topic: "Stroke", src: "x" },
  { q: "my face drooped on one side", doc: "(^|/)stroke\\.md$", kind: "paraphrase" },
  { q: "What is (are) Narcolepsy ?", kind: "unanswerable" },
  { q: "About access tokens", doc: "(^|/)about\\-access\\-tokens\\.md$", kind: "answerable" },
];
const jsonl = (xs: object[]) => xs.map((x) => JSON.stringify(x)).join("\n");

describe("parseDevsetQuestions", () => {
  it("numbers lines from 1: odd lines are the tuning half, even lines the reporting half", () => {
    const qs = parseDevsetQuestions(`${jsonl(lines)}\n`);
    expect(qs.map((q) => [q.line, q.half, q.kind])).toEqual([
      [1, "tuning", "answerable"],
      [2, "reporting", "paraphrase"],
      [3, "tuning", "unanswerable"],
      [4, "reporting", "answerable"],
    ]);
    expect(qs[2]!.doc).toBeNull();
    expect(Object.keys(qs[0]!)).not.toContain("topic"); // provenance is not fed to the system under test
    const halves = byHalf(qs);
    expect(halves.tuning.map((q) => q.line)).toEqual([1, 3]);
    expect(halves.reporting.map((q) => q.line)).toEqual([2, 4]);
    expect(byHalf(qs.map((question) => ({ question }))).reporting.map((o) => o.question.line)).toEqual([2, 4]);
  });

  it("keeps the file's own line numbers across blank lines", () => {
    const qs = parseDevsetQuestions(`${JSON.stringify(lines[0])}\n\n${JSON.stringify(lines[1])}\r\n`);
    expect(qs.map((q) => [q.line, q.half])).toEqual([
      [1, "tuning"],
      [3, "tuning"],
    ]);
  });

  it("says which line is wrong", () => {
    expect(() => parseDevsetQuestions(`${JSON.stringify(lines[0])}\n{nope`)).toThrow(/:2: not JSON/);
    expect(() => parseDevsetQuestions(JSON.stringify({ q: "x", kind: "answerable" }))).toThrow(/:1: .*needs "doc"/);
    expect(() => parseDevsetQuestions(JSON.stringify({ q: "x", kind: "maybe" }))).toThrow(/:1: kind/);
    expect(() => parseDevsetQuestions(JSON.stringify({ q: "x", kind: "paraphrase", doc: "(" }))).toThrow(/bad "doc"/);
  });
});

describe("matchesDoc", () => {
  const [stroke] = parseDevsetQuestions(JSON.stringify(lines[0]));
  it("matches the bare file name and any path ending in it, and nothing else", () => {
    expect(matchesDoc(stroke!, { docId: "stroke.md" })).toBe(true);
    expect(matchesDoc(stroke!, { docId: "x", source: "../shared/devsets/medical/docs/stroke.md" })).toBe(true);
    expect(matchesDoc(stroke!, { docId: "x", source: "docs\\stroke.md" })).toBe(true);
    expect(matchesDoc(stroke!, { docId: "heat-stroke.md", source: "docs/heat-stroke.md" })).toBe(false);
    expect(matchesDoc(stroke!, { docId: "stroke.md.bak" })).toBe(false);
    const [unanswerable] = parseDevsetQuestions(JSON.stringify(lines[2]));
    expect(matchesDoc(unanswerable!, { docId: "stroke.md" })).toBe(false);
  });
});

describe("loadDevset", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "devset-"));
    for (const name of ["medical", "other"]) {
      await mkdir(path.join(dir, name, "docs"), { recursive: true });
      await writeFile(path.join(dir, name, "questions.jsonl"), jsonl(lines));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps the set to its persona, which --persona overrides", async () => {
    const set = await loadDevset(path.join(dir, "medical"));
    expect([set.name, set.persona, set.questions.length]).toEqual(["medical", "triage", 4]);
    expect(set.docsDir).toBe(path.join(dir, "medical", "docs"));
    expect((await loadDevset(path.join(dir, "medical"), { persona: "support" })).persona).toBe("support");
    await expect(loadDevset(path.join(dir, "other"))).rejects.toThrow(/--persona/);
    expect((await loadDevset(path.join(dir, "other"), { persona: "support" })).persona).toBe("support");
    await expect(loadDevset(path.join(dir, "missing"))).rejects.toThrow(/not a folder/);
  });

  // The shared sets themselves: halves of equal size and every `doc` naming exactly one file, as their README says.
  const shared = path.resolve("../shared/devsets");
  it.skipIf(!existsSync(shared))("reads the shared development sets", async () => {
    for (const [name, persona] of [
      ["medical", "triage"],
      ["support", "support"],
    ] as const) {
      const set = await loadDevset(path.join(shared, name));
      expect(set.persona).toBe(persona);
      const files = await readdir(set.docsDir);
      for (const q of set.questions.filter((x) => x.doc))
        expect(
          files.filter((f) => matchesDoc(q, { docId: f })),
          `line ${q.line}`,
        ).toHaveLength(1);
      const halves = byHalf(set.questions);
      expect(Math.abs(halves.tuning.length - halves.reporting.length)).toBeLessThanOrEqual(1);
      for (const kind of ["answerable", "paraphrase", "unanswerable"])
        expect(halves.reporting.some((q) => q.kind === kind)).toBe(true);
    }
  });
});

describe("parseDevsetArgs", () => {
  it("reads --set, --persona, --json and --verbose (or --show-failures)", () => {
    expect(parseDevsetArgs(["--set", "../x/medical", "--json", "--show-failures"])).toEqual({
      set: "../x/medical",
      persona: undefined,
      json: true,
      verbose: true,
      configuredEngines: false,
    });
    expect(parseDevsetArgs(["--set=a", "--persona", "support"])).toMatchObject({ set: "a", persona: "support" });
    expect(parseDevsetArgs([]).set).toBeNull();
    expect(() => parseDevsetArgs(["--set"])).toThrow(/needs a value/);
  });
});
