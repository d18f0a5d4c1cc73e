/** A cached final answer and the content hashes of the documents it was drawn from. */
export interface CachedAnswer<T> {
  value: T;
  docHashes: Record<string, string>;
}

/**
 * Recent answers keyed by persona and normalised question. An entry is only served while every document it
 * cites still has the same content hash, so a changed or deleted document invalidates exactly the answers that
 * used it. Least recently used entries are evicted past `capacity`.
 */
export class AnswerCache<T> {
  private readonly entries = new Map<string, CachedAnswer<T>>();

  constructor(private readonly capacity = 500) {}

  static key(personaId: string, lang: string, question: string): string {
    const normalised = question
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
    return `${personaId}|${lang}|${normalised}`;
  }

  async get(key: string, currentHashes: (docIds: string[]) => Promise<Record<string, string>>): Promise<T | null> {
    const hit = this.entries.get(key);
    if (!hit) return null;
    const docIds = Object.keys(hit.docHashes);
    const now = docIds.length ? await currentHashes(docIds) : {};
    if (docIds.some((d) => now[d] !== hit.docHashes[d])) {
      this.entries.delete(key);
      return null;
    }
    this.entries.delete(key);
    this.entries.set(key, hit); // most recently used last
    return hit.value;
  }

  set(key: string, value: T, docHashes: Record<string, string>): void {
    this.entries.delete(key);
    this.entries.set(key, { value, docHashes });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
