import type { ChatMessage, PromptInput } from "@/lib/answer/prompt";
import type { StopReason } from "@/lib/answer/types";

/**
 * Messages between an engine and its LLM worker process (JSON over the fork IPC channel). Request ids are the
 * parent's; the worker echoes them on every message about that request.
 */

export interface LlmWorkerConfig {
  modelPath: string;
  /** "auto" uses CUDA, Vulkan or Metal when the machine has them; false keeps to the CPU. */
  gpu: "auto" | false;
  threads: number;
  /** Answers generated at once, each on its own sequence of the one context. */
  sequences: number;
  /** Tokens per sequence; null takes the model's training context, capped at 4096. */
  contextSize: number | null;
  /** Requests that may wait for a free sequence; past this the worker answers "busy". */
  maxQueue: number;
  /**
   * Tokens of different answers arriving within this many ms are decoded as one batch (0: the next event-loop
   * cycle). A few ms lets a new answer's prompt join the batch of those already generating.
   */
  batchWindowMs: number;
}

export interface GenerationOptions {
  maxTokens: number;
  temperature: number;
  seed?: number;
}

/** A grounded answer (the worker fits the prompt to its context with the model's tokenizer) or raw chat. */
export type GenerateInput = { kind: "grounded"; prompt: PromptInput } | { kind: "chat"; messages: ChatMessage[] };

export type ToWorker =
  | { type: "init"; config: LlmWorkerConfig }
  | { type: "generate"; id: number; input: GenerateInput; options: GenerationOptions }
  | { type: "abort"; id: number };

export interface WorkerReady {
  contextSize: number;
  trainContextSize: number;
  chatWrapper: string;
  gpu: string | false;
}

export type FromWorker =
  | ({ type: "ready" } & WorkerReady)
  | { type: "load-error"; message: string }
  /** Generation started on a sequence; `passages` are the passage numbers the fitted prompt kept. */
  | { type: "start"; id: number; passages: number[]; promptTokens: number }
  | { type: "delta"; id: number; text: string }
  | { type: "end"; id: number; text: string; stopReason: StopReason; tokens: number }
  | { type: "error"; id: number; busy: boolean; message: string };
