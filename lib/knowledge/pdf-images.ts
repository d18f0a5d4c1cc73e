/**
 * The pictures a PDF page paints, as pixels, straight from pdf.js (no canvas): the page's operator list names each
 * image, and pdf.js hands over its decoded samples (JPEG, Flate, CCITT, JBIG2 and JPEG 2000 are decoded by pdf.js).
 * Used to OCR scanned pages, whose text exists only in such pictures.
 */
import type { RawImage } from "./ocr";

// pdf.js operator codes and image kinds (pdfjs-dist's OPS and ImageKind; stable parts of its operator-list API).
const OPS = {
  paintImageMaskXObject: 83,
  paintImageXObject: 85,
  paintInlineImageXObject: 86,
  paintImageXObjectRepeat: 88,
} as const;
const KIND_GRAYSCALE_1BPP = 1;
const KIND_RGB_24BPP = 2;
const KIND_RGBA_32BPP = 3;

interface PdfObjects {
  has(id: string): boolean;
  get(id: string, callback: (data: unknown) => void): unknown;
}

/** The parts of pdf.js's PDFPageProxy read here. */
export interface PdfPageProxy {
  getOperatorList(): Promise<{ fnArray: number[]; argsArray: unknown[][] }>;
  objs: PdfObjects;
  commonObjs: PdfObjects;
  cleanup(): unknown;
}

interface PdfImageData {
  width: number;
  height: number;
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray;
}

export interface PageImageOptions {
  /** Pictures narrower or shorter than this are icons and rules, not text. */
  minSide?: number;
  /** At most this many pictures per page, largest first. */
  maxImages?: number;
  /** How long to wait for pdf.js to decode one picture. */
  timeoutMs?: number;
}

/** The page's pictures large enough to hold text, in painting order, as RGB/grey pixels (1 bit images unpacked). */
export async function pageImages(page: PdfPageProxy, options: PageImageOptions = {}): Promise<RawImage[]> {
  const minSide = options.minSide ?? 48;
  const ops = await page.getOperatorList();
  const found: { order: number; image: RawImage }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < ops.fnArray.length; i++) {
    const fn = ops.fnArray[i];
    const arg = ops.argsArray[i]?.[0];
    let data: PdfImageData | null = null;
    let mask = false;
    if (fn === OPS.paintImageXObject || fn === OPS.paintImageXObjectRepeat) {
      if (typeof arg !== "string" || seen.has(arg)) continue;
      seen.add(arg);
      const objs = page.commonObjs.has(arg) ? page.commonObjs : page.objs;
      data = await resolve(objs, arg, options.timeoutMs ?? 30_000);
    } else if (fn === OPS.paintInlineImageXObject || fn === OPS.paintImageMaskXObject) {
      data = arg && typeof arg === "object" ? (arg as PdfImageData) : null;
      mask = fn === OPS.paintImageMaskXObject;
    } else continue;
    if (!data?.data || data.width < minSide || data.height < minSide) continue;
    const image = toRawImage(data, mask);
    if (image) found.push({ order: i, image });
  }
  const kept = found
    .sort((a, b) => b.image.width * b.image.height - a.image.width * a.image.height)
    .slice(0, options.maxImages ?? 16)
    .sort((a, b) => a.order - b.order);
  return kept.map((f) => f.image);
}

function resolve(objs: PdfObjects, id: string, timeoutMs: number): Promise<PdfImageData | null> {
  return new Promise((done) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    try {
      objs.get(id, (data) => {
        clearTimeout(timer);
        done((data as PdfImageData | null) ?? null);
      });
    } catch {
      clearTimeout(timer);
      done(null);
    }
  });
}

function toRawImage(img: PdfImageData, mask: boolean): RawImage | null {
  const { width, height } = img;
  const src = img.data!;
  // Image masks are stencils: a 0 bit is painted (ink), a 1 bit left clear, the same as a 1-bit grey image.
  const kind = mask ? KIND_GRAYSCALE_1BPP : (img.kind ?? inferKind(src.length, width, height));
  if (kind === KIND_RGB_24BPP && src.length >= width * height * 3) return { data: src, width, height, channels: 3 };
  if (kind === KIND_RGBA_32BPP && src.length >= width * height * 4) return { data: src, width, height, channels: 4 };
  if (kind === KIND_GRAYSCALE_1BPP) {
    const grey = new Uint8Array(width * height);
    const rowBytes = (width + 7) >> 3;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = src[y * rowBytes + (x >> 3)] ?? 255;
        grey[y * width + x] = byte & (0x80 >> (x & 7)) ? 255 : 0;
      }
    }
    return { data: grey, width, height, channels: 1 };
  }
  return null;
}

function inferKind(length: number, width: number, height: number): number {
  if (length >= width * height * 4) return KIND_RGBA_32BPP;
  if (length >= width * height * 3) return KIND_RGB_24BPP;
  return KIND_GRAYSCALE_1BPP;
}
