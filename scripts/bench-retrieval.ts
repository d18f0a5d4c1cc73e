/**
 * `npm run bench:retrieval`: hybrid-search latency (p50/p95) at 1k, 10k and 100k chunks, and ingestion
 * throughput in pages per second. A benchmark, not a test: it prints figures.
 *
 * Corpus: the sample documents' real passages, recombined sentence by sentence into synthetic chunks so that
 * term statistics stay realistic as the table grows. Queries: the team's evaluation questions.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { KnowledgeBase } from "@/lib/knowledge";
import { loadRetrievalQuestions } from "@/lib/knowledge/evaluation";
import type { ChunkRow } from "@/lib/knowledge/store";
import { hasCjk } from "@/lib/knowledge/text";
import { personaDir } from "@/lib/persona/persona";
import { makePdf } from "@/lib/testing/documents";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "1000,10000,100000" }, runs: { type: "string", default: "3" } },
});
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? 0;
};

// Deterministic pseudo-random numbers so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const dir = await mkdtemp(path.join(tmpdir(), "bench-retrieval-"));
try {
  console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}`);

  // Ingestion throughput through the real path (parse, split, embed, merge-insert, index).
  const ingestKb = await KnowledgeBase.open("triage", { uri: path.join(dir, "ingest-db") });
  const samples = path.join(personaDir("triage"), "docs");
  const handbook = path.join(dir, "long-handbook.pdf");
  // Sentences vary from line to line: a line found on most pages is a running header and is dropped at ingestion.
  const who = ["Patients with chest pain", "Visitors to the ward", "Children with a fever", "Adults with asthma"];
  const what = ["are seen first", "bring a list of medicines", "wait in area B", "see the triage nurse", "call 111"];
  const when = ["at night.", "before noon.", "on weekends.", "after surgery.", "in winter.", "every day."];
  const sentence = (n: number) => `${who[n % 4]} ${what[(n >> 2) % 5]} ${when[Math.floor(n / 20) % 6]}`;
  await writeFile(
    handbook,
    makePdf(
      Array.from({ length: 200 }, (_, p) => [
        `Section ${p + 1}`,
        ...Array.from({ length: 30 }, (_, i) => sentence(p * 30 + i)),
      ]),
    ),
  );
  const t0 = performance.now();
  const reports = await ingestKb.ingestPaths([samples, handbook]);
  const secs = (performance.now() - t0) / 1000;
  const pages = reports.reduce((s, r) => s + (r.pages ?? 0), 0);
  const chunks = reports.reduce((s, r) => s + (r.chunks ?? 0), 0);
  console.log(
    `ingestion: ${reports.length} files, ${pages} pages, ${chunks} chunks in ${secs.toFixed(2)} s = ${(pages / secs).toFixed(1)} pages/s (incl. index build)`,
  );

  // Seed passages for the synthetic corpus.
  const seedRows = await ingestKb.store.chunksOf();
  const seedSentences = seedRows.flatMap((r) => r.text.split(/(?<=[.!?。！？])\s*/).filter((s) => s.length > 20));
  const queries = [...(await loadRetrievalQuestions("triage")), ...(await loadRetrievalQuestions("support"))].map(
    (q) => q.q,
  );

  console.log(
    `\nhybrid search (vector + BM25 text + BM25 headings [+ n-gram for Chinese], RRF), ${queries.length} questions x ${runs} runs`,
  );
  console.log("chunks    index            p50 ms   p95 ms   max ms");
  let total = 0;
  const kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "search-db") });
  for (const size of sizes.sort((a, b) => a - b)) {
    while (total < size) {
      const batch = Math.min(10_000, size - total);
      const rows: ChunkRow[] = [];
      const texts: string[] = [];
      for (let i = 0; i < batch; i++) {
        const n = 3 + Math.floor(rand() * 4);
        texts.push(Array.from({ length: n }, () => seedSentences[Math.floor(rand() * seedSentences.length)]).join(" "));
      }
      const vectors = await kb.store.embedder.embed(texts, "passage");
      texts.forEach((text, i) => {
        const docNo = Math.floor((total + i) / 20);
        const title = `Synthetic guide ${docNo}`;
        rows.push({
          id: `synthetic-${docNo}.md#${(total + i) % 20}`,
          doc_id: `synthetic-${docNo}.md`,
          doc_hash: "bench",
          title,
          source: "bench",
          format: "md",
          lang: hasCjk(text) ? "zh" : "en",
          page: null,
          heading: "",
          ord: (total + i) % 20,
          start: 0,
          end: text.length,
          text,
          heading_text: title,
          cjk_text: hasCjk(text) ? text : "",
          vector: Array.from(vectors[i]!),
          ingested_at: Date.now(),
          warnings: "",
        });
      });
      if (total === 0) await kb.store.replaceDocument(rows[0]!.doc_id, rows.slice(0, 1)).then(() => rows.shift());
      const table = await kb.store.table();
      await table!.add(rows as unknown as Record<string, unknown>[]);
      total += batch;
    }
    const tIndex = performance.now();
    await kb.store.optimize();
    await kb.store.warm();
    const indexSecs = (performance.now() - tIndex) / 1000;
    for (const q of queries.slice(0, 5)) await kb.search(q); // warm-up
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      for (const q of queries) {
        const t = performance.now();
        await kb.search(q);
        times.push(performance.now() - t);
      }
    }
    const index = (await kb.store.hasVectorIndex()) ? "HNSW-SQ + FTS" : "flat + FTS";
    console.log(
      `${String(total).padEnd(9)} ${index.padEnd(16)} ${pct(times, 50).toFixed(1).padStart(6)}   ${pct(times, 95).toFixed(1).padStart(6)}   ${Math.max(
        ...times,
      )
        .toFixed(1)
        .padStart(6)}   (indexing ${indexSecs.toFixed(1)} s)`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
