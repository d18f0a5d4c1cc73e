import "server-only";
import { createAnswerEngine } from "@/lib/answer";
import { publicMessage, toAppError } from "@/lib/errors";
import { KnowledgeBase } from "@/lib/knowledge";
import { configuredMediaEngines } from "@/lib/media/engines";
import { listPersonaIds } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { ttsChoice } from "@/lib/speech/tts/choice";
import { mediaQueue } from "@/lib/turn/runtime";

export interface PersonaHealth {
  id: string;
  name: string;
  title: string;
  organisation: string;
  accent: string;
  documents: number;
  chunks: number;
  /** False when the knowledge base's table cannot be read: its questions are answered "unavailable". */
  readable: boolean;
  /** Text-to-speech engine per language this persona speaks. */
  tts: Record<string, string>;
}

export interface QueueHealth {
  transport: "local" | "redis";
  up: boolean;
  /** Media worker processes up (local: started so far; they start on first use). */
  workers: number;
  waiting: number;
  active: number;
}

export interface Health {
  status: "ok" | "degraded";
  /** Shutting down: speaking turns finish, new ones are refused. */
  draining: boolean;
  activeTurns: number;
  engines: { embeddings: string; retrieval: string; answer: string; asr: string; lipsync: string };
  queue: QueueHealth;
  personas: PersonaHealth[];
  problems: string[];
}

/** The media queue as an operator needs it: can jobs be queued, and is anybody taking them. */
async function queueHealth(problems: string[]): Promise<QueueHealth> {
  const media = mediaQueue();
  try {
    const [depth, workers] = await Promise.all([media.depth(), media.workers()]);
    const up = workers.filter((w) => w.up).length;
    if (media.transport === "redis" && up === 0) {
      problems.push("no media worker is taking jobs: start one with `npm run worker -- media`");
    }
    const d = depth[0] ?? { waiting: 0, active: 0 };
    return { transport: media.transport, up: true, workers: up, waiting: d.waiting, active: d.active };
  } catch (err) {
    problems.push((err as Error).message);
    return { transport: media.transport, up: false, workers: 0, waiting: 0, active: 0 };
  }
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
      let documents = 0;
      let chunks = 0;
      let readable = true;
      try {
        ({ documents, chunks } = await kb.store.check());
        if (!chunks) problems.push(`persona ${id} has no documents`);
      } catch (err) {
        readable = false;
        problems.push(toAppError(err).message);
      }
      const p = kb.persona;
      personas.push({
        id,
        name: p.name,
        title: p.title,
        organisation: p.organisation,
        accent: p.theme.accent,
        documents,
        chunks,
        readable,
        tts: Object.fromEntries(p.languages.map((lang) => [lang, ttsChoice(p.voice, lang).engine])),
      });
    } catch (err) {
      problems.push(`persona ${id}: ${publicMessage(err)}`);
    }
  }
  const media = await configuredMediaEngines();
  problems.push(...media.problems);
  const queue = await queueHealth(problems);
  const admission = turnAdmission();
  return {
    status: problems.length ? "degraded" : "ok",
    draining: admission.isDraining,
    activeTurns: admission.activeTurns,
    engines: { embeddings, retrieval: "lancedb-hybrid-rrf", answer, asr: media.asr, lipsync: media.lipsync },
    queue,
    personas,
    problems,
  };
}
