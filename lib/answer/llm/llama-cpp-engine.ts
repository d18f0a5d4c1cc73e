import "server-only";
import path from "node:path";
import { parseCitations } from "@/lib/answer/citations";
import type { AnswerEngine, AnswerEvent, AnswerRequest } from "@/lib/answer/types";
import { type GenerateEvent, LlmWorkerClient, type LlmWorkerClientOptions } from "./worker-client";

export interface LlamaCppEngineOptions extends LlmWorkerClientOptions {
  /** Longest answer in tokens; the worker caps it at half the context. */
  maxTokens?: number;
  /** Low by default: a grounded answer should stay close to the passages. */
  temperature?: number;
  /** Fixes sampling, for reproducible tests and benchmarks. */
  seed?: number;
}

/** Answers with a local GGUF model through node-llama-cpp, in a worker process owned by this engine. */
export class LlamaCppEngine implements AnswerEngine {
  readonly id: string;
  readonly worker: LlmWorkerClient;
  private readonly generation: { maxTokens: number; temperature: number; seed?: number };

  constructor(options: LlamaCppEngineOptions) {
    this.id = `llama-cpp:${path.basename(options.modelPath).replace(/\.gguf$/i, "")}`;
    this.worker = new LlmWorkerClient(options);
    this.generation = {
      maxTokens: options.maxTokens ?? 256,
      temperature: options.temperature ?? 0.2,
      seed: options.seed,
    };
  }

  async *answer(request: AnswerRequest): AsyncIterable<AnswerEvent> {
    const events = this.worker.generate(
      {
        kind: "grounded",
        prompt: {
          systemPrompt: request.persona.systemPrompt,
          question: request.question,
          lang: request.lang,
          passages: request.passages,
          history: request.history,
        },
      },
      this.generation,
      request.signal,
    );
    yield* toAnswerEvents(
      this.id,
      events,
      request.passages.map((p) => p.n),
    );
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

/** Worker events as answer events: deltas as they come, then `done` with the citations the fitted prompt allows. */
async function* toAnswerEvents(
  engine: string,
  events: AsyncIterable<GenerateEvent>,
  passages: number[],
): AsyncIterable<AnswerEvent> {
  let valid = passages;
  let text = "";
  for await (const event of events) {
    if (event.type === "start") valid = event.passages;
    else if (event.type === "delta") {
      text += event.text;
      yield { type: "delta", text: event.text };
    } else {
      yield { type: "done", engine, text, citations: parseCitations(text, valid), stopReason: event.stopReason };
    }
  }
}
