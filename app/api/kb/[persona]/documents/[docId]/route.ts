import { AppError } from "@/lib/errors";
import { adminHandler, noStore, openKnowledgeBase, serialized } from "../../../_shared/kb";
import { parseDocId } from "./schema";

export const dynamic = "force-dynamic";

type Params = { persona: string; docId: string };

/** The document's chunks in order, for preview: heading, page, text. */
export const GET = adminHandler<Params>(async (_req, { persona, docId }) => {
  const id = parseDocId(docId);
  const kb = await openKnowledgeBase(persona);
  const rows = await kb.store.chunksOf(id);
  if (!rows.length) throw new AppError("not_found", `no document "${id}" in persona ${persona}`);
  const first = rows[0]!;
  return Response.json(
    {
      docId: id,
      title: first.title,
      format: first.format,
      lang: first.lang,
      source: first.source,
      chunks: rows.map((r) => ({ id: r.id, ord: r.ord, heading: r.heading, page: r.page, text: r.text })),
    },
    { headers: noStore },
  );
});

export const DELETE = adminHandler<Params>(async (req, { persona, docId }) => {
  const id = parseDocId(docId);
  const kb = await openKnowledgeBase(persona);
  const removed = await serialized(persona, () => kb.remove(id), { signal: req.signal, what: `delete of ${id}` });
  return Response.json({ docId: id, removedChunks: removed }, { headers: noStore });
});
