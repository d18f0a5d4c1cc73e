/**
 * Markdown (and the MDX/Jekyll flavours help centres are written in) to titled sections, through a real parser:
 * front matter with `yaml`, the body as an mdast syntax tree (micromark with the GFM and front-matter extensions).
 *
 * What a listener can use is kept: headings (their path makes the section heading), paragraphs, list items (one
 * "- item" line each), table rows ("Header: cell; Header: cell"), short code (a command, an error line), the text of
 * HTML and of front-matter FAQs. What is only markup goes: long code listings (answers are spoken), pictures, link
 * targets and reference definitions, Liquid tags (`{% %}`, `{{ }}`), MDX import/export lines, JSX expressions and
 * component tags (a `<DataTable headers={...} rows={...}/>` becomes its rows).
 */
import * as cheerio from "cheerio";
import type { Nodes, PhrasingContent, Root, RootContent, Table } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { frontmatterFromMarkdown } from "mdast-util-frontmatter";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { frontmatter } from "micromark-extension-frontmatter";
import { gfm } from "micromark-extension-gfm";
import { frontMatterText } from "./front-matter";
import type { Section } from "./loaders";

/** Fenced or indented code longer than this many lines is a listing, not something to say aloud. */
const MAX_CODE_LINES = 3;

function parseTree(source: string): Root {
  return fromMarkdown(source, {
    extensions: [frontmatter(["yaml", "toml"]), gfm()],
    mdastExtensions: [frontmatterFromMarkdown(["yaml", "toml"]), gfmFromMarkdown()],
  });
}

/** Sections of a Markdown document; the title is the front matter's, else the first `# ` heading, else the fallback. */
export function parseMarkdown(md: string, fallbackTitle: string): { title: string; sections: Section[] } {
  // The body is cleaned of Liquid/MDX before parsing; the front matter (as micromark finds it) is left as written.
  const fence = /^(---|\+\+\+)[ \t]*\r?\n(?:[\s\S]*?\r?\n)?\1[ \t]*(?:\r?\n|$)/.exec(md)?.[0] ?? "";
  const body = md.slice(fence.length);
  const tree = parseTree(needsCleaning(body) ? fence + cleanSource(body) : md);
  let yaml: string | null = null;
  const first = tree.children[0];
  // TOML front matter (Hugo's `+++`) is dropped unread: site settings, never a page's prose.
  if (first && (first.type === "yaml" || (first.type as string) === "toml")) {
    if (first.type === "yaml") yaml = first.value;
    tree.children.shift();
  }

  const front = yaml === null ? { title: "", sections: [] } : frontMatterText(yaml, markdownToText);
  let title = front.title;
  if (!title) {
    const h1 = tree.children.find((n) => n.type === "heading" && n.depth === 1);
    if (h1) title = inlineText(h1);
  }

  const sections: Section[] = front.sections.map((s) => ({ heading: s.heading, text: s.text, page: null }));
  // A section is headed by its nearest heading, as the other loaders do. (The whole heading path was tried: on the
  // support devset it lowered paraphrase recall@5 on the reporting half from 25/27 to 24/27 and MRR 0.864 -> 0.840.)
  let heading = "";
  let blocks: string[] = [];
  const flush = () => {
    const text = blocks.filter(Boolean).join("\n\n");
    if (text) sections.push({ text, heading, page: null });
    blocks = [];
  };
  for (const node of tree.children) {
    if (node.type === "heading") {
      flush();
      heading = inlineText(node);
      continue;
    }
    blocks.push(...blockTexts(node));
  }
  flush();
  return { title: title || fallbackTitle, sections };
}

/** A Markdown fragment (a front-matter answer) as plain text: blocks separated by blank lines. */
function markdownToText(md: string): string {
  const tree = parseTree(needsCleaning(md) ? cleanSource(md) : md);
  return tree.children
    .flatMap((n) => (n.type === "heading" ? [inlineText(n)] : blockTexts(n)))
    .filter(Boolean)
    .join("\n\n");
}

/** Each block's text (an empty list when it holds none). */
function blockTexts(node: RootContent): string[] {
  const lines = blockLines(node).filter((l) => l.trim());
  return lines.length ? [lines.join("\n")] : [];
}

function blockLines(node: RootContent): string[] {
  switch (node.type) {
    case "paragraph": {
      const text = inlineText(node);
      return text ? text.split("\n") : [];
    }
    case "heading":
      return [inlineText(node)];
    case "list":
      return node.children.flatMap((item) => {
        const lines = item.children.flatMap((child) => blockLines(child)).filter((l) => l.trim());
        if (lines.length && !lines[0]!.startsWith("- ")) lines[0] = `- ${lines[0]}`;
        return lines;
      });
    case "listItem":
      return node.children.flatMap((child) => blockLines(child));
    case "blockquote":
    case "footnoteDefinition":
      return node.children.flatMap((child) => [...blockLines(child)]);
    case "table":
      return tableLines(node);
    case "code": {
      const lines = node.value.split("\n").filter((l) => l.trim());
      return lines.length <= MAX_CODE_LINES ? lines.map((l) => l.trim()) : [];
    }
    case "html":
      return htmlLines(node.value);
    default:
      // thematicBreak, definition, yaml/toml, images outside paragraphs: nothing to say.
      return [];
  }
}

/** Rows as "Header: cell; Header: cell" (empty cells left out); a table without header text joins its cells. */
function tableLines(table: Table): string[] {
  const rows = table.children.map((row) => row.children.map((cell) => oneLine(inlineText(cell))));
  const [head = [], ...body] = rows;
  if (!body.length) return [head.filter(Boolean).join("; ")];
  const labelled = head.some(Boolean);
  return body
    .map((cells) =>
      cells
        .map((cell, i) => (cell && labelled && head[i] ? `${head[i]}: ${cell}` : cell))
        .filter(Boolean)
        .join("; "),
    )
    .filter(Boolean);
}

const BREAK = "\u2028";
const CJK = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/** A node's words: markup dropped, soft line breaks joined (with a space, none between Han characters). */
function inlineText(node: Nodes): string {
  const raw = phrasing(node);
  return raw
    .replace(/[ \t]*\n[ \t]*/g, (m, at: number) =>
      CJK.test(raw[at - 1] ?? "") && CJK.test(raw[at + m.length] ?? "") ? "" : " ",
    )
    .replace(new RegExp(`[ \\t]*${BREAK}[ \\t]*`, "g"), "\n")
    .replace(/[ \t]{2,}/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join("\n");
}

function phrasing(node: Nodes): string {
  switch (node.type) {
    case "text":
      return cleanText(node.value);
    case "inlineCode":
      return node.value;
    case "break":
      return BREAK;
    case "html":
      return /^<br\s*\/?>$/i.test(node.value.trim()) ? BREAK : "";
    case "image":
    case "imageReference":
    case "footnoteReference":
    case "definition":
      return "";
    default:
      return "children" in node ? (node.children as PhrasingContent[]).map(phrasing).join("") : "";
  }
}

/** Liquid tags and output, JSX fragments, comments and expressions, kramdown attribute lists, heading ids. */
function cleanText(text: string): string {
  return text
    .replace(/\{%-?[\s\S]*?-?%\}/g, "")
    .replace(/\{\{[\s\S]*?\}\}/g, "")
    .replace(/\{\/\*[\s\S]*?\*\/\}/g, "")
    .replace(/\{:[^}\n]*\}/g, "")
    .replace(/\{#[\w-]+\}/g, "")
    .replace(/\{[A-Za-z_$][\w$]*(?:\.[\w$]+|\[[^\]\n]{1,60}\])+\}/g, "")
    .replace(/<\/?>/g, "");
}

const BLOCK_TAGS =
  "p, div, section, article, li, h1, h2, h3, h4, h5, h6, tr, table, ul, ol, pre, blockquote, dd, dt, summary, details, figcaption, header, footer";

/** Text of an HTML block, through cheerio as the HTML loader reads pages: block elements on their own lines. */
function htmlLines(html: string): string[] {
  if (!/[^\s]/.test(html.replace(/<[^>]*>/g, ""))) return []; // tags only: `<Note>`, `</details>`, `<Screenshot/>`
  const $ = cheerio.load(html, null, false);
  $("script, style, noscript, template, svg, iframe, nav").remove();
  $("br").replaceWith("\n");
  $("li").each((_, el) => {
    $(el).prepend("- ");
  });
  $(BLOCK_TAGS).each((_, el) => {
    $(el).before("\n").after("\n");
  });
  $("td, th").each((_, el) => {
    $(el).after("; ");
  });
  return $.root()
    .text()
    .split("\n")
    .map((l) => oneLine(cleanText(l)).replace(/;\s*$/, ""))
    .filter((l) => l && l !== "-");
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

// ---------------------------------------------------------------------------------------------------------------
// Source clean-up before parsing, outside fenced code: what a CommonMark parser would otherwise read as prose.

function needsCleaning(md: string): boolean {
  return /\{%|\{\{|^(import|export)\s|^\s{0,3}<[A-Z]|\{\/\*/m.test(md);
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

/**
 * Liquid block tags removed (`{% comment %}` with its content; `{% highlight %}` becomes a fenced block), MDX ESM
 * lines removed, and JSX component tags with `{...}` attributes or spanning lines replaced by their table rows
 * (a `headers`/`rows` pair) or by nothing.
 */
function cleanSource(md: string): string {
  const src = md
    .replace(/\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}/g, "")
    .replace(/\{%-?\s*highlight\b[^%]*%\}([\s\S]*?)\{%-?\s*endhighlight\s*-?%\}/g, "\n```\n$1\n```\n")
    .replace(/\{%-?\s*(?:end)?raw\s*-?%\}/g, "");
  const out: string[] = [];
  const lines = src.split("\n");
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const f = FENCE.exec(line);
    if (fence) {
      if (f && f[1]!.startsWith(fence[0]!) && f[1]!.length >= fence.length) fence = null;
      out.push(line);
      continue;
    }
    if (f) {
      fence = f[1]!;
      out.push(line);
      continue;
    }
    if (/^(import\s+(?:[\w*{][^'"]*\sfrom\s+)?['"]|export\s+(?:const|let|var|function|default|\{|async))/.test(line)) {
      // An ESM statement, possibly over several lines: up to the line that ends it.
      let j = i;
      while (j < lines.length - 1 && !/(['"];?|;|\}|\))\s*$/.test(lines[j]!) && lines[j + 1]!.trim()) j++;
      i = j;
      continue;
    }
    const jsx = /^(\s{0,3})<([A-Z][\w.]*)/.exec(line);
    if (jsx) {
      const rest = lines.slice(i).join("\n");
      const tag = readTag(rest, jsx[1]!.length);
      if (tag && (tag.text.includes("={") || tag.text.includes("\n"))) {
        const consumed = rest.slice(0, tag.end).split("\n").length - 1;
        const after = rest.slice(tag.end).split("\n")[0] ?? "";
        out.push("", ...jsxTable(tag.text), "", after);
        i += consumed;
        continue;
      }
    }
    // Liquid tags and output (those spanning lines are taken out of the parsed text instead).
    out.push(line.replace(/\{%.*?%\}|\{\{.*?\}\}/g, ""));
  }
  return out.join("\n");
}

/** The opening tag starting at `start` (`<Name ...>` or `<Name .../>`), quotes and `{...}` expressions skipped. */
function readTag(src: string, start: number): { text: string; end: number } | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === ">" && depth === 0) return { text: src.slice(start, i + 1), end: i + 1 };
  }
  return null;
}

/**
 * A component's `headers={[...]}` and `rows={[[...], ...]}` as a GFM table (then read like any table); any other
 * component tag contributes nothing.
 */
function jsxTable(tag: string): string[] {
  const rowsAt = /\brows=\{\s*\[/.exec(tag);
  if (!rowsAt) return [];
  const rows = parseArray(tag, rowsAt.index + rowsAt[0].length - 1)?.value;
  if (!rows?.length) return [];
  const headersAt = /\bheaders=\{\s*\[/.exec(tag);
  const headers = headersAt ? (parseArray(tag, headersAt.index + headersAt[0].length - 1)?.value ?? []) : [];
  const width = Math.max(headers.length, ...rows.map((r) => (Array.isArray(r) ? r.length : 1)));
  const cell = (v: unknown) => (typeof v === "string" ? v.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim() : "");
  const line = (cells: unknown[]) => `| ${Array.from({ length: width }, (_, i) => cell(cells[i])).join(" | ")} |`;
  return [line(headers), `|${" --- |".repeat(width)}`, ...rows.map((r) => line(Array.isArray(r) ? r : [r]))];
}

type JsValue = string | JsValue[] | null;

/** A JavaScript array literal of strings, nested arrays and JSX elements (their text); anything else is null. */
function parseArray(src: string, at: number): { value: JsValue[]; end: number } | null {
  if (src[at] !== "[") return null;
  const value: JsValue[] = [];
  let i = at + 1;
  while (i < src.length) {
    while (i < src.length && /[\s,]/.test(src[i]!)) i++;
    const c = src[i];
    if (c === undefined) return null;
    if (c === "]") return { value, end: i + 1 };
    if (c === "[") {
      const inner = parseArray(src, i);
      if (!inner) return null;
      value.push(inner.value);
      i = inner.end;
    } else if (c === '"' || c === "'" || c === "`") {
      let s = "";
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === "\\") j++;
        s += src[j] ?? "";
      }
      value.push(s);
      i = j + 1;
    } else if (c === "<") {
      const end = jsxElementEnd(src, i);
      value.push(oneLine(src.slice(i, end).replace(/<[^>]*>/g, " ")));
      i = end;
    } else {
      // An identifier, number or call: skipped up to the next comma or bracket at this level.
      let depth = 0;
      for (; i < src.length; i++) {
        const d = src[i]!;
        if ("([{".includes(d)) depth++;
        else if (")]}".includes(d)) {
          if (depth === 0) break;
          depth--;
        } else if (d === "," && depth === 0) break;
      }
      value.push(null);
    }
  }
  return null;
}

/** The end of the JSX element starting at `at`: its matching closing tag, or the `/>` of a self-closing one. */
function jsxElementEnd(src: string, at: number): number {
  let depth = 0;
  const tag = /<\/?([A-Za-z][\w.]*)?[^<>]*?(\/?)>/gy;
  let i = at;
  while (i < src.length) {
    tag.lastIndex = i;
    const m = tag.exec(src);
    if (!m) {
      const next = src.indexOf("<", i + 1);
      if (next < 0) return src.length;
      i = next;
      continue;
    }
    if (m[0].startsWith("</")) depth--;
    else if (!m[2]) depth++;
    i = tag.lastIndex;
    if (depth <= 0) return i;
    const next = src.indexOf("<", i);
    if (next < 0) return src.length;
    i = next;
  }
  return src.length;
}
