/**
 * Simulated users against a running server, the way DESIGN.md's load model describes them: ask, read the whole
 * answer stream, listen until its audio has played out, think a few seconds, ask again.
 */
import { randomInt } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { buildReport, type LoadReport } from "./report";
import { TokenRegistry } from "./tokens";
import { createAgent, runTurn, type TurnResult, type TurnSpec } from "./turn-client";

const DEFAULT_STAGGER_MS = 2000;

export interface LoadOptions {
  url: string;
  sessions: number;
  durationS: number;
  /** User i speaks to `personas[i % personas.length]`. */
  personas: readonly string[];
  /** Mean think time; each pause is jittered ±50% so users drift apart instead of asking in lockstep. */
  thinkS: number;
  /** Typed questions per persona; unused when `recordings` are given. */
  questions: Readonly<Record<string, readonly string[]>>;
  /** WAV recordings: when present every question is spoken. */
  recordings?: readonly Uint8Array[];
  turnTimeoutS: number;
  /** User starts are spread over this window so the first turns do not all land in the same instant. */
  staggerMs?: number;
  progressEveryMs?: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  elapsedS: number;
  completed: number;
  failed: number;
  inFlight: number;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;

/** Resolves when anything answers HTTP at `url`; otherwise fails in one line that says what to do. */
export async function checkServer(url: string, agent: http.Agent): Promise<void> {
  const target = new URL("/api/health", url);
  const get = target.protocol === "https:" ? https.get : http.get;
  await new Promise<void>((resolve, reject) => {
    const req = get(target, { agent }, (res) => {
      res.resume();
      resolve();
    });
    req.setTimeout(10_000, () => req.destroy());
    req.once("error", () => reject(new Error(`no server at ${url}: start it with \`npm start\``)));
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  if (!opts.recordings) {
    for (const p of opts.personas) if (!opts.questions[p]?.length) throw new Error(`no questions for persona "${p}"`);
  }
  const agent = createAgent(opts.url);
  try {
    await checkServer(opts.url, agent);
    const runId = randomInt(36 ** 5)
      .toString(36)
      .padStart(5, "0");
    const tokens = new TokenRegistry(runId);
    const results: TurnResult[] = [];
    let inFlight = 0;
    const start = performance.now();
    const deadline = start + opts.durationS * 1000;
    const staggerMs = opts.staggerMs ?? DEFAULT_STAGGER_MS;

    const user = async (i: number) => {
      await sleepUntil(start + (staggerMs * i) / opts.sessions);
      const user = `lt-${runId}-${i}`;
      let sessionId: string | undefined; // issued by the server on this person's first turn
      const persona = opts.personas[i % opts.personas.length]!;
      while (performance.now() < deadline) {
        let question: TurnSpec["question"];
        if (opts.recordings) question = { wav: pick(opts.recordings) };
        else {
          const token = tokens.issue(user);
          question = { text: `${pick(opts.questions[persona]!)} ref ${token}`, token };
        }
        inFlight++;
        const r = await runTurn({
          baseUrl: opts.url,
          persona,
          user,
          sessionId,
          question,
          agent,
          tokens,
          timeoutMs: opts.turnTimeoutS * 1000,
        });
        inFlight--;
        results.push(r);
        sessionId ??= r.sessionId;
        // Listening: the answer plays from its first audio event until its last sentence ends.
        if (r.firstAudioAt !== undefined) await sleepUntil(Math.min(deadline, r.firstAudioAt + r.audioEndMs));
        const thinkMs = opts.thinkS * 1000 * (0.5 + Math.random());
        await sleepUntil(Math.min(deadline, performance.now() + thinkMs));
      }
    };

    const progress = setInterval(() => {
      const failed = results.filter((r) => r.failure !== undefined).length;
      opts.onProgress?.({
        elapsedS: (performance.now() - start) / 1000,
        completed: results.length - failed,
        failed,
        inFlight,
      });
    }, opts.progressEveryMs ?? 10_000);
    try {
      await Promise.all(Array.from({ length: opts.sessions }, (_, i) => user(i)));
    } finally {
      clearInterval(progress);
    }
    return buildReport(
      {
        url: opts.url,
        runId,
        mode: opts.recordings ? "voice" : "text",
        personas: [...new Set(opts.personas.slice(0, opts.sessions))],
        sessions: opts.sessions,
        durationS: opts.durationS,
        thinkS: opts.thinkS,
        rampS: (opts.staggerMs ?? DEFAULT_STAGGER_MS) / 1000,
        elapsedS: (performance.now() - start) / 1000,
      },
      results,
    );
  } finally {
    agent.destroy();
  }
}
