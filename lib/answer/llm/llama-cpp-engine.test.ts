import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerRequest, Passage } from "@/lib/answer/types";
import type { Persona } from "@/lib/persona/persona";
import { collectAnswer } from "@/lib/testing/answer-events";
import { writeTinyGguf } from "./gguf-writer";
import { LlamaCppEngine, type LlamaCppEngineOptions } from "./llama-cpp-engine";

const persona = { systemPrompt: "You are a helpful nurse." } as Persona;
const passage = (n: number, text: string): Passage => ({
  n,
  docId: `d${n}`,
  title: `Doc ${n}`,
  source: `d${n}.md`,
  page: null,
  heading: "",
  text,
  score: 1,
});
const request = (over: Partial<AnswerRequest> = {}): AnswerRequest => ({
  question: "When should I come in?",
  lang: "en",
  persona,
  passages: [passage(1, "Come at once for chest pain."), passage(2, "Fever over three days: see a doctor.")],
  history: [],
  ...over,
});

let dir: string;
let model: string;
const engines: LlamaCppEngine[] = [];
// One thread: on a tiny model, thread synchronisation costs far more than the arithmetic.
const engine = (options: Partial<LlamaCppEngineOptions> = {}) => {
  const e = new LlamaCppEngine({
    modelPath: model,
    threads: 1,
    sequences: 2,
    maxQueue: 1,
    maxTokens: 24,
    seed: 7,
    ...options,
  });
  engines.push(e);
  return e;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "llm-engine-"));
  model = path.join(dir, "tiny.gguf");
  await writeTinyGguf(model);
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await rm(dir, { recursive: true, force: true });
});

describe("LlamaCppEngine on a tiny random-weight GGUF", () => {
  let shared: LlamaCppEngine;
  beforeAll(() => {
    shared = engine({ maxTokens: 400 });
  });

  it("streams deltas, then done with the engine id and the whole text", async () => {
    const { deltas, done } = await collectAnswer(shared.answer(request()));
    expect(shared.id).toBe("llama-cpp:tiny");
    expect(deltas.length).toBeGreaterThan(0);
    expect(done).toMatchObject({ type: "done", engine: "llama-cpp:tiny" });
    expect(done.text).toBe(deltas.join(""));
    expect(["complete", "length"]).toContain(done.stopReason);
    for (const n of done.citations) expect([1, 2]).toContain(n);
  });

  it("stops on abort and returns the partial text", async () => {
    const abort = new AbortController();
    const { deltas, done } = await collectAnswer(shared.answer(request({ signal: abort.signal })), () => abort.abort());
    expect(done.stopReason).toBe("abort");
    expect(deltas.length).toBeGreaterThan(0);
    expect(done.text).toBe(deltas.join(""));
  });

  it("answers two requests at once on separate sequences", async () => {
    const [a, b] = await Promise.all([
      collectAnswer(shared.answer(request())),
      collectAnswer(shared.answer(request({ question: "Another question entirely?" }))),
    ]);
    expect(a.done.text.length).toBeGreaterThan(0);
    expect(b.done.text.length).toBeGreaterThan(0);
  });

  it("refuses past the queue limit with a busy error", async () => {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => collectAnswer(shared.answer(request()))));
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused.length).toBe(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/LLM busy/);
  });

  it("fits passages far larger than the context and still answers", async () => {
    const huge = Array.from({ length: 12 }, (_, i) => passage(i + 1, "Long passage text. ".repeat(400)));
    const { deltas, done } = await collectAnswer(shared.answer(request({ passages: huge })));
    expect(deltas.length).toBeGreaterThan(0);
    expect(done.type).toBe("done");
  });

  it("fails the answer when the worker dies mid-answer, and the next request starts a new one", async () => {
    const pid = shared.worker.pid!;
    const dying = collectAnswer(shared.answer(request()), () => process.kill(pid, "SIGKILL"));
    await expect(dying).rejects.toThrow(/worker process died while answering/);
    const { done } = await collectAnswer(shared.answer(request()));
    expect(done.type).toBe("done");
    expect(shared.worker.pid).not.toBe(pid);
  });
});

describe("LlamaCppEngine with no usable model", () => {
  it("names the missing file and how to get one", async () => {
    const missing = new LlamaCppEngine({ modelPath: path.join(dir, "nope.gguf") });
    await expect(collectAnswer(missing.answer(request()))).rejects.toThrow(
      /model file not found: .*nope\.gguf.*models:pull/,
    );
  });

  it("reports a truncated GGUF as a load error", async () => {
    const file = path.join(dir, "truncated.gguf");
    await writeFile(file, (await readFile(model)).subarray(0, 100_000));
    await expect(collectAnswer(engine({ modelPath: file }).answer(request()))).rejects.toThrow(
      /Could not load LLM model .*truncated\.gguf/,
    );
  });

  it("survives a GGUF that makes llama.cpp abort the process", async () => {
    const file = path.join(dir, "no-ff.gguf");
    await writeTinyGguf(file, { omitKeys: ["llama.feed_forward_length"] });
    const bad = engine({ modelPath: file });
    await expect(collectAnswer(bad.answer(request()))).rejects.toThrow(/Could not load LLM model .*no-ff\.gguf.*died/);
    // The worker is gone, this process is not, and the engine tries again rather than staying broken.
    await expect(collectAnswer(bad.answer(request()))).rejects.toThrow(/Could not load LLM model/);
  });
});
