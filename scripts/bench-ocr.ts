/**
 * `npm run bench:ocr`: OCR throughput and accuracy on scanned pages the script renders itself (the sample triage
 * documents' sentences, 11 pt, drawn into 200 dpi greyscale pictures with a little scanner grain, stored in an
 * image-only PDF as JPEG), and, for comparison, text-layer PDF ingestion throughput, which OCR must never slow
 * (text pages are not OCR'd). A benchmark, not a test: it prints figures.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { KnowledgeBase } from "@/lib/knowledge";
import { HashedNgramEmbedder } from "@/lib/knowledge/embedder";
import { parseDocument } from "@/lib/knowledge/loaders";
import { parseMarkdown } from "@/lib/knowledge/markdown";
import { ocrEngine } from "@/lib/knowledge/ocr";
import { personaDir } from "@/lib/persona/persona";
import { makePdf } from "@/lib/testing/documents";
import { scannedPdf, scannedPng, wrapText } from "@/lib/testing/scanned";

const { values } = parseArgs({
  options: {
    pages: { type: "string", default: "6" },
    dpi: { type: "string", default: "200" },
    "text-pages": { type: "string", default: "200" },
  },
});
const pageCount = Number(values.pages);
const dpi = Number(values.dpi);
const MB = 1024 * 1024;

/** Levenshtein distance (characters), for accuracy = 1 - distance / reference length. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
const norm = (s: string) => s.replace(/\s+/g, " ").trim();
const wordsOf = (s: string) => norm(s).toLowerCase().split(" ");

console.log(`machine: ${cpus().length} cores, node ${process.version}`);

// Page text: the triage sample documents' paragraphs, wrapped, 40 lines a page.
const docsDir = path.join(personaDir("triage"), "docs");
const paragraphs: string[] = [];
for (const f of (await readdir(docsDir)).filter((f) => f.endsWith(".md") && !f.startsWith("zh-")).sort()) {
  const { sections } = parseMarkdown(await readFile(path.join(docsDir, f), "utf8"), f);
  for (const s of sections) paragraphs.push(...s.text.split("\n").map((l) => l.replace(/^- /, "")));
}
const lines = wrapText(paragraphs, 78);
const pages: string[][] = [];
for (let i = 0; i < pageCount; i++) pages.push(lines.slice(i * 40, i * 40 + 40));
const truth = pages.map((p) => norm(p.join(" ")));

let t = performance.now();
const engine = await ocrEngine();
console.log(`OCR models loaded in ${(performance.now() - t).toFixed(0)} ms (PP-OCRv4 det + rec, onnxruntime-node CPU)`);

// Warm-up: one picture, so the figures below are steady-state.
await engine.recognizeFile(await scannedPng(pages[0]!.slice(0, 5), { dpi }));

const pdf = await scannedPdf(
  pages.map((scan) => ({ scan })),
  { dpi, pointSize: 11, noise: 12, blur: 0.4 },
);
t = performance.now();
const cpu0 = process.cpuUsage();
const doc = await parseDocument("scanned.pdf", pdf, 200 * MB);
const secs = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const byPage = new Map<number, string>();
for (const s of doc.sections) byPage.set(s.page!, `${byPage.get(s.page!) ?? ""} ${s.heading} ${s.text}`);
let chars = 0;
let errors = 0;
let words = 0;
let wordHits = 0;
pages.forEach((_, i) => {
  const got = norm(byPage.get(i + 1) ?? "");
  chars += truth[i]!.length;
  errors += distance(got, truth[i]!);
  const have = new Set(wordsOf(got));
  for (const w of wordsOf(truth[i]!)) {
    words++;
    if (have.has(w)) wordHits++;
  }
});
console.log(
  `scanned PDF: ${pageCount} pages (${dpi} dpi, 40 lines each, JPEG in PDF, ${(pdf.length / MB).toFixed(1)} MB) in ${secs.toFixed(2)} s = ${(pageCount / secs).toFixed(2)} pages/s (${((secs * 1000) / pageCount).toFixed(0)} ms a page)`,
);
// Wall time depends on what else the machine runs; CPU time much less so (on an idle machine wall ~ CPU / cores used).
console.log(
  `  CPU time ${(cpuSecs / pageCount).toFixed(2)} s a page (${(cpuSecs / secs).toFixed(2)} cores busy on average; load average ${loadavg()[0]!.toFixed(1)})`,
);
console.log(
  `OCR accuracy: characters ${(100 * (1 - errors / chars)).toFixed(1)}% (${errors} edits over ${chars}), words found ${(100 * (wordHits / words)).toFixed(1)}%`,
);

// Text-layer PDF: parse-only and full ingestion (parse, split, embed, write). The same sentences, 30 lines a page,
// cycling through the corpus (lines repeated on most pages would be taken for running headers and dropped).
const textPages = Number(values["text-pages"]);
const corpus = lines.filter(Boolean);
const textPdf = makePdf(
  Array.from({ length: textPages }, (_, p) => [
    `Section ${p + 1}`,
    ...Array.from({ length: 30 }, (_, i) => corpus[(p * 30 + i) % corpus.length]!),
  ]),
);
t = performance.now();
const parsed = await parseDocument("handbook.pdf", textPdf, 200 * MB);
const parseSecs = (performance.now() - t) / 1000;
console.log(
  `text PDF parse: ${textPages} pages in ${parseSecs.toFixed(2)} s = ${(textPages / parseSecs).toFixed(0)} pages/s (OCR'd pages: ${parsed.ocr?.pages.length ?? 0})`,
);
const dir = await mkdtemp(path.join(tmpdir(), "bench-ocr-"));
try {
  const kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "db"), embedder: new HashedNgramEmbedder() });
  t = performance.now();
  const report = await kb.ingest("handbook.pdf", textPdf);
  const ingestSecs = (performance.now() - t) / 1000;
  console.log(
    `text PDF ingestion: ${report.pages} pages, ${report.chunks} chunks in ${ingestSecs.toFixed(2)} s = ${((report.pages ?? 0) / ingestSecs).toFixed(1)} pages/s`,
  );
  t = performance.now();
  const scanReport = await kb.ingest("scanned.pdf", pdf);
  const scanSecs = (performance.now() - t) / 1000;
  console.log(
    `scanned PDF ingestion: ${scanReport.pages} pages, ${scanReport.chunks} chunks in ${scanSecs.toFixed(2)} s = ${((scanReport.pages ?? 0) / scanSecs).toFixed(2)} pages/s`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
