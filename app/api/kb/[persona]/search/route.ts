import { adminHandler, noStore, openKnowledgeBase } from "../../_shared/kb";
import { parseSearchRequest } from "./schema";

export const dynamic = "force-dynamic";

/**
 * The search playground: `{ question, k? }` -> ranked passages with scores, the retrieval confidence and the
 * persona's abstention threshold (below it the answer engine would decline).
 */
export const POST = adminHandler<{ persona: string }>(async (req, { persona }) => {
  const { question, k } = await parseSearchRequest(req);
  const kb = await openKnowledgeBase(persona);
  const response = await kb.search(question, { k });
  return Response.json(
    {
      ...response,
      minConfidence: kb.persona.retrieval.minConfidence,
      wouldAbstain: response.confidence < kb.persona.retrieval.minConfidence,
    },
    { headers: noStore },
  );
});
