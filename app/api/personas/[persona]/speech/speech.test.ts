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

  /** Sends the recording as the page does: 100 ms chunks in order; `skip` leaves one out. */
  async function stream(sessionId: string, skip?: number): Promise<string> {
    const res = await start(
      new Request(`http://localhost/api/personas/support/speech?sessionId=${sessionId}`, { method: "POST" }),
      params,
    );
    expect(res.status).toBe(201);
    const { speechId } = (await res.json()) as { speechId: string };
    const pcm = decodeWav(wav).samples;
    for (let seq = 0, at = 0; at < pcm.length; seq++, at += 1600) {
      if (seq === skip) continue;
      const body = Buffer.from(pcm.slice(at, at + 1600).buffer);
      const put = await chunk(
        new Request(`http://localhost/api/personas/support/speech/${speechId}?seq=${seq}`, {
          method: "PUT",
          headers: { "content-type": "application/octet-stream" },
          body,
        }),
        chunkParams(speechId),
      );
      expect(put.status).toBe(204);
    }
    return speechId;
  }

  async function ask(sessionId: string, speechId: string) {
    const res = await turn(
      new Request(`http://localhost/api/personas/support/turns?sessionId=${sessionId}&speechId=${speechId}`, {
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
    wav = new Uint8Array(await readFile(FIXTURE));
    const { KnowledgeBase } = await import("@/lib/knowledge");
    await (await KnowledgeBase.open("support")).ingestPaths([
      path.resolve("knowledge/support/docs/sign-in-and-password-reset.md"),
    ]);
    ({ POST: start } = await import("./route"));
    ({ PUT: chunk } = await import("./[speechId]/route"));
    ({ POST: turn } = await import("../turns/route"));
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
});
