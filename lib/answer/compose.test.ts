import { describe, expect, it } from "vitest";
import { QueryExpander, Synonyms } from "@/lib/knowledge/query";
import { Vocabulary } from "@/lib/knowledge/vocabulary";
import { checkAnswerability } from "./answerability";
import { composeAnswer, questionKind } from "./compose";
import type { Passage } from "./types";

const CHEST = `Chest pain can be a sign of a heart attack.
Call 999 straight away if the chest pain:
- feels heavy, tight or crushing
- spreads to the arm, neck, jaw or back
- comes with shortness of breath or sweating
Women may have less typical symptoms. Take these seriously.`;

const STEPS = `1. Open Settings and select Add endpoint.
2. Enter the URL of your endpoint. It must use HTTPS.
3. Save the webhook.`;

const passage = (n: number, docId: string, heading: string, text: string): Passage => ({
  n,
  docId,
  title: docId,
  source: docId,
  page: null,
  heading,
  text,
  score: 1 / n,
});

const corpus = [CHEST, STEPS, "Sprained ankles usually get better within two weeks. Rest and raise the ankle."];
const vocab = Vocabulary.build(corpus);
const expand = (q: string) => new QueryExpander(new Synonyms([]), vocab).expand(q);

describe("composeAnswer", () => {
  it("says a list as a list, with its introduction, and never reads a fragment or a heading", () => {
    const units = composeAnswer(
      expand("what are the signs the chest pain is serious"),
      [passage(1, "chest.md", "When to call", CHEST)],
      "en",
    );
    const said = units.map((u) => u.text).join(" ");
    expect(said).toContain(
      "Call 999 straight away if the chest pain: feels heavy, tight or crushing, spreads to the arm, neck, jaw or back, or comes with shortness of breath or sweating.",
    );
    expect(said).not.toMatch(/(^|\. )spreads to/);
    expect(said).not.toContain("When to call");
  });

  it("says steps in order and never says a sentence twice, even when a document repeats it", () => {
    const repeated = `${STEPS}\nEnter the URL of your endpoint. It must use HTTPS.`;
    const units = composeAnswer(
      expand("how do I set up a webhook endpoint"),
      [passage(1, "webhooks.md", "Creating", repeated)],
      "en",
    );
    const said = units.map((u) => u.text).join(" ");
    expect(said).toMatch(
      /Open Settings and select Add endpoint\. Enter the URL of your endpoint\. It must use HTTPS\. Save the webhook\./,
    );
    expect(said.match(/It must use HTTPS/g)).toHaveLength(1);
  });

  it("cites at most two documents", () => {
    const passages = [1, 2, 3].map((n) =>
      passage(n, `doc${n}.md`, "", `Rest and raise the ankle ${n}. Sprained ankles get better ${n}.`),
    );
    const units = composeAnswer(expand("how do I treat a sprained ankle"), passages, "en");
    expect(new Set(units.map((u) => u.n)).size).toBeLessThanOrEqual(2);
  });

  it("knows what kind of answer a question wants", () => {
    expect(questionKind("how do I reset my password")).toBe("steps");
    expect(questionKind("what are the symptoms of a stroke")).toBe("signs");
    expect(questionKind("how long am I locked out")).toBe("figure");
  });
});

describe("checkAnswerability", () => {
  const passages = [passage(1, "chest.md", "When to call", CHEST)];

  it("refuses a question about something the documents never mention, though other words match", () => {
    expect(checkAnswerability(expand("does tourette chest pain spread to the jaw"), passages, vocab)).toMatchObject({
      ok: true,
    });
    expect(checkAnswerability(expand("how is lupus treated"), passages, vocab).ok).toBe(false);
  });

  it("refuses a question about causes when the passage does not speak of causes", () => {
    expect(checkAnswerability(expand("what causes sweating"), passages, vocab)).toMatchObject({
      ok: false,
      why: expect.stringContaining("cause"),
    });
    expect(checkAnswerability(expand("what are the signs of a heart attack"), passages, vocab).ok).toBe(true);
  });
});
