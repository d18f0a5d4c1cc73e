import "server-only";
import { KnowledgeBase } from "@/lib/knowledge";
import { SafetyScreen } from "@/lib/safety";
import { AnswerService } from "./answer-service";
import { ExtractiveAnswerEngine } from "./extractive-engine";
import { FaqMatcher } from "./faq";
import { InMemorySessionMemory, type SessionMemory } from "./session-memory";
import type { AnswerEngine } from "./types";

export type { AnswerResult, AnswerStreamEvent, Citation } from "./answer-service";
export { AnswerService };

/** The best engine installed for this knowledge base: the extractive engine needs nothing. */
export function createAnswerEngine(kb: KnowledgeBase): AnswerEngine {
  return new ExtractiveAnswerEngine((q) => kb.retriever.expand(q));
}

export async function createAnswerService(
  personaId: string,
  options: { sessions?: SessionMemory; kb?: KnowledgeBase; engine?: AnswerEngine } = {},
): Promise<AnswerService> {
  const kb = options.kb ?? (await KnowledgeBase.open(personaId));
  return new AnswerService(
    kb,
    options.engine ?? createAnswerEngine(kb),
    await FaqMatcher.load(personaId),
    options.sessions ?? new InMemorySessionMemory(),
    (await SafetyScreen.forPersona(kb.persona))?.check ?? null,
  );
}
