import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makePdf } from "@/lib/testing/documents";

/**
 * The upload route under the limits a deployment runs with: a file near the 25 MB limit, uploads in flight bounded
 * per admin and in total, file names that collide on one document id, and writes whose client left while they
 * waited for the persona's write lock. Handlers are called directly, as Next calls them (no proxy in front).
 */
describe("/api/kb uploads", () => {
  let dir: string;
  const cookies: Record<string, string> = {};
  const persona = "support";
  const ctx = <P>(params: P) => ({ params: Promise.resolve(params) });
  const url = (p: string) => `http://localhost/api/kb/${persona}${p}`;
  const headers = (who: string) => ({
    cookie: cookies[who]!,
    origin: "http://localhost",
    "sec-fetch-site": "same-origin",
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kb-uploads-"));
    process.env.LANCEDB_URI = path.join(dir, "db");
    process.env.DATA_DIR = path.join(dir, "data");
    process.env.EMBEDDER = "hashed";
    process.env.KB_MAX_FILE_MB = "25";
    process.env.KB_UPLOADS_PER_ADMIN = "1";
    process.env.KB_UPLOADS_IN_FLIGHT = "2";
    process.env.RATE_LIMIT_UPLOADS_PER_IP = "0";
    delete process.env.AUTH_SECRET;
    const { mintSessionCookie } = await import("@/lib/auth/session-token");
    for (const who of ["ann", "bob", "cat"]) {
      cookies[who] = await mintSessionCookie({ email: `${who}@example.org`, role: "admin", sub: who });
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (files: File[], options: { who?: string; replace?: boolean; signal?: AbortSignal } = {}) => {
    const { POST } = await import("./[persona]/documents/route");
    const form = new FormData();
    for (const f of files) form.append("files", f);
    if (options.replace) form.append("replace", "true");
    return POST(
      new Request(url("/documents"), {
        method: "POST",
        headers: headers(options.who ?? "ann"),
        body: form,
        signal: options.signal,
      }),
      ctx({ persona }),
    );
  };
  /** Waits for a state the code under test reaches on its own (no fixed delay); generous for a busy machine. */
  const until = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 10 });
  const documents = async () => {
    const { GET } = await import("./[persona]/documents/route");
    const res = await GET(new Request(url("/documents"), { headers: headers("ann") }), ctx({ persona }));
    return (await res.json()).documents as { docId: string; source: string; title: string }[];
  };
  const passages = async (docId: string) => {
    const { GET } = await import("./[persona]/documents/[docId]/route");
    const res = await GET(
      new Request(url(`/documents/${docId}`), { headers: headers("ann") }),
      ctx({ persona, docId }),
    );
    return (await res.json()) as { source: string; chunks: { text: string; page: number | null }[] };
  };

  it("takes a 23 MB PDF (two pages of text, a large uncompressed picture) through the upload route", async () => {
    const pdf = makePdf(
      [
        ["Shuttle bus", "The airport shuttle leaves the north entrance every twenty minutes."],
        ["Night service", "After midnight the shuttle runs once an hour."],
      ],
      { image: { width: 2770, height: 2770 } },
    );
    expect(pdf.byteLength).toBeGreaterThan(23_000_000);
    expect(pdf.byteLength).toBeLessThan(25 * 1024 * 1024);
    const res = await upload([new File([pdf], "shuttle.pdf", { type: "application/pdf" })]);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.results).toEqual([expect.objectContaining({ file: "shuttle.pdf", status: "added", pages: 2 })]);
    const doc = await passages("shuttle.pdf");
    expect(doc.chunks.map((c) => c.text).join(" ")).toMatch(/every twenty minutes[\s\S]*once an hour/);
  });

  it("bounds uploads in flight per admin (429) and in total (503) before reading their bodies", async () => {
    const { POST } = await import("./[persona]/documents/route");
    /** An upload whose body stalls after its first bytes until `fail` is called, holding its place meanwhile. */
    const stalled = (who: string) => {
      const s = { pulls: 0, fail: () => {} };
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            s.pulls++;
            if (s.pulls === 1) return controller.enqueue(new TextEncoder().encode("--x\r\n"));
            return new Promise<void>((resolve) => {
              s.fail = () => {
                controller.error(new Error("the client went away"));
                resolve();
              };
            });
          },
        },
        { highWaterMark: 0 },
      );
      const response = POST(
        new Request(url("/documents"), {
          method: "POST",
          headers: { ...headers(who), "content-type": "multipart/form-data; boundary=x" },
          body: stream,
          duplex: "half",
        } as RequestInit),
        ctx({ persona }),
      );
      return Object.assign(s, { response });
    };

    const ann = stalled("ann");
    await until(() => expect(ann.pulls).toBeGreaterThan(0)); // its body is being read: it holds a place
    const annAgain = stalled("ann");
    const own = await annAgain.response;
    expect(own.status).toBe(429);
    expect(own.headers.get("retry-after")).toBe("10");
    expect((await own.json()).error.code).toBe("rate_limited");
    expect(annAgain.pulls).toBe(0);

    const bob = stalled("bob");
    await until(() => expect(bob.pulls).toBeGreaterThan(0));
    const cat = stalled("cat");
    const full = await cat.response;
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("10");
    expect((await full.json()).error).toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("2 uploads"),
    });
    expect(cat.pulls).toBe(0);

    // a failed upload frees its place
    ann.fail();
    bob.fail();
    expect((await ann.response).status).toBe(400);
    expect((await bob.response).status).toBe(400);
    const res = await upload([new File(["Opening hours are 8 to 6."], "hours.txt")], { who: "cat" });
    expect(res.status).toBe(200);
  });

  it("refuses a file whose name maps onto a document uploaded under another name, unless replace is asked", async () => {
    const first = await (await upload([new File(["# Report\n\nThe first quarter went well."], "Report.md")])).json();
    expect(first.results[0]).toMatchObject({ docId: "report.md", status: "added" });

    const clash = await (await upload([new File(["# Report\n\nA different report altogether."], "report.md")])).json();
    expect(clash.results[0]).toMatchObject({
      file: "report.md",
      docId: "report.md",
      status: "error",
      error: expect.stringMatching(/^report\.md already holds 'Report\.md'; .*replace=true/),
      conflict: { where: "stored", existing: "Report.md" },
    });
    expect(clash.summary).toEqual({ ok: 0, failed: 1 });
    expect((await passages("report.md")).chunks[0]?.text).toContain("first quarter");

    // the same name still updates, as before
    const same = await (
      await upload([new File(["# Report\n\nThe first quarter went very well."], "Report.md")])
    ).json();
    expect(same.results[0]).toMatchObject({ status: "updated" });

    // two names for one id in one upload: the first is taken, the second refused, naming the first
    const pair = await (
      await upload([new File(["Room A"], "a b.md"), new File(["Room B"], "a-b.md"), new File(["Hi"], "other.md")])
    ).json();
    expect(pair.results.map((r: { file: string; status: string }) => [r.file, r.status])).toEqual([
      ["a b.md", "added"],
      ["a-b.md", "error"],
      ["other.md", "added"],
    ]);
    expect(pair.results[1].error).toContain("'a b.md'");
    expect(pair.results[1].conflict).toMatchObject({ where: "upload", existing: "a b.md" });

    // asked to replace: the new name takes the document over, and the result says what it replaced
    const replaced = await (
      await upload([new File(["# Report\n\nA different report altogether."], "report.md")], { replace: true })
    ).json();
    expect(replaced.results[0]).toMatchObject({
      status: "updated",
      warnings: [expect.stringContaining("replaced 'Report.md'")],
    });
    const doc = await passages("report.md");
    expect(doc.source).toBe("report.md");
    expect(doc.chunks[0]?.text).toContain("different report");
    expect((await documents()).filter((d) => d.docId === "report.md")).toHaveLength(1);
  });

  it("skips a write whose client left while it waited for the write lock, and logs it", async () => {
    const { serialized, writesWaiting } = await import("./_shared/kb");
    const { DELETE } = await import("./[persona]/documents/[docId]/route");
    const { POST: reindex } = await import("./[persona]/reindex/route");
    const warn = vi.spyOn(console, "warn");
    let release!: () => void;
    const holder = serialized(persona, () => new Promise<void>((resolve) => (release = resolve)));

    const left = { upload: new AbortController(), delete: new AbortController(), reindex: new AbortController() };
    const pending = [
      upload([new File(["Walk-in clinic on Saturdays."], "walk-in.md")], { signal: left.upload.signal }),
      DELETE(
        new Request(url("/documents/hours.txt"), {
          method: "DELETE",
          headers: headers("ann"),
          signal: left.delete.signal,
        }),
        ctx({ persona, docId: "hours.txt" }),
      ),
      reindex(
        new Request(url("/reindex"), { method: "POST", headers: headers("ann"), signal: left.reindex.signal }),
        ctx({ persona }),
      ),
    ];
    await until(() => expect(writesWaiting(persona)).toBe(3));
    // one that stays is applied in its turn, after the ones that left
    const stays = DELETE(
      new Request(url("/documents/other.md"), { method: "DELETE", headers: headers("ann") }),
      ctx({ persona, docId: "other.md" }),
    );
    await until(() => expect(writesWaiting(persona)).toBe(4));
    for (const c of Object.values(left)) c.abort();
    release();
    await holder;
    for (const res of await Promise.all(pending)) expect(res.status).toBe(503);
    expect((await stays).status).toBe(200);

    const ids = (await documents()).map((d) => d.docId);
    expect(ids).toContain("hours.txt"); // not deleted
    expect(ids).not.toContain("walk-in.md"); // not added
    expect(ids).not.toContain("other.md");
    const logged = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("skipped"));
    expect(logged.sort()).toEqual([
      expect.stringMatching(/^\[kb\] support: delete of hours\.txt skipped: its client left/),
      expect.stringMatching(/^\[kb\] support: re-index skipped/),
      expect.stringMatching(/^\[kb\] support: upload of 1 file skipped/),
    ]);
    warn.mockRestore();
  });
});
