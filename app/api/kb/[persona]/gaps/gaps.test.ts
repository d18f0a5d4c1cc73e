import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("GET /api/kb/{persona}/gaps: paged", () => {
  let dir: string;
  let admin: string;
  let GET: typeof import("./route").GET;
  const persona = "support";
  const get = (query = "", cookie: string | undefined = admin) =>
    GET(new Request(`http://localhost/api/kb/${persona}/gaps${query}`, { headers: cookie ? { cookie } : {} }), {
      params: Promise.resolve({ persona }),
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "gaps-route-"));
    process.env.DATA_DIR = path.join(dir, "data");
    process.env.AUTH_SECRET = "g".repeat(48);
    const { mintSessionCookie } = await import("@/lib/auth/session-token");
    admin = await mintSessionCookie({ email: "admin@example.org", role: "admin", sub: "admin" });
    const { recordKnowledgeGap } = await import("@/lib/answer/knowledge-gaps");
    const at = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    for (let i = 0; i < 5; i++) {
      await recordKnowledgeGap(persona, { at: at(i), question: `Question ${i}?`, lang: "en", confidence: 0.1 });
    }
    await recordKnowledgeGap(persona, { at: at(9), question: "question 2", lang: "en", confidence: 0.2 });
    ({ GET } = await import("./route"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a page, newest first, with the total and a cursor to the next page", async () => {
    const res = await get("?limit=2");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const first = await res.json();
    expect(first).toMatchObject({ total: 5, nextCursor: expect.any(String) });
    expect(first.gaps).toEqual([
      expect.objectContaining({ question: "question 2", count: 2 }), // asked twice: one entry, counted
      expect.objectContaining({ question: "Question 4?", count: 1 }),
    ]);
    const pages = [first.gaps];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page = await (await get(`?limit=2&before=${encodeURIComponent(cursor)}`)).json();
      pages.push(page.gaps);
      cursor = page.nextCursor;
    }
    expect(pages.flat().map((g: { question: string }) => g.question)).toEqual([
      "question 2",
      "Question 4?",
      "Question 3?",
      "Question 1?",
      "Question 0?",
    ]);
  });

  it("defaults to 50 a page and refuses a bad limit or cursor with 400", async () => {
    expect((await (await get()).json()).gaps).toHaveLength(5);
    for (const q of ["?limit=0", "?limit=201", "?limit=x", "?before=nope"]) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "bad_request" } });
    }
  });

  it("is for admins only", async () => {
    expect((await get("", "")).status).toBe(401);
  });
});
