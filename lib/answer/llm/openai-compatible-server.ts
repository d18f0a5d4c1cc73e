import "server-only";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatMessage } from "@/lib/answer/prompt";
import type { StopReason } from "@/lib/answer/types";
import { AppError, httpStatus, toAppError } from "@/lib/errors";
import type { GenerationOptions } from "./protocol";
import type { LlmWorkerClient } from "./worker-client";

export interface OpenAiCompatibleServerOptions {
  worker: LlmWorkerClient;
  /** The model id clients send and `/v1/models` lists. */
  model: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  defaults?: Partial<GenerationOptions>;
}

export interface OpenAiCompatibleServer {
  /** The API root, e.g. `http://127.0.0.1:40123/v1`. */
  baseUrl: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const FINISH: Record<StopReason, string> = { complete: "stop", length: "length", abort: "stop" };

/**
 * Serves a local GGUF model (through an LLM worker) as an OpenAI-compatible API: `GET /v1/models` and
 * `POST /v1/chat/completions`, streamed (SSE) or not. The remote engine's tests run against it; it also lets any
 * OpenAI client try a local model.
 */
export async function startOpenAiCompatibleServer(
  options: OpenAiCompatibleServerOptions,
): Promise<OpenAiCompatibleServer> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => sendError(res, toAppError(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    baseUrl: `http://${host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: OpenAiCompatibleServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
  if (req.method === "GET" && path === "/v1/models") {
    sendJson(res, 200, {
      object: "list",
      data: [{ id: options.model, object: "model", created: 0, owned_by: "local" }],
    });
    return;
  }
  if (req.method === "POST" && path === "/v1/chat/completions") {
    await completions(options, await readJson(req), res);
    return;
  }
  throw new AppError("not_found", `No route for ${req.method} ${path}.`);
}

interface CompletionRequest {
  messages?: { role?: string; content?: string | { type?: string; text?: string }[] | null }[];
  stream?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  seed?: number;
}

async function completions(
  options: OpenAiCompatibleServerOptions,
  body: CompletionRequest,
  res: ServerResponse,
): Promise<void> {
  const messages = toMessages(body);
  const generation: GenerationOptions = {
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? options.defaults?.maxTokens ?? 256,
    temperature: body.temperature ?? options.defaults?.temperature ?? 0.7,
    seed: body.seed ?? options.defaults?.seed,
  };
  // A client that hangs up stops the generation and frees its sequence.
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const events = options.worker.generate({ kind: "chat", messages }, generation, abort.signal);

  if (!body.stream) {
    let text = "";
    let finish = "stop";
    let tokens = 0;
    let promptTokens = 0;
    for await (const e of events) {
      if (e.type === "start") promptTokens = e.promptTokens;
      else if (e.type === "delta") text += e.text;
      else {
        finish = FINISH[e.stopReason];
        tokens = e.tokens;
      }
    }
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model: options.model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish }],
      usage: { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens },
    });
    return;
  }

  const chunk = (delta: Record<string, string>, finish: string | null) =>
    `data: ${JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created,
      model: options.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;
  try {
    for await (const e of events) {
      if (e.type === "start") {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        res.write(chunk({ role: "assistant" }, null));
      } else if (e.type === "delta") res.write(chunk({ content: e.text }, null));
      else res.write(chunk({}, FINISH[e.stopReason]));
    }
  } catch (err) {
    if (!res.headersSent) throw err;
    // Headers are gone: the error travels in the stream, as OpenAI's API does.
    const e = toAppError(err);
    res.write(`data: ${JSON.stringify({ error: { message: e.message, type: e.code } })}\n\n`);
  }
  if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream" });
  res.end("data: [DONE]\n\n");
}

function toMessages(body: CompletionRequest): ChatMessage[] {
  if (!Array.isArray(body.messages) || !body.messages.length) {
    throw new AppError("bad_request", "`messages` must be a non-empty array.");
  }
  return body.messages.map((m) => {
    const role = m.role === "developer" ? "system" : m.role;
    if (role !== "system" && role !== "user" && role !== "assistant") {
      throw new AppError("bad_request", `Unsupported message role "${m.role}".`);
    }
    const content = Array.isArray(m.content)
      ? m.content.map((part) => (part.type === "text" ? (part.text ?? "") : "")).join("")
      : (m.content ?? "");
    return { role, content };
  });
}

async function readJson(req: IncomingMessage): Promise<CompletionRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AppError("payload_too_large", "The request body is over 1 MiB.");
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("bad_request", "The request body is not JSON.");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, err: AppError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, httpStatus(err.code), { error: { message: err.message, type: err.code, code: err.code } });
}
