import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runLoad } from "./load-generator";
import { formatReport } from "./report";

type Mode = "ok" | "leak" | "busy";

interface FakeServer {
  url: string;
  /** `persona sessionId content-type` of every turn request. */
  requests: string[];
  close: () => Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The turn endpoint in miniature: echoes the question, streams text, two sentences of audio, video and done. */
async function fakeServer(mode: Mode): Promise<FakeServer> {
  const requests: string[] = [];
  const lastQuestion = new Map<string, string>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/api/health") return void res.end("{}");
    const persona = /^\/api\/personas\/(\w+)\/turns$/.exec(url.pathname)?.[1];
    if (req.method !== "POST" || !persona) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const type = req.headers["content-type"] ?? "";
    let sessionId: string | undefined;
    let text: string;
    if (type === "audio/wav") {
      sessionId = url.searchParams.get("sessionId") ?? undefined;
      text = "go forward ten meters";
    } else {
      ({ sessionId, text } = JSON.parse(Buffer.concat(chunks).toString()));
    }
    // As the app does: a person's first turn names no session and gets one issued.
    sessionId ??= `issued-${requests.length}`;
    requests.push(`${persona} ${sessionId} ${type}`);
    if (mode === "busy") {
      res.writeHead(503, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ error: { code: "unavailable", message: "busy" } }));
    }
    lastQuestion.set(sessionId, text);
    const other = [...lastQuestion].find(([s]) => s !== sessionId)?.[1];
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const send = async (ev: object) => {
      // Each line leaves in two writes, so the client must join lines across chunks.
      const line = `${JSON.stringify(ev)}\n`;
      const cut = Math.floor(line.length / 2);
      res.write(line.slice(0, cut));
      await pause(2);
      res.write(line.slice(cut));
    };
    await send({ type: "turn", turnId: `t${requests.length}`, sessionId });
    await send({ type: "transcript", text, lang: "en" });
    await pause(10);
    await send({ type: "text", delta: mode === "leak" && other ? `As you asked: ${other}.` : "Open settings." });
    await pause(10);
    const audio = {
      type: "audio",
      mime: "audio/wav",
      data: "UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA=",
    };
    await send({ ...audio, seq: 0, startMs: 0, durationMs: 60 });
    await send({ type: "video", seq: 0, fps: 25, startMs: 0, frames: [] });
    await send({ ...audio, seq: 1, startMs: 60, durationMs: 60 });
    const timings = { asrMs: 0, retrieveMs: 3, firstTextMs: 12, firstAudioMs: 25, firstVideoMs: 27, totalMs: 30 };
    const engines = { asr: "none", llm: "fake", tts: "fake", lipsync: "fake" };
    await send({ type: "done", timings, engines, citations: [], abstained: false, cancelled: false });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const base = {
  sessions: 5,
  personas: ["support"],
  thinkS: 0.1,
  questions: { support: ["how do I reset my password", "what are the API rate limits"], triage: ["bee sting"] },
  turnTimeoutS: 10,
  staggerMs: 200,
};

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("runLoad against a fake turn endpoint", () => {
  it("runs concurrent users to the end with no failures and measures TTFF", async () => {
    server = await fakeServer("ok");
    const progress: number[] = [];
    const report = await runLoad({
      ...base,
      url: server.url,
      durationS: 2,
      personas: ["support", "triage"],
      progressEveryMs: 500,
      onProgress: (p) => progress.push(p.completed),
    });
    expect(report.failures).toEqual({});
    expect(report.leaks).toEqual({});
    expect(report.turns.failed).toBe(0);
    // Each turn takes ~40 ms to stream, 120 ms to listen to and 50-150 ms to think about.
    expect(report.turns.completed).toBeGreaterThanOrEqual(15);
    expect(report.client.firstAudioMs.n).toBe(report.turns.completed);
    expect(report.client.firstAudioMs.p50).toBeGreaterThanOrEqual(20);
    expect(report.client.firstVideoMs.p50).toBeGreaterThanOrEqual(report.client.firstAudioMs.p50);
    expect(report.client.firstTextMs.p50).toBeLessThan(report.client.firstAudioMs.p50);
    expect(report.server.firstAudioMs).toEqual({ n: report.turns.completed, p50: 25, p95: 25 });
    expect(report.engines.llm).toEqual(["fake"]);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const sessions = new Set(server.requests.map((r) => r.split(" ")[1]));
    expect(sessions.size).toBe(5);
    expect(server.requests.some((r) => r.startsWith("triage "))).toBe(true);
    expect(formatReport(report)).toMatch(/first audio \(TTFF\)\s+\d+/);
  });

  it("reports another session's question in a stream as a leak", async () => {
    server = await fakeServer("leak");
    const report = await runLoad({ ...base, url: server.url, durationS: 1 });
    expect(report.leaks.foreign_token).toBeGreaterThan(0);
    expect(report.failures.leak).toBe(report.leaks.foreign_token);
  });

  it("counts a 503 answer as a failure kind with its error code", async () => {
    server = await fakeServer("busy");
    const report = await runLoad({ ...base, url: server.url, durationS: 1 });
    expect(report.turns.completed).toBe(0);
    expect(report.failures["http_503:unavailable"]).toBe(server.requests.length);
    expect(report.turns.failed).toBeGreaterThanOrEqual(5);
  });

  it("sends spoken questions as WAV with the session in the query", async () => {
    server = await fakeServer("ok");
    const report = await runLoad({ ...base, url: server.url, durationS: 1, recordings: [new Uint8Array(44)] });
    expect(report.mode).toBe("voice");
    expect(report.turns.failed).toBe(0);
    expect(report.leakCheck).toMatch(/sessionId/);
    // Each person's first turn gets a session issued; their later turns continue it.
    expect(server.requests.every((r) => / issued-\d+ audio\/wav$/.test(r))).toBe(true);
    expect(new Set(server.requests.map((r) => r.split(" ")[1])).size).toBe(5);
  });

  it("fails in one line when nothing listens at the URL", async () => {
    const probe = await fakeServer("ok");
    await probe.close();
    await expect(runLoad({ ...base, url: probe.url, durationS: 1 })).rejects.toThrow(
      `no server at ${probe.url}: start it with \`npm start\``,
    );
  });
});
