import { env } from "@/lib/config/env";
import { docIdFor, type IngestReport } from "@/lib/knowledge";
import { uploadLimiter } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { adminHandler, noStore, openKnowledgeBase, serialized } from "../../_shared/kb";
import { parseUpload } from "./schema";

export const dynamic = "force-dynamic";

const MAX_FILES_PER_UPLOAD = 100;

/** The persona's documents: title, format, language, chunks, pages, ingested at. */
export const GET = adminHandler<{ persona: string }>(async (_req, { persona }) => {
  const kb = await openKnowledgeBase(persona);
  return Response.json({ documents: await kb.list() }, { headers: noStore });
});

/**
 * Multipart upload of one or many files. Every file gets its own result (added / updated / unchanged / error
 * with a message); one bad file never stops the others.
 */
export const POST = adminHandler<{ persona: string }>(async (req, { persona }) => {
  // Before the persona and the body: a client over its rate costs nothing more.
  uploadLimiter().enforce(clientIp(req), "uploads from this address");
  const kb = await openKnowledgeBase(persona);
  const { KB_MAX_FILE_MB, KB_MAX_UPLOAD_MB } = env();
  const upload = await parseUpload(req, {
    maxFileBytes: KB_MAX_FILE_MB * 1024 * 1024,
    maxRequestBytes: KB_MAX_UPLOAD_MB * 1024 * 1024,
    maxFiles: MAX_FILES_PER_UPLOAD,
  });
  const results = await serialized(persona, async () => {
    const reports: IngestReport[] = [];
    for (const { name, file } of upload.accepted) {
      try {
        reports.push(await kb.ingest(name, new Uint8Array(await file.arrayBuffer()), name));
      } catch (err) {
        reports.push({ file: name, docId: docIdFor(name), status: "error", error: (err as Error).message, ms: 0 });
      }
    }
    if (reports.some((r) => r.status === "added" || r.status === "updated")) {
      await kb.store.optimize().catch((err) => console.warn(`[kb] ${persona}: optimize failed:`, err));
    }
    return reports;
  });
  const all = [...upload.rejected, ...results];
  const summary = {
    ok: all.filter((r) => r.status !== "error").length,
    failed: all.filter((r) => r.status === "error").length,
  };
  return Response.json({ results: all, summary }, { headers: noStore });
});
