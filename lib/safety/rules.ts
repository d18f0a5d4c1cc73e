import { z } from "zod";

/**
 * The shape of `knowledge/<persona>/safety-rules.json`. Clinical red flags are data, reviewed by clinicians,
 * so adding or tightening one never needs a code change.
 *
 * A pattern expression is one of:
 * - a phrase (`"chest pain"`, `"can't|cannot breathe"`, `"#38..43 degree"`, `"lips * blue"`, `"!of|about ending my life"`:
 *   not right after "of"/"about") or `"@concept"`;
 * - `{ "any": [...] }`: one of them;
 * - `{ "all": [...], "within": n }`: every one, all inside a window of n words (English) or characters (Chinese);
 * - `{ "atLeast": k, "of": [...], "within": n }`: k of them inside the window.
 */
export type Expr =
  | string
  | { any: Expr[] }
  | { all: Expr[]; within?: number }
  | { atLeast: number; of: Expr[]; within?: number };

const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.string().min(1),
    z.object({ any: z.array(ExprSchema).min(1) }).strict(),
    z.object({ all: z.array(ExprSchema).min(1), within: z.number().int().positive().optional() }).strict(),
    z
      .object({
        atLeast: z.number().int().min(1),
        of: z.array(ExprSchema).min(1),
        within: z.number().int().positive().optional(),
      })
      .strict(),
  ]),
);

/** Patterns per language; a list means "any of these". */
const PatternsSchema = z.object({ en: z.array(ExprSchema).default([]), zh: z.array(ExprSchema).default([]) }).strict();

export const SAFETY_LEVELS = ["emergency", "urgent", "none"] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** A number per language: words (en) and characters (zh). */
const LangNumbersSchema = z
  .object({ en: z.number().int().min(0).optional(), zh: z.number().int().min(0).optional() })
  .strict();

/**
 * A modifier that makes a red flag more urgent when it is said near it: an infant's fever is urgent, a floppy infant
 * with a fever is an emergency; chest pain is urgent, chest pain spreading to the jaw is an emergency.
 */
const RaiseSchema = z
  .object({
    level: z.enum(["emergency", "urgent"]),
    when: PatternsSchema,
    /** How near the modifier must be to the red flag: words (en) and characters (zh) from one end to the other. */
    within: LangNumbersSchema.optional(),
    /** Key into `messages`; the rule's own message when absent. */
    message: z.string().optional(),
  })
  .strict();

const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "rule ids are lower-case words joined by hyphens"),
    category: z.string().min(1),
    level: z.enum(["emergency", "urgent"]),
    match: PatternsSchema,
    /** Exclusions: the rule does not fire where one of these matches near the red flag ("last year", "nearly"). */
    unless: PatternsSchema.optional(),
    /** How near an exclusion must be: words either side (en) and characters either side (zh). */
    unlessWithin: z
      .object({ en: z.number().int().min(0).optional(), zh: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    /** Key into `messages`; the rule's level when absent. */
    message: z.string().optional(),
    /**
     * Whether a question about this red flag ("what are the signs of a stroke") is answered, with the emergency line
     * first, instead of escalated. False for red flags that are never only a question (suicidal intent).
     */
    askable: z.boolean().default(true),
    /**
     * The rule counts only inside a question: a topic named in one ("what are the signs of sepsis") gets the line
     * before the answer; named anywhere else ("the stroke ward") it raises nothing.
     */
    questionOnly: z.boolean().default(false),
    /** Modifiers that raise this rule's level when said near the red flag, tried in order. */
    raise: z.array(RaiseSchema).optional(),
  })
  .strict();

/**
 * Question frames: a red flag inside one is asked about, not happening ("how can I tell if my dad is having a heart
 * attack?"). English frames come before the red flag ("what are the signs of", "how do I know if"); Chinese ones on
 * either side ("中风有什么症状", "如果有人晕倒"). A frame reaches only within its clause.
 */
/**
 * A frame with its own reach: `{ "frame": "what is|are", "within": 2 }` ("what is sepsis", not a long sentence);
 * `"after": true`: a frame that follows a red flag opening its clause, as in a search ("stroke symptoms").
 */
const FrameSchema = z.union([
  ExprSchema,
  z.object({ frame: ExprSchema, within: z.number().int().min(0), after: z.boolean().optional() }).strict(),
]);
export type Frame = z.infer<typeof FrameSchema>;

const QuestionsSchema = z
  .object({
    en: z.array(FrameSchema).default([]),
    zh: z.array(FrameSchema).default([]),
    /** How far from a frame a red flag is still asked about: words after it (en), characters either side (zh). */
    within: LangNumbersSchema.optional(),
    /** Words that put a clause in the present ("right now"): nothing in it is merely asked about. */
    now: z
      .object({ en: z.array(ExprSchema).default([]), zh: z.array(ExprSchema).default([]) })
      .strict()
      .optional(),
    /** Keys into `messages`: what to say before answering a question about an emergency, and an urgent matter. */
    messages: z.object({ emergency: z.string().min(1), urgent: z.string().min(1) }).strict(),
  })
  .strict();

/** Spellings rewritten before matching: speech-recognition homophones (`"中疯": "中风"`), common misspellings. */
const AliasesSchema = z
  .object({
    en: z.record(z.string().min(1), z.string()).default({}),
    zh: z.record(z.string().min(1), z.string()).default({}),
  })
  .strict();

const MessageSchema = z.object({ en: z.string().min(1), zh: z.string().min(1) }).strict();

export const SafetyRulesSchema = z
  .object({
    version: z.literal(1),
    /** Used when the persona sets no `emergencyNumber`. */
    emergencyNumber: z.string().min(1).optional(),
    concepts: z
      .object({
        en: z.record(z.string(), z.array(ExprSchema).min(1)).default({}),
        zh: z.record(z.string(), z.array(ExprSchema).min(1)).default({}),
      })
      .strict(),
    aliases: AliasesSchema.optional(),
    questions: QuestionsSchema.optional(),
    messages: z.record(z.string(), MessageSchema),
    rules: z.array(RuleSchema).min(1),
  })
  .strict();

export type SafetyRulesFile = z.infer<typeof SafetyRulesSchema>;
export type SafetyRule = z.infer<typeof RuleSchema>;

/** Default co-occurrence windows when an expression gives none. */
export const DEFAULT_WITHIN = { en: 20, zh: 30 } as const;
export const DEFAULT_UNLESS_WITHIN = { en: 6, zh: 10 } as const;
/** How far a question frame reaches when the file gives no `questions.within`. */
export const DEFAULT_QUESTION_WITHIN = { en: 10, zh: 12 } as const;
