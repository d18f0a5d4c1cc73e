import "server-only";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import * as cheerio from "cheerio";
import mammoth from "mammoth";
import { PDFParse } from "pdf-parse";
import { AppError } from "@/lib/errors";
import { parseMarkdown } from "./markdown";
import { OCR_MAX_PIXELS, ocrEngine } from "./ocr";
import { type PdfPageProxy, pageImages } from "./pdf-images";
import { detectLang } from "./text";

export type DocFormat = "pdf" | "docx" | "html" | "md" | "txt" | "image";

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
  /** Set when some text was read by OCR: scanned PDF pages (their numbers) or an image, and the time it took. */
  ocr?: { pages: number[]; ms: number };
}

const EXTENSIONS: Record<string, DocFormat> = {
  ".pdf": "pdf",
  ".docx": "docx",
  ".html": "html",
  ".htm": "html",
  ".md": "md",
  ".markdown": "md",
  ".txt": "txt",
  ".png": "image",
  ".jpg": "image",
  ".jpeg": "image",
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
  /** PDF pages without a text layer (scans, read by OCR) in one document: ~1-3 s each on two cores. */
  ocrPages: number;
}

export const DOCUMENT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  docxExpandedBytes: 64 * 1024 * 1024,
  docxEntries: 5_000,
  docxParagraphs: 50_000,
  docxElements: 500_000,
  pdfPages: 2_000,
  extractedChars: 10_000_000,
  ocrPages: 100,
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
  let ocr: ParsedDocument["ocr"];
  switch (format) {
    case "pdf":
      ({ title, sections, ocr } = await parsePdf(bytes, fallbackTitle, limits));
      break;
    case "image":
      ({ title, sections, ocr } = await parseImage(bytes, fallbackTitle));
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
      format === "pdf"
        ? `the PDF has no extractable text (${ocr ? "no text layer, and OCR found no readable text in its pictures" : "no text layer, and no pictures to read with OCR"})`
        : format === "image"
          ? "no readable text found in the image (OCR)"
          : "the file has no readable text",
    );
  }
  const lang = detectLang(`${title}\n${sections.map((s) => s.text).join("\n")}`.slice(0, 4000));
  return { title, format, lang, sections, ...(ocr && { ocr }) };
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
  const { pages, title: infoTitle, ocr } = await readPdfPages(bytes, limits);
  const sections = pageSections(pages);
  const title = infoTitle || sections[0]?.heading || fallbackTitle;
  return { title, sections, ocr };
}

/** A PNG or JPEG: its text read by OCR, laid out as one page. */
async function parseImage(bytes: Uint8Array, fallbackTitle: string) {
  const isPng = startsWith(bytes, "\x89PNG");
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) {
    throw new AppError("unprocessable", "not a PNG or JPEG image: the content does not match the file extension");
  }
  const t0 = performance.now();
  const engine = await ocrEngine();
  const { text } = await engine.recognizeFile(bytes);
  const sections = pageSections([{ num: 1, text }]).map((s) => ({ ...s, page: null }));
  const title = sections[0]?.heading || fallbackTitle;
  return { title, sections, ocr: { pages: [1], ms: Math.round(performance.now() - t0) } };
}

/**
 * Pages of text to sections. PDFs (and OCR'd pictures) carry no heading markup: a short line without closing
 * punctuation, followed by prose, is a heading.
 */
function pageSections(pages: { num: number; text: string }[]): Section[] {
  const sections: Section[] = [];
  let heading = "";
  for (const p of pages) {
    const pageNo = p.num;
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
  return sections;
}

/** Pages are extracted this many at a time, the text cap checked after each batch. */
const PDF_PAGE_BATCH = 50;

/** A page whose text layer has fewer letters and digits than this (a page number, a stamp) is read by OCR. */
const OCR_BELOW_CHARS = 20;

/**
 * The PDF's pages as text, through pdf-parse (what LangChain's PDFLoader calls) directly: the page count is known
 * before any page is read, and extraction stops once the text passes the cap instead of after the last page.
 * Pages with (almost) no text layer are scanned pages: their pictures are read by OCR, the OCR engine loaded only
 * when the first such page turns up. A page with a text layer is never OCR'd.
 */
async function readPdfPages(
  bytes: Uint8Array,
  limits: DocumentLimits,
): Promise<{ pages: { num: number; text: string }[]; title: string; ocr?: { pages: number[]; ms: number } }> {
  // A copy: pdf.js may take over the buffer. Pictures come back as plain pixel arrays (no canvas, no ImageDecoder),
  // and one larger than OCR reads is never decoded.
  const parser = new PDFParse({
    data: new Uint8Array(bytes),
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    maxImageSize: OCR_MAX_PIXELS,
  });
  try {
    const info = await parser.getInfo().catch(pdfError);
    if (info.total > limits.pdfPages) {
      throw splitIt(`the PDF has ${count(info.total)} pages, over the ${count(limits.pdfPages)}-page limit`);
    }
    const pages: { num: number; text: string }[] = [];
    const scanned: { num: number; text: string }[] = [];
    let chars = 0;
    for (let first = 1; first <= info.total; first += PDF_PAGE_BATCH) {
      const last = Math.min(info.total, first + PDF_PAGE_BATCH - 1);
      const batch = await parser.getText({ first, last }).catch(pdfError);
      for (const page of batch.pages) {
        if ((page.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < OCR_BELOW_CHARS) scanned.push(page);
        else pages.push(page);
        chars += page.text.length;
      }
      if (chars > limits.extractedChars) {
        throw splitIt(`the PDF holds more than ${count(limits.extractedChars)} characters of text`);
      }
    }
    let ocr: { pages: number[]; ms: number } | undefined;
    if (scanned.length > limits.ocrPages) {
      throw splitIt(
        `the PDF has ${count(scanned.length)} pages without a text layer (scanned), over the ${count(limits.ocrPages)}-page OCR limit`,
      );
    }
    if (scanned.length) {
      const read = await ocrPdfPages(parser, scanned);
      ocr = read.ocr;
      for (const page of read.pages) {
        chars += page.text.length;
        pages.push(page);
      }
      pages.sort((a, b) => a.num - b.num);
      if (chars > limits.extractedChars) {
        throw splitIt(`the PDF holds more than ${count(limits.extractedChars)} characters of text`);
      }
    }
    const title = (info.info as { Title?: unknown } | undefined)?.Title;
    return { pages, title: typeof title === "string" ? title.trim() : "", ...(ocr && { ocr }) };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * Reads the pictures of text-less pages by OCR. Each page keeps the little text its layer had (a page number)
 * ahead of what OCR found. `ocr` is undefined when no page had a picture worth reading.
 */
async function ocrPdfPages(
  parser: PDFParse,
  scanned: { num: number; text: string }[],
): Promise<{ pages: { num: number; text: string }[]; ocr?: { pages: number[]; ms: number } }> {
  // pdf-parse keeps its pdf.js document private; load() returns the one already opened by getInfo().
  const load = (parser as unknown as { load?: () => Promise<{ getPage(n: number): Promise<PdfPageProxy> }> }).load;
  if (typeof load !== "function") throw new AppError("internal", "pdf-parse no longer exposes its pdf.js document");
  const doc = await load.call(parser).catch(pdfError);
  const t0 = performance.now();
  const pages: { num: number; text: string }[] = [];
  const read: number[] = [];
  for (const page of scanned) {
    const proxy = await doc.getPage(page.num).catch(pdfError);
    try {
      const images = await pageImages(proxy);
      if (!images.length) {
        if (page.text.trim()) pages.push(page);
        continue;
      }
      read.push(page.num);
      const engine = await ocrEngine();
      const texts: string[] = [];
      for (const image of images) {
        const { text } = await engine.recognize(image);
        if (text) texts.push(text);
      }
      const text = [page.text.trim(), ...texts].filter(Boolean).join("\n\n");
      if (text) pages.push({ num: page.num, text });
    } finally {
      proxy.cleanup();
    }
  }
  return { pages, ...(read.length && { ocr: { pages: read, ms: Math.round(performance.now() - t0) } }) };
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

function parsePlainText(text: string, fallbackTitle: string) {
  const first = text.trim().split("\n")[0]?.trim() ?? "";
  const title = first.length > 0 && first.length <= 80 ? first : fallbackTitle;
  return { title, sections: [{ text, heading: "", page: null }] };
}
