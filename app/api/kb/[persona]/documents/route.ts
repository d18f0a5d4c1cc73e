import { env } from "@/lib/config/env";
import { docIdFor, type IngestReport } from "@/lib/knowledge";
import { type NameConflict, planUploadNames } from "@/lib/knowledge/names";
import { loadPersona } from "@/lib/persona/persona";
import { uploadLimiter } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { ingestQueue } from "@/lib/queue";
import type { UploadedFile } from "@/lib/queue/ingest";
import { adminHandler, noStore, openKnowledgeBase, serialized } from "../../_shared/kb";
import { parseUpload } from "./schema";
import { uploadSlots } from "./upload-slots";

export const dynamic = "force-dynamic";

const MAX_FILES_PER_UPLOAD = 100;

/** A file's result; a name collision also says which document holds the id, so the page can offer to replace it. */
type UploadResult = IngestReport & { conflict?: NameConflict };

/** The persona's documents: title, format, language, chunks, pages, ingested at. */
export const GET = adminHandler<{ persona: string }>(async (_req, { persona }) => {
  const kb = await openKnowledgeBase(persona);
  return Response.json({ documents: await kb.list() }, { headers: noStore });
});

/**
 * Multipart upload of one or many files. Every file gets its own result (added / updated / unchanged / error
 * with a message); one bad file never stops the others. A file whose document id is already held by a document
 * uploaded under another name (`report.md` vs `Report.md`, `a b.md` vs `a-b.md`) is refused unless the upload
 * carries the field `replace=true`; two files of one upload with one id are always refused.
 */
export const POST = adminHandler<{ persona: string }>(async (req, { persona }, admin) => {
  // Before the persona and the body: a client over its rate or its uploads in flight costs nothing more.
  await uploadLimiter().enforce(clientIp(req), "uploads from this address");
  await loadPersona(persona); // an unknown persona is refused before the body is read
  const slot = uploadSlots().acquire(admin.email || "admin");
  try {
    const { KB_MAX_FILE_MB, KB_MAX_UPLOAD_MB } = env();
    const upload = await parseUpload(req, {
      maxFileBytes: KB_MAX_FILE_MB * 1024 * 1024,
      maxRequestBytes: KB_MAX_UPLOAD_MB * 1024 * 1024,
      maxFiles: MAX_FILES_PER_UPLOAD,
    });
    const files = await Promise.all(
      upload.accepted.map(async ({ name, file }) => ({ name, bytes: new Uint8Array(await file.arrayBuffer()) })),
    );
    const n = files.length;
    const results = n
      ? await serialized(persona, () => ingestChecked(persona, files, upload.replace, req.signal), {
          signal: req.signal,
          what: `upload of ${n} file${n === 1 ? "" : "s"}`,
        })
      : [];
    const all: UploadResult[] = [...upload.rejected, ...results];
    const summary = {
      ok: all.filter((r) => r.status !== "error").length,
      failed: all.filter((r) => r.status === "error").length,
    };
    return Response.json({ results: all, summary }, { headers: noStore });
  } finally {
    slot.release();
  }
});

/**
 * Refuses files whose names collide (see planUploadNames), ingests the others, and returns one result per file in
 * upload order. Runs under the write lock, so that no other upload adds a colliding name between check and ingest.
 */
async function ingestChecked(
  persona: string,
  files: UploadedFile[],
  replace: boolean,
  signal: AbortSignal,
): Promise<UploadResult[]> {
  const kb = await openKnowledgeBase(persona);
  const stored = await kb.store.documentsById([...new Set(files.map((f) => docIdFor(f.name)))]);
  const plan = planUploadNames(
    files.map((f) => f.name),
    stored,
    { replace },
  );
  const accepted = files.filter((_, i) => !plan[i]?.conflict);
  // The signal lets the ingest stop when the client leaves while it runs (lib/queue/ingest-queue.ts).
  const ingested = accepted.length ? await ingestQueue().ingest(persona, accepted, { signal }) : [];
  let at = 0;
  return plan.map(({ name, docId, conflict, replaces }): UploadResult => {
    if (conflict) return { file: name, docId, status: "error", error: conflict.message, conflict, ms: 0 };
    const report = ingested[at++] ?? { file: name, docId, status: "error", error: "no result for this file", ms: 0 };
    if (!replaces || (report.status !== "added" && report.status !== "updated")) return report;
    return {
      ...report,
      warnings: [...(report.warnings ?? []), `replaced '${replaces}', which had the same document id`],
    };
  });
}
