import "server-only";
import { readFile, writeFile } from "node:fs/promises";

const DEFAULT_DICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
/** Absolute discount taken from every seen bigram and given to the unigram backoff (Kneser-Ney's usual 0.5-0.8). */
const DISCOUNT = 0.7;
/** Pseudo-count of each dictionary word the texts never use, so the vocabulary stays open within the model. */
const UNSEEN = 0.1;

const dictionaries = new Map<string, Promise<Set<string>>>();

/** Words the pronunciation dictionary can say; only these can go into the language model. */
function dictionaryWords(dict: string): Promise<Set<string>> {
  let words = dictionaries.get(dict);
  if (!words) {
    words = readFile(dict, "utf8").then(
      (text) => new Set(text.split("\n").map((l) => l.slice(0, l.indexOf(" ")).replace(/\(\d+\)$/, ""))),
    );
    dictionaries.set(dict, words);
  }
  return words;
}

function sentences(text: string): string[][] {
  return text
    .toLowerCase()
    .split(/[.!?;:\n]+/)
    .map((s) => s.match(/[a-z][a-z']*/g) ?? [])
    .filter((s) => s.length > 0);
}

const log10 = (p: number) => Math.log10(p).toFixed(4);

export interface LanguageModelOptions {
  /** Pronunciation dictionary the decoder uses (`-dict`); default Debian's cmudict. */
  dict?: string;
  /** Words always in the model even when the texts lack them (short replies, numbers spoken as words). */
  extraWords?: string[];
}

/**
 * A unigram + bigram ARPA language model of a persona's documents, for pocketsphinx's `-lm`. The general en-us
 * model rarely guesses domain words ("dashwood", "triage"); a model of the persona's own text makes them likely.
 * Words outside the pronunciation dictionary are dropped (the decoder could not say them anyway).
 */
export async function buildPersonaLanguageModel(texts: string[], options: LanguageModelOptions = {}): Promise<string> {
  const known = await dictionaryWords(options.dict ?? DEFAULT_DICT);
  const unigrams = new Map<string, number>();
  const bigrams = new Map<string, Map<string, number>>();
  const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const text of texts) {
    for (const sentence of sentences(text)) {
      const words = ["<s>", ...sentence.filter((w) => known.has(w)), "</s>"];
      if (words.length === 2) continue;
      for (let i = 0; i < words.length; i++) {
        count(unigrams, words[i]!);
        if (i === 0) continue;
        const next = bigrams.get(words[i - 1]!) ?? new Map<string, number>();
        bigrams.set(words[i - 1]!, count(next, words[i]!));
      }
    }
  }
  for (const w of options.extraWords ?? []) {
    if (known.has(w.toLowerCase()) && !unigrams.has(w.toLowerCase())) unigrams.set(w.toLowerCase(), 0);
  }
  if (unigrams.size === 0) throw new Error("persona language model: the texts have no words the dictionary knows");

  // <s> is never predicted; the others share the mass, with a pseudo-count for words listed but unseen.
  const vocab = [...unigrams.keys()].filter((w) => w !== "<s>");
  const total = vocab.reduce((n, w) => n + Math.max(UNSEEN, unigrams.get(w)!), 0);
  const uni = new Map(vocab.map((w) => [w, Math.max(UNSEEN, unigrams.get(w)!) / total]));

  const uniLines: string[] = [];
  const biLines: string[] = [];
  for (const w of ["<s>", ...vocab]) {
    const followers = bigrams.get(w);
    let backoff = "";
    if (followers) {
      const n = [...followers.values()].reduce((a, b) => a + b, 0);
      let seenUni = 0;
      for (const [next, c] of followers) {
        biLines.push(`${log10((c - DISCOUNT) / n)} ${w} ${next}`);
        seenUni += uni.get(next) ?? 0;
      }
      // The discounted mass, spread over the words never seen after `w` in proportion to their unigram.
      const freed = (DISCOUNT * followers.size) / n;
      backoff = ` ${seenUni < 1 ? log10(freed / (1 - seenUni)) : "-99.0000"}`;
    }
    uniLines.push(`${w === "<s>" ? "-99.0000" : log10(uni.get(w)!)} ${w}${backoff}`);
  }
  return [
    "\\data\\",
    `ngram 1=${uniLines.length}`,
    `ngram 2=${biLines.length}`,
    "",
    "\\1-grams:",
    ...uniLines,
    "",
    "\\2-grams:",
    ...biLines,
    "",
    "\\end\\",
    "",
  ].join("\n");
}

/** Builds the model and writes it where `PocketsphinxOptions.lm` can point. */
export async function writePersonaLanguageModel(
  file: string,
  texts: string[],
  options?: LanguageModelOptions,
): Promise<void> {
  await writeFile(file, await buildPersonaLanguageModel(texts, options));
}
