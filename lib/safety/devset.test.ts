import { beforeAll, describe, expect, it } from "vitest";
import { loadPersona } from "@/lib/persona/persona";
import {
  formatSafetyDevsetScore,
  loadSafetyDevset,
  type SafetyDevsetItem,
  scoreSafetyDevset,
  splitSafetyDevset,
} from "./evaluation";
import { SafetyScreen } from "./screen";

// knowledge/triage/eval/safety-devset.jsonl: phrasings written from public triage guidance apart from the rules. The
// rules are tuned on the odd lines only; the even lines report how the screen does on phrasings nobody tuned for. Misses
// are printed for the tuning half alone (`npm run eval:safety` prints the same figures).
let screen: SafetyScreen;
let halves: { tuning: SafetyDevsetItem[]; reporting: SafetyDevsetItem[] };

beforeAll(async () => {
  const found = await SafetyScreen.forPersona(await loadPersona("triage"));
  if (!found) throw new Error("the triage persona has no safety-rules.json");
  screen = found;
  halves = splitSafetyDevset(await loadSafetyDevset("triage"));
});

const rate = ({ hit, of }: { hit: number; of: number }) => hit / of;

describe("triage safety phrasing set (safety-devset.jsonl)", () => {
  it("has at least 150 phrasings in both languages, with questions about emergencies", async () => {
    const all = [...halves.tuning, ...halves.reporting];
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(all.filter((i) => i.lang === "zh").length).toBeGreaterThan(30);
    expect(all.filter((i) => i.informational).length).toBeGreaterThan(20);
  });

  it("tuning half (odd lines): every emergency flagged, no false alarms, no question escalated without an answer", () => {
    const s = scoreSafetyDevset(halves.tuning, screen.check);
    console.log(formatSafetyDevsetScore("TUNING half (odd lines)", s, true));
    expect(rate(s.emergencyRecall)).toBe(1);
    expect(rate(s.urgentOrHigherRecall)).toBe(1);
    expect(rate(s.falseAlarms)).toBeLessThanOrEqual(0.02);
    expect(s.escalatedOnly.hit).toBe(0);
  });

  it("reporting half (even lines): false alarms at most 2%, no question escalated without an answer", () => {
    const s = scoreSafetyDevset(halves.reporting, screen.check);
    console.log(formatSafetyDevsetScore("REPORTING half (even lines)", s, false));
    expect(rate(s.falseAlarms)).toBeLessThanOrEqual(0.02);
    expect(s.escalatedOnly.hit).toBe(0);
    expect(rate(s.informationalWithLine)).toBeGreaterThanOrEqual(0.9);
    // The bar is every emergency (100%); this is the floor reached when the rules were last generalised (62 of 66),
    // so a change that loses ground fails here. Raise it as recall improves, by generalising, never by tuning to
    // these lines.
    expect(s.emergencyRecall.hit).toBeGreaterThanOrEqual(62);
    expect(s.urgentOrHigherRecall.hit).toBeGreaterThanOrEqual(76);
  });

  it("probe phrasings written while generalising the rules (safety-probes.jsonl, tuning material): all flagged", async () => {
    const s = scoreSafetyDevset(await loadSafetyDevset("triage", "safety-probes.jsonl"), screen.check);
    console.log(formatSafetyDevsetScore("PROBES (used for tuning)", s, true));
    expect(s.total).toBeGreaterThan(600);
    expect(rate(s.emergencyRecall)).toBe(1);
    expect(rate(s.urgentOrHigherRecall)).toBe(1);
    expect(s.falseAlarms.hit).toBe(0);
    expect(s.escalatedOnly.hit).toBe(0);
  });
});
