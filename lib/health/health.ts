import "server-only";
import { createAnswerEngine } from "@/lib/answer";
import { KnowledgeBase } from "@/lib/knowledge";
import { configuredMediaEngines } from "@/lib/media/engines";
import { listPersonaIds } from "@/lib/persona/persona";
import { ttsChoice } from "@/lib/speech/tts/choice";

export interface PersonaHealth {
  id: string;
  name: string;
  title: string;
  organisation: string;
  accent: string;
  documents: number;
  chunks: number;
  /** Text-to-speech engine per language this persona speaks. */
  tts: Record<string, string>;
}

export interface Health {
  status: "ok" | "degraded";
  engines: { embeddings: string; retrieval: string; answer: string; asr: string; lipsync: string };
  personas: PersonaHealth[];
  problems: string[];
}

/** What is running and whether each persona's knowledge base answers; used by /api/health and the home page. */
export async function health(): Promise<Health> {
  const problems: string[] = [];
  const personas: PersonaHealth[] = [];
  let embeddings = "unknown";
  let answer = "unknown";
  for (const id of await listPersonaIds()) {
    try {
      const kb = await KnowledgeBase.open(id);
      embeddings = kb.store.embedder.id;
      answer = createAnswerEngine(kb).id;
      const chunks = await kb.store.countChunks();
      const documents = chunks ? await kb.store.countDocuments() : 0;
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
        tts: Object.fromEntries(p.languages.map((lang) => [lang, ttsChoice(p.voice, lang).engine])),
      });
    } catch (err) {
      problems.push(`persona ${id}: ${(err as Error).message}`);
    }
  }
  const media = await configuredMediaEngines();
  problems.push(...media.problems);
  return {
    status: problems.length ? "degraded" : "ok",
    engines: { embeddings, retrieval: "lancedb-hybrid-rrf", answer, asr: media.asr, lipsync: media.lipsync },
    personas,
    problems,
  };
}
