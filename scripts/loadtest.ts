/**
 * `npm run loadtest -- --sessions 50 --duration 60 [--voice] [--url http://localhost:3000]
 * [--persona support|triage|both] [--think 3] [--ramp 10] [--timeout 120] [--json]`: simulated users against a running server
 * (ask, listen to the whole answer, think, ask again); prints TTFF and stream latencies, failures and session leaks.
 * Exits 1 when any turn failed or leaked.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { runLoad } from "@/lib/loadtest/load-generator";
import { loadQuestions, loadRecordings } from "@/lib/loadtest/questions";
import { formatReport } from "@/lib/loadtest/report";

const USAGE =
  "usage: npm run loadtest -- [--sessions 50] [--duration 60] [--voice] [--url http://localhost:3000] " +
  "[--persona support|triage|both] [--think 3] [--ramp 10] [--timeout 120] [--json]";
const PERSONAS: Record<string, string[]> = { support: ["support"], triage: ["triage"], both: ["support", "triage"] };

const NUMBER_KINDS = {
  count: { test: (n: number) => Number.isInteger(n) && n > 0, says: "a whole number above 0" },
  positive: { test: (n: number) => n > 0, says: "above 0" },
  zeroOk: { test: (n: number) => n >= 0, says: "0 or more" },
};

function flagNumber(name: string, value: string, kind: keyof typeof NUMBER_KINDS): number {
  const n = Number(value);
  if (!Number.isFinite(n) || !NUMBER_KINDS[kind].test(n)) {
    throw new Error(`--${name} must be ${NUMBER_KINDS[kind].says}, got "${value}"`);
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sessions: { type: "string", default: "50" },
      duration: { type: "string", default: "60" },
      voice: { type: "boolean", default: false },
      url: { type: "string", default: "http://localhost:3000" },
      persona: { type: "string", default: "support" },
      think: { type: "string", default: "3" },
      // People arrive over time; 50 questions in the same instant is a burst test, not a day at the desk.
      ramp: { type: "string", default: "10" },
      timeout: { type: "string", default: "120" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const personas = PERSONAS[values.persona];
  if (!personas) throw new Error(`--persona must be support, triage or both, got "${values.persona}"`);
  const root = process.cwd();
  const recordings = values.voice ? await loadRecordings(path.resolve(root, "../shared/fixtures/speech")) : undefined;
  const questions = recordings
    ? {}
    : Object.fromEntries(
        await Promise.all(
          personas.map(async (p) => [p, await loadQuestions(path.join(root, "knowledge"), p)] as const),
        ),
      );
  const report = await runLoad({
    url: values.url.replace(/\/+$/, ""),
    sessions: flagNumber("sessions", values.sessions, "count"),
    durationS: flagNumber("duration", values.duration, "positive"),
    personas,
    thinkS: flagNumber("think", values.think, "zeroOk"),
    staggerMs: flagNumber("ramp", values.ramp, "zeroOk") * 1000,
    questions,
    recordings,
    turnTimeoutS: flagNumber("timeout", values.timeout, "positive"),
    onProgress: (p) =>
      console.error(
        `[loadtest] ${Math.round(p.elapsedS)} s: ${p.completed} turns completed, ${p.inFlight} in flight, ${p.failed} failed`,
      ),
  });
  console.log(values.json ? JSON.stringify(report) : formatReport(report));
  return report.turns.failed > 0 || Object.keys(report.leaks).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[loadtest] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
