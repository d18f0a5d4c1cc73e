import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerRequest, Passage } from "@/lib/answer/types";
import type { Persona } from "@/lib/persona/persona";
import { collectAnswer } from "@/lib/testing/answer-events";
import { writeTinyGguf } from "./gguf-writer";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "./openai-compatible-server";
import { RemoteChatEngine } from "./remote-engine";
import { LlmWorkerClient } from "./worker-client";

const passage = (n: number): Passage => ({
  n,
  docId: `d${n}`,
  title: `Doc ${n}`,
  source: `d${n}.md`,
  page: 1,
  heading: "",
  text: `Fact number ${n}.`,
  score: 1,
});
const request = (over: Partial<AnswerRequest> = {}): AnswerRequest => ({
  question: "What are the facts?",
  lang: "en",
  persona: { systemPrompt: "You are a support agent." } as Persona,
  passages: [passage(1), passage(2)],
  history: [],
  ...over,
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe("RemoteChatEngine against the local OpenAI-compatible server on a tiny GGUF", () => {
  let dir: string;
  let worker: LlmWorkerClient;
  let server: OpenAiCompatibleServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "llm-remote-"));
    const model = path.join(dir, "tiny.gguf");
    await writeTinyGguf(model);
    worker = new LlmWorkerClient({ modelPath: model, threads: 1, sequences: 2 });
    server = await startOpenAiCompatibleServer({ worker, model: "tiny", defaults: { seed: 3 } });
  });

  afterAll(async () => {
    await server?.close();
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("streams deltas and a done event naming the engine", async () => {
    const engine = new RemoteChatEngine({ baseUrl: server.baseUrl, model: "tiny", maxTokens: 16 });
    const { deltas, done } = await collectAnswer(engine.answer(request()));
    expect(engine.id).toBe("remote:tiny");
    expect(deltas.length).toBeGreaterThan(0);
    expect(done).toMatchObject({ type: "done", engine: "remote:tiny", text: deltas.join("") });
    expect(["complete", "length"]).toContain(done.stopReason);
  });

  it("stops on abort with the partial text", async () => {
    const engine = new RemoteChatEngine({ baseUrl: server.baseUrl, model: "tiny", maxTokens: 400 });
    const abort = new AbortController();
    const { deltas, done } = await collectAnswer(engine.answer(request({ signal: abort.signal })), () => abort.abort());
    expect(done.stopReason).toBe("abort");
    expect(done.text).toBe(deltas.join(""));
  });

  it("lists the model and answers without streaming", async () => {
    const models = await (await fetch(`${server.baseUrl}/models`)).json();
    expect(models.data[0].id).toBe("tiny");
    const res = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 8 }),
    });
    const body = await res.json();
    expect(body.choices[0].message.role).toBe("assistant");
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    const bad = await fetch(`${server.baseUrl}/chat/completions`, { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
  });
});

describe("RemoteChatEngine mechanics", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it("finds citations split across stream chunks and keeps only passages it sent", async () => {
    const pieces = ["Reset it [", "1", "] then sign in [2", ", 7].", ""];
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const [i, content] of pieces.entries()) {
        const finish = i === pieces.length - 1 ? "stop" : null;
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: finish }] })}\n\n`);
      }
      res.end("data: [DONE]\n\n");
    });
    servers.push(server);
    const engine = new RemoteChatEngine({ baseUrl: await listen(server), model: "fake" });
    const { done } = await collectAnswer(engine.answer(request()));
    expect(done).toMatchObject({ text: pieces.join(""), citations: [1, 2], stopReason: "complete" });
  });

  it("turns an HTTP 500 into a clear error", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "model crashed" } }));
    });
    servers.push(server);
    const engine = new RemoteChatEngine({ baseUrl: await listen(server), model: "fake" });
    await expect(collectAnswer(engine.answer(request()))).rejects.toThrow(/answered HTTP 500: .*model crashed/);
  });

  it("turns a refused connection into a clear error", async () => {
    const server = createServer();
    const baseUrl = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const engine = new RemoteChatEngine({ baseUrl, model: "fake" });
    await expect(collectAnswer(engine.answer(request()))).rejects.toThrow(/is not reachable \(ECONNREFUSED\)/);
  });
});
