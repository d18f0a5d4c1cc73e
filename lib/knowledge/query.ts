import {
  contentTerms,
  detectLang,
  editDistance,
  hanBigrams,
  hasCjk,
  STOPWORDS,
  spokenNumbersToDigits,
  stem,
  WEAK_WORDS,
  words,
} from "./text";
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

/** One wording of a concept: stems that must all occur, and how much finding it counts (guesses count less). */
export interface Alternative {
  stems: string[];
  credit: number;
}

/** A concept the question asks about, with the wordings that count as mentioning it. */
export interface TermGroup {
  /** The words of the question this group stands for. */
  from: string;
  alternatives: Alternative[];
  weight: number;
}

/** Credit for a passage that has only a corrected spelling of what was heard: likely, not certain. */
const CORRECTION_CREDIT = 0.6;

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
/** Characters that are grammar, not topic. */
const HAN_STOP_CHARS = new Set(
  Array.from("我你您他她它的了吗呢吧啊是在和与有要去就都也很还把被给对说会能想到从这那个么呀哦嗯请问该得地着过"),
);

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
    const addAlt = (g: TermGroup, phrase: string, credit = 1) => {
      const stems = phraseStems(phrase);
      if (!stems.length || g.alternatives.some((a) => a.stems.join(" ") === stems.join(" "))) return;
      g.alternatives.push({ stems, credit });
      added.add(phrase);
    };

    const tokens = normaliseSpoken(words(text).filter((w) => !hasCjk(w)));
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
        const g: TermGroup = {
          from: tokens.slice(i, i + n).join(" "),
          alternatives: [{ stems: window, credit: 1 }],
          weight: 0,
        };
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
        const parts = tokens.slice(i, i + n).filter((t) => !STOPWORDS.has(t));
        const joined = tokens.slice(i, i + n).join("");
        if (!parts.length || joined.length < 5) continue;
        const exact = this.vocab.wordFrequency(joined) > 0;
        const hasUnknown = parts.some((t) => this.vocab.df(stem(t)) === 0);
        const hit = exact
          ? [joined]
          : joined.length >= 6 && hasUnknown
            ? unique([
                ...this.vocab.soundsLike(joined).filter((w) => w.length >= 6 && similar(joined, w)),
                ...this.vocab.near(joined, Math.floor(0.35 * joined.length), editDistance, joined[0]),
              ])
            : [];
        if (!hit.length) continue;
        const g: TermGroup = { from: tokens.slice(i, i + n).join(" "), alternatives: [], weight: 0 };
        g.alternatives.push({ stems: parts.map(stem), credit: 1 });
        for (const w of hit.slice(0, 2)) addAlt(g, w, exact ? 1 : CORRECTION_CREDIT);
        groups.push(g);
        for (let j = i; j < i + n; j++) used[j] = true;
        break;
      }
    }

    // 3. Remaining content words, with corrections for words the corpus never uses or rarely uses.
    for (let i = 0; i < tokens.length; i++) {
      const w = tokens[i]!;
      if (used[i] || STOPWORDS.has(w) || (w.length < 2 && !/\d/.test(w))) continue;
      const g: TermGroup = { from: w, alternatives: [{ stems: [stems[i]!], credit: 1 }], weight: 0 };
      if (w.length >= 4 && !/\d/.test(w)) {
        const df = this.vocab.df(stems[i]!);
        if (df === 0) {
          const maxD = w.length >= 8 ? 2 : 1;
          const candidates = [
            ...this.vocab.soundsLike(w).filter((c) => similar(w, c)),
            ...this.vocab.near(w, maxD, editDistance),
          ];
          for (const c of unique(candidates).slice(0, 2)) addAlt(g, c, CORRECTION_CREDIT);
        } else {
          // A known word can still be a mishearing ("hard attack"): offer a far more common sound-alike.
          const common = this.vocab
            .soundsLike(w)
            .filter(
              (c) =>
                c !== w && similar(w, c) && this.vocab.wordFrequency(c) >= Math.max(2, 3 * this.vocab.wordFrequency(w)),
            );
          for (const c of common.slice(0, 2)) addAlt(g, c, CORRECTION_CREDIT);
        }
      }
      groups.push(g);
    }

    // 4. Chinese: synonyms by substring; known Han bigrams as concepts; a stretch of characters that no known
    // bigram covers is a word the corpus lacks ("钉钉"), and weighs like any unknown word.
    const runs = words(text).filter(hasCjk);
    const cjkParts = [...runs];
    for (const m of this.synonyms.hanMatches(runs.join(" "))) {
      const g: TermGroup = { from: m.phrase, alternatives: [], weight: 0 };
      for (const p of this.synonyms.groups[m.group] ?? []) {
        const stems = hasCjk(p) ? contentTerms(p) : phraseStems(p);
        if (stems.length) g.alternatives.push({ stems, credit: 1 });
        if (p !== m.phrase) {
          added.add(p);
          if (hasCjk(p)) cjkParts.push(p);
        }
      }
      groups.push(g);
    }
    const synonymPhrases = this.synonyms.hanMatches(runs.join(" ")).map((m) => m.phrase);
    for (const run of runs) {
      const chars = Array.from(run);
      const known = chars.map((c) => HAN_STOP_CHARS.has(c));
      for (const phrase of synonymPhrases) {
        for (let at = run.indexOf(phrase); at >= 0; at = run.indexOf(phrase, at + 1)) {
          const from = Array.from(run.slice(0, at)).length;
          for (let j = from; j < from + Array.from(phrase).length; j++) known[j] = true;
        }
      }
      for (let i = 0; i + 1 < chars.length; i++) {
        const bg = chars[i]! + chars[i + 1]!;
        if (HAN_STOP.has(bg)) {
          known[i] = known[i + 1] = true;
        } else if (this.vocab.df(bg) > 0) {
          known[i] = known[i + 1] = true;
          if (!synonymPhrases.some((p) => p.includes(bg)))
            groups.push({ from: bg, alternatives: [{ stems: [bg], credit: 1 }], weight: 0 });
        }
      }
      for (let i = 0; i < chars.length; ) {
        if (known[i]) {
          i++;
          continue;
        }
        let j = i;
        while (j < chars.length && !known[j]) j++;
        if (j - i >= 2) {
          const stretch = chars.slice(i, j).join("");
          groups.push({ from: stretch, alternatives: [{ stems: hanBigrams(stretch), credit: 1 }], weight: 0 });
        }
        i = j;
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
      cjkText: cjkParts.join(" "),
      added: [...added],
    };
  }

  /** A concept weighs what its most distinctive wording weighs; words the corpus lacks weigh the most. */
  private altWeight(alt: Alternative): number {
    return Math.min(...alt.stems.map((s) => this.vocab.idf(s) * (WEAK_WORDS.has(s) ? 0.25 : 1)));
  }
}

/**
 * Speech recognisers spell out what people say: "n w four twenty nine" is the error code "nw 429".
 * Runs of single letters are joined and number words become digits.
 */
function normaliseSpoken(tokens: string[]): string[] {
  const out: string[] = [];
  const digits = spokenNumbersToDigits(tokens);
  for (let i = 0; i < digits.length; ) {
    let j = i;
    while (j < digits.length && /^[a-z]$/.test(digits[j]!)) j++;
    const run = digits.slice(i, j);
    if (run.length >= 2 && run.some((t) => t !== "a" && t !== "i")) {
      out.push(run.join(""));
      i = j;
    } else {
      out.push(digits[i]!);
      i++;
    }
  }
  return out;
}

/** Guards sound-alike matches: "sins"/"signs" and "hard"/"heart" pass, "banana"/"bin" does not. */
function similar(a: string, b: string): boolean {
  const longest = Math.max(a.length, b.length);
  return editDistance(a, b, 4) <= Math.max(1, Math.floor(0.4 * longest));
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
    let credit = 0;
    for (const alt of g.alternatives)
      if (alt.stems.every((s) => passageTerms.has(s))) credit = Math.max(credit, alt.credit);
    hit += g.weight * credit;
  }
  return total > 0 ? hit / total : 0;
}
