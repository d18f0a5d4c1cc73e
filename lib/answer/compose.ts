import { coverage, type ExpandedQuery, passageTerms } from "@/lib/knowledge/query";
import { hasCjk } from "@/lib/knowledge/text";
import type { Lang } from "@/lib/persona/persona";
import { splitSentences } from "@/lib/speech/sentences";
import type { Passage } from "./types";

/**
 * Composes a spoken answer from whole sections, the way a nurse or a support agent reads from a leaflet: the
 * best-matching part of one section (a second document only when the first leaves the question half answered),
 * whole sentences in document order, a list said as a list ("Call 999 if the chest pain: feels heavy, …, or
 * started suddenly."), steps in order, headings never read out, and no sentence twice.
 */

/** A piece of a section that can be said on its own: a sentence, or a list with its introduction. */
export interface Unit {
  n: number;
  /** Position in its section, to keep document order. */
  order: number;
  /** Sentences of one list item share a group: an item is said whole when one of its sentences is chosen. */
  group?: string;
  kind: "sentence" | "list";
  text: string;
  /** The unit's own words, and its words with its document title and heading (context, not content). */
  own: Set<string>;
  terms: Set<string>;
  score: number;
}

export type QuestionKind = "steps" | "signs" | "figure" | "other";

const STEPS =
  /\b(how (do|can|should|would) (i|we|you)|how to|what (should|can|do) (i|we)|steps?|set up|instructions?)\b|怎么|如何|怎样|步骤/i;
const SIGNS =
  /\b(signs?|symptoms?|how (can|do|would) (i|you|we) (tell|know)|what does .* (look|feel) like|warning)\b|症状|迹象|表现/i;
const FIGURE =
  /\b(how (many|much|long|soon|often|old)|what (time|age|number|percentage)|when)\b|多少|几|多久|多长|什么时候/i;

export function questionKind(question: string): QuestionKind {
  if (SIGNS.test(question)) return "signs";
  if (FIGURE.test(question)) return "figure";
  if (STEPS.test(question)) return "steps";
  return "other";
}

const LIST_ITEM = /^\s*(?:[-*+]|\d{1,2}[.)])\s+/;
/** Roughly 25 seconds of speech. */
const MAX_CHARS: Record<Lang, number> = { en: 480, zh: 170 };
const MAX_LIST_ITEMS = 8;

/** A line that names what follows rather than saying something: short, no closing punctuation. */
function isHeadingLine(line: string, lang: Lang): boolean {
  const t = line.trim();
  if (/[.!?。！？；;:：]$/.test(t)) return false;
  return lang === "zh" || hasCjk(t) ? t.length <= 16 : t.split(/\s+/).length <= 10;
}

/** A sentence that cannot stand alone: it starts mid-sentence or is cut short. */
function isFragment(s: string): boolean {
  if (/^[a-z]/.test(s) && !/^(?:npm|npx|git|yarn|pnpm|e\.g\.|i\.e\.)\b/.test(s)) return true;
  if (/^(?:and|or|but|such as|including|which|spreads? to)\b/i.test(s)) return true;
  return /^[,;:)\]]/.test(s);
}

function ended(s: string, lang: Lang): string {
  const t = s.trim().replace(/[,;；，]$/, "");
  if (/[.!?。！？]["”’)]?$/.test(t)) return t;
  return t + (lang === "zh" || hasCjk(t) ? "。" : ".");
}

/**
 * Says a list as a list: numbered steps one sentence each, in order; other short items joined into one sentence
 * after their introduction ("Call 999 if the chest pain: feels heavy, …, or started suddenly.").
 */
function sayList(intro: string | null, items: string[], lang: Lang, ordered: boolean): string | null {
  const clean = items.map((x) => x.trim().replace(/[.;,。；，]$/, "")).filter(Boolean);
  if (!clean.length) return null;
  const zh = lang === "zh" || hasCjk(clean.join(""));
  const lead = intro ? intro.trim().replace(/[:：]$/, "") : null;
  const kept = clean.slice(0, MAX_LIST_ITEMS);
  if (ordered || !lead) {
    const steps = kept.map((x) => ended(x, lang)).join(zh ? "" : " ");
    return lead ? `${lead}${zh ? "：" : ": "}${steps}` : steps;
  }
  if (zh) return `${lead}：${kept.join("、")}。`;
  const or = /\b(if|any of|one of|whether|either)\b/i.test(lead) ? "or" : "and";
  const joined = kept.length > 1 ? `${kept.slice(0, -1).join(", ")}, ${or} ${kept.at(-1)}` : kept[0]!;
  return ended(`${lead}: ${joined}`, lang);
}

/** A passage (a whole section) as the units that can be said from it. */
export function unitsOf(p: Passage, lang: Lang): Omit<Unit, "score">[] {
  const out: Omit<Unit, "score">[] = [];
  const lines = p.text.split("\n").map((l) => l.trim());
  const headingTerms = `${p.title}\n${p.heading}`;
  let order = 0;
  const unit = (kind: Unit["kind"], text: string, group?: string): Omit<Unit, "score"> => ({
    n: p.n,
    order: order++,
    kind,
    text,
    group,
    own: passageTerms(text),
    terms: passageTerms(`${headingTerms}\n${text}`),
  });
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    if (LIST_ITEM.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: string[] = [];
      while (i < lines.length && LIST_ITEM.test(lines[i]!)) items.push(lines[i++]!.replace(LIST_ITEM, "").trim());
      i--;
      const zh = lang === "zh" || hasCjk(items.join(""));
      const short = items.every((x) => (zh ? x.length <= 24 : x.split(/\s+/).length <= 14));
      // The introduction is the sentence before the list when it ends in a colon, else the section's heading.
      const prev = out.at(-1);
      const introduced = (prev?.kind === "sentence" && /[:：]$/.test(prev.text)) || out.length === 0;
      if ((!short || !introduced) && !ordered) {
        // Items that are sentences, or facts that stand alone ("Team plan: 100 GB per paid seat."), can each answer a
        // question on their own, and the whole list answers "how" and "what are the signs": both are offered, and
        // the composer never says a sentence twice.
        const list = order;
        items.forEach((item, k) => {
          for (const x of splitSentences(item, lang))
            if (!isFragment(x)) out.push(unit("sentence", x, `${p.n}:${list}:${k}`));
        });
        const whole = sayList(null, items, lang, true);
        if (whole) out.push(unit("list", whole));
        continue;
      }
      let intro: string | null = null;
      if (prev?.kind === "sentence" && /[:：]$/.test(prev.text)) intro = out.pop()!.text;
      else if (out.length === 0 && p.heading && p.heading !== p.title) intro = p.heading;
      const text = sayList(intro, items, lang, ordered);
      if (text) out.push(unit("list", text));
      continue;
    }
    // A heading names what follows; a run of such lines is a table's rows, which are said.
    const nextLine = lines.slice(i + 1).find(Boolean);
    if (isHeadingLine(line, lang) && nextLine && !isHeadingLine(nextLine, lang) && !LIST_ITEM.test(nextLine)) continue;
    for (const s of splitSentences(line, lang)) {
      if (isFragment(s)) continue;
      if (!/[:：]$/.test(s) && (hasCjk(s) ? s.length < 5 : s.split(/\s+/).length < 3)) continue;
      out.push(unit("sentence", s));
    }
  }
  // A colon left without its list introduces nothing.
  return out
    .filter((u) => u.kind === "list" || !/[:：]$/.test(u.text))
    .map((u) => ({ ...u, text: ended(u.text, lang) }));
}

/**
 * The units to say, in the order to say them: the best unit's section first (its other relevant units in document
 * order), then up to three units of other sections when the first leaves much of the question open, never from a
 * third document.
 */
export function composeAnswer(query: ExpandedQuery, passages: Passage[], lang: Lang): Unit[] {
  const kind = questionKind(query.text);
  const units: Unit[] = [];
  passages.forEach((p, rank) => {
    for (const u of unitsOf(p, lang)) {
      // What the unit itself says decides; its heading and title only add context.
      let score = 0.35 * coverage(query, u.own) + 0.65 * coverage(query, u.terms) + 0.4 / (rank + 1);
      // A list mentions many words, so it matches many questions a little: it leads only when a list is asked for.
      if (u.kind === "list") score += kind === "signs" || kind === "steps" ? 0.3 : -0.15;
      else if (kind === "figure" && /\d|[一二三四五六七八九十两]/.test(u.text)) score += 0.3;
      // Answer in the question's language when the documents allow it.
      if (hasCjk(u.text) !== (lang === "zh")) score -= 0.5;
      units.push({ ...u, score });
    }
  });
  if (!units.length) return [];
  const best = units.reduce((a, b) => (b.score > a.score ? b : a));
  const max = MAX_CHARS[lang];
  const seen = new Set<string>();
  const key = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
  const picked: Unit[] = [];
  let chars = 0;
  // A sentence already said, or said inside a list (documents often repeat their lists as prose), is not said again.
  const said = (k: string) =>
    [...seen].some((s) => s === k || (k.length > 20 && s.includes(k)) || (s.length > 20 && k.includes(s)));
  const take = (u: Unit): boolean => {
    const k = key(u.text);
    if (said(k) || (picked.length && chars + u.text.length > max)) return false;
    seen.add(k);
    picked.push(u);
    chars += u.text.length;
    return true;
  };
  // The rest of a list item whose sentence was chosen ("Charges: … up to 24 hours £8.00." after "The car park is…").
  const withItem = (u: Unit) => {
    if (!take(u) || !u.group) return;
    for (const sibling of units.filter((x) => x.group === u.group && x !== u)) take(sibling);
  };
  withItem(best);
  // Neighbours in the same section that also answer, said in document order around the best one.
  const section = units
    .filter((u) => u.n === best.n && u !== best && u.score >= best.score * 0.7)
    .sort((a, b) => b.score - a.score);
  for (const u of section) withItem(u);
  picked.sort((a, b) => a.order - b.order);
  const answered = coverage(query, new Set(picked.flatMap((u) => [...u.own])));
  if (answered < 0.9) {
    // Up to three more units from other sections, never from a third document.
    const docOf = (u: Unit) => passages.find((p) => p.n === u.n)?.docId;
    const docs = new Set([docOf(best)]);
    const others = units
      .filter((u) => u.n !== best.n && u.score >= best.score * 0.75)
      .sort((a, b) => b.score - a.score);
    let added = 0;
    for (const u of others) {
      if (added === 3) break;
      if (!docs.has(docOf(u)) && docs.size >= 2) continue;
      if (take(u)) {
        docs.add(docOf(u));
        added++;
      }
    }
  }
  return picked;
}
