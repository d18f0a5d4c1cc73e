import { env } from "@/lib/config/env";
import { loadPersona } from "@/lib/persona/persona";
import { uploadLimiter } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { ingestQueue } from "@/lib/queue";
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
  await loadPersona(persona); // an unknown persona is refused before the body is read
  const { KB_MAX_FILE_MB, KB_MAX_UPLOAD_MB } = env();
  const upload = await parseUpload(req, {
    maxFileBytes: KB_MAX_FILE_MB * 1024 * 1024,
    maxRequestBytes: KB_MAX_UPLOAD_MB * 1024 * 1024,
    maxFiles: MAX_FILES_PER_UPLOAD,
  });
  const files = await Promise.all(
    upload.accepted.map(async ({ name, file }) => ({ name, bytes: new Uint8Array(await file.arrayBuffer()) })),
  );
  const results = await serialized(persona, () => ingestQueue().ingest(persona, files));
  const all = [...upload.rejected, ...results];
  const summary = {
    ok: all.filter((r) => r.status !== "error").length,
    failed: all.filter((r) => r.status === "error").length,
  };
  return Response.json({ results: all, summary }, { headers: noStore });
});
