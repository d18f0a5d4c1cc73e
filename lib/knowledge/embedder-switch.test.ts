import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinySentenceModel } from "@/lib/testing/tiny-onnx";
import { HashedNgramEmbedder } from "./embedder";
import { KnowledgeBase } from "./index";
import { OnnxSentenceEmbedder } from "./onnx-embedder";

const DOC = "# Parking\n\nCar park B is beside the main entrance. The first hour is free.";

describe("a knowledge base indexed with one embedder and searched with another", () => {
  let dir: string;
  let onnx: OnnxSentenceEmbedder;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "embedder-switch-"));
    await writeTinySentenceModel(path.join(dir, "model"), {
      vocab: ["car", "park", "parking", "hour", "free", "entrance"],
    });
    onnx = await OnnxSentenceEmbedder.load(path.join(dir, "model"));
  });
  afterAll(async () => {
    await onnx.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves search with the ONNX embedder, refuses a mismatched one, and recovers with reindex", async () => {
    const uri = path.join(dir, "db");
    const kb = await KnowledgeBase.open("triage", { uri, embedder: onnx });
    expect((await kb.ingest("parking.md", new TextEncoder().encode(DOC))).status).toBe("added");
    expect((await kb.search("where is the car park")).results[0]?.docId).toBe("parking.md");

    const hashed = await KnowledgeBase.open("triage", { uri, embedder: new HashedNgramEmbedder() });
    await expect(hashed.search("car park")).rejects.toThrow(
      /indexed with embedder onnx:.* run `npm run kb -- reindex --persona triage`/,
    );
    // reindex drops and rebuilds the table, so it must not trip over the mismatch it is there to fix
    const fresh = await KnowledgeBase.open("triage", { uri, embedder: new HashedNgramEmbedder() });
    expect(await fresh.reindex()).toBe(1);
    expect((await fresh.search("car park")).results[0]?.docId).toBe("parking.md");
  });
});
