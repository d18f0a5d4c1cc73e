import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("GET /api/health", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "health-"));
    process.env.LANCEDB_URI = path.join(dir, "db");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("names the engines and reports personas whose knowledge base is still empty", async () => {
    const { GET } = await import("./route");
    const res = await GET();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.engines).toEqual({
      embeddings: "hashed-ngram-v1-384",
      retrieval: "lancedb-hybrid-rrf",
      answer: "extractive",
      asr: "pocketsphinx",
      lipsync: "viseme",
    });
    expect(body.personas.find((p: { id: string }) => p.id === "support").tts).toEqual({ en: "flite", zh: "espeak-ng" });
    expect(body.personas.map((p: { id: string }) => p.id)).toEqual(["support", "triage"]);
    expect(body.queue).toMatchObject({ transport: "local", up: true, waiting: 0, active: 0 });
    expect(body.draining).toBe(false);
    expect(body.status).toBe("degraded");
    expect(body.problems).toContain("persona triage has no documents");

    const { KnowledgeBase } = await import("@/lib/knowledge");
    const kb = await KnowledgeBase.open("triage");
    await kb.ingest("parking.md", new TextEncoder().encode("# Parking\n\nCar park B is free for the first hour."));
    const after = await (await GET()).json();
    expect(after.personas.find((p: { id: string }) => p.id === "triage")).toMatchObject({
      documents: 1,
      chunks: 1,
    });
  });

  it("answers 503 once the process drains for shutdown, so a load balancer sends people elsewhere", async () => {
    const { GET } = await import("./route");
    const { turnAdmission } = await import("@/lib/protection/admission");
    await turnAdmission().drain(0);
    const res = await GET();
    expect(res.status).toBe(503);
    expect((await res.json()).draining).toBe(true);
  });
});
