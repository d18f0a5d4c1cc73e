import { z } from "zod";

/**
 * The shape of `knowledge/<persona>/safety-rules.json`. Clinical red flags are data, reviewed by clinicians,
 * so adding or tightening one never needs a code change.
 *
 * A pattern expression is one of:
 * - a phrase (`"chest pain"`, `"can't|cannot breathe"`, `"#38..43 degree"`, `"lips * blue"`) or `"@concept"`;
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
    messages: z.record(z.string(), MessageSchema),
    rules: z.array(RuleSchema).min(1),
  })
  .strict();

export type SafetyRulesFile = z.infer<typeof SafetyRulesSchema>;
export type SafetyRule = z.infer<typeof RuleSchema>;

/** Default co-occurrence windows when an expression gives none. */
export const DEFAULT_WITHIN = { en: 20, zh: 30 } as const;
export const DEFAULT_UNLESS_WITHIN = { en: 6, zh: 10 } as const;
