import "server-only";
import { docIdFor, type IngestReport, KnowledgeBase } from "@/lib/knowledge";

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Ingests uploaded files into a persona's knowledge base, one report per file (a bad file never stops the others),
 * then compacts the table once. Runs in an ingest worker process, never on a web server's event loop: parsing a
 * long PDF and embedding it would stall every conversation's stream.
 */
export async function ingestFiles(
  personaId: string,
  files: UploadedFile[],
  options: { optimize: boolean } = { optimize: true },
): Promise<IngestReport[]> {
  const kb = await KnowledgeBase.open(personaId);
  const reports: IngestReport[] = [];
  for (const { name, bytes } of files) {
    try {
      reports.push(await kb.ingest(name, bytes, name));
    } catch (err) {
      reports.push({ file: name, docId: docIdFor(name), status: "error", error: (err as Error).message, ms: 0 });
    }
  }
  if (options.optimize && reports.some((r) => r.status === "added" || r.status === "updated")) await optimize(kb);
  return reports;
}

/** Compacts the table and refreshes its indexes after writes. */
export async function optimize(kb: KnowledgeBase): Promise<void> {
  await kb.store.optimize().catch((err) => console.warn(`[ingest] ${kb.persona.id}: optimize failed:`, err));
}
