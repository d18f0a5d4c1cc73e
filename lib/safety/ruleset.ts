import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { type ChinesePattern, compileChinesePattern } from "./chinese";
import { compileEnglishPhrase, type EnglishPhrase } from "./english";
import { ExprCompiler, type Node } from "./expressions";
import {
  DEFAULT_QUESTION_WITHIN,
  DEFAULT_UNLESS_WITHIN,
  DEFAULT_WITHIN,
  type Expr,
  type Frame,
  type SafetyRule,
  type SafetyRulesFile,
  SafetyRulesSchema,
} from "./rules";

export type AlertLevel = "emergency" | "urgent";

export interface CompiledRaise<L> {
  when: Node<L>;
  within: number;
  level: AlertLevel;
  messageKey: string;
}

export interface LangPatterns<L> {
  match: Node<L> | null;
  unless: Node<L> | null;
  unlessWithin: number;
  raise: CompiledRaise<L>[];
}

export interface CompiledRule {
  id: string;
  category: string;
  level: AlertLevel;
  messageKey: string;
  /** A question about this red flag is answered (line first) rather than escalated. */
  askable: boolean;
  /** Counts only inside a question. */
  questionOnly: boolean;
  en: LangPatterns<EnglishPhrase>;
  zh: LangPatterns<ChinesePattern>;
}

/** Question frames of one language, each with how far it reaches. */
export type CompiledFrames<L> = Array<{ node: Node<L>; within: number; after: boolean }>;

export interface CompiledQuestions {
  en: CompiledFrames<EnglishPhrase>;
  zh: CompiledFrames<ChinesePattern>;
  now: { en: Node<EnglishPhrase> | null; zh: Node<ChinesePattern> | null };
  messages: Record<AlertLevel, string>;
}

export interface CompiledRules {
  /** Emergency rules first, then urgent, each in file order: the first rule that fires decides. */
  rules: CompiledRule[];
  messages: Record<string, Record<Lang, string>>;
  emergencyNumber?: string;
  /** Question frames; null when the file has none (every red flag then escalates, asked about or not). */
  questions: CompiledQuestions | null;
  /** Rewrites applied to a transcript before matching. */
  aliases: { en: Array<[RegExp, string]>; zh: Array<[string, string]> };
}

/** Placeholders a message may use; filled from the persona so each hospital speaks its own number. */
export const MESSAGE_PLACEHOLDERS = ["emergencyNumber", "organisation"] as const;

const RANK: Record<AlertLevel, number> = { urgent: 1, emergency: 2 };

/**
 * Validates and compiles a parsed rules file. Every problem is reported with the file name and the JSON path,
 * so a clinician editing the file sees what to fix.
 */
export function parseSafetyRules(json: unknown, source: string): CompiledRules {
  const parsed = SafetyRulesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("internal", `${source} is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  try {
    return compile(parsed.data);
  } catch (err) {
    throw new AppError("internal", `${source} is invalid: ${(err as Error).message}`, { cause: err });
  }
}

function compile(file: SafetyRulesFile): CompiledRules {
  for (const level of ["emergency", "urgent"]) {
    if (!file.messages[level]) throw new Error(`messages.${level} is required (the default for ${level} rules)`);
  }
  for (const [key, message] of Object.entries(file.messages)) {
    for (const [lang, text] of Object.entries(message)) {
      for (const [, name] of text.matchAll(/\{(\w+)\}/g)) {
        if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name!)) {
          throw new Error(`messages.${key}.${lang}: unknown placeholder {${name}}`);
        }
      }
    }
  }
  const needMessage = (key: string, path: string) => {
    if (!file.messages[key]) throw new Error(`${path}: unknown message "${key}"`);
  };
  const en = new ExprCompiler(file.concepts.en, compileEnglishPhrase, DEFAULT_WITHIN.en);
  const zh = new ExprCompiler(file.concepts.zh, compileChinesePattern, DEFAULT_WITHIN.zh);
  const ids = new Set<string>();
  const rules = file.rules.map((rule, i): CompiledRule => {
    const path = `rules[${i}] (${rule.id})`;
    if (ids.has(rule.id)) throw new Error(`${path}: duplicate rule id`);
    ids.add(rule.id);
    const messageKey = rule.message ?? rule.level;
    needMessage(messageKey, path);
    if (!rule.match.en.length && !rule.match.zh.length) throw new Error(`${path}: no patterns`);
    if (rule.questionOnly && !rule.askable) throw new Error(`${path}: questionOnly rules must be askable`);
    if (rule.questionOnly && !file.questions) throw new Error(`${path}: questionOnly needs a "questions" section`);
    rule.raise?.forEach((r, k) => {
      const at = `${path}.raise[${k}]`;
      if (RANK[r.level] <= RANK[rule.level])
        throw new Error(`${at}: raises to "${r.level}", not above the rule's level`);
      if (!r.when.en.length && !r.when.zh.length) throw new Error(`${at}: no patterns in "when"`);
      if (r.message) needMessage(r.message, at);
    });
    return {
      id: rule.id,
      category: rule.category,
      level: rule.level,
      messageKey,
      askable: rule.askable,
      questionOnly: rule.questionOnly,
      en: langPatterns(rule, "en", en, path),
      zh: langPatterns(rule, "zh", zh, path),
    };
  });
  let questions: CompiledQuestions | null = null;
  if (file.questions) {
    const q = file.questions;
    for (const level of ["emergency", "urgent"] as const) needMessage(q.messages[level], `questions.messages.${level}`);
    if (!q.en.length && !q.zh.length) throw new Error("questions: no frames");
    questions = {
      en: frames(q.en, en, "questions.en", q.within?.en ?? DEFAULT_QUESTION_WITHIN.en),
      zh: frames(q.zh, zh, "questions.zh", q.within?.zh ?? DEFAULT_QUESTION_WITHIN.zh),
      now: {
        en: q.now?.en.length ? en.compileList(q.now.en, "questions.now.en") : null,
        zh: q.now?.zh.length ? zh.compileList(q.now.zh, "questions.now.zh") : null,
      },
      messages: q.messages,
    };
  }
  en.checkConcepts();
  zh.checkConcepts();
  const rank = (r: CompiledRule) => (r.level === "emergency" ? 0 : 1);
  return {
    rules: rules
      .map((r, i) => ({ r, i }))
      .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
      .map(({ r }) => r),
    messages: file.messages,
    emergencyNumber: file.emergencyNumber,
    questions,
    aliases: compileAliases(file.aliases),
  };
}

function frames<L>(list: Frame[], compiler: ExprCompiler<L>, path: string, within: number): CompiledFrames<L> {
  return list.map((f, i) =>
    typeof f === "object" && "frame" in f
      ? { node: compiler.compileList([f.frame], `${path}[${i}].frame`), within: f.within, after: f.after ?? false }
      : { node: compiler.compileList([f], `${path}[${i}]`), within, after: false },
  );
}

function compileAliases(aliases: SafetyRulesFile["aliases"]): CompiledRules["aliases"] {
  const en = Object.entries(aliases?.en ?? {}).map(([from, to]): [RegExp, string] => {
    if (!/^[a-z0-9' &-]+$/i.test(from)) throw new Error(`aliases.en."${from}": only letters, digits, spaces and - ' &`);
    const words = from.trim().toLowerCase().split(/\s+/).map(escapeRegExp).join("\\s+");
    return [new RegExp(`(?<![a-z0-9'&])${words}(?![a-z0-9'&])`, "gi"), to];
  });
  // Longest first, so a longer homophone is rewritten before a shorter one inside it.
  const zh = Object.entries(aliases?.zh ?? {}).sort((a, b) => b[0].length - a[0].length);
  return { en, zh };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function langPatterns<L>(rule: SafetyRule, lang: Lang, compiler: ExprCompiler<L>, path: string): LangPatterns<L> {
  const list = (exprs: Expr[] | undefined, what: string) =>
    exprs?.length ? compiler.compileList(exprs, `${path}.${what}.${lang}`) : null;
  return {
    match: list(rule.match[lang], "match"),
    unless: list(rule.unless?.[lang], "unless"),
    unlessWithin: rule.unlessWithin?.[lang] ?? DEFAULT_UNLESS_WITHIN[lang],
    raise: (rule.raise ?? []).flatMap((r, k) => {
      const when = list(r.when[lang], `raise[${k}].when`);
      return when
        ? [{ when, within: r.within?.[lang] ?? DEFAULT_WITHIN[lang], level: r.level, messageKey: r.message ?? r.level }]
        : [];
    }),
  };
}
