/**
 * The human text in a Markdown page's YAML front matter. Help centres built with Jekyll, Hugo or Docusaurus often
 * keep a whole FAQ there (`faqs: [{question, answer}]`, `items: [{title, content}]`) with an empty body, so dropping
 * front matter as metadata drops the page. Kept: the title, prose values (a description, an intro) and every
 * question/answer pair under any key, each pair a section headed by its question. Dropped: layout and navigation
 * keys, and any value shaped like metadata (URLs, paths, dates, slugs, single words, numbers, booleans).
 */
import { parseDocument } from "yaml";

export interface FrontMatterSection {
  heading: string;
  text: string;
}

export interface FrontMatterText {
  /** The `title:` value, or "" when there is none. */
  title: string;
  sections: FrontMatterSection[];
}

/** Keys that configure the site rather than say something to a reader (compared lower-cased, `-` as `_`). */
const LAYOUT_KEYS = new Set(
  (
    "layout permalink date dates last_modified_at last_modified lastmod modified updated created published " +
    "publishdate expirydate draft tags tag categories category nav_order nav_exclude nav sidebar sidebar_position " +
    "sidebar_label sidebar_class_name pagination_label pagination_next pagination_prev redirect_from redirect_to " +
    "redirects aliases slug id uid lang language locale weight order position rank priority parent grand_parent " +
    "has_children has_toc toc toc_label toc_max_heading_level toc_min_heading_level comments share image images " +
    "thumbnail banner cover og_image og_type social_image hero_image icon logo template type kind keywords sitemap " +
    "search search_exclude excerpt_separator author authors contributors maintainer owner source canonical_url " +
    "canonical url urls link links href path file filename version versions menu menus hidden unlisted noindex " +
    "robots css js scripts styles stylesheet class classes classname seo meta schema status key ref refs " +
    "custom_edit_url edit_url hide_title hide_table_of_contents displayed_sidebar pagination collection output " +
    "render_with_liquid cascade build headless resources markup outputs translationkey audience product products " +
    "platform platforms section_id topic_id article_id"
  ).split(" "),
);

/** Keys that hold a question (or an item's title) and those that hold its answer (or the item's body). */
const QUESTION_KEYS = ["question", "q", "title", "heading", "name", "summary", "term", "label", "prompt"];
const ANSWER_KEYS = ["answer", "a", "content", "body", "text", "description", "details", "response", "definition"];
/** Top-level keys whose text introduces the page, read first. */
const INTRO_KEYS = ["description", "summary", "subtitle", "excerpt", "lead", "intro", "introduction", "abstract"];

const norm = (key: string) => key.toLowerCase().replace(/-/g, "_");

/**
 * `render` turns a value's Markdown (answers often hold links, emphasis, lists or HTML) into plain text lines.
 * Malformed YAML yields nothing: the page body is still read.
 */
export function frontMatterText(source: string, render: (markdown: string) => string): FrontMatterText {
  let data: unknown;
  try {
    const doc = parseDocument(source, { logLevel: "silent", uniqueKeys: false });
    if (doc.errors.length) return { title: "", sections: [] };
    data = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return { title: "", sections: [] };
  }
  if (!isRecord(data)) return { title: "", sections: [] };

  const sections: FrontMatterSection[] = [];
  const add = (heading: string, text: string) => {
    const t = text.trim();
    if (!t) return;
    const last = sections.at(-1);
    if (last && last.heading === heading && !isQuestionSection(last)) last.text += `\n\n${t}`;
    else sections.push({ heading, text: t });
  };
  const questions = new WeakSet<FrontMatterSection>();
  const isQuestionSection = (s: FrontMatterSection) => questions.has(s);

  const title = typeof data.title === "string" ? oneLine(render(data.title)) : "";
  const entries = Object.entries(data).filter(([k]) => norm(k) !== "title" && !LAYOUT_KEYS.has(norm(k)));
  // The page's introduction first, then everything else in the order written.
  entries.sort(([a], [b]) => Number(INTRO_KEYS.includes(norm(b))) - Number(INTRO_KEYS.includes(norm(a))));

  const walk = (value: unknown, heading: string, key: string): void => {
    if (typeof value === "string") {
      if (isProse(value)) add(heading, render(value));
      return;
    }
    if (Array.isArray(value)) {
      const strings = value.filter((v): v is string => typeof v === "string" && isProse(v));
      if (strings.length) add(heading, strings.map((s) => `- ${oneLine(render(s))}`).join("\n"));
      for (const v of value) if (typeof v !== "string") walk(v, heading, key);
      return;
    }
    if (!isRecord(value)) return; // numbers, booleans, dates, null
    const pair = questionAndAnswer(value);
    if (pair) {
      const question = oneLine(render(pair.question));
      const answer = answerText(pair.answer, render);
      if (question && answer) {
        const section = { heading: question, text: answer };
        sections.push(section);
        questions.add(section);
      }
      for (const [k, v] of Object.entries(value)) {
        if (k === pair.questionKey || k === pair.answerKey || LAYOUT_KEYS.has(norm(k))) continue;
        walk(v, question || heading, k);
      }
      return;
    }
    // A group (`- title: Billing` with its own `faqs:`): its title heads its loose text; pairs keep their questions.
    const groupTitle = QUESTION_KEYS.map((k) => value[k]).find((v): v is string => typeof v === "string");
    const groupHeading = groupTitle ? oneLine(render(groupTitle)) : heading;
    for (const [k, v] of Object.entries(value)) {
      if (LAYOUT_KEYS.has(norm(k)) || (groupTitle && v === groupTitle)) continue;
      walk(v, groupHeading, k);
    }
  };
  // A page that is one question (`question:` / `answer:` at the top).
  const { title: _title, ...rest } = data;
  const rootPair = questionAndAnswer(rest);
  if (rootPair && ["question", "q"].includes(norm(rootPair.questionKey))) {
    walk({ [rootPair.questionKey]: rootPair.question, [rootPair.answerKey]: rootPair.answer }, "", "");
    for (const [k, v] of entries) if (k !== rootPair.questionKey && k !== rootPair.answerKey) walk(v, "", k);
  } else for (const [k, v] of entries) walk(v, "", k);
  return { title, sections };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function questionAndAnswer(
  obj: Record<string, unknown>,
): { question: string; answer: unknown; questionKey: string; answerKey: string } | null {
  const keys = Object.keys(obj);
  const find = (names: string[], ok: (v: unknown) => boolean, not?: string) => {
    for (const name of names) {
      const key = keys.find((k) => norm(k) === name && k !== not);
      if (key !== undefined && ok(obj[key])) return key;
    }
    return undefined;
  };
  const questionKey = find(QUESTION_KEYS, (v) => typeof v === "string" && v.trim().length > 0);
  if (questionKey === undefined) return null;
  const answerKey = find(ANSWER_KEYS, (v) => typeof v === "string" || Array.isArray(v) || isRecord(v), questionKey);
  if (answerKey === undefined) return null;
  return { question: obj[questionKey] as string, answer: obj[answerKey], questionKey, answerKey };
}

/** An answer: Markdown text, a list of paragraphs or steps, or nested values holding text. */
function answerText(value: unknown, render: (markdown: string) => string): string {
  if (typeof value === "string") return render(value).trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    return value
      .map((v) => answerText(v, render))
      .filter(Boolean)
      .map((t) => (t.includes("\n") ? t : `- ${t}`))
      .join("\n");
  }
  if (isRecord(value)) {
    return Object.entries(value)
      .filter(([k]) => !LAYOUT_KEYS.has(norm(k)))
      .map(([, v]) => answerText(v, render))
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * Whether a value reads as text for a person: not a URL, path, file name, e-mail address, date, colour, slug or
 * identifier, and at least two words (or two Han characters).
 */
export function isProse(value: string): boolean {
  const v = value.trim();
  if (!v) return false;
  if (/^(https?:|mailto:|www\.|\/|\.\.?\/|~\/|#[0-9a-f]{3,8}$)/i.test(v)) return false;
  if (/^\d{4}-\d{2}-\d{2}([ T][\d:.+\-Z ]*)?$/.test(v)) return false; // dates
  if (/^[\w.+-]+@[\w-]+\.[\w.]+$/.test(v)) return false; // e-mail
  if (/^[\w .\-/]+\.(md|mdx|html?|png|jpe?g|gif|svg|webp|pdf|css|js|ts|json|ya?ml)$/i.test(v)) return false; // files
  if (/[\u3400-\u9fff]/.test(v)) return (v.match(/[\u3400-\u9fff]/g)?.length ?? 0) >= 2;
  // Slug, identifier or a single word: no whitespace at all.
  if (!/\s/.test(v)) return false;
  return (v.match(/\p{L}{2,}/gu)?.length ?? 0) >= 2;
}
