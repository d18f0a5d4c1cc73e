import { coverage, type ExpandedQuery, passageTerms } from "@/lib/knowledge/query";
import { hasCjk } from "@/lib/knowledge/text";
import type { AnswerEngine, AnswerEvent, AnswerRequest, Passage } from "./types";

interface Candidate {
  n: number;
  rank: number;
  text: string;
  terms: Set<string>;
  relevance: number;
}

const MAX_SENTENCES = 4;
/** Roughly 20 seconds of speech. */
const MAX_CHARS = { en: 420, zh: 150 };

/**
 * The default answer engine when no language model is installed: it says the passages' own best sentences,
 * chosen for relevance to the question and for covering different points (maximal marginal relevance), each
 * followed by its citation. It never writes a word the documents do not contain.
 */
export class ExtractiveAnswerEngine implements AnswerEngine {
  readonly id = "extractive";

  constructor(private readonly expand: (question: string) => Promise<ExpandedQuery>) {}

  async *answer(request: AnswerRequest): AsyncIterable<AnswerEvent> {
    const query = await this.expand(request.question);
    const chosen = selectSentences(query, request.passages, request.lang);
    const parts: string[] = [];
    const citations: number[] = [];
    for (const c of chosen) {
      if (request.signal?.aborted) {
        yield done(parts, citations, "abort");
        return;
      }
      const piece = `${parts.length ? " " : ""}${c.text} [${c.n}]`;
      parts.push(piece);
      if (!citations.includes(c.n)) citations.push(c.n);
      yield { type: "delta", text: piece };
    }
    yield done(parts, citations, "complete");
  }
}

function done(parts: string[], citations: number[], stopReason: "complete" | "abort"): AnswerEvent {
  return { type: "done", engine: "extractive", text: parts.join(""), citations, stopReason };
}

/** Questions whose answer is a number, a time or a duration. */
const ASKS_FOR_NUMBER =
  /\b(how (many|much|long|quickly|soon|often|old)|what (number|time|age|percentage)|which number|when)\b|多少|几|多久|多长|什么时候/i;

export function selectSentences(query: ExpandedQuery, passages: Passage[], lang: "en" | "zh"): Candidate[] {
  const wantsNumber = ASKS_FOR_NUMBER.test(query.text);
  const all: Candidate[] = [];
  passages.forEach((p, rank) => {
    for (const text of speakableSentences(p.text)) {
      const terms = passageTerms(text);
      // Relevance to the question first; a small prior for better-ranked passages breaks ties.
      const relevance = coverage(query, terms) + 0.15 / (rank + 1) + (wantsNumber && /\d/.test(text) ? 0.25 : 0);
      all.push({ n: p.n, rank, text, terms, relevance });
    }
  });
  // Answer in the question's language when the passages allow it.
  const sameLang = all.filter((c) => hasCjk(c.text) === (lang === "zh"));
  const pool = sameLang.some((c) => c.relevance > 0.2) ? sameLang : all;
  if (!pool.length) return [];

  const best = Math.max(...pool.map((c) => c.relevance));
  const picked: Candidate[] = [];
  let chars = 0;
  while (picked.length < MAX_SENTENCES) {
    let next: Candidate | undefined;
    let nextScore = -Infinity;
    for (const c of pool) {
      if (picked.includes(c) || c.relevance < best * 0.55) continue;
      const redundancy = Math.max(0, ...picked.map((p) => jaccard(p.terms, c.terms)));
      const score = c.relevance - 0.6 * redundancy;
      if (score > nextScore) {
        next = c;
        nextScore = score;
      }
    }
    if (!next || (picked.length > 0 && chars + next.text.length > MAX_CHARS[lang])) break;
    picked.push(next);
    chars += next.text.length;
  }
  return picked;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared || 1);
}

/**
 * Sentences that read well aloud: list items become sentences, markup and list-intro fragments are dropped.
 */
export function speakableSentences(text: string): string[] {
  const out: string[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine
      .replace(/^\s*-\s+/, "")
      .replace(/[*_`#>|]+/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    if (!line) continue;
    // A full stop ends a sentence only before a capital or digit: "38.5" and "e.g. a" stay whole.
    const pieces = line.split(/(?<=[.!?])\s+(?=["'(A-Z0-9])|(?<=[。！？；])/);
    for (let s of pieces.map((p) => p.trim())) {
      if (!s) continue;
      const zh = hasCjk(s);
      if (zh ? s.length < 6 : s.split(" ").length < 4) continue;
      if (/[:：]$/.test(s)) continue; // "Call 999 if:" introduces a list; alone it is a fragment
      if (!/[.!?。！？；]$/.test(s)) s += zh ? "。" : ".";
      out.push(s.replace(/；$/, "。"));
    }
  }
  return out;
}
