import "server-only";
import { docIdFor, type IngestReport, KnowledgeBase } from "@/lib/knowledge";

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** When to compact the table afterwards: only if this run wrote something, always (after an earlier run wrote), never. */
export type OptimizeWhen = "if-written" | "always" | "never";

export interface IngestFilesOptions {
  optimize?: OptimizeWhen;
  /** Called as each file starts, so that a process dying mid-file can say which file it was on. */
  onStart?(index: number): void | Promise<void>;
  /** Called with each file's final report (committed, unchanged or refused) before the next file starts. */
  onReport?(index: number, report: IngestReport): void | Promise<void>;
  /** Asked before each file: a reason stops the upload there, and the files not started are reported with it. */
  stopReason?(): string | undefined;
}

/**
 * Ingests uploaded files into a persona's knowledge base, one report per file (a bad file never stops the others),
 * then compacts the table once. Runs in an ingest worker process, never on a web server's event loop: parsing a
 * long PDF and embedding it would stall every conversation's stream.
 */
export async function ingestFiles(
  personaId: string,
  files: UploadedFile[],
  options: IngestFilesOptions = {},
): Promise<IngestReport[]> {
  const kb = await KnowledgeBase.open(personaId);
  const reports: IngestReport[] = [];
  for (const [i, { name, bytes }] of files.entries()) {
    const stop = options.stopReason?.();
    let report: IngestReport;
    if (stop) report = notIngested(name, stop);
    else {
      await options.onStart?.(i);
      try {
        report = await kb.ingest(name, bytes, name);
      } catch (err) {
        report = failed(name, (err as Error).message);
      }
    }
    reports.push(report);
    await options.onReport?.(i, report);
  }
  const when = options.optimize ?? "if-written";
  if (when === "always" || (when === "if-written" && reports.some(wrote))) await optimize(kb);
  return reports;
}

/** Whether a report is of a file committed to the store. */
export function wrote(report: IngestReport | undefined): boolean {
  return report?.status === "added" || report?.status === "updated";
}

/** The error report of a file. */
export function failed(name: string, error: string): IngestReport {
  return { file: name, docId: docIdFor(name), status: "error", error, ms: 0 };
}

/** The report of a file the upload never reached. */
export function notIngested(name: string, why: string): IngestReport {
  return failed(name, `not ingested: ${why}`);
}

/** Compacts the table and refreshes its indexes after writes. */
export async function optimize(kb: KnowledgeBase): Promise<void> {
  await kb.store.optimize().catch((err) => console.warn(`[ingest] ${kb.persona.id}: optimize failed:`, err));
}
