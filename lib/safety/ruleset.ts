import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { type ChinesePattern, compileChinesePattern } from "./chinese";
import { compileEnglishPhrase, type EnglishPhrase } from "./english";
import { ExprCompiler, type Node } from "./expressions";
import {
  DEFAULT_UNLESS_WITHIN,
  DEFAULT_WITHIN,
  type Expr,
  type SafetyRule,
  type SafetyRulesFile,
  SafetyRulesSchema,
} from "./rules";

export interface LangPatterns<L> {
  match: Node<L> | null;
  unless: Node<L> | null;
  unlessWithin: number;
}

export interface CompiledRule {
  id: string;
  category: string;
  level: "emergency" | "urgent";
  messageKey: string;
  en: LangPatterns<EnglishPhrase>;
  zh: LangPatterns<ChinesePattern>;
}

export interface CompiledRules {
  /** Emergency rules first, then urgent, each in file order: the first rule that fires decides. */
  rules: CompiledRule[];
  messages: Record<string, Record<Lang, string>>;
  emergencyNumber?: string;
}

/** Placeholders a message may use; filled from the persona so each hospital speaks its own number. */
export const MESSAGE_PLACEHOLDERS = ["emergencyNumber", "organisation"] as const;

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
  const en = new ExprCompiler(file.concepts.en, compileEnglishPhrase, DEFAULT_WITHIN.en);
  const zh = new ExprCompiler(file.concepts.zh, compileChinesePattern, DEFAULT_WITHIN.zh);
  const ids = new Set<string>();
  const rules = file.rules.map((rule, i): CompiledRule => {
    const path = `rules[${i}] (${rule.id})`;
    if (ids.has(rule.id)) throw new Error(`${path}: duplicate rule id`);
    ids.add(rule.id);
    const messageKey = rule.message ?? rule.level;
    if (!file.messages[messageKey]) throw new Error(`${path}: unknown message "${messageKey}"`);
    if (!rule.match.en.length && !rule.match.zh.length) throw new Error(`${path}: no patterns`);
    return {
      id: rule.id,
      category: rule.category,
      level: rule.level,
      messageKey,
      en: langPatterns(rule, "en", en, path),
      zh: langPatterns(rule, "zh", zh, path),
    };
  });
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
  };
}

function langPatterns<L>(rule: SafetyRule, lang: Lang, compiler: ExprCompiler<L>, path: string): LangPatterns<L> {
  const list = (exprs: Expr[] | undefined, what: string) =>
    exprs?.length ? compiler.compileList(exprs, `${path}.${what}.${lang}`) : null;
  return {
    match: list(rule.match[lang], "match"),
    unless: list(rule.unless?.[lang], "unless"),
    unlessWithin: rule.unlessWithin?.[lang] ?? DEFAULT_UNLESS_WITHIN[lang],
  };
}
