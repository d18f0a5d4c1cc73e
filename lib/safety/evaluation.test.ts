import { describe, expect, it } from "vitest";
import { evaluateSafety, formatSafetyEvaluation, type SafetyEvalItem } from "./evaluation";
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
