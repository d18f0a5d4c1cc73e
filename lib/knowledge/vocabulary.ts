import { contentTerms, hasCjk, phoneticKey, STOPWORDS, words } from "./text";

/**
 * Corpus statistics of one persona's knowledge base: document frequency of each content term (for IDF and
 * confidence) and the raw words indexed by length and sound (for correcting misheard or misspelled queries).
 */
export class Vocabulary {
  private constructor(
    /** Number of chunks. */
    readonly size: number,
    private readonly termDf: Map<string, number>,
    private readonly wordDf: Map<string, number>,
    private readonly byKey: Map<string, string[]>,
    private readonly byLength: Map<number, string[]>,
  ) {}

  static empty(): Vocabulary {
    return new Vocabulary(0, new Map(), new Map(), new Map(), new Map());
  }

  static build(texts: string[]): Vocabulary {
    const termDf = new Map<string, number>();
    const wordDf = new Map<string, number>();
    for (const text of texts) {
      for (const t of new Set(contentTerms(text))) termDf.set(t, (termDf.get(t) ?? 0) + 1);
      for (const w of new Set(words(text))) {
        if (w.length >= 3 && !hasCjk(w) && !STOPWORDS.has(w) && !/\d/.test(w)) wordDf.set(w, (wordDf.get(w) ?? 0) + 1);
      }
    }
    const byKey = new Map<string, string[]>();
    const byLength = new Map<number, string[]>();
    for (const w of wordDf.keys()) {
      const k = phoneticKey(w);
      byKey.set(k, [...(byKey.get(k) ?? []), w]);
      byLength.set(w.length, [...(byLength.get(w.length) ?? []), w]);
    }
    return new Vocabulary(texts.length, termDf, wordDf, byKey, byLength);
  }

  /** Chunks containing a stemmed content term (or Han bigram). */
  df(term: string): number {
    return this.termDf.get(term) ?? 0;
  }

  wordFrequency(word: string): number {
    return this.wordDf.get(word) ?? 0;
  }

  /** Inverse document frequency; a term the corpus never uses weighs most. */
  idf(term: string): number {
    return Math.log((this.size + 1) / (this.df(term) + 0.5));
  }

  soundsLike(word: string): string[] {
    return this.byKey.get(phoneticKey(word)) ?? [];
  }

  /** Corpus words within `maxDistance` edits, closest and most frequent first. */
  near(
    word: string,
    maxDistance: number,
    distance: (a: string, b: string, max: number) => number,
    firstLetter?: string,
  ): string[] {
    const found: { w: string; d: number }[] = [];
    for (let len = word.length - maxDistance; len <= word.length + maxDistance; len++) {
      for (const w of this.byLength.get(len) ?? []) {
        if (firstLetter && w[0] !== firstLetter) continue;
        const d = distance(word, w, maxDistance);
        if (d <= maxDistance) found.push({ w, d });
      }
    }
    return found.sort((a, b) => a.d - b.d || this.wordFrequency(b.w) - this.wordFrequency(a.w)).map((f) => f.w);
  }
}
