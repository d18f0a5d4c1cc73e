import "server-only";
import path from "node:path";
import { PDFLoader } from "@langchain/community/document_loaders/fs/pdf";
import * as cheerio from "cheerio";
import mammoth from "mammoth";
import { AppError } from "@/lib/errors";
import { detectLang } from "./text";

export type DocFormat = "pdf" | "docx" | "html" | "md" | "txt";

/** A stretch of a document under one heading (and on one page, for PDFs). */
export interface Section {
  text: string;
  heading: string;
  page: number | null;
}

export interface ParsedDocument {
  title: string;
  format: DocFormat;
  lang: "en" | "zh";
  sections: Section[];
}

const EXTENSIONS: Record<string, DocFormat> = {
  ".pdf": "pdf",
  ".docx": "docx",
  ".html": "html",
  ".htm": "html",
  ".md": "md",
  ".markdown": "md",
  ".txt": "txt",
};

export const SUPPORTED_EXTENSIONS = Object.keys(EXTENSIONS);

export function formatOf(fileName: string): DocFormat {
  const ext = path.extname(fileName).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new AppError(
      "unsupported_media_type",
      `unsupported file type "${ext || "(none)"}"; supported: ${SUPPORTED_EXTENSIONS.join(", ")}`,
    );
  }
  return format;
}

/**
 * Parses one file into titled sections. Every failure is an AppError with a message a person can act on;
 * nothing here touches the store, so a bad file can never leave it half-written.
 */
export async function parseDocument(fileName: string, bytes: Uint8Array, maxBytes: number): Promise<ParsedDocument> {
  const format = formatOf(fileName);
  if (bytes.length === 0) throw new AppError("unprocessable", "the file is empty (0 bytes)");
  if (bytes.length > maxBytes) {
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    throw new AppError("payload_too_large", `the file is ${mb(bytes.length)} MB, over the ${mb(maxBytes)} MB limit`);
  }
  const fallbackTitle = titleFromFileName(fileName);
  let title: string;
  let sections: Section[];
  switch (format) {
    case "pdf":
      ({ title, sections } = await parsePdf(bytes, fallbackTitle));
      break;
    case "docx":
      ({ title, sections } = await parseDocx(bytes, fallbackTitle));
      break;
    case "html":
      ({ title, sections } = parseHtml(decodeText(bytes, format), fallbackTitle));
      break;
    case "md":
      ({ title, sections } = parseMarkdown(decodeText(bytes, format), fallbackTitle));
      break;
    case "txt":
      ({ title, sections } = parsePlainText(decodeText(bytes, format), fallbackTitle));
      break;
  }
  sections = sections.map((s) => ({ ...s, text: tidy(s.text) })).filter((s) => s.text.length > 0);
  if (sections.length === 0) {
    throw new AppError(
      "unprocessable",
      format === "pdf" ? "the PDF has no extractable text (a scanned image?)" : "the file has no readable text",
    );
  }
  const lang = detectLang(`${title}\n${sections.map((s) => s.text).join("\n")}`.slice(0, 4000));
  return { title, format, lang, sections };
}

function titleFromFileName(fileName: string): string {
  const base = path.basename(fileName, path.extname(fileName)).replace(/[-_]+/g, " ").trim();
  return base ? base[0]!.toUpperCase() + base.slice(1) : "Untitled";
}

function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function decodeText(bytes: Uint8Array, format: DocFormat): string {
  if (bytes.includes(0)) throw new AppError("unprocessable", `binary content in a .${format} file (not text)`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new AppError("unprocessable", `the .${format} file is not valid UTF-8 text`);
  }
}

function startsWith(bytes: Uint8Array, magic: string): boolean {
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

async function parsePdf(bytes: Uint8Array, fallbackTitle: string) {
  if (!startsWith(bytes, "%PDF-"))
    throw new AppError("unprocessable", "not a PDF: the content does not match the .pdf extension");
  let pages: { pageContent: string; metadata: Record<string, unknown> }[];
  try {
    const loader = new PDFLoader(new Blob([new Uint8Array(bytes)]), { splitPages: true });
    pages = await loader.load();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e?.name === "PasswordException" || /password/i.test(e?.message ?? "")) {
      throw new AppError(
        "unprocessable",
        "the PDF is encrypted (password-protected); remove the password and upload it again",
      );
    }
    throw new AppError("unprocessable", `the PDF is damaged and cannot be read (${e?.message ?? "parse error"})`);
  }
  const info = (pages[0]?.metadata.pdf as { info?: { Title?: string } } | undefined)?.info;
  const sections: Section[] = [];
  let heading = "";
  for (const p of pages) {
    const pageNo = (p.metadata.loc as { pageNumber?: number } | undefined)?.pageNumber ?? null;
    // PDFs carry no heading markup: a short line without closing punctuation, followed by prose, is a heading.
    const lines = p.pageContent.split("\n").map((l) => l.trim());
    let buf: string[] = [];
    const flush = () => {
      if (buf.length) sections.push({ text: buf.join("\n"), heading, page: pageNo });
      buf = [];
    };
    for (const line of lines) {
      if (looksLikeHeading(line)) {
        flush();
        heading = line;
      } else if (line) buf.push(line);
    }
    flush();
  }
  const title = info?.Title?.trim() || sections[0]?.heading || fallbackTitle;
  return { title, sections };
}

function looksLikeHeading(line: string): boolean {
  return (
    line.length >= 3 &&
    line.length <= 70 &&
    /^[A-Z0-9\u4e00-\u9fff]/.test(line) &&
    !/[.,;:!?。，；：]$/.test(line) &&
    line.split(" ").length <= 10 &&
    !/^\d+$/.test(line) &&
    !/^page \d+/i.test(line)
  );
}

async function parseDocx(bytes: Uint8Array, fallbackTitle: string) {
  if (!startsWith(bytes, "PK\u0003\u0004")) {
    throw new AppError("unprocessable", "not a DOCX: the content does not match the .docx extension");
  }
  let html: string;
  try {
    // mammoth's HTML keeps the heading structure that LangChain's DocxLoader (raw text) drops.
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (err) {
    throw new AppError("unprocessable", `the DOCX is damaged and cannot be read (${(err as Error).message})`);
  }
  return parseHtml(`<html><body>${html}</body></html>`, fallbackTitle);
}

function parseHtml(html: string, fallbackTitle: string) {
  const $ = cheerio.load(html);
  $("script, style, noscript, nav, header, footer, aside, form, template, svg, iframe").remove();
  const h1 = $("h1").first().text().trim();
  const title = $("title").first().text().trim() || h1 || fallbackTitle;
  const sections: Section[] = [];
  let heading = "";
  let buf: string[] = [];
  const flush = () => {
    if (buf.length) sections.push({ text: buf.join("\n"), heading, page: null });
    buf = [];
  };
  $("body")
    .find("h1, h2, h3, h4, h5, h6, p, li, td, th, pre, blockquote, dt, dd")
    .each((_, el) => {
      const tag = el.tagName.toLowerCase();
      // Skip containers whose text is already taken from an inner block element.
      if ((tag === "li" || tag === "td" || tag === "blockquote") && $(el).find("p, li").length) return;
      const text = $(el).text().replace(/\s+/g, " ").trim();
      if (!text) return;
      if (/^h[1-6]$/.test(tag)) {
        flush();
        heading = text;
      } else buf.push(tag === "li" ? `- ${text}` : text);
    });
  flush();
  return { title, sections };
}

function stripMarkdownInline(line: string): string {
  return line
    .replace(/!\[[^\]]*\]\([^)]*\)/g, "")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/(\*\*|__|\*|_|`)(.+?)\1/g, "$2")
    .replace(/^\s*>\s?/, "")
    .replace(/^\s*([-*+]|\d+[.)])\s+/, "- ")
    .replace(/\|/g, " ")
    .replace(/^\s*:?-{3,}:?(\s+:?-{3,}:?)*\s*$/, "");
}

function parseMarkdown(md: string, fallbackTitle: string) {
  const sections: Section[] = [];
  let title = "";
  let heading = "";
  let buf: string[] = [];
  const flush = () => {
    if (buf.length) sections.push({ text: buf.join("\n"), heading, page: null });
    buf = [];
  };
  // Front matter is metadata, not prose.
  const body = md.replace(/^---\n[\s\S]*?\n---\n/, "");
  for (const raw of body.split(/\r?\n/)) {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    if (m) {
      flush();
      heading = stripMarkdownInline(m[2] ?? "");
      if (!title && m[1] === "#") title = heading;
      continue;
    }
    if (/^\s*(```|~~~)/.test(raw)) continue;
    buf.push(stripMarkdownInline(raw));
  }
  flush();
  return { title: title || fallbackTitle, sections };
}

function parsePlainText(text: string, fallbackTitle: string) {
  const first = text.trim().split("\n")[0]?.trim() ?? "";
  const title = first.length > 0 && first.length <= 80 ? first : fallbackTitle;
  return { title, sections: [{ text, heading: "", page: null }] };
}
