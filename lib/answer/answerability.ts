import type { ExpandedQuery } from "@/lib/knowledge/query";
import { stem, WEAK_WORDS } from "@/lib/knowledge/text";
import type { Vocabulary } from "@/lib/knowledge/vocabulary";
import type { Passage } from "./types";

/**
 * Whether the passages can answer the question, beyond sharing its words: they must be about what the question is
 * about (a question naming something the documents never mention is not answered from a document that shares its
 * other words: "What is the outlook for Tourette syndrome?" is not answered from "Kawasaki syndrome"), and address
 * what it asks of it (a question about causes needs a passage that speaks of causes, not a list of symptoms that
 * happens to name the condition). Retrieval confidence stays the first gate; this is the second.
 */

/** What a question may ask of its topic: the words that ask it, and stems a passage answering it would use. */
const ASPECTS: { name: string; asks: RegExp; says: string[] }[] = [
  {
    name: "cause",
    asks: /\b(what causes?|causes? of|caused by|why (do|does|is|are|am|did)|what makes)\b|原因|为什么/i,
    says: ["cause", "caus", "due", "result", "trigger", "lead", "because", "factor", "risk", "原因", "引起", "导致"],
  },
  {
    name: "treatment",
    asks: /\b(treat|treated|treatments?|therapy|therapies|cure|cured|medicines? for|drugs? for)\b|治疗|怎么治/i,
    says: [
      "treat",
      "therapi",
      "therapy",
      "medic",
      "medicin",
      "drug",
      "surgeri",
      "surgery",
      "cure",
      "manag",
      "reliev",
      "relief",
      "antibiot",
      "exercis",
      "rest",
      "治疗",
      "药",
    ],
  },
  {
    name: "inheritance",
    asks: /\b(inherit\w*|genetic|genes?|hereditary|passed down|runs? in (the )?famil\w*)\b|遗传/i,
    says: ["inherit", "genet", "gene", "famili", "family", "mutat", "hereditari", "parent", "遗传", "基因"],
  },
  {
    name: "outlook",
    asks: /\b(outlook|prognosis|life expectancy|survival rate)\b/i,
    says: ["outlook", "prognosi", "recov", "recover", "surviv", "life", "improv", "cure", "year", "most people"],
  },
  {
    name: "cost",
    asks: /\b(cost|costs|price|how much (does|is|do|will) .* (cost|pay|charge)|fee|fees|pay for|insurance)\b|多少钱|费用|价格/i,
    says: ["cost", "price", "pay", "fee", "charg", "free", "£", "$", "€", "insur", "bill", "费用", "价格", "元"],
  },
];

export interface Answerability {
  ok: boolean;
  /** Why not, for the knowledge-gap log and debugging. */
  why?: string;
}

/** Words that ask rather than name: they say nothing about the topic. */
const ASKING = new Set(
  [
    "what",
    "who",
    "how",
    "why",
    "when",
    "is",
    "are",
    "cause",
    "treatment",
    "treat",
    "therapy",
    "symptom",
    "sign",
    "risk",
    "inherit",
    "inherited",
    "genetic",
    "gene",
    "change",
    "relate",
    "related",
    "outlook",
    "prognosis",
    "prevent",
    "diagnose",
    "diagnosis",
    "test",
    "type",
    "many",
    "people",
    "affected",
    "information",
    "research",
    "study",
  ].map(stem),
);

export function checkAnswerability(query: ExpandedQuery, passages: Passage[], vocab: Vocabulary): Answerability {
  const best = passages[0];
  if (!best) return { ok: false, why: "no passage" };
  // 1. The topic: concepts that name something, none of whose wordings the documents ever use.
  const topic = query.groups.filter(
    (g) => !g.alternatives.every((a) => a.stems.every((s) => ASKING.has(s) || WEAK_WORDS.has(s))),
  );
  // Counted, not weighted: a lay word the documents lack weighs the most, yet one among several is a paraphrase.
  const unknown = topic.filter((g) => g.alternatives.every((a) => a.stems.some((s) => vocab.df(s) === 0)));
  if (topic.length > 0 && unknown.length / topic.length >= 0.5) {
    return { ok: false, why: `the documents never mention ${unknown.map((g) => `"${g.from}"`).join(", ")}` };
  }
  // 2. The aspect: a question about causes, treatment, inheritance, outlook or cost needs a passage that speaks of it.
  const text = `${best.title}\n${best.heading}\n${best.text}`.toLowerCase();
  for (const aspect of ASPECTS) {
    if (!aspect.asks.test(query.text)) continue;
    const said = aspect.says.some((w) => (/^[a-z]/.test(w) ? new RegExp(`\\b${w}`).test(text) : text.includes(w)));
    if (!said) return { ok: false, why: `the best passage does not speak of ${aspect.name}` };
  }
  return { ok: true };
}
