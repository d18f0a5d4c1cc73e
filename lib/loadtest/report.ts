/** Turns the per-turn results of a run into the figures the load test prints (text or one JSON object). */
import { type Summary, summarize } from "./stats";
import { SERVER_TIMINGS, type TurnResult } from "./turn-client";

export interface RunMeta {
  url: string;
  runId: string;
  mode: "text" | "voice";
  personas: readonly string[];
  sessions: number;
  durationS: number;
  thinkS: number;
  /** Users joined over this many seconds at the start. */
  rampS: number;
  elapsedS: number;
}

export interface LoadReport extends RunMeta {
  leakCheck: string;
  turns: { completed: number; failed: number; withoutAudio: number };
  turnsPerS: number;
  /** Failed turns by why they failed. */
  failures: Record<string, number>;
  /** Turns with each kind of leak (a turn may show several kinds). */
  leaks: Record<string, number>;
  /** Client-side latencies of completed turns, ms after the request body was sent. */
  client: { firstAudioMs: Summary; firstVideoMs: Summary; firstTextMs: Summary; totalMs: Summary };
  /** The server's own `done.timings` of completed turns. */
  server: Record<(typeof SERVER_TIMINGS)[number], Pick<Summary, "n" | "p50" | "p95">>;
  /** Every engine name the server reported, per stage. */
  engines: Record<string, string[]>;
}

const LEAK_CHECK = {
  text: "own token in the transcript, no other turn's token in any line, turn.sessionId is the user's",
  voice: "spoken turns carry no token: only turn.sessionId is the user's and a transcript exists",
};

/** Sub-millisecond digits of performance.now() are noise in a report. */
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function count(keys: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

export function buildReport(meta: RunMeta, turns: readonly TurnResult[]): LoadReport {
  const ok = turns.filter((t) => t.failure === undefined);
  const since = (pick: (t: TurnResult) => number | undefined) =>
    summarize(ok.flatMap((t) => (pick(t) === undefined ? [] : [round(pick(t)! - t.sentAt, 1)])));
  const server = Object.fromEntries(
    SERVER_TIMINGS.map((k) => {
      const { n, p50, p95 } = summarize(ok.flatMap((t) => (typeof t.server?.[k] === "number" ? [t.server[k]] : [])));
      return [k, { n, p50, p95 }];
    }),
  ) as LoadReport["server"];
  const engines: Record<string, string[]> = {};
  for (const t of ok) {
    for (const [stage, name] of Object.entries(t.engines ?? {})) {
      const seen = engines[stage] ?? [];
      if (!seen.includes(name)) engines[stage] = [...seen, name];
    }
  }
  return {
    ...meta,
    leakCheck: LEAK_CHECK[meta.mode],
    turns: {
      completed: ok.length,
      failed: turns.length - ok.length,
      withoutAudio: ok.filter((t) => t.firstAudioAt === undefined).length,
    },
    elapsedS: round(meta.elapsedS, 2),
    turnsPerS: meta.elapsedS > 0 ? round(ok.length / meta.elapsedS, 2) : 0,
    failures: count(turns.flatMap((t) => (t.failure ? [t.failure] : []))),
    leaks: count(turns.flatMap((t) => [...new Set(t.leaks)])),
    client: {
      firstAudioMs: since((t) => t.firstAudioAt),
      firstVideoMs: since((t) => t.firstVideoAt),
      firstTextMs: since((t) => t.firstTextAt),
      totalMs: since((t) => t.endAt),
    },
    server,
    engines: Object.fromEntries(Object.entries(engines).map(([k, v]) => [k, v.sort()])),
  };
}

const ms = (x: number) => (Number.isNaN(x) ? "-" : String(Math.round(x)));
const tally = (r: Record<string, number>) =>
  Object.keys(r).length
    ? Object.entries(r)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")
    : "none";

const cells = (label: string, values: (string | number)[]) =>
  `  ${label.padEnd(22)}${values.map((v) => String(v).padStart(8)).join("")}`;
const row = (label: string, s: Summary) => cells(label, [s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)]);

export function formatReport(r: LoadReport): string {
  const lines = [
    `load test ${r.runId}: ${r.sessions} sessions for ${r.durationS} s against ${r.url}`,
    `  ${r.mode} questions, persona ${r.personas.join(" + ")}, think ${r.thinkS} s ±50%, users join over ${r.rampS} s`,
    `  elapsed ${r.elapsedS.toFixed(1)} s: ${r.turns.completed} turns completed (${r.turnsPerS.toFixed(2)}/s), ` +
      `${r.turns.failed} failed, ${r.turns.withoutAudio} completed without audio`,
    `  failures: ${tally(r.failures)}`,
    `  leaks: ${tally(r.leaks)}  (checked: ${r.leakCheck})`,
    `  engines: ${
      Object.entries(r.engines)
        .map(([k, v]) => `${k}=${v.join("/")}`)
        .join(" ") || "-"
    }`,
    "",
    "  completed turns, ms after the question was sent:",
    cells("client", ["n", "p50", "p95", "p99", "max"]),
    row("first audio (TTFF)", r.client.firstAudioMs),
    row("first video", r.client.firstVideoMs),
    row("first text", r.client.firstTextMs),
    row("stream end", r.client.totalMs),
    "",
    cells("server done.timings", ["n", "p50", "p95"]),
    ...Object.entries(r.server).map(([k, s]) => cells(k, [s.n, ms(s.p50), ms(s.p95)])),
  ];
  return lines.join("\n");
}
