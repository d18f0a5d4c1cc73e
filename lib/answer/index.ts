import "server-only";
import { existsSync } from "node:fs";
import path from "node:path";
import { env, projectPath } from "@/lib/config/env";
import { KnowledgeBase } from "@/lib/knowledge";
import { RedisAnswerEngine } from "@/lib/queue/redis-answer-engine";
import { SafetyScreen } from "@/lib/safety";
import { AnswerService } from "./answer-service";
import { ExtractiveAnswerEngine } from "./extractive-engine";
import { FaqMatcher } from "./faq";
import { LlamaCppEngine } from "./llm/llama-cpp-engine";
import { RemoteChatEngine } from "./llm/remote-engine";
import { InMemorySessionMemory, type SessionMemory } from "./session-memory";
import type { AnswerEngine } from "./types";

export type { AnswerResult, AnswerStreamEvent, Citation } from "./answer-service";
export { AnswerService };

/** One language model per process, shared by every persona and session (it batches their answers). */
let sharedLlm: AnswerEngine | null = null;
let localLlm: AnswerEngine | null = null;

/** Which language model the configuration names, if any: an OpenAI-compatible server or a local GGUF. */
export function configuredLanguageModel(): "remote" | "llama-cpp" | null {
  const e = env();
  const remote = e.LLM_ENGINE === "remote" || (e.LLM_ENGINE === "auto" && !!e.LLM_BASE_URL);
  if (remote) return "remote";
  const local = e.LLM_ENGINE === "llama-cpp" || (e.LLM_ENGINE === "auto" && existsSync(projectPath(e.LLM_MODEL_PATH)));
  return local ? "llama-cpp" : null;
}

/** The configured model served by this very process (in the web process alone, or in an llm worker). */
export function localLanguageModel(): AnswerEngine | null {
  const e = env();
  const kind = configuredLanguageModel();
  if (!kind) return null;
  localLlm ??=
    kind === "remote"
      ? new RemoteChatEngine({
          baseUrl: e.LLM_BASE_URL ?? "http://127.0.0.1:8080/v1",
          model: e.LLM_MODEL,
          apiKey: e.LLM_API_KEY,
          maxTokens: e.LLM_MAX_TOKENS,
          temperature: e.LLM_TEMPERATURE,
        })
      : new LlamaCppEngine({
          modelPath: projectPath(e.LLM_MODEL_PATH),
          gpu: e.LLM_GPU === "auto" ? "auto" : false,
          threads: e.LLM_THREADS,
          sequences: e.LLM_SEQUENCES,
          contextSize: e.LLM_CONTEXT_SIZE ?? null,
          maxQueue: e.LLM_MAX_QUEUE,
          batchWindowMs: e.LLM_BATCH_WINDOW_MS,
          maxTokens: e.LLM_MAX_TOKENS,
          temperature: e.LLM_TEMPERATURE,
        });
  return localLlm;
}

/**
 * The language model web processes answer with. A local GGUF with REDIS_URL set is served by llm workers over the
 * queue (`npm run worker -- llm`, on GPU hosts), so no web process loads a model; a remote server is already shared.
 */
function languageModel(): AnswerEngine | null {
  const e = env();
  if (e.REDIS_URL && configuredLanguageModel() === "llama-cpp") {
    sharedLlm ??= new RedisAnswerEngine({
      url: e.REDIS_URL,
      engineId: `llama-cpp:${path.basename(e.LLM_MODEL_PATH).replace(/\.gguf$/i, "")}`,
      idleMs: e.LLM_DEADLINE_MS,
    });
    return sharedLlm;
  }
  return localLanguageModel();
}

function extractiveFor(kb: KnowledgeBase): AnswerEngine {
  return new ExtractiveAnswerEngine((q) => kb.retriever.expand(q));
}

/** The configured engine for this knowledge base: a language model when one is configured, else extractive. */
export function createAnswerEngine(kb: KnowledgeBase): AnswerEngine {
  return languageModel() ?? extractiveFor(kb);
}

export async function createAnswerService(
  personaId: string,
  options: { sessions?: SessionMemory; kb?: KnowledgeBase; engine?: AnswerEngine; firstTextDeadlineMs?: number } = {},
): Promise<AnswerService> {
  const kb = options.kb ?? (await KnowledgeBase.open(personaId));
  return new AnswerService(
    kb,
    options.engine ?? createAnswerEngine(kb),
    extractiveFor(kb),
    await FaqMatcher.load(personaId),
    options.sessions ?? new InMemorySessionMemory(),
    (await SafetyScreen.forPersona(kb.persona))?.check ?? null,
    options.firstTextDeadlineMs ?? env().LLM_DEADLINE_MS,
  );
}
