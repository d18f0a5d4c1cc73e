import "server-only";
import { CitationTracker } from "@/lib/answer/citations";
import { buildMessages, estimateTokens } from "@/lib/answer/prompt";
import type { AnswerEngine, AnswerEvent, AnswerRequest, StopReason } from "@/lib/answer/types";
import { AppError } from "@/lib/errors";

export interface RemoteChatEngineOptions {
  /** The API root, e.g. `http://127.0.0.1:8080/v1`: `/chat/completions` is appended. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  maxTokens?: number;
  temperature?: number;
  /** The served model's context in tokens; the prompt is fitted to it with an estimated token count. */
  contextTokens?: number;
  /** Gives up on a server that has not started answering after this long. */
  connectTimeoutMs?: number;
}

/** Tokens the usual chat templates add per message (role markers, separators). */
const PER_MESSAGE = 6;

const FINISH: Record<string, StopReason> = { stop: "complete", length: "length" };

/**
 * Answers through any OpenAI-compatible `/v1/chat/completions` server (llama.cpp's llama-server, vLLM, Ollama,
 * a hosted API) with streaming, for when the model runs on another machine.
 */
export class RemoteChatEngine implements AnswerEngine {
  readonly id: string;
  private readonly url: string;

  constructor(private readonly options: RemoteChatEngineOptions) {
    this.id = `remote:${options.model}`;
    this.url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  async *answer(request: AnswerRequest): AsyncIterable<AnswerEvent> {
    const maxTokens = this.options.maxTokens ?? 256;
    const built = buildMessages(
      {
        systemPrompt: request.persona.systemPrompt,
        question: request.question,
        lang: request.lang,
        passages: request.passages,
        history: request.history,
      },
      { maxTokens: (this.options.contextTokens ?? 4096) - maxTokens, count: estimateTokens, perMessage: PER_MESSAGE },
    );
    const citations = new CitationTracker(built.passages.map((p) => p.n));
    let text = "";
    const done = (stopReason: StopReason): AnswerEvent => ({
      type: "done",
      engine: this.id,
      text,
      citations: citations.citations,
      stopReason,
    });
    if (request.signal?.aborted) {
      yield done("abort");
      return;
    }

    const connect = AbortSignal.timeout(this.options.connectTimeoutMs ?? 30_000);
    const signal = request.signal ? AbortSignal.any([request.signal, connect]) : connect;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.options.model,
          messages: built.messages,
          stream: true,
          max_tokens: maxTokens,
          temperature: this.options.temperature ?? 0.2,
        }),
        signal,
      });
    } catch (err) {
      if (request.signal?.aborted) {
        yield done("abort");
        return;
      }
      throw this.unreachable(err);
    }
    if (!response.ok) throw await this.httpError(response);
    if (!response.body) throw new AppError("unavailable", `LLM server at ${this.url} sent no response body.`);

    // The connect timeout covers the wait for headers only: a long answer may stream for longer.
    const reading = new AbortController();
    const onAbort = () => reading.abort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    let stopReason: StopReason = "complete";
    try {
      for await (const data of serverSentData(response.body, reading.signal)) {
        if (data === "[DONE]") break;
        const chunk = parseChunk(data, this.url);
        if (chunk.content) {
          text += chunk.content;
          citations.push(chunk.content);
          yield { type: "delta", text: chunk.content };
        }
        if (chunk.finish) stopReason = FINISH[chunk.finish] ?? "complete";
      }
    } catch (err) {
      if (!request.signal?.aborted) throw err instanceof AppError ? err : this.unreachable(err);
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
    }
    yield done(request.signal?.aborted ? "abort" : stopReason);
  }

  private unreachable(err: unknown): AppError {
    const cause =
      err instanceof Error ? ((err.cause as { code?: string } | undefined)?.code ?? err.message) : String(err);
    return new AppError("unavailable", `LLM server at ${this.url} is not reachable (${cause}).`, { cause: err });
  }

  private async httpError(response: Response): Promise<AppError> {
    const body = (await response.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 300);
    const hint = response.status === 401 || response.status === 403 ? " Check the API key." : "";
    return new AppError(
      "unavailable",
      `LLM server at ${this.url} answered HTTP ${response.status}${body ? `: ${body}` : ""}.${hint}`,
    );
  }
}

/** The `data:` payloads of a server-sent event stream, events joined as the SSE format says. */
async function* serverSentData(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  // Cancelling, not just releasing, closes the connection when the consumer stops early.
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (signal.aborted) return;
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r?\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
        if (line === "") {
          if (data.length) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        newline = buffer.search(/\r?\n/);
      }
    }
    if (data.length) yield data.join("\n");
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
  }
}

function parseChunk(data: string, url: string): { content?: string; finish?: string } {
  let json: {
    choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
    error?: { message?: string };
  };
  try {
    json = JSON.parse(data);
  } catch {
    throw new AppError(
      "unavailable",
      `LLM server at ${url} sent a stream event that is not JSON: ${data.slice(0, 100)}`,
    );
  }
  if (json.error) throw new AppError("unavailable", `LLM server at ${url} failed mid-answer: ${json.error.message}`);
  const choice = json.choices?.[0];
  return { content: choice?.delta?.content ?? undefined, finish: choice?.finish_reason ?? undefined };
}
