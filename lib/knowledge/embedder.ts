import { hanBigrams, hasCjk, STOPWORDS, stem, words } from "./text";

/** Turns text into unit vectors. Passages and queries may be embedded differently (instruction-tuned models). */
export interface Embedder {
  /** Stable identifier stored with the index, so a persona indexed with one engine is never searched with another. */
  readonly id: string;
  readonly dimensions: number;
  /** True when vectors are lexical (n-gram) features: query expansions then help rather than blur. */
  readonly lexical: boolean;
  embed(texts: string[], kind: "query" | "passage"): Promise<Float32Array[]>;
}

/**
 * The default embedder: signed feature hashing of stemmed words, character 3/4-grams of each word and Han
 * character bigrams. Needs no model, tolerates misspellings (shared n-grams) and runs at ~1 µs per word.
 */
export class HashedNgramEmbedder implements Embedder {
  readonly id: string;
  readonly lexical = true;
  constructor(readonly dimensions = 384) {
    this.id = `hashed-ngram-v1-${dimensions}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    for (const w of words(text)) {
      if (hasCjk(w)) {
        for (const ch of w) this.add(v, `c:${ch}`, 0.4);
        for (const bg of hanBigrams(w)) this.add(v, `b:${bg}`, 1);
        continue;
      }
      if (STOPWORDS.has(w)) continue;
      const s = stem(w);
      this.add(v, `w:${s}`, 1);
      const padded = `<${s}>`;
      for (let n = 3; n <= 4; n++) {
        for (let i = 0; i + n <= padded.length; i++) this.add(v, `g:${padded.slice(i, i + n)}`, 0.35);
      }
    }
    // Sublinear term frequency, then unit length so a dot product is the cosine.
    let norm = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      v[i] = Math.sign(x) * Math.sqrt(Math.abs(x));
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < v.length; i++) v[i]! /= norm;
    return v;
  }

  private add(v: Float32Array, feature: string, weight: number): void {
    const h = fnv1a(feature);
    const idx = h % this.dimensions;
    v[idx]! += (h & 0x80000000 ? -1 : 1) * weight;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
