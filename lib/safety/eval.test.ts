import { beforeAll, describe, expect, it } from "vitest";
import items from "@/knowledge/triage/eval/safety.json";
import { loadPersona } from "@/lib/persona/persona";
import { evaluateSafety, formatSafetyEvaluation, loadSafetyEval, type SafetyEvalItem } from "./evaluation";
import { SafetyScreen } from "./screen";

let screen: SafetyScreen;

beforeAll(async () => {
  const found = await SafetyScreen.forPersona(await loadPersona("triage"));
  if (!found) throw new Error("the triage persona has no safety-rules.json");
  screen = found;
});

const byExpect = (level: string) => (items as SafetyEvalItem[]).filter((i) => i.expect === level);

describe("triage safety evaluation set (knowledge/triage/eval/safety.json)", () => {
  it.each(byExpect("emergency").map((i) => [i.text, i] as const))("emergency: %s", (_, item) => {
    expect(screen.check(item.text, item.lang).level).toBe("emergency");
  });

  it.each(byExpect("urgent").map((i) => [i.text, i] as const))("urgent or higher: %s", (_, item) => {
    expect(screen.check(item.text, item.lang).level).not.toBe("none");
  });

  it.each(byExpect("none").map((i) => [i.text, i] as const))("no alarm: %s", (_, item) => {
    expect(screen.check(item.text, item.lang)).toEqual({ level: "none", message: "" });
  });

  it("meets the targets: every emergency flagged, false alarms under 5%", async () => {
    const result = evaluateSafety(await loadSafetyEval("triage"), screen.check);
    console.log(formatSafetyEvaluation(result));
    expect(result.total).toBe(items.length);
    expect(result.redFlagRecall).toBe(1);
    expect(result.urgentOrHigherRecall).toBe(1);
    expect(result.falseAlarmRate).toBeLessThan(0.05);
  });
});
