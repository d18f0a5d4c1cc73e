import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Every /api/kb handler, called directly (no proxy in front): 401 without a session, 403 for a non-admin
 * session, and working for an admin session cookie minted with the same secret next-auth would use. Writes also
 * need to come from this site's own pages (Origin or Sec-Fetch-Site), as a browser on the admin page sends them.
 */
describe("/api/kb route handlers", () => {
  let dir: string;
  let admin: string;
  let viewer: string;
  const persona = "triage";
  const ctx = <P>(params: P) => ({ params: Promise.resolve(params) });
  const url = (p: string) => `http://localhost/api/kb/${persona}${p}`;
  /** What a browser on the admin page itself sends (the handlers see http://localhost as their own origin). */
  const sameOrigin = { origin: "http://localhost", "sec-fetch-site": "same-origin" };
  type Headers = Record<string, string>;
  /** `from` replaces the same-origin headers: what a page elsewhere makes the browser send, or nothing. */
  const withCookie = (cookie: string | undefined, init: RequestInit = {}, from: Headers = sameOrigin) => ({
    ...init,
    headers: { ...from, ...(init.headers as Headers), ...(cookie ? { cookie } : {}) },
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
        call: (c?: string, from?: Headers) =>
          documents.GET(new Request(url("/documents"), withCookie(c, {}, from)), ctx({ persona })),
      },
      {
        name: "POST documents",
        write: true,
        call: (c?: string, from?: Headers) => {
          const form = new FormData();
          form.append("files", new File(["# Hi\n\nHello."], "hi.md"));
          return documents.POST(
            new Request(url("/documents"), withCookie(c, { method: "POST", body: form }, from)),
            ctx({ persona }),
          );
        },
      },
      {
        name: "GET document",
        call: (c?: string, from?: Headers) =>
          document.GET(new Request(url("/documents/x.md"), withCookie(c, {}, from)), ctx({ persona, docId: "x.md" })),
      },
      {
        name: "DELETE document",
        write: true,
        call: (c?: string, from?: Headers) =>
          document.DELETE(
            new Request(url("/documents/x.md"), withCookie(c, { method: "DELETE" }, from)),
            ctx({ persona, docId: "x.md" }),
          ),
      },
      {
        name: "POST reindex",
        write: true,
        call: (c?: string, from?: Headers) =>
          reindex.POST(new Request(url("/reindex"), withCookie(c, { method: "POST" }, from)), ctx({ persona })),
      },
      {
        name: "POST search",
        write: true,
        call: (c?: string, from?: Headers) =>
          search.POST(
            new Request(
              url("/search"),
              withCookie(
                c,
                {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({ question: "parking" }),
                },
                from,
              ),
            ),
            ctx({ persona }),
          ),
      },
      {
        name: "GET gaps",
        call: (c?: string, from?: Headers) =>
          gaps.GET(new Request(url("/gaps"), withCookie(c, {}, from)), ctx({ persona })),
      },
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

  it("refuses a write from another origin of the same site (another port, a sibling subdomain) to every write route", async () => {
    const forged: [string, Headers][] = [
      // what fetch(..., { mode: "no-cors", credentials: "include" }) from http://localhost:8080 sends
      ["another port", { origin: "http://localhost:8080", "sec-fetch-site": "same-site" }],
      ["another port, a browser without Sec-Fetch-Site", { origin: "http://localhost:8080" }],
      ["a sibling subdomain", { origin: "http://blog.localhost", "sec-fetch-site": "same-site" }],
      ["an opaque origin (sandboxed frame, cross-origin redirect)", { origin: "null" }],
      ["no origin at all", {}],
    ];
    const all = await handlers();
    const writes = all.filter((h) => h.write);
    expect(writes.map((h) => h.name)).toEqual(["POST documents", "DELETE document", "POST reindex", "POST search"]);
    for (const h of writes) {
      for (const [what, from] of forged) {
        const res = await h.call(admin, from);
        expect(res.status, `${h.name} from ${what}`).toBe(403);
        const { error } = await res.json();
        expect(error.code).toBe("forbidden");
        expect(error.message).toMatch(/only from this site's own pages/);
      }
    }
    const { GET } = await import("./[persona]/documents/route");
    const list = await (await GET(new Request(url("/documents"), withCookie(admin)), ctx({ persona }))).json();
    expect(list.documents.map((d: { docId: string }) => d.docId)).not.toContain("hi.md");

    // the same requests from the admin page itself go through
    const statuses = [];
    for (const h of writes) statuses.push((await h.call(admin)).status);
    expect(statuses).toEqual([200, 404, 200, 200]); // DELETE of x.md: past the gate, no such document
    const own = await (await GET(new Request(url("/documents"), withCookie(admin)), ctx({ persona }))).json();
    expect(own.documents.map((d: { docId: string }) => d.docId)).toContain("hi.md");
    // either header alone is enough: a browser sends both, an older one only Origin
    for (const from of [{ origin: "http://localhost" }, { "sec-fetch-site": "same-origin" }] as Headers[]) {
      expect((await writes[2]!.call(admin, from)).status).toBe(200);
    }
    // reads change nothing and stay open to the signed-in admin from anywhere (the browser keeps the answer from
    // other origins)
    for (const h of all.filter((x) => !x.write)) {
      expect((await h.call(admin, { "sec-fetch-site": "cross-site" })).status, h.name).not.toBe(403);
    }
    const document = await import("./[persona]/documents/[docId]/route");
    await document.DELETE(
      new Request(url("/documents/hi.md"), withCookie(admin, { method: "DELETE" })),
      ctx({ persona, docId: "hi.md" }),
    );
  });

  it("refuses a search sent as a simple request (text/plain, form) instead of JSON (415), and an oversized one (413)", async () => {
    const search = await import("./[persona]/search/route");
    for (const type of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data"]) {
      const res = await search.POST(
        new Request(
          url("/search"),
          withCookie(admin, {
            method: "POST",
            headers: { "content-type": type },
            body: JSON.stringify({ question: "parking" }),
          }),
        ),
        ctx({ persona }),
      );
      expect(res.status, type).toBe(415);
      expect((await res.json()).error.code).toBe("unsupported_media_type");
    }
    // and JSON is read only up to a bound: a question is at most 1,000 characters
    const huge = await search.POST(
      new Request(
        url("/search"),
        withCookie(admin, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ question: "x".repeat(20_000) }),
        }),
      ),
      ctx({ persona }),
    );
    expect(huge.status).toBe(413);
  });

  it("refuses an anonymous, a non-admin and a cross-origin 10 MB upload without reading its body", async () => {
    const { POST } = await import("./[persona]/documents/route");
    const tenMb = 10 * 1024 * 1024;
    /** A body that counts how often it was asked for data: 0 means nothing of it was read or buffered. */
    const counting = () => {
      const chunk = new Uint8Array(64 * 1024);
      const body = { pulls: 0, sent: 0, stream: null as unknown as ReadableStream<Uint8Array> };
      body.stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            body.pulls++;
            if (body.sent >= tenMb) return controller.close();
            body.sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
        },
        { highWaterMark: 0 }, // no pull until someone reads
      );
      return body;
    };
    const post = (body: ReturnType<typeof counting>, cookie?: string, from?: Headers) =>
      POST(
        new Request(
          url("/documents"),
          withCookie(
            cookie,
            {
              method: "POST",
              body: body.stream,
              duplex: "half",
              headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(tenMb) },
            } as RequestInit,
            from,
          ),
        ),
        ctx({ persona }),
      );
    const cases: [string, string | undefined, Headers | undefined, number][] = [
      ["anonymous", undefined, undefined, 401],
      ["non-admin", viewer, undefined, 403],
      ["cross-origin admin", admin, { origin: "http://localhost:8080", "sec-fetch-site": "same-site" }, 403],
    ];
    for (const [who, cookie, from, status] of cases) {
      const body = counting();
      const res = await post(body, cookie, from);
      expect(res.status, who).toBe(status);
      expect(body.pulls, who).toBe(0);
    }
    // the counter works: the admin's own upload is read (and, being no multipart, refused)
    const read = counting();
    expect((await post(read, admin)).status).toBe(400);
    expect(read.pulls).toBeGreaterThan(0);
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
      new Request(
        url("/search"),
        withCookie(admin, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ question: "  " }),
        }),
      ),
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
