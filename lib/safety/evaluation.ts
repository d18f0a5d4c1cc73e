import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { type Lang, personaDir } from "@/lib/persona/persona";
import { SAFETY_LEVELS, type SafetyLevel } from "./rules";
import type { SafetyResult } from "./screen";

const SafetyEvalSchema = z.array(
  z.object({
    text: z.string().min(1),
    lang: z.enum(["en", "zh"]),
    expect: z.enum(SAFETY_LEVELS),
    category: z.string().optional(),
  }),
);

export type SafetyEvalItem = z.infer<typeof SafetyEvalSchema>[number];

export interface SafetyMiss {
  text: string;
  lang: Lang;
  expect: SafetyLevel;
  got: SafetyLevel;
  /** "under": a red flag rated lower than it should be (the dangerous kind); "over": a false or louder alarm. */
  kind: "under" | "over";
  ruleId?: string;
  matched?: string;
}

export interface SafetyEvaluation {
  total: number;
  /** Emergencies flagged as emergencies. */
  redFlagRecall: number;
  /** Emergencies and urgent items flagged urgent or higher. */
  urgentOrHigherRecall: number;
  /** Items expected "none" that were flagged at all. */
  falseAlarmRate: number;
  /** Items given exactly the expected level. */
  accuracy: number;
  /** confusion[expected][got] */
  confusion: Record<SafetyLevel, Record<SafetyLevel, number>>;
  misses: SafetyMiss[];
  latencyMs: { mean: number; p95: number; max: number };
}

const RANK: Record<SafetyLevel, number> = { none: 0, urgent: 1, emergency: 2 };

/** Runs the screen over labelled transcripts and scores it as a triage nurse would: missing a red flag is worst. */
export function evaluateSafety(
  items: SafetyEvalItem[],
  check: (text: string, lang: Lang) => SafetyResult,
): SafetyEvaluation {
  const row = () => ({ emergency: 0, urgent: 0, none: 0 });
  const confusion = { emergency: row(), urgent: row(), none: row() };
  const misses: SafetyMiss[] = [];
  const times: number[] = [];
  for (const item of items) {
    const t0 = performance.now();
    const result = check(item.text, item.lang);
    times.push(performance.now() - t0);
    confusion[item.expect][result.level]++;
    if (result.level !== item.expect) {
      misses.push({
        text: item.text,
        lang: item.lang,
        expect: item.expect,
        got: result.level,
        kind: RANK[result.level] < RANK[item.expect] ? "under" : "over",
        ruleId: result.ruleId,
        matched: result.matched,
      });
    }
  }
  const count = (expect: SafetyLevel) =>
    confusion[expect].emergency + confusion[expect].urgent + confusion[expect].none;
  const ratio = (n: number, d: number) => (d ? n / d : 1);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    total: items.length,
    redFlagRecall: ratio(confusion.emergency.emergency, count("emergency")),
    urgentOrHigherRecall: ratio(
      confusion.emergency.emergency + confusion.emergency.urgent + confusion.urgent.emergency + confusion.urgent.urgent,
      count("emergency") + count("urgent"),
    ),
    falseAlarmRate: count("none") ? (confusion.none.emergency + confusion.none.urgent) / count("none") : 0,
    accuracy: ratio(confusion.emergency.emergency + confusion.urgent.urgent + confusion.none.none, items.length),
    confusion,
    misses,
    latencyMs: {
      mean: times.reduce((a, b) => a + b, 0) / (times.length || 1),
      p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
      max: sorted.at(-1) ?? 0,
    },
  };
}

/** The persona's labelled transcripts, `knowledge/<persona>/eval/safety.json`. */
export async function loadSafetyEval(personaId: string): Promise<SafetyEvalItem[]> {
  const file = path.join(personaDir(personaId), "eval", "safety.json");
  const parsed = SafetyEvalSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new AppError("internal", `${file} is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** A few lines for a terminal report. */
export function formatSafetyEvaluation(e: SafetyEvaluation): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `safety screen: ${e.total} items`,
    `  red-flag recall (emergency -> emergency): ${pct(e.redFlagRecall)}`,
    `  urgent-or-higher recall: ${pct(e.urgentOrHigherRecall)}`,
    `  false alarms (none -> flagged): ${pct(e.falseAlarmRate)}`,
    `  exact level: ${pct(e.accuracy)}`,
    `  expected \\ got   emergency  urgent  none`,
    ...SAFETY_LEVELS.map(
      (x) =>
        `  ${x.padEnd(15)}  ${String(e.confusion[x].emergency).padStart(9)}  ${String(e.confusion[x].urgent).padStart(6)}  ${String(e.confusion[x].none).padStart(4)}`,
    ),
    `  latency per call: mean ${e.latencyMs.mean.toFixed(3)} ms, p95 ${e.latencyMs.p95.toFixed(3)} ms, max ${e.latencyMs.max.toFixed(3)} ms`,
    ...e.misses.map(
      (m) => `  ${m.kind.toUpperCase()} ${m.expect} -> ${m.got}${m.ruleId ? ` [${m.ruleId}]` : ""}: ${m.text}`,
    ),
  ];
  return lines.join("\n");
}
