import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeWav } from "@/lib/speech/wav";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");

describe("live recognition: /speech while recording, then the turn names it", () => {
  let dir: string;
  let wav: Uint8Array;
  let start: typeof import("./route").POST;
  let chunk: typeof import("./[speechId]/route").PUT;
  let turn: typeof import("../turns/route").POST;
  const params = { params: Promise.resolve({ persona: "support" }) };
  const chunkParams = (speechId: string) => ({ params: Promise.resolve({ persona: "support", speechId }) });

  let issue: () => string;
  /** Session ids as the server hands them out (only those continue a conversation). */
  const sessions = new Map<string, string>();
  const session = (name: string) => {
    if (!sessions.has(name)) sessions.set(name, issue());
    return sessions.get(name)!;
  };

  /** Opens a live recording from `address` (what workers/web.ts stamps); the response as it came. */
  const open = (name: string, address = "198.51.100.1") =>
    start(
      new Request(`http://localhost/api/personas/support/speech?sessionId=${session(name)}`, {
        method: "POST",
        headers: { "x-avatar-client-ip": address },
      }),
      params,
    );
  const put = (speechId: string, seq: number, pcm: Int16Array) =>
    chunk(
      new Request(`http://localhost/api/personas/support/speech/${speechId}?seq=${seq}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: pcm.slice().buffer, // a copy that is exactly this chunk
      }),
      chunkParams(speechId),
    );

  /** Sends the recording as the page does: 100 ms chunks in order; `skip` leaves one out. */
  async function stream(name: string, skip?: number): Promise<string> {
    const res = await open(name);
    expect(res.status).toBe(201);
    const { speechId } = (await res.json()) as { speechId: string };
    const pcm = decodeWav(wav).samples;
    for (let seq = 0, at = 0; at < pcm.length; seq++, at += 1600) {
      if (seq === skip) continue;
      expect((await put(speechId, seq, pcm.slice(at, at + 1600))).status).toBe(204);
    }
    return speechId;
  }

  async function ask(name: string, speechId: string) {
    const res = await turn(
      new Request(`http://localhost/api/personas/support/turns?sessionId=${session(name)}&speechId=${speechId}`, {
        method: "POST",
        headers: { "content-type": "audio/wav" },
        body: Buffer.from(wav),
      }),
      params,
    );
    return (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "speech-route-"));
    process.env.LANCEDB_URI = path.join(dir, "db");
    process.env.DATA_DIR = path.join(dir, "data");
    process.env.SPEECH_LEAD_MS = "0";
    process.env.MAX_RECORDINGS_PER_IP = "2";
    process.env.MAX_QUESTION_SECONDS = "5";
    wav = new Uint8Array(await readFile(FIXTURE));
    const { KnowledgeBase } = await import("@/lib/knowledge");
    await (await KnowledgeBase.open("support")).ingestPaths([
      path.resolve("knowledge/support/docs/sign-in-and-password-reset.md"),
    ]);
    ({ POST: start } = await import("./route"));
    ({ PUT: chunk } = await import("./[speechId]/route"));
    ({ POST: turn } = await import("../turns/route"));
    const runtime = await import("@/lib/turn/runtime");
    issue = () => runtime.sessionIds().issue();
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses the transcript recognised while the question was streamed", async () => {
    const speechId = await stream("live-1");
    const events = await ask("live-1", speechId);
    expect(events[1]).toEqual({ type: "transcript", text: "go forward ten meters", lang: "en", live: true });
    expect(events.at(-1)).toMatchObject({ type: "done", engines: { asr: "pocketsphinx" } });
  });

  it("recognises the uploaded recording instead when a chunk went missing", async () => {
    const speechId = await stream("live-2", 3);
    const events = await ask("live-2", speechId);
    expect(events[1]).toEqual({ type: "transcript", text: "go forward ten meters", lang: "en", live: false });
  });

  it("ignores a recording id of another session, and refuses chunks for unknown recordings", async () => {
    const speechId = await stream("live-3");
    const events = await ask("someone-else", speechId);
    expect(events[1]).toMatchObject({ type: "transcript", live: false });
    const nobody = crypto.randomUUID();
    const unknown = await chunk(
      new Request(`http://localhost/api/personas/support/speech/${nobody}?seq=0`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: new Uint8Array(320),
      }),
      chunkParams(nobody),
    );
    expect(unknown.status).toBe(404);
  });

  it("gives each address its share of live recordings: past MAX_RECORDINGS_PER_IP, 429 with Retry-After", async () => {
    const address = "198.51.100.50";
    const first = (await (await open("share-1", address)).json()) as { speechId: string };
    const second = (await (await open("share-2", address)).json()) as { speechId: string };
    const refused = await open("share-3", address);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({
      error: { code: "rate_limited", message: expect.stringContaining("too many recordings from this address") },
    });
    expect((await open("share-4", "198.51.100.51")).status).toBe(201); // someone else is not affected
    const cancel = (await import("./[speechId]/route")).DELETE;
    await cancel(new Request("http://localhost/", { method: "DELETE" }), chunkParams(first.speechId));
    expect((await open("share-5", address)).status).toBe(201); // a cancelled recording gave its place back
    await cancel(new Request("http://localhost/", { method: "DELETE" }), chunkParams(second.speechId));
  });

  it("closes a live recording past MAX_QUESTION_SECONDS with 413 and a clear message", async () => {
    const res = await open("long", "198.51.100.60");
    const { speechId } = (await res.json()) as { speechId: string };
    const second = new Int16Array(16_000);
    for (let seq = 0; seq < 5; seq++) expect((await put(speechId, seq, second)).status).toBe(204);
    const over = await put(speechId, 5, second);
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({
      error: { code: "payload_too_large", message: expect.stringContaining("longer than 5 s") },
    });
    expect((await put(speechId, 6, second)).status).toBe(404); // closed
  });
});
