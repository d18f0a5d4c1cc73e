import "server-only";
import {
  type ChatHistoryItem,
  type ChatWrapper,
  getLlama,
  LlamaChat,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
  resolveChatWrapper,
} from "node-llama-cpp";
import { type BuiltPrompt, buildMessages, type ChatMessage } from "@/lib/answer/prompt";
import type { StopReason } from "@/lib/answer/types";
import type { FromWorker, GenerateInput, GenerationOptions, LlmWorkerConfig, ToWorker } from "./protocol";

/** Cap on the default context: more costs KV-cache memory on every sequence and grounded answers need little. */
const DEFAULT_CONTEXT_CAP = 4096;
/** llama.cpp log lines kept to explain a failed load. */
const LOG_LINES = 20;

interface Job {
  id: number;
  input: GenerateInput;
  options: GenerationOptions;
  abort: AbortController;
}

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  /**
   * Sequences not generating now. They are kept rather than disposed per answer: a disposed sequence's slot comes
   * back only later, and a kept one still holds the last prompt, whose common prefix (the system prompt) is reused.
   */
  idle: LlamaContextSequence[];
  /** Tokens the chat template adds around one message, measured on this model. */
  perMessage: number;
}

function send(message: FromWorker): void {
  process.send?.(message);
}

const STOP_REASONS: Record<string, StopReason> = { maxTokens: "length", abort: "abort" };

/**
 * The worker process's side: loads the model named by the parent's `init`, then generates on one context with
 * `config.sequences` sequences, so that several answers are decoded together in one batch.
 */
export function runLlmWorker(): void {
  const logs: string[] = [];
  let config: LlmWorkerConfig | undefined;
  let loaded: Loaded | undefined;
  const running = new Map<number, Job>();
  const waiting: Job[] = [];

  const pump = () => {
    while (loaded?.idle.length && waiting.length) {
      const job = waiting.shift()!;
      const sequence = loaded.idle.pop()!;
      running.set(job.id, job);
      void generate(loaded, job, sequence).finally(() => {
        running.delete(job.id);
        loaded?.idle.push(sequence);
        pump();
      });
    }
  };

  process.on("message", (message: ToWorker) => {
    if (message.type === "init") {
      config = message.config;
      load(config).then(
        (l) => {
          loaded = l;
          send({
            type: "ready",
            contextSize: l.context.contextSize,
            trainContextSize: l.model.trainContextSize,
            chatWrapper: l.chatWrapper.wrapperName,
            gpu: l.model.llama.gpu,
          });
          pump();
        },
        (err: unknown) => {
          const detail = logs.length ? ` (llama.cpp: ${logs.slice(-3).join(" | ")})` : "";
          send({ type: "load-error", message: `${err instanceof Error ? err.message : String(err)}${detail}` });
          process.disconnect?.();
        },
      );
    } else if (message.type === "generate") {
      const job: Job = { ...message, abort: new AbortController() };
      if (running.size >= (config?.sequences ?? 1) && waiting.length >= (config?.maxQueue ?? 0)) {
        send({
          type: "error",
          id: job.id,
          busy: true,
          message: `LLM busy: ${running.size} answers running and ${waiting.length} waiting; try again shortly.`,
        });
        return;
      }
      waiting.push(job);
      pump();
    } else if (message.type === "abort") {
      const queued = waiting.findIndex((j) => j.id === message.id);
      if (queued >= 0) {
        waiting.splice(queued, 1);
        send({ type: "end", id: message.id, text: "", stopReason: "abort", tokens: 0 });
      }
      running.get(message.id)?.abort.abort();
    }
  });
  // The parent is gone: nobody is left to answer.
  process.on("disconnect", () => process.exit(0));

  function remember(level: LlamaLogLevel, line: string) {
    if (level !== LlamaLogLevel.error && level !== LlamaLogLevel.fatal && level !== LlamaLogLevel.warn) return;
    logs.push(line.trim());
    if (logs.length > LOG_LINES) logs.shift();
  }

  async function load(c: LlmWorkerConfig): Promise<Loaded> {
    const llama = await getLlama({
      gpu: c.gpu,
      build: "never",
      maxThreads: c.threads,
      logLevel: LlamaLogLevel.warn,
      logger: remember,
    });
    const model = await llama.loadModel({ modelPath: c.modelPath });
    const context = await model.createContext({
      sequences: c.sequences,
      contextSize: c.contextSize ?? Math.min(model.trainContextSize, DEFAULT_CONTEXT_CAP),
      threads: c.threads,
      batching: {
        dispatchSchedule:
          c.batchWindowMs > 0 ? (dispatch: () => void) => void setTimeout(dispatch, c.batchWindowMs) : "nextCycle",
      },
    });
    const chatWrapper = resolveChatWrapper(model);
    const idle = Array.from({ length: c.sequences }, () => context.getSequence());
    return { model, context, chatWrapper, idle, perMessage: templateOverhead(model, chatWrapper) };
  }
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const items = messages.map(
    (m): ChatHistoryItem =>
      m.role === "system"
        ? { type: "system", text: m.content }
        : m.role === "user"
          ? { type: "user", text: m.content }
          : { type: "model", response: [m.content] },
  );
  // An empty model turn last is where the answer is generated.
  items.push({ type: "model", response: [] });
  return items;
}

function renderedTokens(l: Pick<Loaded, "model" | "chatWrapper">, messages: ChatMessage[]): number {
  const { contextText } = l.chatWrapper.generateContextState({ chatHistory: toHistory(messages) });
  return contextText.tokenize(l.model.tokenizer).length;
}

function templateOverhead(model: LlamaModel, chatWrapper: ChatWrapper): number {
  const sample: ChatMessage[] = [
    { role: "system", content: "a" },
    { role: "user", content: "b" },
  ];
  const content = sample.reduce((sum, m) => sum + model.tokenize(m.content).length, 0);
  return Math.ceil((renderedTokens({ model, chatWrapper }, sample) - content) / sample.length);
}

/** Fits a grounded prompt into what the context leaves after the answer's room, checked on the rendered template. */
function fitPrompt(l: Loaded, input: GenerateInput, room: number): Pick<BuiltPrompt, "messages" | "passages"> {
  if (input.kind === "chat") return { messages: input.messages, passages: [] };
  const count = (text: string) => l.model.tokenize(text).length;
  let budget = room;
  let built = buildMessages(input.prompt, { maxTokens: budget, count, perMessage: l.perMessage });
  // Templates differ in what they add (a default system prompt, a date line): shrink by the measured excess.
  for (let attempt = 0; attempt < 3; attempt++) {
    const excess = renderedTokens(l, built.messages) - room;
    if (excess <= 0) break;
    budget -= excess + 8;
    built = buildMessages(input.prompt, { maxTokens: budget, count, perMessage: l.perMessage });
  }
  return built;
}

async function generate(l: Loaded, job: Job, sequence: LlamaContextSequence): Promise<void> {
  const contextSize = l.context.contextSize;
  // At least half the context stays for the prompt: passages matter more than an overlong answer.
  const maxTokens = Math.max(1, Math.min(job.options.maxTokens, Math.floor(contextSize / 2)));
  let text = "";
  let tokens = 0;
  let chat: LlamaChat | undefined;
  try {
    // node-llama-cpp keeps a tenth of the context free for its context shift and refuses a prompt that leaves less.
    const shiftRoom = Math.max(1, Math.floor(contextSize / 10));
    const { messages, passages } = fitPrompt(l, job.input, contextSize - Math.max(maxTokens, shiftRoom));
    send({
      type: "start",
      id: job.id,
      passages: passages.map((p) => p.n),
      promptTokens: renderedTokens(l, messages),
    });
    chat = new LlamaChat({ contextSequence: sequence, chatWrapper: l.chatWrapper });
    const result = await chat.generateResponse(toHistory(messages), {
      maxTokens,
      temperature: job.options.temperature,
      seed: job.options.seed,
      signal: job.abort.signal,
      stopOnAbortSignal: true,
      onToken: (t) => {
        tokens += t.length;
      },
      onTextChunk: (chunk) => {
        text += chunk;
        send({ type: "delta", id: job.id, text: chunk });
      },
    });
    const stopReason = STOP_REASONS[result.metadata.stopReason] ?? "complete";
    send({ type: "end", id: job.id, text: result.response, stopReason, tokens });
  } catch (err) {
    // An abort during prompt evaluation throws rather than stopping: it is still an abort.
    if (job.abort.signal.aborted) send({ type: "end", id: job.id, text, stopReason: "abort", tokens });
    else send({ type: "error", id: job.id, busy: false, message: err instanceof Error ? err.message : String(err) });
  } finally {
    chat?.dispose();
  }
}
