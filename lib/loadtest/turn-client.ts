/**
 * One turn as a client sees it: POST the question, read the NDJSON stream to its end, time each first event and
 * check the stream belongs to this session and turn. Plain `node:http` rather than fetch: it reports when the body has
 * left (TTFF starts there) and its agent is given no per-origin socket cap, so 50+ streams never queue on a pool.
 */
import http from "node:http";
import https from "node:https";
import { readLines } from "./ndjson-lines";
import type { LeakKind, TokenRegistry } from "./tokens";

export const SERVER_TIMINGS = [
  "asrMs",
  "retrieveMs",
  "firstTextMs",
  "firstAudioMs",
  "firstVideoMs",
  "totalMs",
] as const;
export type ServerTimings = Partial<Record<(typeof SERVER_TIMINGS)[number], number>>;

export interface TurnSpec {
  baseUrl: string;
  persona: string;
  /** The simulated person, who owns the leak tokens of their questions. */
  user: string;
  /** The session the server issued this person on their first turn; undefined before it. */
  sessionId?: string;
  /** A typed question (with its leak token) or a WAV recording. */
  question: { text: string; token: string } | { wav: Uint8Array };
  agent: http.Agent;
  tokens: TokenRegistry;
  timeoutMs: number;
}

export interface TurnResult {
  /** Why the turn failed (`http_503:unavailable`, `error_event:…`, `no_done`, `network`, `timeout`, `bad_json`, `leak`). */
  failure?: string;
  leaks: LeakKind[];
  /** performance.now() when the request body had been sent; the other instants are on the same clock. */
  sentAt: number;
  firstAudioAt?: number;
  firstVideoAt?: number;
  firstTextAt?: number;
  endAt: number;
  /** Where the answer's audio ends, in ms after its first audio event starts playing (last startMs + durationMs). */
  audioEndMs: number;
  server?: ServerTimings;
  engines?: Record<string, string>;
  /** The session the turn event named (the server issues one on a person's first turn). */
  sessionId?: string;
}

/**
 * An agent for the target's protocol with no cap on sockets per origin. Each turn gets its own connection: a
 * simulated person listens and thinks for longer than servers keep idle connections, and reusing one the server is
 * closing at that instant fails the POST ("socket hang up"), which would count the client's race as a failure.
 */
export function createAgent(baseUrl: string): http.Agent {
  const options = { keepAlive: false, maxSockets: Number.POSITIVE_INFINITY };
  return new URL(baseUrl).protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
}

export async function runTurn(spec: TurnSpec): Promise<TurnResult> {
  const { question, sessionId, user } = spec;
  const url = new URL(`/api/personas/${encodeURIComponent(spec.persona)}/turns`, spec.baseUrl);
  let body: Buffer;
  let contentType: string;
  if ("wav" in question) {
    if (sessionId) url.searchParams.set("sessionId", sessionId);
    body = Buffer.from(question.wav);
    contentType = "audio/wav";
  } else {
    body = Buffer.from(JSON.stringify({ sessionId, text: question.text }));
    contentType = "application/json";
  }
  const own = "token" in question ? question.token : undefined;
  const result: TurnResult = { leaks: [], sentAt: performance.now(), endAt: 0, audioEndMs: 0 };
  const send = url.protocol === "https:" ? https.request : http.request;
  const req = send(url, {
    method: "POST",
    agent: spec.agent,
    headers: { "content-type": contentType, "content-length": body.length, accept: "application/x-ndjson" },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    req.destroy(new Error("turn timed out"));
  }, spec.timeoutMs);
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
      req.end(body, () => {
        result.sentAt = performance.now();
      });
    });
    if (res.statusCode !== 200) {
      result.failure = `http_${res.statusCode}${await errorCode(res)}`;
      return result;
    }
    let done = false;
    let transcript = false;
    let errorEvent: string | undefined;
    for await (const line of readLines(res)) {
      const at = performance.now();
      result.leaks.push(...spec.tokens.scan(line, user, own));
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line);
      } catch {
        result.failure = "bad_json";
        return result;
      }
      switch (ev.type) {
        case "turn":
          result.sessionId = String(ev.sessionId);
          if (sessionId && ev.sessionId !== sessionId) result.leaks.push("session_mismatch");
          break;
        case "transcript":
          transcript = true;
          if (own !== undefined && !String(ev.text).includes(own)) result.leaks.push("transcript_mismatch");
          break;
        case "text":
          result.firstTextAt ??= at;
          break;
        case "audio":
          result.firstAudioAt ??= at;
          result.audioEndMs = Math.max(result.audioEndMs, Number(ev.startMs) + Number(ev.durationMs));
          break;
        case "video":
          result.firstVideoAt ??= at;
          break;
        case "done":
          done = true;
          result.server = ev.timings as ServerTimings;
          result.engines = ev.engines as Record<string, string>;
          break;
        case "error":
          errorEvent ??= String(ev.code);
          break;
      }
    }
    // A turn that finished must have said what it heard; one that failed early may not have got that far.
    if (done && !errorEvent && !transcript) result.leaks.push("transcript_missing");
    if (errorEvent) result.failure = `error_event:${errorEvent}`;
    else if (!done) result.failure = "no_done";
    else if (result.leaks.length) result.failure = "leak";
    return result;
  } catch {
    // Once the timer has destroyed the socket, the stream's own error only says "aborted".
    result.failure = timedOut ? "timeout" : "network";
    return result;
  } finally {
    clearTimeout(timer);
    result.endAt = performance.now();
  }
}

/** `:<code>` from the app's JSON error body (`{ error: { code } }`), or nothing when the body says none. */
async function errorCode(res: http.IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of res) text += chunk;
  try {
    const code = JSON.parse(text)?.error?.code;
    return typeof code === "string" ? `:${code}` : "";
  } catch {
    return "";
  }
}
