import "server-only";
import { AppError } from "@/lib/errors";
import { hasCjk } from "@/lib/knowledge/text";
import type { Lang, Persona } from "@/lib/persona/persona";
import { ChineseDoc } from "./chinese";
import { EnglishDoc } from "./english";
import { type Doc, evaluate, type Node, type Span } from "./expressions";
import { loadSafetyRules } from "./load";
import type { SafetyLevel } from "./rules";
import type { CompiledRules, LangPatterns } from "./ruleset";

export interface SafetyResult {
  level: SafetyLevel;
  category?: string;
  ruleId?: string;
  /** What to say; empty when the level is "none". */
  message: string;
  /** The words that raised the flag, as normalised for matching. */
  matched?: string;
}

export type ScreenPersona = Pick<Persona, "emergencyNumber" | "organisation">;

export interface ScreenOptions {
  lang: Lang;
  persona: ScreenPersona;
  /** From `loadSafetyRules`; passed in so that screening stays synchronous and takes well under a millisecond. */
  rules: CompiledRules;
}

const NONE: SafetyResult = { level: "none", message: "" };

/**
 * Screens a transcript for red flags. Both languages' patterns run whatever `lang` says, because recognisers and
 * people mix them; `lang` only picks the language of the message.
 */
export function screen(transcript: string, { lang, persona, rules }: ScreenOptions): SafetyResult {
  const en = /[a-z]/i.test(transcript) ? new LangMatcher(new EnglishDoc(transcript)) : null;
  const zh = hasCjk(transcript) ? new LangMatcher(new ChineseDoc(transcript)) : null;
  for (const rule of rules.rules) {
    const hit = (en && fire(rule.en, en)) || (zh && fire(rule.zh, zh));
    if (hit) {
      return {
        level: rule.level,
        category: rule.category,
        ruleId: rule.id,
        message: renderMessage(rules, rule.messageKey, lang, persona),
        matched: hit,
      };
    }
  }
  return NONE;
}

function renderMessage(rules: CompiledRules, key: string, lang: Lang, persona: ScreenPersona): string {
  const template = rules.messages[key]?.[lang] ?? "";
  const values: Record<string, string | undefined> = {
    emergencyNumber: persona.emergencyNumber ?? rules.emergencyNumber,
    organisation: persona.organisation,
  };
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}

/** A document with the memo that lets rules share the work of matching their common concepts. */
class LangMatcher<L> {
  readonly memo = new Map<Node<L>, Span[]>();
  constructor(readonly doc: Doc<L>) {}
}

/** The matched text when the rule fires in this language, else null. */
function fire<L>(patterns: LangPatterns<L>, m: LangMatcher<L>): string | null {
  if (!patterns.match) return null;
  const spans = evaluate(patterns.match, m.doc, m.memo);
  if (!spans.length) return null;
  const exclusions = patterns.unless ? evaluate(patterns.unless, m.doc, m.memo) : [];
  const w = patterns.unlessWithin;
  const kept = spans.find((s) => !exclusions.some((x) => x.start >= s.start - w && x.end <= s.end + w));
  return kept ? m.doc.describe(kept) : null;
}

/** A persona's screen, bound so it can be handed over as a plain `(text, lang) => verdict` function. */
export class SafetyScreen {
  constructor(
    readonly persona: ScreenPersona,
    readonly rules: CompiledRules,
  ) {
    if (!persona.emergencyNumber && !rules.emergencyNumber) {
      const uses = Object.values(rules.messages).some((m) => `${m.en}${m.zh}`.includes("{emergencyNumber}"));
      if (uses)
        throw new AppError(
          "internal",
          "safety messages use {emergencyNumber} but neither the persona nor the rules set one",
        );
    }
  }

  /** Null for a persona without a rules file. */
  static async forPersona(persona: Persona): Promise<SafetyScreen | null> {
    const rules = await loadSafetyRules(persona.id);
    return rules ? new SafetyScreen(persona, rules) : null;
  }

  readonly check = (transcript: string, lang: Lang): SafetyResult =>
    screen(transcript, { lang, persona: this.persona, rules: this.rules });
}
