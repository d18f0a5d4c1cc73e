import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Every /api/kb handler, called directly (no proxy in front): 401 without a session, 403 for a non-admin
 * session, and working for an admin session cookie minted with the same secret next-auth would use.
 */
describe("/api/kb route handlers", () => {
  let dir: string;
  let admin: string;
  let viewer: string;
  const persona = "triage";
  const ctx = <P>(params: P) => ({ params: Promise.resolve(params) });
  const url = (p: string) => `http://localhost/api/kb/${persona}${p}`;
  const withCookie = (cookie: string | undefined, init: RequestInit = {}) => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kb-routes-"));
    process.env.LANCEDB_URI = path.join(dir, "db");
    process.env.DATA_DIR = path.join(dir, "data");
    process.env.EMBEDDER = "hashed";
    process.env.KB_MAX_FILE_MB = "1";
    delete process.env.AUTH_SECRET; // the secret is generated into DATA_DIR, as on a fresh machine
    const { mintSessionCookie } = await import("@/lib/auth/session-token");
    admin = await mintSessionCookie({ email: "admin@example.org", role: "admin", sub: "admin" });
    viewer = await mintSessionCookie({ email: "viewer@example.org", role: "viewer", sub: "viewer" });
    await mkdir(path.join(dir, "data", "gaps"), { recursive: true });
    await writeFile(
      path.join(dir, "data", "gaps", `${persona}.jsonl`),
      `${JSON.stringify({ at: "2025-01-01T10:00:00.000Z", question: "Is parking free?", lang: "en", confidence: 0.1 })}\n`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function handlers() {
    const documents = await import("./[persona]/documents/route");
    const document = await import("./[persona]/documents/[docId]/route");
    const reindex = await import("./[persona]/reindex/route");
    const search = await import("./[persona]/search/route");
    const gaps = await import("./[persona]/gaps/route");
    return [
      {
        name: "GET documents",
        call: (c?: string) => documents.GET(new Request(url("/documents"), withCookie(c)), ctx({ persona })),
      },
      {
        name: "POST documents",
        call: (c?: string) => {
          const form = new FormData();
          form.append("files", new File(["# Hi\n\nHello."], "hi.md"));
          return documents.POST(
            new Request(url("/documents"), withCookie(c, { method: "POST", body: form })),
            ctx({ persona }),
          );
        },
      },
      {
        name: "GET document",
        call: (c?: string) =>
          document.GET(new Request(url("/documents/x.md"), withCookie(c)), ctx({ persona, docId: "x.md" })),
      },
      {
        name: "DELETE document",
        call: (c?: string) =>
          document.DELETE(
            new Request(url("/documents/x.md"), withCookie(c, { method: "DELETE" })),
            ctx({ persona, docId: "x.md" }),
          ),
      },
      {
        name: "POST reindex",
        call: (c?: string) =>
          reindex.POST(new Request(url("/reindex"), withCookie(c, { method: "POST" })), ctx({ persona })),
      },
      {
        name: "POST search",
        call: (c?: string) =>
          search.POST(
            new Request(
              url("/search"),
              withCookie(c, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ question: "parking" }),
              }),
            ),
            ctx({ persona }),
          ),
      },
      { name: "GET gaps", call: (c?: string) => gaps.GET(new Request(url("/gaps"), withCookie(c)), ctx({ persona })) },
    ];
  }

  it("refuses every handler without a session (401) and with a non-admin session (403), as JSON", async () => {
    for (const h of await handlers()) {
      const anon = await h.call();
      expect(anon.status, h.name).toBe(401);
      expect((await anon.json()).error.code, h.name).toBe("unauthorized");
      const denied = await h.call(viewer);
      expect(denied.status, h.name).toBe(403);
      expect((await denied.json()).error.code, h.name).toBe("forbidden");
      const forged = await h.call(`${admin.slice(0, -8)}AAAAAAAA`);
      expect(forged.status, h.name).toBe(401);
    }
  });

  it("uploads many files with per-file results: good ones stored, bad ones reported, none blocking the rest", async () => {
    const { POST, GET } = await import("./[persona]/documents/route");
    const form = new FormData();
    form.append("files", new File(["# Parking\n\nCar park B is free for the first hour."], "Parking.md"));
    form.append("files", new File(["MZ not a document"], "setup.exe"));
    form.append("files", new File(["%PDF-1.4 this is not really a pdf"], "broken.pdf"));
    form.append("files", new File([new Uint8Array(1024 * 1024 + 1)], "huge.txt"));
    form.append("files", new File(["Visiting hours are 9 to 5."], "visiting.txt"));
    const res = await POST(
      new Request(url("/documents"), withCookie(admin, { method: "POST", body: form })),
      ctx({ persona }),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    const byFile = Object.fromEntries(body.results.map((r: { file: string }) => [r.file, r]));
    expect(byFile["Parking.md"]).toMatchObject({ status: "added", docId: "parking.md", chunks: 1 });
    expect(byFile["visiting.txt"]).toMatchObject({ status: "added" });
    expect(byFile["setup.exe"]).toMatchObject({
      status: "error",
      error: expect.stringContaining("unsupported file type"),
    });
    expect(byFile["huge.txt"]).toMatchObject({ status: "error", error: expect.stringContaining("limit") });
    expect(byFile["broken.pdf"]).toMatchObject({ status: "error" });
    expect(body.summary).toEqual({ ok: 2, failed: 3 });

    const list = await (await GET(new Request(url("/documents"), withCookie(admin)), ctx({ persona }))).json();
    expect(list.documents.map((d: { docId: string }) => d.docId)).toEqual(["parking.md", "visiting.txt"]);

    // the same file again is unchanged; changed content is an update
    const again = new FormData();
    again.append("files", new File(["# Parking\n\nCar park B is free for the first hour."], "Parking.md"));
    again.append("files", new File(["Visiting hours are 9 to 8."], "visiting.txt"));
    const second = await (
      await POST(new Request(url("/documents"), withCookie(admin, { method: "POST", body: again })), ctx({ persona }))
    ).json();
    expect(second.results.map((r: { status: string }) => r.status)).toEqual(["unchanged", "updated"]);
  });

  it("previews chunks, searches, lists gaps, re-indexes and deletes for an admin", async () => {
    const document = await import("./[persona]/documents/[docId]/route");
    const preview = await document.GET(
      new Request(url("/documents/parking.md"), withCookie(admin)),
      ctx({ persona, docId: "parking.md" }),
    );
    expect(preview.status).toBe(200);
    expect((await preview.json()).chunks[0]).toMatchObject({
      heading: "Parking",
      text: expect.stringContaining("Car park B"),
    });

    const search = await import("./[persona]/search/route");
    const hit = await search.POST(
      new Request(
        url("/search"),
        withCookie(admin, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ question: "Is the car park free?", k: 3 }),
        }),
      ),
      ctx({ persona }),
    );
    const found = await hit.json();
    expect(found.results[0]).toMatchObject({ docId: "parking.md", score: expect.any(Number) });
    expect(found.confidence).toBeGreaterThan(0);
    expect(typeof found.minConfidence).toBe("number");
    const empty = await search.POST(
      new Request(url("/search"), withCookie(admin, { method: "POST", body: JSON.stringify({ question: "  " }) })),
      ctx({ persona }),
    );
    expect(empty.status).toBe(400);

    const gaps = await import("./[persona]/gaps/route");
    const g = await (await gaps.GET(new Request(url("/gaps"), withCookie(admin)), ctx({ persona }))).json();
    expect(g.gaps).toEqual([expect.objectContaining({ question: "Is parking free?", confidence: 0.1 })]);

    const reindex = await import("./[persona]/reindex/route");
    const r = await reindex.POST(new Request(url("/reindex"), withCookie(admin, { method: "POST" })), ctx({ persona }));
    expect((await r.json()).chunks).toBe(2);

    const del = await document.DELETE(
      new Request(url("/documents/parking.md"), withCookie(admin, { method: "DELETE" })),
      ctx({ persona, docId: "parking.md" }),
    );
    expect(del.status).toBe(200);
    const { GET } = await import("./[persona]/documents/route");
    const list = await (await GET(new Request(url("/documents"), withCookie(admin)), ctx({ persona }))).json();
    expect(list.documents.map((d: { docId: string }) => d.docId)).toEqual(["visiting.txt"]);
    const gone = await document.DELETE(
      new Request(url("/documents/parking.md"), withCookie(admin, { method: "DELETE" })),
      ctx({ persona, docId: "parking.md" }),
    );
    expect(gone.status).toBe(404);

    const unknown = await gaps.GET(
      new Request("http://localhost/api/kb/nobody/gaps", withCookie(admin)),
      ctx({ persona: "nobody" }),
    );
    expect(unknown.status).toBe(404);
  });

  it("refuses an upload that is not multipart, and one over the request limit", async () => {
    const { POST } = await import("./[persona]/documents/route");
    const json = await POST(
      new Request(
        url("/documents"),
        withCookie(admin, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      ),
      ctx({ persona }),
    );
    expect(json.status).toBe(415);
    const big = await POST(
      new Request(
        url("/documents"),
        withCookie(admin, {
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(10 ** 10) },
          body: "--x--",
        }),
      ),
      ctx({ persona }),
    );
    expect(big.status).toBe(413);
  });
});
