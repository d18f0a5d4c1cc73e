/**
 * Scanned pages the tests make themselves: text drawn into pixels (sharp rasterises an SVG with system fonts:
 * Debian's fonts-liberation, which chromium brings, or fonts-dejavu-core), saved as PNG/JPEG or wrapped in an
 * image-only PDF page. No text layer survives, so the only way to read them back is OCR.
 */
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { makePdf, type PdfPageImage } from "./documents";

export interface ScanOptions {
  /** Resolution of the "scan"; the page is US Letter (8.5 x 11 in). Default 150. */
  dpi?: number;
  /** Body text size in points. Default 12. */
  pointSize?: number;
  /** CSS font family list. */
  font?: string;
  /** Scanner grain: each pixel moved by up to +-noise grey levels (deterministic). Default 0. */
  noise?: number;
  /** Gaussian blur sigma in pixels (a soft scan). Default 0. */
  blur?: number;
}

export interface GreyPage {
  data: Buffer;
  width: number;
  height: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * One page of lines drawn in black on white: `# ` lines are bold headings one and a half times the body size, an
 * empty string leaves a blank line. Lines are not wrapped: keep them under ~80 characters at 12 pt.
 */
export async function renderScan(lines: string[], options: ScanOptions = {}): Promise<GreyPage> {
  const dpi = options.dpi ?? 150;
  const px = ((options.pointSize ?? 12) * dpi) / 72;
  const width = Math.round(8.5 * dpi);
  const height = Math.round(11 * dpi);
  const font = options.font ?? "Liberation Sans, DejaVu Sans, Arial, sans-serif";
  let y = dpi; // one-inch margin
  const texts: string[] = [];
  for (const line of lines) {
    const heading = line.startsWith("# ");
    const size = heading ? px * 1.5 : px;
    y += size * 1.5;
    if (!line) continue;
    texts.push(
      `<text x="${dpi}" y="${y.toFixed(1)}" font-family="${font}" font-size="${size.toFixed(1)}"${heading ? ' font-weight="bold"' : ""}>${esc(heading ? line.slice(2) : line)}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${texts.join("")}</svg>`;
  let image = sharp(Buffer.from(svg)).flatten({ background: "#ffffff" }).greyscale();
  if (options.blur) image = image.blur(options.blur);
  const data = await image.raw().toBuffer();
  if (lines.some((l) => l.trim()) && !data.some((v) => v < 128)) {
    throw new Error("no font rendered the scan's text: install fonts-liberation or fonts-dejavu-core");
  }
  if (options.noise) {
    let seed = 7;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      data[i] = Math.max(0, Math.min(255, data[i]! + Math.round(((seed / 2 ** 32) * 2 - 1) * options.noise)));
    }
  }
  return { data, width, height };
}

export async function scannedPng(lines: string[], options: ScanOptions = {}): Promise<Uint8Array> {
  const page = await renderScan(lines, options);
  return sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
    .png()
    .toBuffer();
}

export async function scannedJpeg(lines: string[], options: ScanOptions & { quality?: number } = {}) {
  const page = await renderScan(lines, options);
  return sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
    .jpeg({ quality: options.quality ?? 80 })
    .toBuffer();
}

/** A PDF page: typed lines (a text layer), or a scan (lines drawn into a full-page picture) with optional typed lines. */
export interface ScannedPdfPage {
  text?: string[];
  scan?: string[];
}

/**
 * A PDF whose `scan` pages are pictures only, stored as a scanner would: JPEG (DCTDecode, the default) or
 * lossless Flate-compressed grey samples.
 */
export async function scannedPdf(
  pages: ScannedPdfPage[],
  options: ScanOptions & { encoding?: "jpeg" | "flate"; title?: string } = {},
): Promise<Uint8Array> {
  const pageImages: (PdfPageImage | undefined)[] = [];
  for (const page of pages) {
    if (!page.scan) {
      pageImages.push(undefined);
      continue;
    }
    const grey = await renderScan(page.scan, options);
    const jpeg = (options.encoding ?? "jpeg") === "jpeg";
    pageImages.push({
      width: grey.width,
      height: grey.height,
      colorSpace: "DeviceGray",
      filter: jpeg ? "DCTDecode" : "FlateDecode",
      data: jpeg
        ? await sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } })
            .jpeg({ quality: 85 })
            .toBuffer()
        : deflateSync(grey.data),
    });
  }
  return makePdf(
    pages.map((p) => p.text ?? []),
    { pageImages, ...(options.title ? { title: options.title } : {}) },
  );
}

/** Words wrapped into lines of at most `width` characters (a paragraph per string, a blank line between them). */
export function wrapText(paragraphs: string[], width = 80): string[] {
  const out: string[] = [];
  for (const para of paragraphs) {
    let line = "";
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(line);
    out.push("");
  }
  return out;
}
