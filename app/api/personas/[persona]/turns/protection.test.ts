import { once } from "node:events";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stampClientAddress, TrustedProxies } from "@/lib/protection/client-address";
import type { TurnRequest } from "@/lib/turn/orchestrator";

// The orchestrator is replaced by a turn that speaks until told to stop: these tests are about what happens before
// and around a turn, not in it (route.test.ts runs real ones).
const turns = vi.hoisted(() => {
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { finished, finish: () => finish() };
});
vi.mock("@/lib/turn/runtime", () => ({
  // Every session id is taken as one the server issued: these tests are about limits, not about session ids.
  sessionIds: () => ({
    continueOrIssue: (sessionId?: string) => ({ sessionId: sessionId ?? "generated", issued: false }),
  }),
  turnOrchestrator: () => ({
    async *run(request: TurnRequest) {
      yield { type: "turn", turnId: "t", sessionId: request.sessionId ?? "generated" };
      const aborted = new Promise((resolve) => request.signal?.addEventListener("abort", resolve));
      await Promise.race([turns.finished, aborted]);
    },
  }),
}));

describe("POST /api/personas/{persona}/turns: protection", () => {
  let POST: typeof import("./route").POST;
  let admission: import("@/lib/protection/admission").TurnAdmission;
  const call = (persona: string, ip: string, init: RequestInit = {}) =>
    POST(
      new Request(`http://localhost/api/personas/${persona}/turns`, {
        method: "POST",
        ...init,
        // What workers/web.ts stamps on each request after working the address out from the socket.
        headers: { "x-avatar-client-ip": ip, ...init.headers },
      }),
      { params: Promise.resolve({ persona }) },
    );
  const textTurn = (sessionId: string) => ({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId, text: "hello" }),
  });

  beforeAll(async () => {
    vi.stubEnv("RATE_LIMIT_TURNS_PER_IP", "2");
    vi.stubEnv("MAX_TURNS_PER_SESSION", "1");
    ({ POST } = await import("./route"));
    admission = (await import("@/lib/protection/admission")).turnAdmission();
  });
  afterAll(() => {
    turns.finish();
    vi.unstubAllEnvs();
  });

  it("limits turns per address before any other work: the third request is 429 with Retry-After", async () => {
    expect((await call("nobody", "198.51.100.1")).status).toBe(404);
    expect((await call("nobody", "198.51.100.1")).status).toBe(404);
    const third = await call("nobody", "198.51.100.1");
    expect(third.status).toBe(429);
    const retryAfter = Number(third.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await third.json()).toMatchObject({ error: { code: "rate_limited", retryAfterS: retryAfter } });
    // Operators see the refusal in the metrics.
    const { metricsText } = await import("@/lib/metrics");
    expect(await metricsText()).toMatch(/avatar_rejected_requests_total\{reason="rate_limited",route="turns"\} 1\b/);
    expect((await call("nobody", "198.51.100.2")).status).toBe(404); // another address has its own budget
  });

  it("refuses a WAV streamed without Content-Length past 10 MB with 413, without reading it all", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1 << 20;
        controller.enqueue(new Uint8Array(1 << 20));
      },
    });
    const res = await call("support", "198.51.100.3", {
      headers: { "content-type": "audio/wav" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect(pulled).toBeLessThan(14 << 20);
  });

  it("holds a place while a turn speaks, caps the session, and frees it when the client leaves", async () => {
    const client = new AbortController();
    const first = await call("support", "198.51.100.4", { ...textTurn("cap-1"), signal: client.signal });
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"sessionId":"cap-1"');
    expect(admission.activeTurns).toBe(1);

    const second = await call("support", "198.51.100.5", textTurn("cap-1"));
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("3");
    const other = await call("support", "198.51.100.5", textTurn("cap-2")); // other sessions go on
    expect(other.status).toBe(200);

    // The client disconnects: Next aborts the request's signal and cancels the response stream.
    client.abort();
    void reader.cancel();
    await vi.waitFor(() => expect(admission.activeTurns).toBe(1));
    turns.finish();
    expect(await other.text()).toContain('"sessionId":"cap-2"');
    expect(admission.activeTurns).toBe(0);
  });

  /**
   * The route behind the production server's address stamping (workers/web.ts), reached over a real socket from
   * 127.0.0.1 with whatever forwarding headers the test sends; answers the status of each turn.
   */
  async function behindServer(trustedProxies: string) {
    const trusted = TrustedProxies.parse(trustedProxies);
    const server = createServer(async (req, res) => {
      stampClientAddress(req, trusted);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      const response = await POST(
        new Request("http://localhost/api/personas/nobody/turns", { method: "POST", headers }),
        {
          params: Promise.resolve({ persona: "nobody" }),
        },
      );
      res.writeHead(response.status).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const send = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        httpRequest({ port, host: "127.0.0.1", method: "POST", headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
    return { send, close: () => server.close() };
  }

  it("a client that makes up X-Real-IP / X-Forwarded-For per request still meets its limit", async () => {
    const s = await behindServer("");
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(await s.send({ "x-real-ip": `203.0.113.${i}`, "x-forwarded-for": `192.0.2.${i}` }));
      }
      // All four come from 127.0.0.1, whose budget is two a minute (unknown persona: 404 after admission).
      expect(statuses).toEqual([404, 404, 429, 429]);
    } finally {
      s.close();
    }
  });

  it("behind a trusted proxy, the proxy's X-Real-IP is the client: each address has its own budget", async () => {
    const s = await behindServer("127.0.0.0/8");
    try {
      const distinct = [];
      for (let i = 0; i < 4; i++) distinct.push(await s.send({ "x-real-ip": `198.51.100.${100 + i}` }));
      expect(distinct).toEqual([404, 404, 404, 404]);
      const same = [];
      for (let i = 0; i < 3; i++) same.push(await s.send({ "x-real-ip": "198.51.100.200" }));
      expect(same).toEqual([404, 404, 429]);
    } finally {
      s.close();
    }
  });
});
