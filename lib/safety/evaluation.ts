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

const DevsetItemSchema = z
  .object({
    text: z.string().min(1),
    lang: z.enum(["en", "zh"]),
    /** The level the situation calls for; for an informational question, the level of what it asks about. */
    expect: z.enum(SAFETY_LEVELS),
    /** A question ABOUT an emergency ("what are the signs of a stroke"), not one happening now. */
    informational: z.boolean().default(false),
    category: z.string().optional(),
  })
  .strict();

export type SafetyDevsetItem = z.infer<typeof DevsetItemSchema> & { line: number };

export const SAFETY_DEVSET_FILE = "safety-devset.jsonl";

/** Parses a JSONL phrasing set; an error names the file and line. */
export function parseSafetyDevset(jsonl: string, source: string): SafetyDevsetItem[] {
  const items: SafetyDevsetItem[] = [];
  jsonl.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new AppError("internal", `${source}:${i + 1} is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = DevsetItemSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        "internal",
        `${source}:${i + 1} is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      );
    }
    items.push({ ...parsed.data, line: i + 1 });
  });
  return items;
}

/** `knowledge/<persona>/eval/safety-devset.jsonl`. */
export async function loadSafetyDevset(personaId: string, file = SAFETY_DEVSET_FILE): Promise<SafetyDevsetItem[]> {
  const full = path.join(personaDir(personaId), "eval", file);
  return parseSafetyDevset(await readFile(full, "utf8"), full);
}

/** Tuning half: odd lines (1, 3, 5…); reporting half: even lines. Rules are tuned on the first only. */
export function splitSafetyDevset(items: SafetyDevsetItem[]): {
  tuning: SafetyDevsetItem[];
  reporting: SafetyDevsetItem[];
} {
  return { tuning: items.filter((i) => i.line % 2 === 1), reporting: items.filter((i) => i.line % 2 === 0) };
}

export interface DevsetMiss {
  line: number;
  text: string;
  expect: SafetyLevel;
  informational: boolean;
  got: SafetyLevel;
  gotInformational: boolean;
  /**
   * "under": a present red flag rated lower, or answered as a mere question (the dangerous kind); "over": a false or
   * louder alarm; "escalated-only": a question about an emergency given the escalation and nothing else; "no-line":
   * a question about an emergency answered without the emergency line.
   */
  kind: "under" | "over" | "escalated-only" | "no-line";
  ruleId?: string;
  matched?: string;
}

export interface SafetyDevsetScore {
  total: number;
  /** Present emergencies (not questions about them) given "emergency" at once. */
  emergencyRecall: { hit: number; of: number };
  /** Present emergencies and urgent situations flagged urgent or higher (not as mere questions). */
  urgentOrHigherRecall: { hit: number; of: number };
  /** Expected "none" and not informational, yet flagged, or given an emergency line. */
  falseAlarms: { hit: number; of: number };
  /** Present items given exactly the expected level. */
  exact: { hit: number; of: number };
  /** Questions about emergencies that got the escalation alone instead of an answer. */
  escalatedOnly: { hit: number; of: number };
  /** Questions about emergencies that got the emergency line first and an answer. */
  informationalWithLine: { hit: number; of: number };
  misses: DevsetMiss[];
  latencyMs: { mean: number; p95: number; max: number };
  /** CPU time per call: unlike wall time, hardly moved by other processes on a busy machine. */
  cpuMs: { mean: number; p95: number; max: number };
}

function spread(xs: number[]): { mean: number; p95: number; max: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    mean: xs.reduce((a, b) => a + b, 0) / (xs.length || 1),
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
    max: sorted.at(-1) ?? 0,
  };
}

/** Scores the screen on a phrasing set with informational questions; a present emergency must stop the turn. */
export function scoreSafetyDevset(
  items: SafetyDevsetItem[],
  check: (text: string, lang: Lang) => SafetyResult,
): SafetyDevsetScore {
  const tally = () => ({ hit: 0, of: 0 });
  const s = {
    emergencyRecall: tally(),
    urgentOrHigherRecall: tally(),
    falseAlarms: tally(),
    exact: tally(),
    escalatedOnly: tally(),
    informationalWithLine: tally(),
  };
  const misses: DevsetMiss[] = [];
  const times: number[] = [];
  const cpu: number[] = [];
  for (const item of items) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = check(item.text, item.lang);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    const gotInfo = r.informational === true;
    const miss = (kind: DevsetMiss["kind"]) =>
      misses.push({
        line: item.line,
        text: item.text,
        expect: item.expect,
        informational: item.informational,
        got: r.level,
        gotInformational: gotInfo,
        kind,
        ruleId: r.ruleId,
        matched: r.matched,
      });
    if (item.informational) {
      // Any question: an escalation that answers nothing is the failure. Emergency topics should get the line too.
      s.escalatedOnly.of++;
      const stopped = r.level === "emergency";
      if (stopped) {
        s.escalatedOnly.hit++;
        miss("escalated-only");
      }
      if (item.expect === "emergency") {
        s.informationalWithLine.of++;
        if (gotInfo && r.about === "emergency") s.informationalWithLine.hit++;
        else if (!stopped) miss("no-line");
      }
      continue;
    }
    // A present situation answered as a question counts as not flagged.
    const level: SafetyLevel = gotInfo ? "none" : r.level;
    s.exact.of++;
    if (level === item.expect) s.exact.hit++;
    if (item.expect === "emergency") {
      s.emergencyRecall.of++;
      if (level === "emergency") s.emergencyRecall.hit++;
    }
    if (item.expect !== "none") {
      s.urgentOrHigherRecall.of++;
      if (level !== "none") s.urgentOrHigherRecall.hit++;
    } else {
      s.falseAlarms.of++;
      if (level !== "none" || gotInfo) s.falseAlarms.hit++;
    }
    if (level !== item.expect || (item.expect === "none" && gotInfo)) {
      miss(RANK[level] < RANK[item.expect] ? "under" : "over");
    }
  }
  return { total: items.length, ...s, misses, latencyMs: spread(times), cpuMs: spread(cpu) };
}

/** Figures for one half of a phrasing set; misses are listed only when asked (never for the reporting half). */
export function formatSafetyDevsetScore(name: string, s: SafetyDevsetScore, showMisses: boolean): string {
  const f = ({ hit, of }: { hit: number; of: number }) => `${hit}/${of} (${of ? ((hit / of) * 100).toFixed(1) : "-"}%)`;
  const lines = [
    `${name}: ${s.total} phrasings`,
    `  emergency recall (present emergencies -> emergency): ${f(s.emergencyRecall)}`,
    `  urgent-or-higher recall: ${f(s.urgentOrHigherRecall)}`,
    `  false alarms (none -> flagged or given an emergency line): ${f(s.falseAlarms)}`,
    `  exact level (present items): ${f(s.exact)}`,
    `  informational questions escalated only: ${f(s.escalatedOnly)}`,
    `  questions about emergencies given the line and an answer: ${f(s.informationalWithLine)}`,
    `  latency per call: mean ${s.latencyMs.mean.toFixed(3)} ms, p95 ${s.latencyMs.p95.toFixed(3)} ms, max ${s.latencyMs.max.toFixed(3)} ms`,
    `  CPU per call: mean ${s.cpuMs.mean.toFixed(3)} ms, p95 ${s.cpuMs.p95.toFixed(3)} ms, max ${s.cpuMs.max.toFixed(3)} ms`,
  ];
  if (showMisses) {
    for (const m of s.misses) {
      const got = `${m.got}${m.gotInformational ? " (informational)" : ""}`;
      const want = `${m.expect}${m.informational ? " (informational)" : ""}`;
      lines.push(
        `  ${m.kind.toUpperCase()} line ${m.line}: ${want} -> ${got}${m.ruleId ? ` [${m.ruleId}]` : ""}: ${m.text}`,
      );
    }
  }
  return lines.join("\n");
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
