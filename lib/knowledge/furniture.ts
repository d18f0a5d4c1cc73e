import { splitSentences } from "@/lib/speech/sentences";
import type { Section } from "./loaders";

/**
 * Removes what is on a page but not part of the text, before anything is split, embedded or said: running headers
 * and footers repeated on most pages, page numbers, web addresses, source and review footers, table rules, and the
 * bullet glyphs of PDF lists (which become "- " items like every other list). PDF lines wrapped mid-sentence are
 * joined, so a sentence is one line again. Retrieval and every answer engine then see clean text.
 */
export function removePageFurniture(sections: Section[], format: string): Section[] {
  const pdf = format === "pdf";
  const repeated = pdf ? runningLines(sections) : new Set<string>();
  const width = pdf ? lineWidth(sections) : 0;
  return sections
    .map((s) => ({ ...s, text: unflatten(cleanText(s.text, repeated, width)) }))
    .filter((s) => s.text.trim().length > 0);
}

const BULLET = /^\s*(?:[•▪◦●■□➢►‣⁃∙·○\uf0b7\uf0a7\uf0d8\uf076]|o(?=\s+\S))\s+/u;
const NUMBERED = /^\s*(?:\d{1,2}[.)]|[a-z][.)])\s+/;
const PAGE_NUMBER = /^\s*(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?(?:\s*[-–—])?\s*$/i;
const URL =
  /\b(?:https?:\/\/|www\.)[^\s)\]>]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov|org|com|net|nhs\.uk|edu|io)(?:\/[^\s)\]>]*)?/gi;
const FOOTER =
  /^\s*(?:sources?|last (?:reviewed|updated|modified)|page last (?:reviewed|updated)|next review(?: due)?|reviewed by|copyright|©|all rights reserved|printed from|retrieved from|for more information,? (?:see|visit))\b/i;
const TABLE_RULE = /^\s*[|+:\-–—=_\s]{3,}\s*$/;
/** A line that ends where a sentence, a heading or a list intro ends. */
const ENDS = /[.!?:;。！？；：)"”]\s*$/;

/** Lines (digits ignored) found on at least half the pages of a document of three pages or more. */
function runningLines(sections: Section[]): Set<string> {
  const pages = new Map<number, Set<string>>();
  for (const s of sections) {
    if (s.page == null) continue;
    const seen = pages.get(s.page) ?? new Set<string>();
    for (const line of s.text.split("\n")) {
      const key = lineKey(line);
      if (key) seen.add(key);
    }
    pages.set(s.page, seen);
  }
  if (pages.size < 3) return new Set();
  const counts = new Map<string, number>();
  for (const seen of pages.values()) for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n >= Math.max(3, pages.size / 2)).map(([k]) => k));
}

function lineKey(line: string): string {
  const t = line.trim().toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, " ");
  return t.length >= 3 && t.length <= 120 ? t : "";
}

/** A sentence that exists to send the reader to an address ("Read more at …") goes with the address. */
const POINTER =
  /\b(?:read|find out|learn) more\b|\b(?:see|visit|go to|check)\b|\bavailable (?:at|from|on)\b|\bfor (?:more )?(?:information|details)\b|\bopens in a new\b/i;

function withoutAddresses(line: string): string {
  if (!line.match(URL)) return line;
  return splitSentences(line, "en")
    .filter((sentence) => !(sentence.match(URL) && POINTER.test(sentence)))
    .map((sentence) =>
      sentence
        .replace(URL, "")
        .replace(/\(\s*\)|\[\s*\]|<\s*>/g, "")
        .replace(/\s+([.,;:!?])/g, "$1"),
    )
    .join(" ");
}

/** The length of a full line of the document's text block (PDF lines that reach it were wrapped there). */
function lineWidth(sections: Section[]): number {
  const lengths = sections.flatMap((s) => s.text.split("\n").map((l) => l.trim().length)).filter((n) => n > 0);
  lengths.sort((a, b) => a - b);
  return lengths[Math.floor(lengths.length * 0.9)] ?? 0;
}

/** `width` > 0: the text comes from a PDF whose lines were wrapped at about that many characters. */
function cleanText(text: string, repeated: Set<string>, width: number): string {
  const wrapped = width > 0;
  const full = (line: string) => wrapped && line.length >= width * 0.75;
  const lines: string[] = [];
  let listContext = false;
  for (const raw of text.split("\n")) {
    if (repeated.has(lineKey(raw)) || PAGE_NUMBER.test(raw) || TABLE_RULE.test(raw) || FOOTER.test(raw)) continue;
    let line = withoutAddresses(raw)
      .replace(/[ \t]+/g, " ")
      .trimEnd();
    const bullet = BULLET.exec(line);
    // "o" starts a sub-list item in PDFs made from Word, but only trust it where a list is already going.
    if (bullet && (bullet[0].trim() !== "o" || listContext)) line = `- ${line.slice(bullet[0].length)}`;
    if (!line.trim()) {
      lines.push("");
      listContext = false;
      continue;
    }
    const item = line.startsWith("- ") || NUMBERED.test(line);
    const prev = lines.at(-1);
    // A PDF line that does not end a sentence continues on the next line when that one starts in lower case or the
    // line ran to the full width (unless the next starts a list item).
    if (wrapped && prev && !item && !ENDS.test(prev) && (full(prev) || /^\s*[\p{Ll}\p{N}(]/u.test(line))) {
      lines[lines.length - 1] =
        prev.endsWith("-") && /^\s*\p{Ll}/u.test(line) ? prev.slice(0, -1) + line.trim() : `${prev} ${line.trim()}`;
      continue;
    }
    if (prev && !item && listContext && full(prev) && !ENDS.test(prev) && prev.startsWith("- ")) {
      lines[lines.length - 1] = `${prev} ${line.trim()}`;
      continue;
    }
    lines.push(line);
    listContext = item;
  }
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Minor words a Title Case heading may hold in lower case. */
const MINOR = new Set("a an and at by for from in into of on or the to with your you vs".split(" "));
const SENTENCE_OPENERS = new Set(
  "the a an most some many if when you your it its this these there their they people in for to after before during although because while what why how each all any no one two several we our doctors".split(
    " ",
  ),
);
const CAPITALISED = /^[A-Z][\w'’-]*[,:]?$|^[A-Z]{2,}s?$/;

/**
 * Text from pages that were flattened into one paragraph (common in scraped health and help pages): a heading run
 * into its paragraph ("Common Symptoms The most common symptoms are…") goes on a line of its own; an inline list
 * ("include - a cough - wheezing.") becomes one item a line, and the same items repeated after it without dashes
 * (a copy the scraper left) are dropped; "(Watch the video…)" page instructions go.
 */
function unflatten(text: string): string {
  const lines = text.split("\n").flatMap((line) => {
    if (line.startsWith("- ")) return [line];
    const out = line.replace(/\((?:[^()]|\([^()]*\))*\)\s*/g, (m) =>
      /\b(?:watch|video|click|enlarge)\b/i.test(m) ? "" : m,
    );
    return splitInlineList(out)
      .split("\n")
      .flatMap((l) => (l.startsWith("- ") ? [l] : runInHeadings(l)));
  });
  return dropListCopies(lines).join("\n");
}

/** Headings run into a paragraph, at its start or after a sentence, each put on a line of its own. */
function runInHeadings(line: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const sentence of splitSentences(line, "en")) {
    const split = splitRunInHeading(sentence);
    if (split === sentence) {
      current += current ? ` ${sentence}` : sentence;
      continue;
    }
    if (current) out.push(current);
    const [heading, rest] = split.split("\n") as [string, string];
    out.push(heading);
    current = rest;
  }
  if (current) out.push(current);
  return out.length ? out : [line];
}

/**
 * A list followed by the same items again without dashes ("- a\n- b. a b. More text."): the copy is dropped and
 * the text after it becomes a line of its own.
 */
function dropListCopies(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]!);
    if (!lines[i]!.startsWith("- ") || lines[i + 1]?.startsWith("- ")) continue;
    let start = i;
    while (start > 0 && lines[start - 1]!.startsWith("- ")) start--;
    const items = lines.slice(start, i + 1).map((l) => l.slice(2).trim());
    const last = items.at(-1)!;
    const first = items[0]!.replace(/\.$/, "");
    const copyAt = items.length > 1 ? last.indexOf(first) : -1;
    if (copyAt <= 0) continue;
    const lastItem = last.slice(0, copyAt).trim().replace(/\.$/, "");
    const end = last.indexOf(lastItem, copyAt);
    const tail = end >= 0 ? last.slice(end + lastItem.length).replace(/^\.?\s*/, "") : "";
    out[out.length - 1] = `- ${lastItem}`;
    if (tail) out.push(...runInHeadings(tail));
  }
  return out;
}

/** One-word headings that health and help pages run into their paragraphs. */
const SECTION_WORDS = new Set(
  "overview symptoms causes treatment treatments diagnosis prevention outlook summary introduction background".split(
    " ",
  ),
);

function splitRunInHeading(line: string): string {
  const words = line.split(" ");
  for (let k = Math.min(8, words.length - 3); k >= 1; k--) {
    const head = words.slice(0, k);
    const next = words[k]!;
    const after = words[k + 1]!;
    const titled = head.every((w) => CAPITALISED.test(w) || MINOR.has(w)) && CAPITALISED.test(head[0]!);
    if (!titled || MINOR.has(head.at(-1)!) || /[.!?:,]$/.test(head.at(-1)!)) continue;
    if (!/^[A-Z]/.test(next) || !/^[a-z]/.test(after)) continue;
    // The sentence after it opens the way sentences do or repeats the heading's subject, or the heading is long
    // enough not to be a name ("Diagnosis Can Be Difficult Balance disorders…"), or a section word stands alone.
    const main = head.filter((w) => !MINOR.has(w)).length;
    const opens = SENTENCE_OPENERS.has(next.toLowerCase()) || head.some((w) => w.toLowerCase() === next.toLowerCase());
    if ((main >= 2 && opens) || main >= 4 || (k === 1 && SECTION_WORDS.has(head[0]!.toLowerCase()))) {
      return `${head.join(" ")}\n${words.slice(k).join(" ")}`;
    }
  }
  return line;
}

/** Where an inline list separates its items: " - ", or "-" glued to the item before ("blurred vision- confusion"). */
const INLINE_DASH = /\s+-\s+|(?<=[\p{L})])-\s+(?=\p{Ll})/u;

function splitInlineList(line: string): string {
  const m = /^(.*?\S)\s+-\s+(.+)$/.exec(line);
  if (!m) return line;
  const intro = m[1]!;
  const rest = m[2]!;
  // A dash or two in prose is punctuation; a list has an introduction that asks for one, or several items.
  const asksForList = /(?::|\b(?:include|includes|including|are|is|such as|following|these|may have|like))$/i.test(
    intro,
  );
  if (!asksForList && rest.split(INLINE_DASH).length < 3) return line;
  // Scraped pages repeat the items without dashes right after the list: where that copy starts, the list ended.
  const first = rest.split(INLINE_DASH)[0]!.trim().replace(/\.$/, "");
  const copyAt = rest.indexOf(first.slice(0, 40), first.length);
  let items: string[];
  let tail: string;
  if (copyAt > 0 && first.length >= 3) {
    items = rest.slice(0, copyAt).split(INLINE_DASH);
    const lastItem = items.at(-1)!.trim().replace(/\.$/, "");
    const end = rest.indexOf(lastItem, copyAt);
    tail = end >= 0 ? rest.slice(end + lastItem.length).replace(/^\.?\s*/, "") : "";
  } else {
    // Without a copy, the list ends at the first full stop.
    const stop = rest.search(/\.(\s|$)/);
    items = (stop >= 0 ? rest.slice(0, stop) : rest).split(INLINE_DASH);
    tail = stop >= 0 ? rest.slice(stop + 1).trim() : "";
  }
  const clean = items.map((x) => x.trim().replace(/\.$/, "")).filter(Boolean);
  const lead = /[:]$/.test(intro) ? intro : `${intro}:`;
  return [lead, ...clean.map((x) => `- ${x}`), ...(tail ? [unflatten(tail)] : [])].join("\n");
}
