import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KnowledgeBase } from "@/lib/knowledge";
import { personaDir } from "@/lib/persona/persona";
import type { AnswerResult, AnswerStreamEvent } from "./answer-service";
import { ExtractiveAnswerEngine } from "./extractive-engine";
import { createAnswerService } from "./index";
import { InMemorySessionMemory } from "./session-memory";

async function collect(stream: AsyncIterable<AnswerStreamEvent>) {
  const events: AnswerStreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  const done = events.at(-1);
  if (done?.type !== "done") throw new Error("no done event");
  return { events, result: done.result as AnswerResult };
}

describe("AnswerService on the triage sample knowledge base (extractive engine)", () => {
  let dir: string;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "answer-"));
    process.env.DATA_DIR = path.join(dir, "data");
    kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "db") });
    await kb.ingestPaths([path.join(personaDir("triage"), "docs")]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("answers in a few speakable sentences that cite the right document", async () => {
    const service = await createAnswerService("triage", { kb });
    const { events, result } = await collect(
      service.ask("my belly hurts on the lower right side, could it be my appendix?"),
    );
    expect(result).toMatchObject({ via: "engine", engine: "extractive", abstained: false });
    expect(result.citations.map((c) => c.docId)).toContain("abdominal-pain.md");
    const sentences = result.answer.split(/(?<=\[\d+\])/).filter((s) => /\w/.test(s) && /\[\d+\]/.test(s));
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(4);
    expect(result.answer).not.toMatch(/[*#`|]|\]\(/);
    // Text streams before the result, and sources come before text.
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf("sources")).toBeLessThan(kinds.indexOf("text"));
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.firstTextMs);
  });

  it("answers a Chinese question in Chinese", async () => {
    const service = await createAnswerService("triage", { kb });
    const { result } = await collect(service.ask("三个月的宝宝发烧38度怎么办"));
    expect(result.lang).toBe("zh");
    expect(result.answer).toMatch(/[\u4e00-\u9fff]/);
    expect(result.citations[0]?.docId).toMatch(/^zh-|fever/);
  });

  it("abstains with the persona's refusal and logs the knowledge gap", async () => {
    const service = await createAnswerService("triage", { kb });
    const { result } = await collect(service.ask("who won the football world cup in 2010", { sessionId: "s-gap" }));
    expect(result).toMatchObject({ abstained: true, via: "refusal", citations: [] });
    expect(result.answer).toBe(kb.persona.refusal.en);
    const log = await readFile(path.join(dir, "data", "gaps", "triage.jsonl"), "utf8");
    expect(JSON.parse(log.trim().split("\n").at(-1) ?? "{}")).toMatchObject({
      question: "who won the football world cup in 2010",
      sessionId: "s-gap",
    });
  });

  it("serves curated FAQ answers without retrieval or an engine", async () => {
    const service = await createAnswerService("triage", { kb });
    const { result } = await collect(service.ask("When are the visiting hours?"));
    expect(result).toMatchObject({ via: "faq", engine: "faq" });
    expect(result.answer).toContain("11:00 to 20:00");
    expect(result.citations[0]?.docId).toBe("visiting-and-parking.html");
  });

  it("caches answers until a cited document changes", async () => {
    const service = await createAnswerService("triage", { kb });
    const q = "what are the warning signs of low blood sugar";
    const first = (await collect(service.ask(q))).result;
    expect(first.via).toBe("engine");
    const second = (await collect(service.ask(q))).result;
    expect(second).toMatchObject({ via: "cache", answer: first.answer });

    const cited = first.citations[0]!.docId;
    expect(cited).toBe("diabetes-blood-sugar.md");
    // An unrelated document changing keeps the entry; the cited one changing drops it.
    await kb.ingest("parking-update.md", Buffer.from("# Parking\n\nCar park C opens in May."));
    expect((await collect(service.ask(q))).result.via).toBe("cache");
    const bytes = await readFile(path.join(personaDir("triage"), "docs", cited));
    await kb.ingest(cited, Buffer.concat([bytes, Buffer.from("\n\nReviewed in November.\n")]));
    expect((await collect(service.ask(q))).result.via).toBe("engine");
  });

  it("says the disclaimer once per session", async () => {
    const service = await createAnswerService("triage", { kb, sessions: new InMemorySessionMemory() });
    const disclaimer = kb.persona.disclaimer?.en ?? "";
    const a = (await collect(service.ask("what should I do for a migraine headache", { sessionId: "s1" }))).result;
    const b = (await collect(service.ask("what are the signs of dehydration", { sessionId: "s1" }))).result;
    const c = (await collect(service.ask("what are the signs of dehydration in adults", { sessionId: "s2" }))).result;
    expect(a.answer).toContain(disclaimer);
    expect(b.answer).not.toContain(disclaimer);
    expect(c.answer).toContain(disclaimer);
  });

  it("escalates an emergency before anything else, and does not alarm on a negation", async () => {
    const service = await createAnswerService("triage", { kb });
    const { events, result } = await collect(
      service.ask("i think im having a hard attack, my chest hurts and i cant breathe"),
    );
    expect(events[0]).toMatchObject({ type: "safety", level: "emergency" });
    expect(events.some((e) => e.type === "sources")).toBe(false);
    expect(result).toMatchObject({ via: "safety", safety: { level: "emergency" } });
    expect(result.answer).toContain("999");

    const calm = (await collect(service.ask("no chest pain, just a cough for two days, what should I do"))).result;
    expect(calm.safety.level).toBe("none");
    expect(calm.via).not.toBe("safety");
  });

  it("escalates in Chinese", async () => {
    const service = await createAnswerService("triage", { kb });
    const { events } = await collect(service.ask("我胸口很痛，喘不过气"));
    expect(events[0]).toMatchObject({ type: "safety", level: "emergency" });
  });

  it("stops the extractive engine when the request is aborted", async () => {
    const engine = new ExtractiveAnswerEngine((q) => kb.retriever.expand(q));
    const res = await kb.search("signs of a stroke");
    const passages = res.results.map((r, i) => ({ ...r, n: i + 1 }));
    const controller = new AbortController();
    const events = [];
    for await (const ev of engine.answer({
      question: "signs of a stroke",
      lang: "en",
      persona: kb.persona,
      passages,
      history: [],
      signal: controller.signal,
    })) {
      events.push(ev);
      controller.abort();
    }
    expect(events.filter((e) => e.type === "delta")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "done", stopReason: "abort" });
  });
});
