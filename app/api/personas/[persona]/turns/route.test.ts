import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWav } from "@/lib/speech/wav";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");

describe("POST /api/personas/{persona}/turns", () => {
  let dir: string;
  let POST: typeof import("./route").POST;
  let sessions: typeof import("../sessions/route").POST;
  const call = (persona: string, init: RequestInit, query = "") =>
    POST(new Request(`http://localhost/api/personas/${persona}/turns${query}`, { method: "POST", ...init }), {
      params: Promise.resolve({ persona }),
    });
  const lines = async (res: Response) =>
    (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "turns-route-"));
    process.env.LANCEDB_URI = path.join(dir, "db");
    process.env.DATA_DIR = path.join(dir, "data");
    // The HTTP contract is under test here, not pacing: synthesise whole answers at once.
    process.env.SPEECH_LEAD_MS = "0";
    const { KnowledgeBase } = await import("@/lib/knowledge");
    const kb = await KnowledgeBase.open("support");
    await kb.ingestPaths([path.resolve("knowledge/support/docs")]);
    ({ POST } = await import("./route"));
    ({ POST: sessions } = await import("../sessions/route"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("streams a typed turn as NDJSON through the media worker process", async () => {
    const res = await call("support", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId: "route-1", text: "how do I reset my password" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const events = await lines(res);
    // "route-1" was chosen by the client, so it is not honoured: the server issues a session of its own.
    expect(events[0]).toMatchObject({ type: "turn" });
    expect(events[0].sessionId).not.toBe("route-1");
    const types = events.map((e) => e.type);
    for (const t of ["transcript", "sources", "text", "audio", "video", "done"]) expect(types).toContain(t);
    expect(events.at(-1).engines).toMatchObject({ tts: "flite", lipsync: "viseme" });
  });

  it("continues only sessions the server issued", async () => {
    const issued = await (
      await sessions(new Request("http://localhost/x", { method: "POST" }), {
        params: Promise.resolve({ persona: "support" }),
      })
    ).json();
    const ask = async (sessionId: string) =>
      (
        await lines(
          await call("support", {
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ sessionId, text: "how do I reset my password" }),
          }),
        )
      )[0].sessionId;
    expect(await ask(issued.sessionId)).toBe(issued.sessionId);
    const forged = `${"A".repeat(32)}_${"B".repeat(22)}`;
    expect(await ask(forged)).not.toBe(forged);
  });

  it("refuses a 5-minute recording from its header while another person's question is answered", async () => {
    const fiveMinutes = encodeWav({ sampleRate: 16_000, samples: new Int16Array(16_000 * 300) });
    const [long, typed] = await Promise.all([
      call("support", { headers: { "content-type": "audio/wav" }, body: Buffer.from(fiveMinutes) }),
      call("support", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "how do I reset my password" }),
      }),
    ]);
    expect(long.status).toBe(413);
    expect((await long.json()).error.message).toMatch(/300 s long; ask in at most 60 s/);
    expect((await lines(typed)).at(-1).type).toBe("done");
  });

  it("takes a WAV recording", async () => {
    const res = await call(
      "support",
      { headers: { "content-type": "audio/wav" }, body: await readFile(FIXTURE) },
      "?sessionId=route-2",
    );
    const events = await lines(res);
    expect(events[1]).toMatchObject({ type: "transcript", text: "go forward ten meters" });
  });

  it("refuses bad requests with clear errors and the right status", async () => {
    const json = { "content-type": "application/json" };
    expect((await call("nobody", { headers: json, body: '{"text":"hi"}' })).status).toBe(404);
    const bad = await call("support", { headers: json, body: "{not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: "bad_request", message: "the body is not valid JSON" } });
    expect((await call("support", { headers: json, body: '{"text":"   "}' })).status).toBe(400);
    expect((await call("support", { headers: { "content-type": "text/plain" }, body: "hi" })).status).toBe(415);
    const huge = await call("support", {
      headers: { "content-type": "audio/wav", "content-length": String(11 * 1024 * 1024) },
      body: "x",
    });
    expect(huge.status).toBe(413);
    const noise = await call("support", { headers: { "content-type": "audio/wav" }, body: "RIFF....not a wav" });
    // A recording's header is read before the stream starts, so a bad one is a plain client error, not a turn.
    expect(noise.status).toBe(415);
    expect(await noise.json()).toEqual({
      error: { code: "unsupported_media_type", message: "not a WAV file: expected a RIFF/WAVE header" },
    });
  });
});
