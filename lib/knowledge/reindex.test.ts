import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { HashedNgramEmbedder } from "./embedder";
import { KnowledgeBase } from "./index";

const utf8 = (s: string) => new TextEncoder().encode(s);
const DOCS = 40;

/** Forty short leaflets, each with a word of its own, so every document can be found by name afterwards. */
function leaflet(i: number): string {
  return `# Leaflet ${i}\n\n${"Rest, fluids and paracetamol help most viral illnesses. ".repeat(12)}Marker word zebra${i}.`;
}

describe("re-index as a swap (real LanceDB)", () => {
  let dir: string;
  let uri: string;
  const open = () => KnowledgeBase.open("triage", { uri, embedder: new HashedNgramEmbedder() });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "reindex-"));
    uri = path.join(dir, "db");
    const kb = await open();
    for (let i = 0; i < DOCS; i++) await kb.ingest(`leaflet-${i}.md`, utf8(leaflet(i)));
    await kb.store.optimize();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every search answering while another process-like store re-indexes and compacts", async () => {
    const reader = await open();
    const writer = await open();
    const before = await reader.store.check();
    let stop = false;
    let searches = 0;
    const failures: unknown[] = [];
    const loop = (async () => {
      while (!stop) {
        const i = searches % DOCS;
        await reader
          .search(`zebra${i}`)
          .then((r) => {
            if (r.results[0]?.docId !== `leaflet-${i}.md`)
              failures.push(new Error(`zebra${i}: ${r.results[0]?.docId}`));
          })
          .catch((err) => failures.push(err));
        searches++;
      }
    })();
    for (let round = 0; round < 3; round++) {
      expect(await writer.reindex()).toBe(before.chunks);
      await writer.store.optimize();
    }
    stop = true;
    await loop;
    expect(failures).toEqual([]);
    expect(searches).toBeGreaterThan(10);
    expect(await reader.store.check()).toEqual(before);
  });

  it("drops replaced tables only after their grace period, and never the live one", async () => {
    const kb = await open();
    await kb.reindex();
    const tables = async () => (await readdir(uri)).filter((n) => n.startsWith("kb_triage")).sort();
    expect((await tables()).length).toBeGreaterThan(1); // the replaced generations still serve late readers
    expect(await kb.store.dropRetiredTables()).toEqual([]);
    const dropped = await kb.store.dropRetiredTables(Date.now() + 10 * 60_000);
    expect(dropped.length).toBeGreaterThan(0);
    expect(await tables()).toHaveLength(1);
    expect((await kb.search("zebra7")).results[0]?.docId).toBe("leaflet-7.md");
  });

  it("leaves the knowledge base whole and searchable when the re-indexing process is killed at any moment", async () => {
    const expected = await (await open()).store.check();
    for (const killAfterMs of [400, 900, 1500, 2500]) {
      // node itself runs the CLI (the tsx binary would run it in a child that SIGKILL does not reach).
      const child = spawn(
        process.execPath,
        ["--conditions=react-server", "--import", "tsx", "scripts/kb.ts", "reindex", "--persona", "triage"],
        { env: { ...process.env, LANCEDB_URI: uri, EMBEDDER: "hashed" }, stdio: "ignore" },
      );
      const exited = new Promise((r) => child.once("exit", r));
      await new Promise((r) => setTimeout(r, killAfterMs));
      child.kill("SIGKILL");
      await exited;
      const kb = await open();
      expect(await kb.store.check()).toEqual(expected);
      expect((await kb.search("zebra13")).results[0]?.docId).toBe("leaflet-13.md");
    }
  });

  it("says 'unavailable', without store paths, when the live table cannot be read", async () => {
    const scratch = path.join(dir, "broken");
    const kb = await KnowledgeBase.open("support", { uri: scratch, embedder: new HashedNgramEmbedder() });
    await kb.ingest("a.md", utf8(leaflet(1)));
    await kb.store.optimize();
    const [table] = (await readdir(scratch)).filter((n) => n.startsWith("kb_support"));
    await rm(path.join(scratch, table!, "_indices"), { recursive: true, force: true });
    await rm(path.join(scratch, table!, "data"), { recursive: true, force: true });
    const fresh = await KnowledgeBase.open("support", { uri: scratch, embedder: new HashedNgramEmbedder() });
    const err = await fresh.search("zebra1").catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("unavailable");
    expect(err.message).toMatch(/knowledge base of persona support is unavailable/);
    expect(err.message).not.toContain(scratch);
    await expect(fresh.store.check()).rejects.toMatchObject({ code: "unavailable" });
  });
});
