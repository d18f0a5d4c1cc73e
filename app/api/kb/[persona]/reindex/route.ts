import { adminHandler, noStore, openKnowledgeBase, serialized } from "../../_shared/kb";

export const dynamic = "force-dynamic";

/** Re-embeds every stored chunk with the configured embedder (after switching engines or models). */
export const POST = adminHandler<{ persona: string }>(async (req, { persona }) => {
  const kb = await openKnowledgeBase(persona);
  const t0 = performance.now();
  const chunks = await serialized(persona, () => kb.reindex(), { signal: req.signal, what: "re-index" });
  return Response.json({ chunks, ms: Math.round(performance.now() - t0) }, { headers: noStore });
});
