import { contentTerms, detectLang, editDistance, hasCjk, STOPWORDS, stem, words } from "./text";
import type { Vocabulary } from "./vocabulary";

/** Groups of interchangeable words and phrases for one domain (the persona's `synonyms.json`). */
export class Synonyms {
  /** Stemmed phrase ("blood sugar") -> indexes of the groups it belongs to. */
  private readonly latin = new Map<string, number[]>();
  private readonly han: { phrase: string; group: number }[] = [];
  private maxWords = 1;

  constructor(readonly groups: string[][]) {
    groups.forEach((group, gi) => {
      for (const phrase of group) {
        if (hasCjk(phrase)) {
          this.han.push({ phrase, group: gi });
          continue;
        }
        const key = phraseKey(phrase);
        if (!key) continue;
        this.latin.set(key, [...(this.latin.get(key) ?? []), gi]);
        this.maxWords = Math.max(this.maxWords, key.split(" ").length);
      }
    });
  }

  static parse(json: unknown): Synonyms {
    const groups = (json as { groups?: unknown })?.groups;
    if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g) && g.every((s) => typeof s === "string"))) {
      throw new Error('synonyms.json must look like {"groups": [["belly", "abdomen"], ...]}');
    }
    return new Synonyms(groups as string[][]);
  }

  get longestPhrase(): number {
    return this.maxWords;
  }

  groupsOfPhrase(stems: string[]): number[] {
    return this.latin.get(stems.join(" ")) ?? [];
  }

  hanMatches(text: string): { phrase: string; group: number }[] {
    return this.han.filter((h) => text.includes(h.phrase));
  }
}

/** Stems of a phrase's content words (all words when it has only stopwords, e.g. "can't get in" keeps "get"). */
function phraseStems(phrase: string): string[] {
  const all = words(phrase);
  const content = all.filter((w) => !STOPWORDS.has(w));
  return (content.length ? content : all).map(stem);
}

/** Every stemmed word and Han bigram of a passage: what `coverage` matches alternatives against. */
export function passageTerms(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of words(text)) {
    if (hasCjk(w)) for (const bg of contentTerms(w)) out.add(bg);
    else out.add(stem(w));
  }
  return out;
}

function phraseKey(phrase: string): string {
  return words(phrase).map(stem).join(" ");
}

/** A concept the question asks about, with the wordings that count as mentioning it. */
export interface TermGroup {
  /** The words of the question this group stands for. */
  from: string;
  /** Each alternative is a list of stems that must all occur. */
  alternatives: string[][];
  weight: number;
}

export interface ExpandedQuery {
  text: string;
  lang: "en" | "zh";
  groups: TermGroup[];
  /** Words of the question itself, for full-text search. */
  ftsText: string;
  /** Synonyms and corrections, searched with a lower boost. */
  expansionText: string;
  /** Han text for the n-gram index: the question and its Chinese synonyms. */
  cjkText: string;
  /** The words added, for explaining a result. */
  added: string[];
}

/** Han bigrams that carry no topic ("how", "can", "I"). */
const HAN_STOP = new Set(
  "怎么 什么 可以 如果 我的 一下 需要 应该 是否 没有 哪里 时候 为什么 请问 怎样 如何 我们 你们 他们 这个 那个 就是 还是 因为 所以 现在 吗？ 了吗 的话 一个 不是 是不 我该 我要 我想 想要 知道 能不 不能".split(
    " ",
  ),
);

/**
 * Rewrites a question the way a careful librarian would before searching: lay words gain the documents'
 * terms (synonyms), misheard or misspelled words gain the corpus words they sound or look like, and words
 * split by speech recognition ("pass word re set") are joined when the joined word is in the corpus.
 */
export class QueryExpander {
  constructor(
    private readonly synonyms: Synonyms,
    private readonly vocab: Vocabulary,
  ) {}

  expand(text: string): ExpandedQuery {
    const lang = detectLang(text);
    const groups: TermGroup[] = [];
    const added = new Set<string>();
    const addAlt = (g: TermGroup, phrase: string) => {
      const stems = phraseStems(phrase);
      if (!stems.length || g.alternatives.some((a) => a.join(" ") === stems.join(" "))) return;
      g.alternatives.push(stems);
      added.add(phrase);
    };

    const tokens = words(text).filter((w) => !hasCjk(w));
    const stems = tokens.map(stem);
    const used = new Array<boolean>(tokens.length).fill(false);

    // 1. Synonym phrases, longest first.
    for (let n = this.synonyms.longestPhrase; n >= 1; n--) {
      for (let i = 0; i + n <= tokens.length; i++) {
        if (used.slice(i, i + n).some(Boolean)) continue;
        const window = stems.slice(i, i + n);
        const groupIds = this.synonyms.groupsOfPhrase(window);
        if (!groupIds.length) continue;
        if (n === 1 && STOPWORDS.has(tokens[i]!)) continue;
        const g: TermGroup = { from: tokens.slice(i, i + n).join(" "), alternatives: [window], weight: 0 };
        for (const gi of groupIds) for (const p of this.synonyms.groups[gi] ?? []) if (!hasCjk(p)) addAlt(g, p);
        groups.push(g);
        for (let j = i; j < i + n; j++) used[j] = true;
      }
    }

    // 2. Words split apart by speech recognition: join two or three tokens when the corpus knows the result.
    for (let i = 0; i < tokens.length; i++) {
      if (used[i]) continue;
      for (const n of [3, 2]) {
        if (i + n > tokens.length || used.slice(i, i + n).some(Boolean)) continue;
        const joined = tokens.slice(i, i + n).join("");
        if (joined.length < 6) continue;
        const hit =
          this.vocab.wordFrequency(joined) > 0 ? [joined] : this.vocab.soundsLike(joined).filter((w) => w.length >= 6);
        if (!hit.length) continue;
        const parts = tokens.slice(i, i + n).filter((t) => !STOPWORDS.has(t));
        const g: TermGroup = { from: tokens.slice(i, i + n).join(" "), alternatives: [], weight: 0 };
        if (parts.length) g.alternatives.push(parts.map(stem));
        for (const w of hit.slice(0, 2)) addAlt(g, w);
        groups.push(g);
        for (let j = i; j < i + n; j++) used[j] = true;
        break;
      }
    }

    // 3. Remaining content words, with corrections for words the corpus never uses or rarely uses.
    for (let i = 0; i < tokens.length; i++) {
      const w = tokens[i]!;
      if (used[i] || STOPWORDS.has(w) || (w.length < 2 && !/\d/.test(w))) continue;
      const g: TermGroup = { from: w, alternatives: [[stems[i]!]], weight: 0 };
      if (w.length >= 4 && !/\d/.test(w)) {
        const df = this.vocab.df(stems[i]!);
        if (df === 0) {
          const maxD = w.length >= 8 ? 2 : 1;
          const candidates = [...this.vocab.soundsLike(w), ...this.vocab.near(w, maxD, editDistance)];
          for (const c of unique(candidates).slice(0, 2)) addAlt(g, c);
        } else {
          // A known word can still be a mishearing ("hard attack"): offer a far more common sound-alike.
          const common = this.vocab
            .soundsLike(w)
            .filter((c) => c !== w && this.vocab.wordFrequency(c) >= Math.max(2, 3 * this.vocab.wordFrequency(w)));
          for (const c of common.slice(0, 2)) addAlt(g, c);
        }
      }
      groups.push(g);
    }

    // 4. Chinese: synonyms by substring, concepts as Han bigrams.
    const hanRuns = words(text).filter(hasCjk).join(" ");
    const cjkParts = [hanRuns];
    if (hanRuns) {
      const matched = this.synonyms.hanMatches(hanRuns);
      const covered = new Set<string>();
      for (const m of matched) {
        const g: TermGroup = { from: m.phrase, alternatives: [], weight: 0 };
        for (const p of this.synonyms.groups[m.group] ?? []) {
          const alt = hasCjk(p) ? contentTerms(p) : phraseStems(p);
          if (alt.length) g.alternatives.push(alt);
          if (p !== m.phrase) {
            added.add(p);
            if (hasCjk(p)) cjkParts.push(p);
          }
        }
        for (const bg of contentTerms(m.phrase)) covered.add(bg);
        groups.push(g);
      }
      for (const bg of contentTerms(hanRuns)) {
        if (covered.has(bg) || HAN_STOP.has(bg) || this.vocab.df(bg) === 0) continue;
        groups.push({ from: bg, alternatives: [[bg]], weight: 0 });
      }
    }

    for (const g of groups) g.weight = Math.max(...g.alternatives.map((a) => this.altWeight(a)), 0);
    const latinAdded = [...added].filter((a) => !hasCjk(a));
    return {
      text,
      lang,
      groups,
      ftsText: tokens.filter((t) => !STOPWORDS.has(t)).join(" "),
      expansionText: latinAdded.join(" "),
      cjkText: cjkParts.filter(Boolean).join(" "),
      added: [...added],
    };
  }

  /** A concept weighs what its most distinctive wording weighs; words the corpus lacks weigh the most. */
  private altWeight(stems: string[]): number {
    return Math.min(...stems.map((s) => this.vocab.idf(s)));
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Share of the question's concepts (IDF-weighted) that a passage mentions, in any of their accepted wordings.
 * This is the backbone of retrieval confidence: an out-of-scope question shares few distinctive words with
 * every passage.
 */
export function coverage(query: ExpandedQuery, passageTerms: Set<string>): number {
  let total = 0;
  let hit = 0;
  for (const g of query.groups) {
    total += g.weight;
    if (g.alternatives.some((alt) => alt.every((s) => passageTerms.has(s)))) hit += g.weight;
  }
  return total > 0 ? hit / total : 0;
}
