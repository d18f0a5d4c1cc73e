import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "@/lib/testing/documents";
import { KnowledgeBase } from "./index";
import { Synonyms } from "./query";

// The mechanism is under test here, so the lexicon is the test's own rather than the persona's sample one.
const synonyms = new Synonyms([
  ["belly", "abdomen", "abdominal", "tummy", "stomach"],
  ["temperature", "fever", "pyrexia"],
  ["发烧", "发热", "高烧"],
]);

const utf8 = (s: string) => new TextEncoder().encode(s);

const CHEST = `# Chest pain

## When to call 999

Call 999 at once if chest pain spreads to the arm, neck or jaw, or comes with shortness of breath, sweating or nausea.
These can be signs of a heart attack (myocardial infarction).

## Muscular pain

Pain that gets worse when you press on the chest wall is often muscular and can be seen by a GP.`;

const ABDOMEN = `# Abdominal pain

Sudden severe abdominal pain in the lower right quadrant with fever may be appendicitis and needs the emergency department.
Mild cramping with diarrhoea usually settles within 48 hours; keep drinking fluids.`;

const PARKING = `<html><head><title>Visiting and parking</title></head><body><h1>Visiting and parking</h1>
<p>Visiting hours are 11:00 to 20:00 every day. Car park B is beside the main entrance and the first hour is free.</p></body></html>`;

describe("KnowledgeBase (real LanceDB in a temp folder)", () => {
  let dir: string;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kb-test-"));
    kb = await KnowledgeBase.open("triage", { uri: path.join(dir, "db"), maxBytes: 64 * 1024, synonyms });
    const docs = path.join(dir, "docs");
    await import("node:fs/promises").then((fs) => fs.mkdir(docs));
    await writeFile(path.join(docs, "chest-pain.md"), CHEST);
    await writeFile(path.join(docs, "abdominal-pain.md"), ABDOMEN);
    await writeFile(path.join(docs, "parking.html"), PARKING);
    await writeFile(
      path.join(docs, "fever.pdf"),
      makePdf([
        ["Fever in adults", "An adult temperature above 39 C for three days needs a doctor."],
        ["Fluids", "Drink water often."],
      ]),
    );
    await writeFile(
      path.join(docs, "zh-fever.docx"),
      await makeDocx(["# 发烧", "## 何时就医", "成人体温超过39度持续三天，请到急诊就医。"]),
    );
    const reports = await kb.ingestPaths([docs]);
    expect(reports.map((r) => r.status)).toEqual(["added", "added", "added", "added", "added"]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists every ingested document with its format, language and pages", async () => {
    const docs = await kb.list();
    expect(docs.map((d) => [d.docId, d.format, d.lang])).toEqual([
      ["abdominal-pain.md", "md", "en"],
      ["chest-pain.md", "md", "en"],
      ["fever.pdf", "pdf", "en"],
      ["parking.html", "html", "en"],
      ["zh-fever.docx", "docx", "zh"],
    ]);
    expect(docs.find((d) => d.docId === "fever.pdf")?.pages).toBe(2);
  });

  it("finds the passage for a question in lay words, with page and heading", async () => {
    const res = await kb.search("my belly hurts low down on the right and I have a temperature");
    expect(res.results[0]?.docId).toBe("abdominal-pain.md");
    expect(res.confidence).toBeGreaterThan(0.5);
    const pdf = await kb.search("how long can a high temperature last before I see a doctor", {
      filter: { format: "pdf" },
    });
    expect(pdf.results[0]).toMatchObject({ docId: "fever.pdf", page: 1, heading: "Fever in adults" });
  });

  it("tolerates speech-recognition slips", async () => {
    const res = await kb.search("i think im having a hard attack with pain in my jaw");
    expect(res.results[0]?.docId).toBe("chest-pain.md");
    expect(res.query.added).toContain("heart");
  });

  it("answers Chinese questions from the Chinese document", async () => {
    const res = await kb.search("发烧三天了要去急诊吗");
    expect(res.results[0]?.docId).toBe("zh-fever.docx");
    expect(res.confidence).toBeGreaterThan(0.5);
  });

  it("applies metadata filters before ranking", async () => {
    const res = await kb.search("fever", { filter: { lang: "zh" } });
    expect(res.results.length).toBeGreaterThan(0);
    expect(res.results.every((r) => r.lang === "zh")).toBe(true);
    const only = await kb.search("chest pain", { filter: { docIds: ["parking.html"] } });
    expect(only.results.map((r) => r.docId)).toEqual(["parking.html"]);
  });

  it("reports low confidence for a question the documents cannot answer", async () => {
    const res = await kb.search("who won the football world cup in 2010");
    expect(res.confidence).toBeLessThan(0.35);
    const answerable = await kb.search("what are the visiting hours");
    expect(answerable.confidence).toBeGreaterThan(0.6);
  });

  it("skips unchanged files, replaces changed ones and removes documents completely", async () => {
    const file = path.join(dir, "docs", "parking.html");
    expect((await kb.ingestPaths([file]))[0]?.status).toBe("unchanged");

    await writeFile(file, PARKING.replace("11:00 to 20:00", "10:00 to 21:00"));
    expect((await kb.ingestPaths([file]))[0]?.status).toBe("updated");
    const chunks = await kb.store.chunksOf("parking.html");
    expect(chunks.map((c) => c.text).join(" ")).toContain("10:00 to 21:00");
    expect(chunks.map((c) => c.text).join(" ")).not.toContain("11:00 to 20:00");

    expect(await kb.remove("parking.html")).toBeGreaterThan(0);
    expect(await kb.store.chunksOf("parking.html")).toEqual([]);
    const res = await kb.search("visiting hours car park");
    expect(res.results.some((r) => r.docId === "parking.html")).toBe(false);
    await expect(kb.remove("parking.html")).rejects.toThrow(/no document "parking.html"/);
  });

  it("lets readers see the old or the new document during a replace, never a mix", async () => {
    const longDoc = (tag: string) =>
      `# Wound care\n\n${Array.from({ length: 12 }, (_, i) => `Paragraph ${i} ${tag}: clean the laceration with tap water and cover it with a dressing.`).join("\n\n")}`;
    await kb.ingest("wounds.md", utf8(longDoc("old")));
    const before = (await kb.store.chunksOf("wounds.md")).length;
    let stop = false;
    const seen: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const rows = await kb.store.chunksOf("wounds.md");
        const tags = new Set(rows.map((r) => /: /.test(r.text) && (r.text.includes(" new:") ? "new" : "old")));
        seen.push(`${rows.length}:${[...tags].sort().join(",")}`);
      }
    })();
    for (let i = 0; i < 3; i++) {
      await kb.ingest("wounds.md", utf8(longDoc(i % 2 === 0 ? "new" : "old")));
    }
    stop = true;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect([`${before}:old`, `${before}:new`]).toContain(s);
  });

  it("reports each bad file clearly and leaves the store as it was", async () => {
    const bad = path.join(dir, "bad");
    await import("node:fs/promises").then((fs) => fs.mkdir(bad));
    const files: [string, Uint8Array][] = [
      ["chest-pain.md", new Uint8Array([0, 159, 146, 150, 0])], // same id as a good document: must not replace it
      ["empty.txt", new Uint8Array(0)],
      ["locked.pdf", makePdf([["secret"]], { encrypted: true })],
      ["broken.pdf", utf8("%PDF-1.7\ntruncated")],
      ["renamed.docx", utf8("%PDF-1.4 not a word file")],
      ["huge.txt", new Uint8Array(100 * 1024).fill(65)],
    ];
    for (const [name, bytes] of files) await writeFile(path.join(bad, name), bytes);
    const before = await kb.store.chunksOf();
    const reports = await kb.ingestPaths([bad, path.join(dir, "missing.md")]);
    expect(reports.every((r) => r.status === "error")).toBe(true);
    expect(Object.fromEntries(reports.map((r) => [path.basename(r.file), r.error]))).toMatchObject({
      "chest-pain.md": expect.stringMatching(/binary content/),
      "empty.txt": expect.stringMatching(/empty/),
      "locked.pdf": expect.stringMatching(/encrypted/),
      "broken.pdf": expect.stringMatching(/damaged/),
      "renamed.docx": expect.stringMatching(/not a DOCX/),
      "huge.txt": expect.stringMatching(/over the 0\.1 MB limit/),
      "missing.md": expect.stringMatching(/ENOENT|no such file/),
    });
    const after = await kb.store.chunksOf();
    expect(after.map((r) => [r.id, r.doc_hash])).toEqual(before.map((r) => [r.id, r.doc_hash]));
  });
});
