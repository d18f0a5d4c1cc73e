import { listKnowledgeGaps } from "@/lib/answer/knowledge-gaps";
import { loadPersona } from "@/lib/persona/persona";
import { adminHandler, noStore } from "../../_shared/kb";

export const dynamic = "force-dynamic";

/** Questions the persona abstained on, newest first. */
export const GET = adminHandler<{ persona: string }>(async (_req, { persona }) => {
  await loadPersona(persona);
  const gaps = (await listKnowledgeGaps(persona)).sort((a, b) => b.at.localeCompare(a.at));
  return Response.json({ gaps }, { headers: noStore });
});
