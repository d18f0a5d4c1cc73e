import "server-only";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from "apache-arrow";
import { AppError, logWithId } from "@/lib/errors";
import type { Embedder } from "./embedder";
import { Vocabulary } from "./vocabulary";

/** One row of a persona's table. Column names are snake_case because LanceDB's SQL filters fold case. */
export interface ChunkRow {
  id: string;
  doc_id: string;
  doc_hash: string;
  title: string;
  source: string;
  format: string;
  lang: string;
  page: number | null;
  heading: string;
  ord: number;
  start: number;
  end: number;
  text: string;
  /** Title and heading: indexed on their own so a match there can be weighted. */
  heading_text: string;
  /** Han text (with its headings) for the n-gram index; empty for documents without Chinese. */
  cjk_text: string;
  vector: number[] | Float32Array;
  ingested_at: number;
  /** On a document's first chunk: its upload warnings as a JSON array (text addressed to an assistant); else "". */
  warnings: string;
}

export interface DocumentInfo {
  docId: string;
  title: string;
  source: string;
  format: string;
  lang: string;
  hash: string;
  chunks: number;
  pages: number;
  ingestedAt: string;
  /** Warnings found when it was ingested (e.g. passages addressed to an assistant), for the admin's document view. */
  warnings?: string[];
}

const connections = new Map<string, Promise<lancedb.Connection>>();

function connect(uri: string): Promise<lancedb.Connection> {
  let c = connections.get(uri);
  if (!c) {
    // Interval 0: every read checks for newer versions, so the web server sees what the CLI or an ingest worker wrote.
    c = lancedb.connect(uri, { readConsistencyInterval: 0 });
    connections.set(uri, c);
  }
  return c;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function schemaFor(embedder: Embedder): Schema {
  const str = (name: string) => new Field(name, new Utf8(), false);
  return new Schema(
    [
      str("id"),
      str("doc_id"),
      str("doc_hash"),
      str("title"),
      str("source"),
      str("format"),
      str("lang"),
      new Field("page", new Int32(), true),
      str("heading"),
      new Field("ord", new Int32(), false),
      new Field("start", new Int32(), false),
      new Field("end", new Int32(), false),
      str("text"),
      str("heading_text"),
      str("cjk_text"),
      new Field("vector", new FixedSizeList(embedder.dimensions, new Field("item", new Float32(), true)), false),
      new Field("ingested_at", new Float64(), false),
      str("warnings"),
    ],
    new Map([["embedder", embedder.id]]),
  );
}

/** Where each persona's live table is named after a re-index swapped it in (one row per persona). */
const CATALOG_TABLE = "catalog__kb";
/** How long a store trusts the table name it resolved before asking the catalog again. */
const RESOLVE_TTL_MS = 1000;
/**
 * How long a table replaced by a re-index stays readable: other processes may still hold it for up to
 * RESOLVE_TTL_MS, and a search that started on it must be able to finish.
 */
const RETIRED_GRACE_MS = 60_000;
/** A table newer than the live one that never went live is a re-index that died; removed after this. */
const ABANDONED_BUILD_MS = 60 * 60_000;

function catalogSchema(): Schema {
  return new Schema([
    new Field("persona", new Utf8(), false),
    new Field("table_name", new Utf8(), false),
    new Field("swapped_at", new Float64(), false),
  ]);
}

/** When a table generation was built: `kb_x__<ms>`; the original un-suffixed table counts as generation 0. */
function generationOf(name: string): number {
  const m = /__(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

/**
 * One LanceDB table per persona. Writes of a document are a single merge-insert commit, so readers see the
 * old chunks or the new ones, never a mix and never none. A re-index builds a whole new table (its indexes
 * included) beside the live one and then switches readers to it in one catalog commit; the old table stays
 * readable for a grace period, so a crash at any moment leaves a complete knowledge base serving.
 */
export class KnowledgeStore {
  private live: { name: string; table: lancedb.Table; resolvedAt: number } | null = null;
  private resolving: Promise<lancedb.Table | null> | null = null;
  private vocab: { table: string; version: number; vocab: Vocabulary } | null = null;
  private vocabBuild: Promise<Vocabulary> | null = null;

  constructor(
    readonly uri: string,
    readonly persona: string,
    readonly embedder: Embedder,
  ) {}

  /** The name the persona's first table gets; later generations add `__<built at ms>`. */
  get tableName(): string {
    return `kb_${this.persona.replace(/-/g, "_")}`;
  }

  /** The table, or null while the persona has no documents yet. */
  async table(): Promise<lancedb.Table | null> {
    if (this.live && performance.now() - this.live.resolvedAt < RESOLVE_TTL_MS) return this.live.table;
    this.resolving ??= this.resolve(true).finally(() => {
      this.resolving = null;
    });
    return this.resolving;
  }

  /**
   * Where the persona stands in the store: every table name, the one readers should use now (the catalog's entry,
   * else the first table's name) and when a re-index last switched it (null before any has).
   */
  private async located(db: lancedb.Connection): Promise<{ names: string[]; live: string; swappedAt: number | null }> {
    const names = await db.tableNames();
    if (!names.includes(CATALOG_TABLE)) return { names, live: this.tableName, swappedAt: null };
    const rows = await (await db.openTable(CATALOG_TABLE))
      .query()
      .where(`persona = ${sqlString(this.persona)}`)
      .select(["table_name", "swapped_at"])
      .limit(1)
      .toArray();
    const row = rows[0] as { table_name: string; swapped_at: number } | undefined;
    return { names, live: row?.table_name ?? this.tableName, swappedAt: row ? Number(row.swapped_at) : null };
  }

  private async resolve(checkEmbedder: boolean): Promise<lancedb.Table | null> {
    const db = await connect(this.uri);
    const { names, live: name } = await this.located(db);
    if (this.live?.name === name) {
      this.live.resolvedAt = performance.now();
      return this.live.table;
    }
    if (!names.includes(name)) {
      this.live = null;
      return null;
    }
    const table = await db.openTable(name);
    if (checkEmbedder) await this.checkEmbedder(table);
    this.live = { name, table, resolvedAt: performance.now() };
    return table;
  }

  private async writableTable(): Promise<lancedb.Table> {
    const existing = await this.table();
    if (existing) return existing;
    const db = await connect(this.uri);
    const { live: name } = await this.located(db);
    const created = await db
      .createEmptyTable(name, schemaFor(this.embedder), { existOk: true })
      .catch(async () => db.openTable(name));
    await this.checkEmbedder(created);
    this.live = { name, table: created, resolvedAt: performance.now() };
    return created;
  }

  /** Columns added since a table was created, filled for its existing rows, so writes of today's rows fit. */
  private async upgrade(table: lancedb.Table): Promise<void> {
    if (!(await hasColumn(table, "warnings"))) await table.addColumns([{ name: "warnings", valueSql: "''" }]);
  }

  private async checkEmbedder(table: lancedb.Table): Promise<void> {
    const indexedWith = (await table.schema()).metadata.get("embedder");
    if (indexedWith && indexedWith !== this.embedder.id) {
      throw new AppError(
        "unavailable",
        `persona "${this.persona}" was indexed with embedder ${indexedWith} but ${this.embedder.id} is configured; ` +
          `run \`npm run kb -- reindex --persona ${this.persona}\``,
      );
    }
  }

  /**
   * A failure to read the table as the error a person sees: "unavailable" with no store paths in it. Errors the
   * app raised on purpose (an embedder mismatch) pass through; anything else is logged with an id to find it by.
   */
  unreadable(err: unknown): AppError {
    if (err instanceof AppError) return err;
    const id = logWithId(`knowledge base of ${this.persona} unreadable`, err);
    return new AppError(
      "unavailable",
      `the knowledge base of persona ${this.persona} is unavailable right now (error ${id})`,
      { cause: err },
    );
  }

  /**
   * Reads the live table the way a question does (row count, each full-text index, the vectors), so a table
   * whose files are damaged is found by a health check and not by the next person who asks.
   */
  async check(): Promise<{ documents: number; chunks: number }> {
    try {
      const table = await this.table();
      if (!table) return { documents: 0, chunks: 0 };
      const chunks = await table.countRows();
      const documents = chunks ? await table.countRows("ord = 0") : 0;
      if (chunks) {
        const vector = new Array(this.embedder.dimensions).fill(0);
        vector[0] = 1;
        await Promise.all([
          table.search("health", "fts", "text").limit(1).toArray(),
          table.search("health", "fts", "heading_text").limit(1).toArray(),
          table.query().nearestTo(vector).limit(1).select(["id"]).toArray(),
        ]);
      }
      return { documents, chunks };
    } catch (err) {
      throw this.unreadable(err);
    }
  }

  /**
   * The whole section a chunk belongs to (its neighbours under the same heading, overlaps removed), so an answer
   * is composed from whole sentences and whole lists rather than from a chunk cut mid-list. A very long section is
   * narrowed to the chunks around the hit.
   */
  async sectionAround(docId: string, heading: string, start: number, maxChars = 3000): Promise<string | null> {
    const table = await this.table();
    if (!table) return null;
    type Piece = Pick<ChunkRow, "ord" | "start" | "end" | "text">;
    const rows = (await table
      .query()
      .where(`doc_id = ${sqlString(docId)} AND heading = ${sqlString(heading)}`)
      .select(["ord", "start", "end", "text"])
      .toArray()) as Piece[];
    rows.sort((a, b) => a.ord - b.ord);
    const at = rows.findIndex((r) => r.start === start);
    if (at < 0) return null;
    // The run of consecutive chunks around the hit (a heading may recur further down the document).
    let from = at;
    let to = at;
    while (from > 0 && rows[from - 1]!.ord === rows[from]!.ord - 1) from--;
    while (to < rows.length - 1 && rows[to + 1]!.ord === rows[to]!.ord + 1) to++;
    const whole = mergeChunks(rows.slice(from, to + 1));
    return whole.length <= maxChars ? whole : mergeChunks(rows.slice(Math.max(from, at - 1), Math.min(to, at + 1) + 1));
  }

  /** Title, source and current content hash of each listed document that exists (one row per document read). */
  async documentsById(docIds: string[]): Promise<Map<string, { title: string; source: string; hash: string }>> {
    const table = await this.table();
    if (!table || !docIds.length) return new Map();
    const rows = await table
      .query()
      .where(`doc_id IN (${docIds.map(sqlString).join(", ")}) AND ord = 0`)
      .select(["doc_id", "title", "source", "doc_hash"])
      .toArray();
    return new Map(rows.map((r) => [r.doc_id as string, { title: r.title, source: r.source, hash: r.doc_hash }]));
  }

  /** Current content hash of each listed document that exists. */
  async documentHashes(docIds: string[]): Promise<Record<string, string>> {
    const docs = await this.documentsById(docIds);
    return Object.fromEntries([...docs].map(([id, d]) => [id, d.hash]));
  }

  /** Documents in the table, counted from their first chunks (no scan of every row). */
  async countDocuments(): Promise<number> {
    const table = await this.table();
    return table ? table.countRows("ord = 0") : 0;
  }

  /** Replaces every chunk of `docId` with `rows` in one commit. */
  async replaceDocument(docId: string, rows: ChunkRow[]): Promise<void> {
    const table = await this.writableTable();
    await this.upgrade(table);
    await table
      .mergeInsert("id")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .whenNotMatchedBySourceDelete({ where: `doc_id = ${sqlString(docId)}` })
      .execute(rows.map((r) => ({ ...r, vector: Array.from(r.vector) })));
  }

  /** Deletes every chunk of a document; returns how many there were. */
  async removeDocument(docId: string): Promise<number> {
    const table = await this.table();
    if (!table) return 0;
    const filter = `doc_id = ${sqlString(docId)}`;
    const n = await table.countRows(filter);
    if (n > 0) await table.delete(filter);
    return n;
  }

  async countChunks(): Promise<number> {
    const table = await this.table();
    return table ? table.countRows() : 0;
  }

  async listDocuments(): Promise<DocumentInfo[]> {
    const table = await this.table();
    if (!table) return [];
    const rows = await table
      .query()
      .select([
        "doc_id",
        "title",
        "source",
        "format",
        "lang",
        "doc_hash",
        "page",
        "ingested_at",
        ...((await hasColumn(table, "warnings")) ? ["warnings"] : []),
      ])
      .toArray();
    const docs = new Map<string, DocumentInfo & { pageSet: Set<number> }>();
    for (const r of rows) {
      let d = docs.get(r.doc_id);
      if (!d) {
        d = {
          docId: r.doc_id,
          title: r.title,
          source: r.source,
          format: r.format,
          lang: r.lang,
          hash: r.doc_hash,
          chunks: 0,
          pages: 0,
          ingestedAt: new Date(r.ingested_at).toISOString(),
          pageSet: new Set(),
        };
        docs.set(r.doc_id, d);
      }
      d.chunks++;
      if (r.page != null) d.pageSet.add(r.page);
      if (r.warnings) d.warnings = JSON.parse(r.warnings) as string[];
    }
    return [...docs.values()]
      .map(({ pageSet, ...d }) => ({ ...d, pages: pageSet.size || 1 }))
      .sort((a, b) => a.docId.localeCompare(b.docId));
  }

  /**
   * Every chunk with its stored text, in document order (for re-embedding and previews). `anyEmbedder` reads a
   * table built by another embedder, which is what re-indexing needs.
   */
  async chunksOf(docId?: string, options: { anyEmbedder?: boolean } = {}): Promise<ChunkRow[]> {
    const table = options.anyEmbedder ? await this.resolve(false) : await this.table();
    if (!table) return [];
    const q = table.query();
    if (docId) q.where(`doc_id = ${sqlString(docId)}`);
    const rows = (await q.toArray()) as ChunkRow[];
    return rows
      .map((r) => ({ ...r, warnings: r.warnings ?? "", vector: Array.from(r.vector as ArrayLike<number>) }))
      .sort((a, b) => a.doc_id.localeCompare(b.doc_id) || a.ord - b.ord);
  }

  /**
   * Creates missing indexes and folds new rows into existing ones. Unindexed rows are still searched
   * (flat), so this is about speed, not correctness, and can run after a batch of writes. Tables a re-index
   * replaced are removed here once their grace period has passed.
   */
  async optimize(): Promise<void> {
    const table = await this.table();
    if (!table) return;
    await ensureIndexes(table);
    await table.optimize({ cleanupOlderThan: new Date(Date.now() - 60 * 60 * 1000) });
    await this.dropRetiredTables();
  }

  /**
   * Replaces the whole table with `rows` (embedded with this store's embedder) as one switch: the new table and
   * its indexes are built under a new name while the old one keeps serving, then one catalog commit points
   * readers at it. Killed before that commit, the old table is still the live one and the half-built one is
   * removed later; after it, the new one is complete.
   */
  async swapIn(rows: ChunkRow[]): Promise<void> {
    const db = await connect(this.uri);
    const name = `${this.tableName}__${Date.now()}`;
    const built = await db.createTable(
      name,
      rows.map((r) => ({ ...r, vector: Array.from(r.vector) })),
      { schema: schemaFor(this.embedder) },
    );
    await ensureIndexes(built);
    const stored = await built.countRows();
    if (stored !== rows.length) throw new Error(`re-index wrote ${stored} of ${rows.length} chunks`);
    const catalog = await db.createEmptyTable(CATALOG_TABLE, catalogSchema(), { existOk: true });
    await catalog
      .mergeInsert("persona")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute([{ persona: this.persona, table_name: name, swapped_at: Date.now() }]);
    this.live = { name, table: built, resolvedAt: performance.now() };
    this.vocab = null;
    // The replaced table is dropped after its grace period: by this process if it is still running, else by the
    // next optimize or re-index of any process.
    setTimeout(() => void this.dropRetiredTables().catch(() => undefined), RETIRED_GRACE_MS + 1000).unref();
  }

  /**
   * Drops this persona's tables that are not live: older generations once the grace period since the swap has
   * passed, and newer ones (a re-index that died before its switch) once they are clearly abandoned.
   */
  async dropRetiredTables(now = Date.now()): Promise<string[]> {
    const db = await connect(this.uri);
    const { names, live, swappedAt: switched } = await this.located(db);
    const swappedAt = switched ?? now;
    const mine = names.filter((n) => n === this.tableName || n.startsWith(`${this.tableName}__`));
    const dropped: string[] = [];
    for (const name of mine) {
      if (name === live) continue;
      const older = generationOf(name) < generationOf(live);
      const expired = older ? now - swappedAt > RETIRED_GRACE_MS : now - generationOf(name) > ABANDONED_BUILD_MS;
      if (!expired) continue;
      await db.dropTable(name).catch(() => undefined);
      dropped.push(name);
    }
    return dropped;
  }

  /** Loads index pages and corpus statistics before the first question, which otherwise pays ~200 ms for them. */
  async warm(): Promise<void> {
    const table = await this.table();
    if (!table) return;
    for (const index of await table.listIndices()) await table.prewarmIndex(index.name).catch(() => undefined);
    await this.vocabulary();
  }

  async hasVectorIndex(): Promise<boolean> {
    const table = await this.table();
    return !!table && (await table.listIndices()).some((i) => i.columns.includes("vector"));
  }

  /** Corpus statistics for query correction and confidence, rebuilt when the table changes. */
  async vocabulary(): Promise<Vocabulary> {
    const table = await this.table();
    if (!table) return Vocabulary.empty();
    const name = table.name;
    const version = await table.version();
    if (this.vocab?.table === name && this.vocab.version === version) return this.vocab.vocab;
    this.vocabBuild ??= (async () => {
      try {
        const rows = await table.query().select(["text", "heading_text"]).toArray();
        const vocab = Vocabulary.build(rows.map((r) => `${r.heading_text}\n${r.text}`));
        this.vocab = { table: name, version, vocab };
        return vocab;
      } finally {
        this.vocabBuild = null;
      }
    })();
    return this.vocabBuild;
  }
}

/** Consecutive chunks as one text: each adds only what the previous ones did not already hold (they overlap). */
function mergeChunks(chunks: Pick<ChunkRow, "start" | "end" | "text">[]): string {
  let text = "";
  let end = -1;
  for (const c of chunks) {
    text += end < 0 ? c.text : c.start >= end ? `\n${c.text}` : c.text.slice(end - c.start);
    end = Math.max(end, c.end);
  }
  return text;
}

async function hasColumn(table: lancedb.Table, name: string): Promise<boolean> {
  return (await table.schema()).fields.some((f) => f.name === name);
}

/** The persona table's indexes: English full text on passages and headings, Chinese n-grams, bitmaps, vectors. */
async function ensureIndexes(table: lancedb.Table): Promise<void> {
  const have = new Set((await table.listIndices()).flatMap((i) => i.columns));
  const english = {
    withPosition: false,
    stem: true,
    removeStopWords: true,
    asciiFolding: true,
    language: "English",
  };
  if (!have.has("text")) await table.createIndex("text", { config: lancedb.Index.fts(english) });
  if (!have.has("heading_text")) await table.createIndex("heading_text", { config: lancedb.Index.fts(english) });
  if (!have.has("cjk_text")) {
    await table.createIndex("cjk_text", {
      config: lancedb.Index.fts({
        baseTokenizer: "ngram",
        ngramMinLength: 2,
        ngramMaxLength: 3,
        withPosition: false,
      }),
    });
  }
  if (!have.has("doc_id")) await table.createIndex("doc_id", { config: lancedb.Index.bitmap() });
  if (!have.has("lang")) await table.createIndex("lang", { config: lancedb.Index.bitmap() });
  // Below a few thousand rows an exact scan is faster and loses no recall; past that, HNSW keeps p95 low.
  if (!have.has("vector") && (await table.countRows()) >= 5000) {
    await table.createIndex("vector", {
      config: lancedb.Index.hnswSq({ distanceType: "cosine", m: 16, efConstruction: 100 }),
    });
  }
}
