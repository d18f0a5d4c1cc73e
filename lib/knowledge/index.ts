import "server-only";
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { env, projectPath } from "@/lib/config/env";
import { AppError, toAppError } from "@/lib/errors";
import { loadPersona, type Persona, personaDir } from "@/lib/persona/persona";
import { type Embedder, HashedNgramEmbedder } from "./embedder";
import { removePageFurniture } from "./furniture";
import { instructionWarnings } from "./instructions";
import { parseDocument, SUPPORTED_EXTENSIONS } from "./loaders";
import { hasOnnxEmbeddingModel, OnnxSentenceEmbedder } from "./onnx-embedder";
import { Synonyms } from "./query";
import { HybridRetriever, type SearchOptions, type SearchResponse } from "./retriever";
import { splitSections } from "./splitter";
import { type ChunkRow, type DocumentInfo, KnowledgeStore } from "./store";
import { hasCjk } from "./text";

export type { SearchResult } from "./retriever";
export type { DocumentInfo, SearchOptions, SearchResponse };

export interface IngestReport {
  file: string;
  docId: string;
  status: "added" | "updated" | "unchanged" | "error";
  chunks?: number;
  pages?: number;
  error?: string;
  /** Things the administrator should look at although the file was ingested (e.g. text addressed to an assistant). */
  warnings?: string[];
  ms: number;
}

/** Document ids are the file's name, lower-cased and made safe: stable across re-uploads of the same file. */
export function docIdFor(fileName: string): string {
  return path
    .basename(fileName)
    .normalize("NFC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}._-]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

let onnxEmbedder: Promise<Embedder> | null = null;

/**
 * The configured embedder: the ONNX sentence embedder when its model folder is installed (or EMBEDDER=onnx,
 * which then fails clearly without one), else the built-in hashed n-grams. Loaded once per process.
 */
export async function createEmbedder(): Promise<Embedder> {
  const { EMBEDDER, EMBEDDING_MODEL_DIR } = env();
  const dir = projectPath(EMBEDDING_MODEL_DIR);
  if (EMBEDDER === "hashed" || (EMBEDDER === "auto" && !hasOnnxEmbeddingModel(dir))) return new HashedNgramEmbedder();
  onnxEmbedder ??= OnnxSentenceEmbedder.load(dir).catch((err) => {
    onnxEmbedder = null;
    throw err;
  });
  return onnxEmbedder;
}

/** A persona's knowledge base: ingestion, listing, removal and hybrid search over its LanceDB table. */
export class KnowledgeBase {
  readonly retriever: HybridRetriever;

  constructor(
    readonly persona: Persona,
    readonly store: KnowledgeStore,
    synonyms: Synonyms,
    private readonly maxBytes: number,
  ) {
    this.retriever = new HybridRetriever(store, synonyms, {
      k: persona.retrieval.k,
      maxChunksPerDoc: persona.retrieval.maxChunksPerDoc,
    });
  }

  static async open(
    personaId: string,
    options: { uri?: string; embedder?: Embedder; maxBytes?: number; synonyms?: Synonyms } = {},
  ): Promise<KnowledgeBase> {
    const persona = await loadPersona(personaId);
    const synonyms = options.synonyms ?? (await loadSynonyms(personaId));
    const uri = options.uri ?? projectPath(env().LANCEDB_URI);
    const store = new KnowledgeStore(uri, personaId, options.embedder ?? (await createEmbedder()));
    return new KnowledgeBase(persona, store, synonyms, options.maxBytes ?? env().KB_MAX_FILE_MB * 1024 * 1024);
  }

  search(question: string, options?: SearchOptions): Promise<SearchResponse> {
    return this.retriever.search(question, options);
  }

  list(): Promise<DocumentInfo[]> {
    return this.store.listDocuments();
  }

  async remove(docId: string): Promise<number> {
    const n = await this.store.removeDocument(docId);
    if (n === 0) throw new AppError("not_found", `no document "${docId}" in persona ${this.persona.id}`);
    return n;
  }

  /** Ingests files and folders (recursively); one report per file, and one bad file never stops the rest. */
  async ingestPaths(paths: string[]): Promise<IngestReport[]> {
    const files: string[] = [];
    for (const p of paths) files.push(...(await expandPath(p)));
    const reports: IngestReport[] = [];
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        const s = await stat(file);
        if (s.size > this.maxBytes) {
          reports.push(tooLarge(file, s.size, this.maxBytes));
          continue;
        }
        bytes = await readFile(file);
      } catch (err) {
        reports.push({ file, docId: docIdFor(file), status: "error", error: toAppError(err).message, ms: 0 });
        continue;
      }
      reports.push(await this.ingest(path.basename(file), bytes, path.relative(process.cwd(), file)));
    }
    if (reports.some((r) => r.status === "added" || r.status === "updated")) await this.store.optimize();
    return reports;
  }

  /**
   * Parses, chunks, embeds and writes one document. Unchanged content (same hash) is a no-op; changed content
   * replaces the old chunks in one commit; any failure leaves the store exactly as it was.
   */
  async ingest(fileName: string, bytes: Uint8Array, source = fileName): Promise<IngestReport> {
    const t0 = performance.now();
    const docId = docIdFor(fileName);
    const done = (r: Omit<IngestReport, "file" | "docId" | "ms">): IngestReport => ({
      file: source,
      docId,
      ...r,
      ms: Math.round(performance.now() - t0),
    });
    try {
      const hash = createHash("sha256").update(bytes).digest("hex");
      const stored = (await this.store.documentsById([docId])).get(docId);
      const previous = stored?.hash ?? null;
      // The same content under another name (an upload that replaces `Report.md` with `report.md`) is rewritten,
      // so the document carries the name it was last uploaded under.
      if (previous === hash && stored?.source === source) return done({ status: "unchanged" });
      const parsed = await parseDocument(fileName, bytes, this.maxBytes);
      const sections = removePageFurniture(parsed.sections, parsed.format);
      if (!sections.length)
        throw new AppError("unprocessable", "the file has only page furniture (headers, page numbers, addresses)");
      const drafts = await splitSections(sections, this.persona.retrieval);
      const warnings = instructionWarnings(parsed.sections.map((x) => `${x.heading}\n${x.text}`).join("\n"));
      const vectors = await this.store.embedder.embed(
        drafts.map((d) => `${parsed.title}\n${d.heading}\n${d.text}`),
        "passage",
      );
      const now = Date.now();
      const rows: ChunkRow[] = drafts.map((d, i) => {
        const headingText = [parsed.title, d.heading].filter(Boolean).join(" — ");
        return {
          id: `${docId}#${d.ord}`,
          doc_id: docId,
          doc_hash: hash,
          title: parsed.title,
          source,
          format: parsed.format,
          lang: parsed.lang,
          page: d.page,
          heading: d.heading,
          ord: d.ord,
          start: d.start,
          end: d.end,
          text: d.text,
          heading_text: headingText,
          cjk_text: hasCjk(d.text) || hasCjk(headingText) ? `${headingText}\n${d.text}` : "",
          vector: vectors[i]!,
          ingested_at: now,
          warnings: d.ord === 0 && warnings.length ? JSON.stringify(warnings) : "",
        };
      });
      await this.store.replaceDocument(docId, rows);
      const pages = new Set(drafts.map((d) => d.page).filter((p) => p != null)).size || 1;
      return done({
        status: previous ? "updated" : "added",
        chunks: rows.length,
        pages,
        ...(warnings.length && { warnings }),
      });
    } catch (err) {
      return done({ status: "error", error: toAppError(err).message });
    }
  }

  /**
   * Re-embeds every stored chunk with the configured embedder (after switching engines) into a new table that
   * replaces the live one in one switch: searches keep being served from the old table until then, and a crash
   * at any point leaves one complete knowledge base serving.
   */
  async reindex(): Promise<number> {
    const rows = await this.store.chunksOf(undefined, { anyEmbedder: true });
    if (!rows.length) return 0;
    const vectors = await this.store.embedder.embed(
      rows.map((r) => `${r.title}\n${r.heading}\n${r.text}`),
      "passage",
    );
    // Warnings are found again, so documents ingested before a check existed get it too.
    const textOf = new Map<string, string>();
    for (const r of rows) textOf.set(r.doc_id, `${textOf.get(r.doc_id) ?? ""}\n${r.heading}\n${r.text}`);
    const warningsOf = (r: ChunkRow) => {
      const found = r.ord === 0 ? instructionWarnings(textOf.get(r.doc_id) ?? "") : [];
      return found.length ? JSON.stringify(found) : "";
    };
    await this.store.swapIn(rows.map((r, i) => ({ ...r, vector: vectors[i]!, warnings: warningsOf(r) })));
    return rows.length;
  }
}

function tooLarge(file: string, size: number, max: number): IngestReport {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return {
    file,
    docId: docIdFor(file),
    status: "error",
    error: `the file is ${mb(size)} MB, over the ${mb(max)} MB limit`,
    ms: 0,
  };
}

/** A named file is always tried (and a wrong type reported); inside folders only supported types are taken. */
async function expandPath(p: string, inFolder = false): Promise<string[]> {
  const s = await stat(p).catch(() => null);
  if (!s) return [p]; // reported as an error by the caller
  if (!s.isDirectory()) return !inFolder || SUPPORTED_EXTENSIONS.includes(path.extname(p).toLowerCase()) ? [p] : [];
  const out: string[] = [];
  for (const e of (await readdir(p, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith(".")) continue;
    out.push(...(await expandPath(path.join(p, e.name), true)));
  }
  return out;
}

async function loadSynonyms(personaId: string): Promise<Synonyms> {
  const file = path.join(personaDir(personaId), "synonyms.json");
  const raw = await readFile(file, "utf8").catch(() => null);
  if (raw === null) return new Synonyms([]);
  try {
    return Synonyms.parse(JSON.parse(raw));
  } catch (err) {
    throw new AppError("internal", `${file} is invalid: ${(err as Error).message}`);
  }
}
