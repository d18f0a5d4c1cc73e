import "server-only";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import * as cheerio from "cheerio";
import mammoth from "mammoth";
import { PDFParse } from "pdf-parse";
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

/**
 * What one document may unpack to. The file-size cap bounds the bytes uploaded, not what they become: a 300 KB DOCX
 * can inflate to 300 MB of XML and 67 KB can hold 400,000 paragraphs. Each is checked before the costly parse, so
 * such a file fails alone, quickly, with its reason.
 */
export interface DocumentLimits {
  /** Everything inside a DOCX once unzipped (declared sizes first, then the bytes really inflated). */
  docxExpandedBytes: number;
  docxEntries: number;
  docxParagraphs: number;
  /** mammoth holds its whole DOM: ~1.5 KB per element (measured 500k elements -> 1.1 GB RSS, 1M -> 1.8 GB). */
  docxElements: number;
  pdfPages: number;
  /** Text taken out of a DOCX or PDF: past this, splitting and embedding it would take most of the deadline. */
  extractedChars: number;
}

export const DOCUMENT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  docxExpandedBytes: 64 * 1024 * 1024,
  docxEntries: 5_000,
  docxParagraphs: 50_000,
  docxElements: 500_000,
  pdfPages: 2_000,
  extractedChars: 10_000_000,
});

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
export async function parseDocument(
  fileName: string,
  bytes: Uint8Array,
  maxBytes: number,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<ParsedDocument> {
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
      ({ title, sections } = await parsePdf(bytes, fallbackTitle, limits));
      break;
    case "docx":
      ({ title, sections } = await parseDocx(bytes, fallbackTitle, limits));
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
  if (format === "pdf" || format === "docx") checkTextLength(format, sections, limits);
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

const count = (n: number) => n.toLocaleString("en-US");
const megabytes = (n: number) => `${+(n / 1024 / 1024).toFixed(1)} MB`;

function splitIt(what: string): AppError {
  return new AppError("payload_too_large", `${what}; split it into smaller documents`);
}

function checkTextLength(format: "pdf" | "docx", sections: Section[], limits: DocumentLimits): void {
  let chars = 0;
  for (const s of sections) chars += s.text.length;
  if (chars > limits.extractedChars) {
    throw splitIt(`the ${format.toUpperCase()} holds more than ${count(limits.extractedChars)} characters of text`);
  }
}

function startsWith(bytes: Uint8Array, magic: string): boolean {
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

async function parsePdf(bytes: Uint8Array, fallbackTitle: string, limits: DocumentLimits) {
  if (!startsWith(bytes, "%PDF-"))
    throw new AppError("unprocessable", "not a PDF: the content does not match the .pdf extension");
  const { pages, title: infoTitle } = await readPdfPages(bytes, limits);
  const sections: Section[] = [];
  let heading = "";
  for (const p of pages) {
    const pageNo = p.num;
    // PDFs carry no heading markup: a short line without closing punctuation, followed by prose, is a heading.
    const lines = p.text.split("\n").map((l) => l.trim());
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
  const title = infoTitle || sections[0]?.heading || fallbackTitle;
  return { title, sections };
}

/** Pages are extracted this many at a time, the text cap checked after each batch. */
const PDF_PAGE_BATCH = 50;

/**
 * The PDF's pages as text, through pdf-parse (what LangChain's PDFLoader calls) directly: the page count is known
 * before any page is read, and extraction stops once the text passes the cap instead of after the last page.
 */
async function readPdfPages(
  bytes: Uint8Array,
  limits: DocumentLimits,
): Promise<{ pages: { num: number; text: string }[]; title: string }> {
  const parser = new PDFParse({ data: new Uint8Array(bytes) }); // a copy: pdf.js may take over the buffer
  try {
    const info = await parser.getInfo().catch(pdfError);
    if (info.total > limits.pdfPages) {
      throw splitIt(`the PDF has ${count(info.total)} pages, over the ${count(limits.pdfPages)}-page limit`);
    }
    const pages: { num: number; text: string }[] = [];
    let chars = 0;
    for (let first = 1; first <= info.total; first += PDF_PAGE_BATCH) {
      const last = Math.min(info.total, first + PDF_PAGE_BATCH - 1);
      const batch = await parser.getText({ first, last }).catch(pdfError);
      for (const page of batch.pages) {
        if (!page.text.trim()) continue;
        pages.push(page);
        chars += page.text.length;
      }
      if (chars > limits.extractedChars) {
        throw splitIt(`the PDF holds more than ${count(limits.extractedChars)} characters of text`);
      }
    }
    const title = (info.info as { Title?: unknown } | undefined)?.Title;
    return { pages, title: typeof title === "string" ? title.trim() : "" };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

function pdfError(err: unknown): never {
  const e = err as { name?: string; message?: string };
  if (e?.name === "PasswordException" || /password/i.test(e?.message ?? "")) {
    throw new AppError(
      "unprocessable",
      "the PDF is encrypted (password-protected); remove the password and upload it again",
    );
  }
  throw new AppError("unprocessable", `the PDF is damaged and cannot be read (${e?.message ?? "parse error"})`);
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

async function parseDocx(bytes: Uint8Array, fallbackTitle: string, limits: DocumentLimits) {
  if (!startsWith(bytes, "PK\u0003\u0004")) {
    throw new AppError("unprocessable", "not a DOCX: the content does not match the .docx extension");
  }
  scanDocx(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits);
  let html: string;
  try {
    // mammoth's HTML keeps the heading structure that LangChain's DocxLoader (raw text) drops. Pictures are never
    // read: only text is indexed, and a data: URI per picture would copy every image into the HTML.
    const convertImage = mammoth.images.imgElement(async () => ({ src: "" }));
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) }, { convertImage })).value;
  } catch (err) {
    throw new AppError("unprocessable", `the DOCX is damaged and cannot be read (${(err as Error).message})`);
  }
  return parseHtml(`<html><body>${html}</body></html>`, fallbackTitle);
}

const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP64_LOCATOR = Buffer.from([0x50, 0x4b, 0x06, 0x07]);
const ZIP64_END = 0x06064b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  dataStart: number;
}

function damagedDocx(why: string): AppError {
  return new AppError("unprocessable", `the DOCX is damaged and cannot be read (${why})`);
}

function zipBomb(limits: DocumentLimits): AppError {
  return new AppError(
    "payload_too_large",
    `the DOCX expands to more than ${megabytes(limits.docxExpandedBytes)} of text markup; it looks like a zip bomb`,
  );
}

/**
 * Checks what a DOCX unpacks to before mammoth reads it (mammoth inflates every part it needs in full and builds a
 * DOM of it): the sizes its zip directory declares, then the bytes each entry really inflates to (declared sizes can
 * lie; inflation stops at the cap), its XML elements and its paragraphs. Every entry counts, whatever its name, since
 * the document part is found through relationships and could be called anything.
 */
function scanDocx(buf: Buffer, limits: DocumentLimits): void {
  let entries: ZipEntry[];
  try {
    entries = zipDirectory(buf, limits);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw damagedDocx("its zip directory runs past the end of the file");
  }
  let declared = 0;
  for (const e of entries) declared += e.size;
  if (declared > limits.docxExpandedBytes) throw zipBomb(limits);

  let expanded = 0;
  let elements = 0;
  let paragraphs = 0;
  for (const e of entries) {
    const data = buf.subarray(e.dataStart, e.dataStart + e.compressedSize);
    let content: Buffer;
    if (e.method === 0) content = data;
    else if (e.method === 8) {
      try {
        content = inflateRawSync(data, { maxOutputLength: Math.max(1, limits.docxExpandedBytes - expanded) });
      } catch (err) {
        if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw zipBomb(limits);
        throw damagedDocx(`${e.name}: ${(err as Error).message}`);
      }
    } else throw damagedDocx(`${e.name} uses zip compression method ${e.method}`);
    expanded += content.length;
    if (expanded > limits.docxExpandedBytes) throw zipBomb(limits);
    const tags = countTags(content);
    elements += tags.elements;
    paragraphs += tags.paragraphs;
    if (paragraphs > limits.docxParagraphs) {
      throw splitIt(`the DOCX has more than ${count(limits.docxParagraphs)} paragraphs`);
    }
    if (elements > limits.docxElements) {
      throw splitIt(`the DOCX has more than ${count(limits.docxElements)} XML elements`);
    }
  }
}

/**
 * The zip's entries, read the way JSZip (inside mammoth) reads them: the last end-of-directory record, the directory
 * it names, each entry's data after its local header. A file whose records disagree is refused rather than checked
 * one way and read another.
 */
function zipDirectory(buf: Buffer, limits: DocumentLimits): ZipEntry[] {
  const end = buf.lastIndexOf(ZIP_END);
  if (end < 0 || end + 22 > buf.length) throw damagedDocx("no zip directory");
  let total = buf.readUInt16LE(end + 10);
  let dirSize = buf.readUInt32LE(end + 12);
  let dirOffset = buf.readUInt32LE(end + 16);
  let dirEnd = end;
  const zip64 =
    [4, 6, 8, 10].some((o) => buf.readUInt16LE(end + o) === MAX16) || dirSize === MAX32 || dirOffset === MAX32;
  if (zip64) {
    const locator = end - 20;
    if (locator < 0 || buf.lastIndexOf(ZIP64_LOCATOR) !== locator) throw damagedDocx("no ZIP64 directory locator");
    const record = safeNumber(buf.readBigUInt64LE(locator + 8));
    if (
      buf.readUInt32LE(record) !== ZIP64_END ||
      record + 12 + safeNumber(buf.readBigUInt64LE(record + 4)) !== locator
    ) {
      throw damagedDocx("no ZIP64 end of directory");
    }
    total = safeNumber(buf.readBigUInt64LE(record + 32));
    dirSize = safeNumber(buf.readBigUInt64LE(record + 40));
    dirOffset = safeNumber(buf.readBigUInt64LE(record + 48));
    dirEnd = record;
  }
  if (dirOffset + dirSize !== dirEnd) throw damagedDocx("its zip directory is not where the file says");
  if (total > limits.docxEntries) throw splitIt(`the DOCX has more than ${count(limits.docxEntries)} parts`);

  const entries: ZipEntry[] = [];
  let p = dirOffset;
  // Every directory record up to the end record, as JSZip reads them (it does not stop at the declared count).
  while (p < dirEnd) {
    if (buf.readUInt32LE(p) !== ZIP_CENTRAL) throw damagedDocx("a zip directory record is broken");
    if (entries.length >= limits.docxEntries)
      throw splitIt(`the DOCX has more than ${count(limits.docxEntries)} parts`);
    const method = buf.readUInt16LE(p + 10);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLength);
    if (size === MAX32 || compressedSize === MAX32 || local === MAX32) {
      // ZIP64 extra field: the 64-bit values, in this order, for the fields set to 0xFFFFFFFF.
      let q = zip64Extra(buf, p + 46 + nameLength, extraLength);
      const next = () => {
        const v = safeNumber(buf.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (size === MAX32) size = next();
      if (compressedSize === MAX32) compressedSize = next();
      if (local === MAX32) local = next();
    }
    p += 46 + nameLength + extraLength + commentLength;
    if (buf.readUInt32LE(local) !== ZIP_LOCAL) throw damagedDocx(`${name}: no local header`);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (dataStart + compressedSize > buf.length) throw damagedDocx(`${name} runs past the end of the file`);
    entries.push({ name, method, compressedSize, size, dataStart });
  }
  if (p !== dirEnd || entries.length !== total) throw damagedDocx("its zip directory does not add up");
  return entries;
}

function zip64Extra(buf: Buffer, start: number, length: number): number {
  for (let q = start; q + 4 <= start + length; q += 4 + buf.readUInt16LE(q + 2)) {
    if (buf.readUInt16LE(q) === 0x0001) return q + 4;
  }
  throw damagedDocx("a ZIP64 entry has no ZIP64 sizes");
}

function safeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw damagedDocx("a ZIP64 size is out of range");
  return Number(n);
}

const isNameStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x3a) || c === 0x2d || c === 0x2e;

/** Start tags, and those whose local name is `p` (a paragraph, whatever the namespace prefix), in UTF-8 XML bytes. */
function countTags(xml: Buffer): { elements: number; paragraphs: number } {
  let elements = 0;
  let paragraphs = 0;
  for (let i = xml.indexOf(0x3c); i !== -1 && i + 1 < xml.length; i = xml.indexOf(0x3c, i + 1)) {
    if (!isNameStart(xml[i + 1]!)) continue;
    elements++;
    let j = i + 1;
    let local = j;
    while (j < xml.length && isNameChar(xml[j]!)) {
      if (xml[j] === 0x3a) local = j + 1;
      j++;
    }
    if (j - local === 1 && xml[local] === 0x70) paragraphs++;
  }
  return { elements, paragraphs };
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
