import type { Lang } from "@/lib/persona/persona";

/**
 * The one sentence splitter: the answer composer, the turn (which speaks each sentence as soon as it is complete)
 * and speech synthesis all cut text here, so they agree on where a sentence ends. It starts from the Unicode
 * sentence rules (`Intl.Segmenter`: decimals, "e.g. a", quoted questions) and adds what those rules do not know:
 * abbreviations before a capital ("Dr. Patel"), citation markers that belong to the sentence before them ("[2]"),
 * and Chinese clauses cut at "；" to keep spoken pieces short.
 */

const segmenters = new Map<string, Intl.Segmenter>();
function segmenter(lang: Lang): Intl.Segmenter {
  let s = segmenters.get(lang);
  if (!s) {
    s = new Intl.Segmenter(lang === "zh" ? "zh" : "en", { granularity: "sentence" });
    segmenters.set(lang, s);
  }
  return s;
}

/** Words before a full stop that does not end the sentence, even when a capital follows. */
const ABBREVIATION =
  /(?:(?:^|[\s(])(?:e\.g|i\.e|etc|approx|vs|Dr|Mr|Mrs|Ms|St|No|Fig|min|mins|hr|hrs|Prof|Inc|Ltd|Co|a\.m|p\.m|[A-Z])|(?:[A-Z]\.){1,}[A-Z])\.\)?\s*$/;
const CITATION = /\s*\[\d+(?:[,，、]\s*\d+)*\]/g;

/**
 * Sentence pieces of one line, each with its trailing space, in order (nothing dropped, nothing trimmed). Citation
 * markers are taken out before segmenting and put back on the sentence they follow, so "[2]" never starts one.
 */
function rawSegments(line: string, lang: Lang): string[] {
  let stripped = "";
  const origin: number[] = []; // origin[i]: index in `line` of stripped[i]
  let at = 0;
  for (const m of line.matchAll(CITATION)) {
    for (let i = at; i < m.index; i++) origin.push(i);
    stripped += line.slice(at, m.index);
    at = m.index + m[0].length;
  }
  for (let i = at; i < line.length; i++) origin.push(i);
  stripped += line.slice(at);

  const pieces: string[] = [];
  for (const { segment } of segmenter(lang).segment(stripped)) {
    const prev = pieces.at(-1);
    // "Dr. Patel" and a Chinese question quoted inside a sentence ("点击“忘记密码？”然后…") do not end it.
    if (
      prev !== undefined &&
      (ABBREVIATION.test(prev) || (/[？！?!]["”’」』]\s*$/.test(prev) && /^[\u3400-\u9fff]/.test(segment)))
    ) {
      pieces[pieces.length - 1] = prev + segment;
    } else pieces.push(segment);
  }
  const out: string[] = [];
  let from = 0;
  let end = 0;
  for (const piece of pieces) {
    end += piece.length;
    const to = end < stripped.length ? origin[end]! : line.length;
    out.push(line.slice(from, to));
    from = to;
  }
  if (!pieces.length && line) out.push(line);
  if (lang === "zh") return out.flatMap((x) => x.split(/(?<=；)/));
  return out;
}

/** Sentences of `text`, trimmed, each with its closing punctuation; line breaks always end a sentence. */
export function splitSentences(text: string, lang: Lang): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => rawSegments(line, lang))
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/**
 * Cuts a streaming answer into sentences as soon as each is complete, so the first can be spoken while the rest
 * is still being written. A sentence is complete once the text after it starts another one; a citation marker
 * arriving just after its stop stays on it.
 */
export class SentenceBuffer {
  private text = "";

  constructor(private readonly lang: Lang = "en") {}

  push(delta: string): string[] {
    this.text += delta;
    const lines = this.text.split("\n");
    const out: string[] = [];
    // Whole lines before the last one are complete.
    for (const line of lines.slice(0, -1)) out.push(...splitSentences(line, this.lang));
    const last = lines.at(-1) ?? "";
    const pieces = rawSegments(last, this.lang);
    // The last piece may still grow; so may the one before it while only whitespace or a citation follows.
    let keep = pieces.length - 1;
    if (keep > 0 && !/[\p{L}\p{N}]/u.test(pieces[keep]!.replace(/\[\d+[^\]]*\]/g, ""))) keep--;
    const done = pieces.slice(0, Math.max(0, keep));
    out.push(...done.map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s)));
    this.text = pieces.slice(Math.max(0, keep)).join("");
    return out;
  }

  /** Whatever is left when the answer ends. */
  flush(): string[] {
    const rest = splitSentences(this.text, this.lang);
    this.text = "";
    return rest;
  }
}
