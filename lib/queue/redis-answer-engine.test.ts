import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "@/lib/answer/llm/gguf-writer";
import type { AnswerEvent, AnswerRequest } from "@/lib/answer/types";
import type { Persona } from "@/lib/persona/persona";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { startWorkerProcess } from "@/lib/testing/worker-process";
import { RedisAnswerEngine } from "./redis-answer-engine";

const request = (signal?: AbortSignal): AnswerRequest => ({
  question: "How long do webhook retries last?",
  lang: "en",
  persona: { systemPrompt: "You are a support agent." } as Persona,
  passages: [
    {
      n: 1,
      docId: "webhooks.md",
      title: "Webhooks",
      source: "webhooks.md",
      page: null,
      heading: "",
      text: "Retries last 3 days.",
      score: 1,
    },
  ],
  history: [],
  signal,
});

describe("answers from an llm worker over Redis (real redis-server, node-llama-cpp on a tiny GGUF)", () => {
  let redis: TestRedisServer;
  let dir: string;
  let worker: ChildProcess;
  let engine: RedisAnswerEngine;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    dir = await mkdtemp(path.join(tmpdir(), "redis-llm-"));
    await writeTinyGguf(path.join(dir, "tiny.gguf"));
    worker = await startWorkerProcess("llm", {
      ...process.env,
      REDIS_URL: redis.url,
      LLM_ENGINE: "llama-cpp",
      LLM_MODEL_PATH: path.join(dir, "tiny.gguf"),
      LLM_GPU: "off",
      LLM_THREADS: "1",
      LLM_MAX_TOKENS: "24",
    });
    engine = new RedisAnswerEngine({ url: redis.url, engineId: "llama-cpp:tiny", idleMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    worker?.kill("SIGKILL");
    await engine?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("streams the worker's model answer as it is generated, then done", async () => {
    const events: AnswerEvent[] = [];
    for await (const e of engine.answer(request())) events.push(e);
    const deltas = events.filter((e) => e.type === "delta");
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1);
    expect(done).toMatchObject({ type: "done", engine: "llama-cpp:tiny" });
    expect(done?.type === "done" && done.text).toBe(deltas.map((d) => (d.type === "delta" ? d.text : "")).join(""));
  });

  it("two answers at once each get only their own stream", async () => {
    const collect = async () => {
      let text = "";
      let streamed = "";
      for await (const e of engine.answer(request())) {
        if (e.type === "delta") streamed += e.text;
        else text = e.text;
      }
      return { text, streamed };
    };
    const [a, b] = await Promise.all([collect(), collect()]);
    expect(a.text.length).toBeGreaterThan(0);
    expect(b.text.length).toBeGreaterThan(0);
    // Deltas from the other answer's channel would make a stream differ from its own worker's final text.
    expect(a.streamed).toBe(a.text);
    expect(b.streamed).toBe(b.text);
  });

  it("fails clearly when the worker dies mid-answer instead of waiting forever", async () => {
    const quick = new RedisAnswerEngine({ url: redis.url, engineId: "llama-cpp:tiny", idleMs: 1500 });
    try {
      const dying = (async () => {
        for await (const e of quick.answer(request())) if (e.type === "delta") worker.kill("SIGKILL");
      })();
      await expect(dying).rejects.toThrow(/llm worker went silent for 1500 ms/);
    } finally {
      await quick.close();
    }
  });
});
