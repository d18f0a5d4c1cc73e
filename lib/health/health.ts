import "server-only";
import { KnowledgeBase } from "@/lib/knowledge";
import { listPersonaIds } from "@/lib/persona/persona";

export interface PersonaHealth {
  id: string;
  name: string;
  title: string;
  organisation: string;
  accent: string;
  documents: number;
  chunks: number;
}

export interface Health {
  status: "ok" | "degraded";
  engines: { embeddings: string; retrieval: string };
  personas: PersonaHealth[];
  problems: string[];
}

/** What is running and whether each persona's knowledge base answers; used by /api/health and the home page. */
export async function health(): Promise<Health> {
  const problems: string[] = [];
  const personas: PersonaHealth[] = [];
  let embeddings = "unknown";
  for (const id of await listPersonaIds()) {
    try {
      const kb = await KnowledgeBase.open(id);
      embeddings = kb.store.embedder.id;
      const chunks = await kb.store.countChunks();
      const documents = chunks ? (await kb.list()).length : 0;
      if (!chunks) problems.push(`persona ${id} has no documents`);
      const p = kb.persona;
      personas.push({
        id,
        name: p.name,
        title: p.title,
        organisation: p.organisation,
        accent: p.theme.accent,
        documents,
        chunks,
      });
    } catch (err) {
      problems.push(`persona ${id}: ${(err as Error).message}`);
    }
  }
  return {
    status: problems.length ? "degraded" : "ok",
    engines: { embeddings, retrieval: "lancedb-hybrid-rrf" },
    personas,
    problems,
  };
}
