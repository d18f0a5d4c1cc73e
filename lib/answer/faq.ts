import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { coverage, type ExpandedQuery, passageTerms } from "@/lib/knowledge/query";
import { contentTerms } from "@/lib/knowledge/text";
import { type Lang, personaDir } from "@/lib/persona/persona";

const FaqSchema = z.object({
  entries: z.array(
    z.object({
      id: z.string().min(1),
      questions: z.array(z.string().min(1)).min(1),
      answer: z.object({ en: z.string().min(1), zh: z.string().min(1).optional() }),
      sources: z.array(z.string()).default([]),
    }),
  ),
});

export type FaqEntry = z.infer<typeof FaqSchema>["entries"][number];

export interface FaqHit {
  entry: FaqEntry;
  text: string;
}

/**
 * Curated question -> answer pairs, checked before retrieval: a hit answers at once and always the same way.
 * A question matches when it and one of the entry's phrasings mention the same concepts, both ways round.
 */
export class FaqMatcher {
  constructor(private readonly entries: FaqEntry[]) {}

  static async load(personaId: string): Promise<FaqMatcher> {
    const file = path.join(personaDir(personaId), "faq.json");
    const raw = await readFile(file, "utf8").catch(() => null);
    if (raw === null) return new FaqMatcher([]);
    const parsed = FaqSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new AppError("internal", `${file} is invalid: ${parsed.error.issues[0]?.message}`);
    return new FaqMatcher(parsed.data.entries);
  }

  match(query: ExpandedQuery, lang: Lang): FaqHit | null {
    if (!query.groups.length) return null;
    let best: { entry: FaqEntry; score: number } | null = null;
    for (const entry of this.entries) {
      for (const phrasing of entry.questions) {
        const forward = coverage(query, passageTerms(phrasing));
        const phrasingTerms = contentTerms(phrasing);
        const questionTerms = new Set(query.groups.flatMap((g) => g.alternatives.flatMap((a) => a.stems)));
        const backward = phrasingTerms.filter((t) => questionTerms.has(t)).length / (phrasingTerms.length || 1);
        const score = Math.min(forward, backward);
        if (score >= 0.8 && (!best || score > best.score)) best = { entry, score };
      }
    }
    if (!best) return null;
    const text = lang === "zh" ? (best.entry.answer.zh ?? best.entry.answer.en) : best.entry.answer.en;
    return { entry: best.entry, text };
  }
}
