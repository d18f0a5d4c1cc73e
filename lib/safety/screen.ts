import "server-only";
import { AppError } from "@/lib/errors";
import { hasCjk } from "@/lib/knowledge/text";
import type { Lang, Persona } from "@/lib/persona/persona";
import { ChineseDoc } from "./chinese";
import { EnglishDoc } from "./english";
import { type Doc, evaluate, type Node, type Span } from "./expressions";
import { loadSafetyRules } from "./load";
import type { SafetyLevel } from "./rules";
import type { AlertLevel, CompiledFrames, CompiledRule, CompiledRules, LangPatterns } from "./ruleset";

export interface SafetyResult {
  /** What this turn must do now: "emergency" stops it (escalate and answer nothing else). */
  level: SafetyLevel;
  category?: string;
  ruleId?: string;
  /** What to say; empty when the level is "none", unless the transcript is a question about a red flag. */
  message: string;
  /** The words that raised the flag, as normalised for matching. */
  matched?: string;
  /**
   * A question ABOUT a red flag ("what are the signs of a stroke"), not one happening now: `level` is "none" so the
   * question is answered from the documents, and `message` is the line to say first ("if this is happening now,
   * call 999").
   */
  informational?: true;
  /** For an informational result: the level of what the question is about. */
  about?: Exclude<SafetyLevel, "none">;
}

export type ScreenPersona = Pick<Persona, "emergencyNumber" | "organisation">;

export interface ScreenOptions {
  lang: Lang;
  persona: ScreenPersona;
  /** From `loadSafetyRules`; passed in so that screening stays synchronous and takes well under a millisecond. */
  rules: CompiledRules;
}

const NONE: SafetyResult = { level: "none", message: "" };

const RANK: Record<AlertLevel, number> = { urgent: 1, emergency: 2 };

interface Verdict {
  rule: CompiledRule;
  level: AlertLevel;
  messageKey: string;
  matched: string;
}

/**
 * Screens a transcript for red flags. Both languages' patterns run whatever `lang` says, because recognisers and
 * people mix them; `lang` only picks the language of the message.
 *
 * Every rule is tried: a red flag said as happening now decides at once when it is an emergency (after its
 * modifiers, `raise`), else the first urgent one; only when nothing is happening now does a question about a red
 * flag give an informational result (level "none", the line to say first in `message`).
 */
export function screen(transcript: string, { lang, persona, rules }: ScreenOptions): SafetyResult {
  const q = rules.questions;
  const en = /[a-z]/i.test(transcript)
    ? new LangMatcher(new EnglishDoc(aliasEnglish(transcript, rules)), q?.en ?? [], q?.now.en ?? null, false)
    : null;
  const zh = hasCjk(transcript)
    ? new LangMatcher(new ChineseDoc(aliasChinese(transcript, rules)), q?.zh ?? [], q?.now.zh ?? null, true)
    : null;
  let urgent: Verdict | null = null;
  let asked: Verdict | null = null;
  for (const rule of rules.rules) {
    for (const found of [en && fire(rule, rule.en, en), zh && fire(rule, rule.zh, zh)]) {
      if (!found) continue;
      if (found.present?.level === "emergency") return alert(found.present, rules, lang, persona);
      urgent ??= found.present;
      if (found.asked && (!asked || RANK[found.asked.level] > RANK[asked.level])) asked = found.asked;
    }
  }
  if (urgent) return alert(urgent, rules, lang, persona);
  if (asked && q) {
    return {
      level: "none",
      informational: true,
      about: asked.level,
      category: asked.rule.category,
      ruleId: asked.rule.id,
      message: renderMessage(rules, q.messages[asked.level], lang, persona),
      matched: asked.matched,
    };
  }
  return NONE;
}

function alert(v: Verdict, rules: CompiledRules, lang: Lang, persona: ScreenPersona): SafetyResult {
  return {
    level: v.level,
    category: v.rule.category,
    ruleId: v.rule.id,
    message: renderMessage(rules, v.messageKey, lang, persona),
    matched: v.matched,
  };
}

function aliasEnglish(text: string, rules: CompiledRules): string {
  let out = text;
  for (const [from, to] of rules.aliases.en) out = out.replace(from, to);
  return out;
}

function aliasChinese(text: string, rules: CompiledRules): string {
  let out = text;
  for (const [from, to] of rules.aliases.zh) if (out.includes(from)) out = out.replaceAll(from, to);
  return out;
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

  constructor(
    readonly doc: Doc<L>,
    private readonly frames: CompiledFrames<L>,
    private readonly now: Node<L> | null,
    /** Chinese asks on either side ("中风有什么症状"); English asks before ("what are the signs of a stroke"). */
    private readonly eitherSide: boolean,
  ) {}

  /** True when the red flag at `span` sits inside a question frame of its clause, and nothing says it is now. */
  asked(span: Span): boolean {
    const clause = this.doc.clauseOf(span.start);
    const inClause = (x: Span) => this.doc.clauseOf(x.start) === clause;
    if (this.now && evaluate(this.now, this.doc, this.memo).some(inClause)) return false;
    // A frame after the red flag counts only when the flag opens its clause, as in a search ("stroke symptoms"), not
    // "my dad has stroke symptoms".
    const opensClause = span.start === 0 || this.doc.clauseOf(span.start - 1) !== clause;
    return this.frames.some(({ node, within, after }) =>
      evaluate(node, this.doc, this.memo).some(
        (f) =>
          inClause(f) &&
          (after
            ? opensClause && f.start >= span.end && f.start - span.end <= within
            : (f.start <= span.start && span.start <= f.end + within) ||
              (this.eitherSide && f.start >= span.start && f.start - span.end <= within)),
      ),
    );
  }
}

/** The rule's strongest red flag said as happening now, and the strongest asked about, in this language. */
function fire<L>(
  rule: CompiledRule,
  patterns: LangPatterns<L>,
  m: LangMatcher<L>,
): { present: Verdict | null; asked: Verdict | null } | null {
  if (!patterns.match) return null;
  const spans = evaluate(patterns.match, m.doc, m.memo);
  if (!spans.length) return null;
  const exclusions = patterns.unless ? evaluate(patterns.unless, m.doc, m.memo) : [];
  const w = patterns.unlessWithin;
  let present: Verdict | null = null;
  let asked: Verdict | null = null;
  for (const s of spans) {
    if (exclusions.some((x) => x.start >= s.start - w && x.end <= s.end + w)) continue;
    const isAsked = rule.askable && m.asked(s);
    if (rule.questionOnly && !isAsked) continue;
    const v = raised(rule, patterns, m, s);
    if (isAsked) {
      if (!asked || RANK[v.level] > RANK[asked.level]) asked = v;
    } else if (!present || RANK[v.level] > RANK[present.level]) {
      present = v;
      if (v.level === "emergency") break;
    }
  }
  return present || asked ? { present, asked } : null;
}

/** The rule's level at this red flag after its modifiers: the highest `raise` whose modifier is said near it. */
function raised<L>(rule: CompiledRule, patterns: LangPatterns<L>, m: LangMatcher<L>, s: Span): Verdict {
  const v: Verdict = { rule, level: rule.level, messageKey: rule.messageKey, matched: m.doc.describe(s) };
  for (const r of patterns.raise) {
    if (RANK[r.level] <= RANK[v.level]) continue;
    const near = evaluate(r.when, m.doc, m.memo).find(
      (x) => Math.max(x.end, s.end) - Math.min(x.start, s.start) <= r.within,
    );
    if (near) {
      v.level = r.level;
      v.messageKey = r.messageKey;
      v.matched = m.doc.describe({ start: Math.min(near.start, s.start), end: Math.max(near.end, s.end) });
    }
  }
  return v;
}

/** Rule sets already screened once in this process. */
const WARMED = new WeakSet<CompiledRules>();

/** Transcripts that touch most of the matcher, so the first real turn does not pay for compiling it. */
const WARM_UP = [
  "my dad has crushing chest pain and can't breathe, what are the signs of a stroke",
  "my 6 week old baby has a temperature of 38.5 and took 20 paracetamol, the bleeding won't stop",
  "我胸口很痛，喘不过气，宝宝两个月大发烧三十八度五，中风有什么症状",
];

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
    if (!WARMED.has(rules)) {
      WARMED.add(rules);
      for (const text of WARM_UP) screen(text, { lang: "en", persona, rules });
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
