import { describe, expect, it } from "vitest";
import {
  evaluateSafety,
  formatSafetyDevsetScore,
  formatSafetyEvaluation,
  parseSafetyDevset,
  type SafetyEvalItem,
  scoreSafetyDevset,
  splitSafetyDevset,
} from "./evaluation";
import type { SafetyResult } from "./screen";

describe("evaluateSafety", () => {
  const items: SafetyEvalItem[] = [
    { text: "e1", lang: "en", expect: "emergency" },
    { text: "e2", lang: "en", expect: "emergency" },
    { text: "u1", lang: "en", expect: "urgent" },
    { text: "n1", lang: "en", expect: "none" },
    { text: "n2", lang: "zh", expect: "none" },
  ];
  const verdicts: Record<string, SafetyResult["level"]> = {
    e1: "emergency",
    e2: "urgent",
    u1: "emergency",
    n1: "none",
    n2: "urgent",
  };
  const result = evaluateSafety(items, (text) => ({ level: verdicts[text]!, message: "", ruleId: `r-${text}` }));

  it("scores recall, false alarms and the confusion matrix", () => {
    expect(result.redFlagRecall).toBe(0.5);
    expect(result.urgentOrHigherRecall).toBe(1);
    expect(result.falseAlarmRate).toBe(0.5);
    expect(result.accuracy).toBe(0.4);
    expect(result.confusion.emergency).toEqual({ emergency: 1, urgent: 1, none: 0 });
    expect(result.confusion.none).toEqual({ emergency: 0, urgent: 1, none: 1 });
  });

  it("lists misses, under-triage apart from over-triage", () => {
    expect(result.misses.map((m) => [m.text, m.kind])).toEqual([
      ["e2", "under"],
      ["u1", "over"],
      ["n2", "over"],
    ]);
    expect(formatSafetyEvaluation(result)).toContain("UNDER emergency -> urgent [r-e2]: e2");
  });
});

describe("phrasing sets with questions about emergencies (JSONL)", () => {
  const jsonl = [
    { text: "chest pain and sweating", lang: "en", expect: "emergency", informational: false },
    { text: "what are the signs of a stroke", lang: "en", expect: "emergency", informational: true },
    { text: "heartburn after curry", lang: "en", expect: "none", informational: false },
    { text: "how do I know if it is sepsis", lang: "en", expect: "emergency", informational: true },
    { text: "my baby is 2 months and hot", lang: "en", expect: "urgent", informational: false },
  ]
    .map((x) => JSON.stringify(x))
    .join("\n");

  it("parses JSONL with line numbers and splits odd (tuning) from even (reporting) lines", () => {
    const items = parseSafetyDevset(`${jsonl}\n`, "set.jsonl");
    expect(items.map((i) => i.line)).toEqual([1, 2, 3, 4, 5]);
    const { tuning, reporting } = splitSafetyDevset(items);
    expect(tuning.map((i) => i.line)).toEqual([1, 3, 5]);
    expect(reporting.map((i) => i.line)).toEqual([2, 4]);
  });

  it("names the line of a bad entry", () => {
    expect(() => parseSafetyDevset(`${jsonl}\n{"text": "x", "lang": "en"}`, "set.jsonl")).toThrow(
      /set\.jsonl:6 is invalid: expect/,
    );
    expect(() => parseSafetyDevset("{oops", "set.jsonl")).toThrow(/set\.jsonl:1 is not valid JSON/);
  });

  it("scores present emergencies, false alarms and informational answers apart", () => {
    const verdicts: Record<string, SafetyResult> = {
      "chest pain and sweating": { level: "emergency", message: "call" },
      "what are the signs of a stroke": { level: "none", message: "if now", informational: true, about: "emergency" },
      "heartburn after curry": { level: "none", message: "" },
      "how do I know if it is sepsis": { level: "emergency", message: "call" },
      "my baby is 2 months and hot": { level: "none", message: "if now", informational: true, about: "urgent" },
    };
    const s = scoreSafetyDevset(parseSafetyDevset(jsonl, "set"), (text) => verdicts[text]!);
    expect(s.emergencyRecall).toEqual({ hit: 1, of: 1 });
    expect(s.falseAlarms).toEqual({ hit: 0, of: 1 });
    // A present situation answered as a question is not flagged.
    expect(s.urgentOrHigherRecall).toEqual({ hit: 1, of: 2 });
    expect(s.escalatedOnly).toEqual({ hit: 1, of: 2 });
    expect(s.informationalWithLine).toEqual({ hit: 1, of: 2 });
    expect(s.misses.map((m) => [m.line, m.kind])).toEqual([
      [4, "escalated-only"],
      [5, "under"],
    ]);
    expect(formatSafetyDevsetScore("half", s, true)).toContain("ESCALATED-ONLY line 4");
    expect(formatSafetyDevsetScore("half", s, false)).not.toContain("line 4");
  });
});
