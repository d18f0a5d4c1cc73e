/**
 * Is an answer fit to be said aloud by the avatar? A check on the finished answer text (as the text-to-speech
 * stage receives it, citation markers aside) for what sounds broken when spoken: a sentence said twice, a
 * fragment that starts or stops mid-sentence, page furniture (web addresses, page numbers, bullet glyphs, table
 * rules, markup) and an answer that cites more than two documents. No network, no model: cheap enough for unit
 * tests of the answer composer and for every question of an evaluation set.
 */

export type SpeakabilityRule =
  | "empty"
  | "repeated-sentence"
  | "lowercase-start"
  | "continuation-start"
  | "punctuation-start"
  | "no-terminal-punctuation"
  | "colon-end"
  | "dangling-end"
  | "unbalanced-bracket"
  | "url"
  | "web-address"
  | "page-number"
  | "bullet-glyph"
  | "heading-run-in"
  | "table-debris"
  | "markup"
  | "too-many-documents";

export type SpeakabilityKind = "empty" | "repeated" | "fragment" | "furniture" | "citations";

export interface SpeakabilityIssue {
  kind: SpeakabilityKind;
  rule: SpeakabilityRule;
  /** The offending sentence or snippet, for a person to read. */
  detail: string;
}

export interface SpeakabilityOptions {
  /**
   * Words that start a sentence in lower case by right (product and command names). A first word that looks like
   * an identifier (a digit, a dot, a slash, an @ or an inner capital: `package.json`, `iOS`) is always accepted.
   */
  lowercaseWords?: readonly string[];
  /** Most distinct documents one spoken answer may cite. */
  maxDocuments?: number;
}

/** Lower-case names that may open a sentence. Kept short and general: names that are always written in lower case. */
export const DEFAULT_LOWERCASE_WORDS: readonly string[] = ["npm", "npx", "pnpm", "yarn", "git"];

const RULE_KIND: Record<SpeakabilityRule, SpeakabilityKind> = {
  empty: "empty",
  "repeated-sentence": "repeated",
  "lowercase-start": "fragment",
  "continuation-start": "fragment",
  "punctuation-start": "fragment",
  "no-terminal-punctuation": "fragment",
  "colon-end": "fragment",
  "dangling-end": "fragment",
  "unbalanced-bracket": "fragment",
  url: "furniture",
  "web-address": "furniture",
  "page-number": "furniture",
  "bullet-glyph": "furniture",
  "heading-run-in": "furniture",
  "table-debris": "furniture",
  markup: "furniture",
  "too-many-documents": "citations",
};

/** Citation markers as the answer engines write them: "[2]", "[1, 3]", "[1，3]". */
const CITATION = /\s*\[\d+(?:\s*[,，、]\s*\d+)*\]/g;

/** Abbreviations whose full stop does not end a sentence when lower case or a digit follows. */
const ABBREVIATIONS = new Set([
  "e.g",
  "i.e",
  "etc",
  "vs",
  "cf",
  "al",
  "approx",
  "dr",
  "mr",
  "mrs",
  "ms",
  "prof",
  "st",
  "no",
  "fig",
  "inc",
  "ltd",
  "jr",
  "sr",
  "a.m",
  "p.m",
  "u.s",
  "u.k",
]);

/** Words that continue a sentence and cannot open one that stands alone. */
const CONTINUATIONS = /^(?:and|or|nor|whereas|whereby|than|such as|as well as|including)\b/i;
/** Relative words that open a continuation unless the sentence is a question. */
const RELATIVES = /^(?:which|whose|whom)\b/i;
/** A sentence ending on one of these words was cut off, whatever full stop follows it. */
const DANGLING = /\b(?:a|an|the|and|or|nor|than|your|their|its|our|such as|including)\s*[.!?]$/i;
/**
 * A heading run into the text it heads ("Common Symptoms The most common symptoms are…", "Symptoms of Glaucoma
 * Glaucoma can…"): a capitalised word, no punctuation, then a word that is capitalised only when it opens a sentence.
 */
const HEADING_RUN_IN =
  /\p{Lu}[\p{L}'’]*\s+(?:The|Some|Most|Many|These|This|Those|Another|If|It|There|Your|You|They|We|When)\s+\p{Ll}/u;
const REPEATED_CAPITAL = /(?<![\p{L}-])(\p{Lu}\p{Ll}+)\s+\1(?![\p{L}-])/u;
const TERMINAL = /[.!?…。！？]$/;
const CLOSERS = /["'”’»)\]]+$/;

/** The answer cut into the sentences a listener hears, citation markers removed. */
export function spokenSentences(answer: string): string[] {
  const text = answer.replace(CITATION, "").replace(/\r\n?/g, "\n");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const sentences: string[] = [];
    for (const piece of line.split(/(?<=[.!?…]["'”’»)\]]*)\s+|(?<=[。！？])/)) {
      const p = piece.trim();
      if (!p) continue;
      const prev = sentences[sentences.length - 1];
      // "e.g. a rash", "Dr. smith": that stop belongs to an abbreviation, it does not end a sentence.
      if (prev !== undefined && /^[\p{Ll}\d]/u.test(p) && endsWithAbbreviation(prev))
        sentences[sentences.length - 1] = `${prev} ${p}`;
      else sentences.push(p);
    }
    out.push(...sentences);
  }
  return out;
}

function endsWithAbbreviation(sentence: string): boolean {
  const m = /(?:^|\s)\(?([\p{L}.]+)\.$/u.exec(sentence);
  if (!m) return false;
  const word = m[1]!.toLowerCase();
  return ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word) || /^(?:\p{L}\.)+\p{L}$/u.test(word);
}

/** Everything that would sound wrong if the answer were said aloud as it stands. */
export function speakabilityIssues(
  answer: string,
  citations: readonly { docId: string }[] = [],
  options: SpeakabilityOptions = {},
): SpeakabilityIssue[] {
  const issues: SpeakabilityIssue[] = [];
  const add = (rule: SpeakabilityRule, detail: string) => issues.push({ kind: RULE_KIND[rule], rule, detail });
  const lowercaseOk = new Set((options.lowercaseWords ?? DEFAULT_LOWERCASE_WORDS).map((w) => w.toLowerCase()));
  const maxDocuments = options.maxDocuments ?? 2;

  const sentences = spokenSentences(answer);
  if (!sentences.length) add("empty", "nothing to say");

  // Said twice: the same sentence again, or a whole sentence of five words or more inside another.
  const keys = sentences.map(sentenceKey);
  keys.forEach((key, i) => {
    if (!key) return;
    const words = key.split(" ").length;
    const twice = keys.some(
      (other, j) =>
        j !== i &&
        (other === key ? j < i : words >= 5 && other.length > key.length && ` ${other} `.includes(` ${key} `)),
    );
    if (twice) add("repeated-sentence", sentences[i]!);
  });

  for (const s of sentences) {
    const start = s.replace(/^["'“‘«(]+/, "");
    const firstWord = /^\S+/.exec(start)?.[0] ?? "";
    const bareWord = firstWord.replace(/[,;:.!?'"’”)]+$/, "");
    // A list item said as a sentence, or a list run into one ("include: - a cough - a fever - …").
    const listItem = /^[-*+]\s/.test(start);
    if (listItem || /:\s+[-*+]\s+\S/.test(s) || (s.match(/\s[-*+]\s+\S/g)?.length ?? 0) >= 3) add("bullet-glyph", s);
    if (listItem) {
      // reported as a bullet
    } else if (/^[,;:.)\]}–—-]/.test(start) && !/^-?\d/.test(start)) add("punctuation-start", s);
    else if (/^\p{Ll}/u.test(start) && !identifierLike(bareWord) && !lowercaseOk.has(bareWord.toLowerCase()))
      add("lowercase-start", s);
    else if (CONTINUATIONS.test(start) || (RELATIVES.test(start) && !/\?["'”’)]*$/.test(s)))
      add("continuation-start", s);

    const end = s.replace(CLOSERS, "");
    if (/[:：]$/.test(end)) add("colon-end", s);
    else if (!TERMINAL.test(end)) add("no-terminal-punctuation", s);
    else if (DANGLING.test(end)) add("dangling-end", s);

    if (!balanced(s)) add("unbalanced-bracket", s);
    if (HEADING_RUN_IN.test(s) || REPEATED_CAPITAL.test(s)) add("heading-run-in", s);
    if (/^\d+$/.test(s.replace(/[.\s]/g, ""))) add("page-number", s);
  }

  // Page furniture, anywhere in the answer (once per rule).
  let text = answer.replace(CITATION, "");
  const furniture: [SpeakabilityRule, RegExp][] = [
    ["url", /\b(?:https?|ftp):\/\/\S+/i],
    ["web-address", /(?<![@\w.-])www\.[\w-]+(?:\.[\w-]+)+\S*/i],
    [
      "web-address",
      /(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|gov|edu|int|mil|io|info|dev|app|co|uk|us|eu)\/[^\s,;)]*/i,
    ],
    ["page-number", /\bpage\s+\d+\s*(?:of|\/)\s*\d+\b/i],
    ["bullet-glyph", /[•▪◦●■□◆◇►▸‣⁃∙]|[\uE000-\uF8FF]/],
    ["bullet-glyph", /(?:^|[\s:;])o\s+(?=\p{L})/mu],
    ["table-debris", /\|\s*:?-{3,}|-{3,}\s*:?\|/],
    ["table-debris", /\|[^|\n]*\|[^|\n]*\|/],
    // A table row left as data: ["Remove members", "X", "", ""],
    ["table-debris", /\[\s*"[^"\n]*"\s*(?:,\s*"[^"\n]*"\s*)+\]/],
    ["table-debris", /(?:^|\s)(?:-{3,}|={3,}|_{3,})(?:\s|$)/],
    ["markup", /<\/?[A-Za-z][\w.-]*(?:\s[^<>]*)?\/?>|<\/?>/],
    ["markup", /\{[^{}\n]*\}|\]\(|\[[^\]\n]*\]\[[^\]\n]*\]|`|\*\*|__|(?:^|\n)\s*#{1,6}\s/],
    // A stray angle bracket opening a sentence: what is left of a component tag.
    ["markup", /(?:^|[.!?]\s+)[<>]\s/],
  ];
  const seen = new Set<SpeakabilityRule>();
  for (const [rule, re] of furniture) {
    if (seen.has(rule)) continue;
    const m = re.exec(text);
    if (!m) continue;
    seen.add(rule);
    add(rule, snippet(text, m.index, m[0].length));
    // A full URL is one problem, not also a web address inside it.
    if (rule === "url") text = text.replace(new RegExp(re.source, "gi"), " ");
  }

  const docs = [...new Set(citations.map((c) => c.docId))];
  if (docs.length > maxDocuments) add("too-many-documents", `cites ${docs.length} documents: ${docs.join(", ")}`);
  return issues;
}

/** The problems as short lines ("rule: detail"); an empty list means the answer is fit to be said aloud. */
export function speakabilityProblems(
  answer: string,
  citations: readonly { docId: string }[] = [],
  options: SpeakabilityOptions = {},
): string[] {
  return speakabilityIssues(answer, citations, options).map((i) => `${i.rule}: ${i.detail}`);
}

function sentenceKey(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

function identifierLike(word: string): boolean {
  return /[\d./\\_@]/.test(word) || /^\p{Ll}+\p{Lu}/u.test(word);
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === "(") depth++;
    else if (ch === ")") {
      // A closing bracket with nothing open: the sentence began inside a parenthesis, or "1)" numbers a list item.
      if (depth === 0) return false;
      depth--;
    }
  }
  return depth === 0;
}

function snippet(text: string, index: number, length: number): string {
  const from = Math.max(0, index - 30);
  const to = Math.min(text.length, index + length + 30);
  return `${from > 0 ? "…" : ""}${text.slice(from, to).replace(/\s+/g, " ").trim()}${to < text.length ? "…" : ""}`;
}
