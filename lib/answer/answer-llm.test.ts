import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KnowledgeBase } from "@/lib/knowledge";
import { personaDir } from "@/lib/persona/persona";
import type { AnswerResult, AnswerStreamEvent } from "./answer-service";
import { createAnswerService } from "./index";
import { writeTinyGguf } from "./llm/gguf-writer";
import { LlamaCppEngine } from "./llm/llama-cpp-engine";

async function ask(stream: AsyncIterable<AnswerStreamEvent>) {
  let result: AnswerResult | undefined;
  let deltas = 0;
  for await (const ev of stream) {
    if (ev.type === "text") deltas++;
    if (ev.type === "done") result = ev.result;
  }
  if (!result) throw new Error("no result");
  return { result, deltas };
}

describe("the answer service on a language model (real node-llama-cpp, tiny GGUF)", () => {
  let dir: string;
  let kb: KnowledgeBase;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "answer-llm-"));
    process.env.DATA_DIR = path.join(dir, "data");
    kb = await KnowledgeBase.open("support", { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir("support"), "docs", "webhooks.md")]);
    await writeTinyGguf(path.join(dir, "tiny.gguf"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("streams the model's answer with the retrieved passages as its sources", async () => {
    const engine = new LlamaCppEngine({
      modelPath: path.join(dir, "tiny.gguf"),
      gpu: false,
      threads: 1,
      maxTokens: 24,
    });
    try {
      const service = await createAnswerService("support", { kb, engine });
      const { result, deltas } = await ask(service.ask("how do webhook retries work"));
      expect(result).toMatchObject({ engine: "llama-cpp:tiny", via: "engine", abstained: false });
      expect(result.degraded).toBeUndefined();
      expect(deltas).toBeGreaterThan(1);
      expect(result.answer.length).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  });

  it("answers with the extractive engine when the model is too late to start (deadline), and stops it", async () => {
    const engine = new LlamaCppEngine({ modelPath: path.join(dir, "tiny.gguf"), gpu: false, threads: 1 });
    try {
      // Loading a model in a fresh worker process takes far longer than 5 ms.
      const service = await createAnswerService("support", { kb, engine, firstTextDeadlineMs: 5 });
      const { result } = await ask(service.ask("how do webhook retries work"));
      expect(result.engine).toBe("extractive");
      expect(result.degraded).toMatch(/llama-cpp:tiny failed: no answer text within 5 ms/);
      expect(result.citations[0]?.docId).toBe("webhooks.md");
    } finally {
      await engine.close();
    }
  });

  it("answers with the extractive engine, and says why, when the model cannot load", async () => {
    const engine = new LlamaCppEngine({ modelPath: path.join(dir, "missing.gguf"), gpu: false, threads: 1 });
    const service = await createAnswerService("support", { kb, engine });
    const { result } = await ask(service.ask("how do webhook retries work"));
    expect(result.engine).toBe("extractive");
    expect(result.degraded).toMatch(/llama-cpp:missing failed: LLM model file not found/);
    expect(result.citations[0]?.docId).toBe("webhooks.md");
  });
});
