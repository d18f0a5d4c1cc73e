import { pageKnowledgeGaps } from "@/lib/answer/knowledge-gaps";
import { loadPersona } from "@/lib/persona/persona";
import { adminHandler, noStore } from "../../_shared/kb";
import { parseGapsQuery } from "./schema";

export const dynamic = "force-dynamic";

/**
 * Questions the persona abstained on, one page at a time, newest first: `{ gaps, total, nextCursor }`; pass
 * `nextCursor` as `?before=` for the next page (`?limit=`, 1-200, default 50).
 */
export const GET = adminHandler<{ persona: string }>(async (req, { persona }) => {
  const query = parseGapsQuery(new URL(req.url));
  await loadPersona(persona);
  return Response.json(await pageKnowledgeGaps(persona, query), { headers: noStore });
});
