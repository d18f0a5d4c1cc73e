import { editDistance, phoneticKey, spokenNumbersToDigits, stem } from "@/lib/knowledge/text";
import type { Span } from "./expressions";

/**
 * English red-flag matching over a speech-recognition transcript. Phrases match word by word with stemming, a
 * sound-alike key and a small edit distance ("hard attack", "arm is week"), words the recogniser split are joined
 * back ("an a flaxis", "over dosed"), and a phrase preceded by a negation cue in its clause does not count.
 */

/**
 * phoneticKey with two more merges that recognisers make constantly: th/t/d ("breed" for "breathe") and
 * s/sh/z ("sees her" for "seizure").
 */
export function soundKey(word: string): string {
  return phoneticKey(word)
    .replace(/0/g, "t")
    .replace(/x/g, "s")
    .replace(/(.)\1+/g, "$1");
}

/** Apostrophe-less spellings recognisers and typists produce, mapped to the forms the rules are written in. */
const CONTRACTIONS: Record<string, string> = {
  cant: "can't",
  cannot: "can't",
  dont: "don't",
  doesnt: "doesn't",
  didnt: "didn't",
  wont: "won't",
  isnt: "isn't",
  arent: "aren't",
  wasnt: "wasn't",
  werent: "weren't",
  havent: "haven't",
  hasnt: "hasn't",
  hadnt: "hadn't",
  couldnt: "couldn't",
  wouldnt: "wouldn't",
  im: "i'm",
  ive: "i've",
};

export function normalizeWord(word: string): string {
  const w = CONTRACTIONS[word] ?? word;
  // "she's", "inhaler's": the 's (is / has / possessive) never decides a red flag.
  return w.endsWith("'s") ? w.slice(0, -2) : w;
}

/** Words a phrase may skip between two of its own words: "throat [is] closing", "lips [are] * blue". */
const FILLERS = new Set(
  "a an the my his her their our your its is are was were am be been being has have had so very really quite just all completely totally bit little even".split(
    " ",
  ),
);

const NEGATIONS = new Set(
  "no not never without denies deny denied don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't nor neither none nothing".split(
    " ",
  ),
);

/** Negation words that negate nothing here: "no longer breathing", "not sure if", "don't know what happened". */
const PSEUDO_NEGATIONS = new Set([
  "no longer",
  "no one",
  "no matter",
  "no doubt",
  "no idea",
  "not sure",
  "not only",
  "not just",
  "not certain",
  "don't know",
  "never mind",
]);

/** Words that end a negation's reach: a new subject or a conjunction starts a new thought. */
const SCOPE_STOPS = new Set(
  "but and so because though although however just only except while which who then since i i'm i've i'd me my he him his she her they them their we our you your it".split(
    " ",
  ),
);

/** Verbs after which "it" does not end a negation's reach: "don't think it's", "don't reckon it's". */
const OPINION_VERBS = new Set(["think", "believe", "reckon", "suppose", "guess", "expect"]);

/** How many words after a negation cue it reaches; each "or"/"nor" in a list reaches further. */
const NEGATION_REACH = 5;
const LIST_REACH = 3;

interface Token {
  text: string;
  stem: string;
  key: string;
  num: number | null;
  alpha: boolean;
  clause: number;
}

/** How a transcript word met a pattern word: sound-alike alone is trusted only beside a surer word. */
type Strength = "sure" | "sound-only";

interface Hit {
  length: number;
  strength: Strength;
}

const HITS = {
  sure1: { length: 1, strength: "sure" },
  sound1: { length: 1, strength: "sound-only" },
  sure2: { length: 2, strength: "sure" },
  sure3: { length: 3, strength: "sure" },
} as const satisfies Record<string, Hit>;

/** One word of a phrase's alternatives. Interned: a word used by many phrases is compared once per transcript word. */
interface Alt {
  raw: string;
  stem: string;
  key: string;
  /** `=word`: no stemming or sound-alike matching ("=burn" must not match "burning"). */
  exactOnly: boolean;
  alpha: boolean;
  /** Phrases that start with this word: a transcript is only tried at the places where one of these can begin. */
  firstOf: EnglishPhrase[];
}

type PhraseToken = { kind: "word"; alts: Alt[] } | { kind: "num"; lo: number; hi: number } | { kind: "gap" };

export interface EnglishPhrase {
  source: string;
  tokens: PhraseToken[];
  /** `!of|about ending my life`: words the phrase may not follow ("thoughts of ending my life" is not a plan). */
  notAfter: Set<string> | null;
  /** `#1..200 month|months !old`: words that may not follow it ("9 months old" is an age, not how long). */
  notBefore: Set<string> | null;
}

/** The vocabulary of every compiled phrase, shared by all rule sets in the process. */
const ALTS = new Map<string, Alt>();
const PHRASES = new Map<string, EnglishPhrase>();
const NUMBER_FIRST: EnglishPhrase[] = [];
/** Bumped when the vocabulary grows, so a transcript read earlier re-reads itself against the new words. */
let vocabularyVersion = 0;

function internAlt(raw: string, exactOnly: boolean): Alt {
  const id = `${exactOnly ? "=" : ""}${raw}`;
  let alt = ALTS.get(id);
  if (!alt) {
    alt = { raw, stem: stem(raw), key: soundKey(raw), exactOnly, alpha: /^[a-z]+$/.test(raw), firstOf: [] };
    ALTS.set(id, alt);
    vocabularyVersion++;
    WORD_MATCHES.clear(); // remembered comparisons predate this word
    JOIN_MATCHES.clear();
  }
  return alt;
}

const NUMBER_RANGE = /^#(\d+(?:\.\d+)?)?\.\.(\d+(?:\.\d+)?)?$/;

/**
 * Phrase syntax: words separated by spaces; `a|b` alternatives; `*` up to two words of anything;
 * `#lo..hi` a number in range (either end optional); `=word` exact spelling only; a first piece `!a|b`: the phrase
 * does not count right after "a" or "b"; a last piece `!a|b`: nor right before them.
 */
export function compileEnglishPhrase(source: string): EnglishPhrase {
  const known = PHRASES.get(source);
  if (known) return known;
  const pieces = source.toLowerCase().trim().split(/\s+/);
  let notAfter: Set<string> | null = null;
  if (pieces[0]?.startsWith("!")) {
    const words = pieces.shift()!.slice(1).split("|").map(normalizeWord);
    if (!words.every((w) => /^[a-z0-9']+$/.test(w))) throw new Error(`bad "!" words in phrase "${source}"`);
    if (!pieces.length) throw new Error(`phrase "${source}" has nothing after its "!" words`);
    notAfter = new Set(words);
  }
  let notBefore: Set<string> | null = null;
  if (pieces.length > 1 && pieces.at(-1)?.startsWith("!")) {
    const words = pieces.pop()!.slice(1).split("|").map(normalizeWord);
    if (!words.every((w) => /^[a-z0-9']+$/.test(w))) throw new Error(`bad "!" words in phrase "${source}"`);
    notBefore = new Set(words);
  }
  if (pieces.some((p) => p.startsWith("!"))) throw new Error(`"!" may only start or end phrase "${source}"`);
  const tokens: PhraseToken[] = pieces.map((piece): PhraseToken => {
    if (piece === "*") return { kind: "gap" };
    const range = NUMBER_RANGE.exec(piece);
    if (range) {
      return { kind: "num", lo: Number(range[1] ?? -Infinity), hi: Number(range[2] ?? Infinity) };
    }
    const alts = piece.split("|").map((a) => {
      const exactOnly = a.startsWith("=");
      const raw = normalizeWord(exactOnly ? a.slice(1) : a);
      if (!/^[a-z0-9']+$/.test(raw)) throw new Error(`bad word "${a}" in phrase "${source}"`);
      return internAlt(raw, exactOnly);
    });
    return { kind: "word", alts };
  });
  // `|` binds single words: "a lot of|lots of blood" is a lot / of|lots / of / blood, never "lots of blood". The same
  // word in neighbouring slots is the sign of that slip.
  tokens.forEach((t, k) => {
    const next = tokens[k + 1];
    if (t.kind !== "word" || next?.kind !== "word" || (t.alts.length < 2 && next.alts.length < 2)) return;
    const repeated = t.alts.find((a) => next.alts.includes(a));
    if (repeated) {
      throw new Error(
        `phrase "${source}" has "${repeated.raw}" in two neighbouring slots: "|" separates single words, so write each multi-word alternative as its own phrase`,
      );
    }
  });
  const first = tokens[0];
  if (first?.kind === "gap" || tokens.at(-1)?.kind === "gap") {
    throw new Error(`phrase "${source}" may not start or end with *`);
  }
  const phrase = { source, tokens, notAfter, notBefore };
  if (first?.kind === "num") NUMBER_FIRST.push(phrase);
  else if (first?.kind === "word") for (const alt of new Set(first.alts)) alt.firstOf.push(phrase);
  PHRASES.set(source, phrase);
  vocabularyVersion++; // transcripts read earlier must look for this phrase's starts too
  return phrase;
}

export function tokenizeEnglish(text: string): Token[] {
  const raw =
    text
      .toLowerCase()
      .replace(/[\u2018\u2019`\u00b4]/g, "'")
      .match(/\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|[.,;:!?]/g) ?? [];
  const clauses: string[][] = [[]];
  for (const r of raw) {
    if (/^[.,;:!?]$/.test(r)) clauses.push([]);
    else clauses.at(-1)!.push(r);
  }
  const tokens: Token[] = [];
  clauses.forEach((words, clause) => {
    const merged: string[] = [];
    for (const w of spokenNumbersToDigits(words.map(normalizeWord))) {
      const prev = merged.at(-1);
      // "can not" -> "can't"; "thirty eight point five" -> "38.5"
      if (w === "not" && prev === "can") merged[merged.length - 1] = "can't";
      else if (/^\d+$/.test(w) && prev === "point" && /^\d+$/.test(merged.at(-2) ?? "")) {
        merged.splice(-2, 2, `${merged.at(-2)}.${w}`);
      } else merged.push(w);
    }
    for (const w of merged) {
      const alpha = /^[a-z]+$/.test(w);
      tokens.push({
        text: w,
        stem: stem(w),
        key: alpha ? soundKey(w) : "",
        num: /^\d+(?:\.\d+)?$/.test(w) ? Number(w) : null,
        alpha,
        clause,
      });
    }
  });
  return tokens;
}

interface Join {
  text: string;
  stem: string;
  key: string;
  length: number;
}

/** Pairs and triples of neighbouring words glued back together, for words the recogniser split. */
function joinsAt(tokens: Token[], i: number): Join[] {
  const out: Join[] = [];
  const first = tokens[i]!;
  let text = first.text;
  for (let n = 2; n <= 3; n++) {
    const next = tokens[i + n - 1];
    if (!first.alpha || !next?.alpha || next.clause !== first.clause) break;
    text += next.text;
    out.push({ text, stem: stem(text), key: soundKey(text), length: n });
  }
  return out;
}

const BAG = new Int16Array(128);

/**
 * The letters one word has and the other lacks, counted with repeats, on the larger side: never more than their edit
 * distance (a transposition moves no letter), and far cheaper, so it rules most pairs out before `editDistance` runs.
 */
function bagDistance(a: string, b: string): number {
  for (let i = 0; i < a.length; i++) BAG[a.charCodeAt(i) & 127]!++;
  for (let i = 0; i < b.length; i++) BAG[b.charCodeAt(i) & 127]!--;
  let extra = 0;
  let missing = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i) & 127;
    if (BAG[c]! > 0) extra += BAG[c]!;
    BAG[c] = 0;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i) & 127;
    if (BAG[c]! < 0) missing -= BAG[c]!;
    BAG[c] = 0;
  }
  return Math.max(extra, missing);
}

/** `editDistance(a, b, max) <= max`, with the cheap lower bound tried first. */
function withinEdits(a: string, b: string, max: number): boolean {
  return bagDistance(a, b) <= max && editDistance(a, b, max) <= max;
}

function compare(alt: Alt, t: Token): Strength | null {
  if (t.text === alt.raw || (!alt.exactOnly && t.stem === alt.stem)) return "sure";
  // Sound-alikes share their first sound; checking that first keeps the edit distance off most pairs.
  if (alt.exactOnly || !alt.alpha || !t.alpha || alt.stem.length < 4 || t.key[0] !== alt.key[0]) return null;
  const len = alt.stem.length;
  // Stemming can shorten one side only ("breed" -> "bre"), so the nearer of the two length gaps counts.
  const lengthGap = Math.min(Math.abs(t.stem.length - len), Math.abs(t.text.length - alt.raw.length));
  const sameKey = t.key === alt.key;
  // Without the same sound only a typo-sized slip in a long word is allowed; most pairs stop here.
  if (lengthGap > 3 || (!sameKey && (len < 6 || lengthGap > (len >= 9 ? 2 : 1)))) return null;
  // Neither spelling test below passes with more than two slips; the bag distance says so without the full distance.
  const d = bagDistance(t.stem, alt.stem) > 2 ? 3 : editDistance(t.stem, alt.stem, 3);
  // Thresholds on the stem ("chopping" is chop, not choking's chok) and relative to its length: one slip in a short
  // word ("week" for "weak"), two only in a long one; "better" is two slips from "battery" and needs a surer neighbour.
  if ((d <= 1 && (sameKey || len >= 6)) || (d <= 2 && (len >= 9 || (sameKey && len >= 8)))) return "sure";
  // "can't breed", "hard attack": the same sound but too far in spelling to trust without a surer word beside it.
  // Short words are left out: too many share a key ("can" and "gone" are both "kn").
  return sameKey && len >= 5 && alt.key.length >= 3 && lengthGap <= 2 ? "sound-only" : null;
}

function firstVowel(word: string): string {
  return /[aeiou]/.exec(word.slice(1))?.[0] ?? "";
}

function joinedMatches(alt: Alt, join: Join): boolean {
  if (alt.exactOnly || !alt.alpha || alt.raw.length < 5) return false;
  if (join.text === alt.raw || join.stem === alt.stem) return true;
  const lengthGap = Math.abs(join.text.length - alt.raw.length);
  if (alt.raw.length < 6 || join.key[0] !== alt.key[0] || lengthGap > 2) return false;
  // A key ignores vowels, and across glued words it matches too much ("stop the" and "stabbed" are both "stpt"), so
  // the first letter and first vowel must agree too ("i think" is not "eating"); a short key ("sr" for "seizure")
  // also needs near-equal length ("sees her", not "speech is").
  const keyMatch =
    join.key === alt.key &&
    join.text[0] === alt.raw[0] &&
    firstVowel(join.text) === firstVowel(alt.raw) &&
    (alt.key.length >= 4 || lengthGap <= 1);
  // Two slips only in a long word: "and is a" is two from "angina".
  return keyMatch || withinEdits(join.text, alt.raw, alt.raw.length >= 8 ? 2 : 1);
}

/**
 * Which vocabulary words a transcript word (or glued pair) matches. Comparisons are pure, so they are remembered
 * across transcripts: people say the same few hundred words. Bounded so that odd input cannot grow it for ever.
 */
const WORD_MATCHES = new Map<string, Map<Alt, Strength>>();
const JOIN_MATCHES = new Map<string, Alt[]>();
const REMEMBER_MAX = 20_000;

function remember<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  const known = cache.get(key);
  if (known !== undefined) return known;
  if (cache.size >= REMEMBER_MAX) cache.clear();
  const value = compute();
  cache.set(key, value);
  return value;
}

/**
 * The vocabulary indexed by spelling, by stem and by first sound: `compare` and `joinedMatches` only ever match a word
 * with the same spelling or stem, or one that starts with the same sound, so a new word is compared with those alone.
 */
interface AltIndex {
  version: number;
  byRaw: Map<string, Alt[]>;
  byStem: Map<string, Alt[]>;
  byFirstSound: Map<string, Alt[]>;
}

let altIndex: AltIndex | null = null;

function indexOfAlts(): AltIndex {
  if (altIndex?.version === vocabularyVersion) return altIndex;
  const push = (m: Map<string, Alt[]>, k: string, a: Alt) => {
    const list = m.get(k);
    if (list) list.push(a);
    else m.set(k, [a]);
  };
  const index: AltIndex = { version: vocabularyVersion, byRaw: new Map(), byStem: new Map(), byFirstSound: new Map() };
  for (const alt of ALTS.values()) {
    push(index.byRaw, alt.raw, alt);
    if (alt.exactOnly) continue;
    push(index.byStem, alt.stem, alt);
    if (alt.alpha && alt.key) push(index.byFirstSound, alt.key[0]!, alt);
  }
  altIndex = index;
  return index;
}

function candidates(text: string, stemmed: string, key: string): Set<Alt> {
  const index = indexOfAlts();
  return new Set([
    ...(index.byRaw.get(text) ?? []),
    ...(index.byStem.get(stemmed) ?? []),
    ...((key && index.byFirstSound.get(key[0]!)) || []),
  ]);
}

function wordMatches(t: Token): Map<Alt, Strength> {
  return remember(WORD_MATCHES, t.text, () => {
    const out = new Map<Alt, Strength>();
    for (const alt of candidates(t.text, t.stem, t.key)) {
      const strength = compare(alt, t);
      if (strength) out.set(alt, strength);
    }
    return out;
  });
}

function joinMatches(join: Join): Alt[] {
  return remember(JOIN_MATCHES, join.text, () =>
    [...candidates(join.text, join.stem, join.key)].filter((alt) => joinedMatches(alt, join)),
  );
}

/** One transcript, tokenised once, with phrase results remembered across every rule. */
export class EnglishDoc {
  readonly tokens: Token[];
  /** Per word position: the vocabulary words that match there, and how many transcript words they take. */
  private hits: Map<Alt, Hit>[] = [];
  private starts: Map<EnglishPhrase, number[]> | null = null;
  private readonly found = new Map<EnglishPhrase, Span[]>();
  private version = -1;

  constructor(text: string) {
    this.tokens = tokenizeEnglish(text);
  }

  /** Where the phrase occurs, negated occurrences left out. */
  find(phrase: EnglishPhrase): Span[] {
    if (this.version !== vocabularyVersion) this.read();
    const known = this.found.get(phrase);
    if (known) return known;
    const spans: Span[] = [];
    for (const i of this.startsOf(phrase)) {
      if (phrase.notAfter?.has(this.tokens[i - 1]?.text ?? "")) continue;
      const end = this.matchAt(phrase, 0, i, this.tokens[i]!.clause, 0, 0);
      if (end <= i || this.negated(i)) continue;
      if (phrase.notBefore?.has(this.tokens[end]?.text ?? "")) continue;
      spans.push({ start: i, end });
    }
    this.found.set(phrase, spans);
    return spans;
  }

  private read(): void {
    this.hits = this.tokens.map((t, i) => {
      const at = new Map<Alt, Hit>();
      for (const [alt, strength] of wordMatches(t)) at.set(alt, strength === "sure" ? HITS.sure1 : HITS.sound1);
      for (const join of joinsAt(this.tokens, i)) {
        for (const alt of joinMatches(join)) if (!at.has(alt)) at.set(alt, join.length === 2 ? HITS.sure2 : HITS.sure3);
      }
      return at;
    });
    this.starts = null;
    this.found.clear();
    this.version = vocabularyVersion;
  }

  clauseOf(index: number): number {
    return this.tokens[Math.min(index, this.tokens.length - 1)]?.clause ?? 0;
  }

  describe(span: Span): string {
    return this.tokens
      .slice(span.start, span.end)
      .map((t) => t.text)
      .join(" ");
  }

  /** Positions where the phrase's first word matches, for every phrase at once. */
  private startsOf(phrase: EnglishPhrase): number[] {
    if (!this.starts) {
      const starts = new Map<EnglishPhrase, number[]>();
      const add = (p: EnglishPhrase, i: number) => {
        const list = starts.get(p);
        if (!list) starts.set(p, [i]);
        else if (list.at(-1) !== i) list.push(i);
      };
      this.tokens.forEach((t, i) => {
        for (const alt of this.hits[i]!.keys()) for (const p of alt.firstOf) add(p, i);
        if (t.num !== null) for (const p of NUMBER_FIRST) add(p, i);
      });
      this.starts = starts;
    }
    return this.starts.get(phrase) ?? [];
  }

  /** End (exclusive) of a match of phrase tokens k.. starting at word i, or -1. */
  private matchAt(p: EnglishPhrase, k: number, i: number, clause: number, sure: number, soundOnly: number): number {
    if (k === p.tokens.length) return soundOnly > 0 && sure === 0 ? -1 : i;
    const pt = p.tokens[k]!;
    // Between two words of the phrase, up to two filler words may be skipped.
    let last = i;
    while (k > 0 && last < i + 2 && FILLERS.has(this.tokens[last]?.text ?? "")) last++;
    for (let s = i; s <= last; s++) {
      if (pt.kind === "gap") {
        for (let g = 0; g <= 2; g++) {
          const end = this.matchAt(p, k + 1, s + g, clause, sure, soundOnly);
          if (end >= 0) return end;
        }
        continue;
      }
      const t = this.tokens[s];
      if (!t || t.clause !== clause) continue;
      if (pt.kind === "num") {
        if (t.num !== null && t.num >= pt.lo && t.num <= pt.hi) {
          const end = this.matchAt(p, k + 1, s + 1, clause, sure + 1, soundOnly);
          if (end >= 0) return end;
        }
        continue;
      }
      for (const alt of pt.alts) {
        const h = this.hits[s]!.get(alt);
        if (!h) continue;
        const isSure = h.strength === "sure";
        const end = this.matchAt(p, k + 1, s + h.length, clause, sure + +isSure, soundOnly + +!isSure);
        if (end >= 0) return end;
      }
    }
    return -1;
  }

  /** True when a negation cue earlier in the clause reaches the word at `start`. */
  private negated(start: number): boolean {
    const clause = this.tokens[start]!.clause;
    let reach = NEGATION_REACH;
    for (let j = start - 1; j >= 0 && reach > 0; j--) {
      const t = this.tokens[j]!;
      if (t.clause !== clause) return false;
      if (NEGATIONS.has(t.text) && !PSEUDO_NEGATIONS.has(`${t.text} ${this.tokens[j + 1]?.text}`)) return true;
      if (t.text === "or" || t.text === "nor") reach += LIST_REACH;
      // "I don't think it's a heart attack": the negation reaches through "it" after a verb of opinion.
      else if (t.text === "it" && OPINION_VERBS.has(this.tokens[j - 1]?.text ?? "")) reach++;
      else if (SCOPE_STOPS.has(t.text)) return false;
      reach--;
    }
    return false;
  }
}
