/**
 * `npm run ask -- --persona P [--session S] [--json] "question"`: one question through the answer pipeline
 * (safety screen, FAQ, retrieval, answer engine), streamed to the terminal or printed as JSON.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { AnswerResult } from "@/lib/answer";
import { createAnswerService } from "@/lib/answer";
import { FileSessionMemory } from "@/lib/answer/session-memory";
import { env, projectPath } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

const USAGE = 'usage: npm run ask -- --persona P [--session S] [--json] "question"';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      persona: { type: "string", short: "p" },
      session: { type: "string", short: "s" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const question = positionals.join(" ").trim();
  if (!values.persona || !question) throw new AppError("bad_request", USAGE);
  const service = await createAnswerService(values.persona, {
    sessions: new FileSessionMemory(path.join(projectPath(env().DATA_DIR), "sessions")),
  });
  let result: AnswerResult | undefined;
  for await (const ev of service.ask(question, { sessionId: values.session })) {
    if (ev.type === "done") result = ev.result;
    else if (!values.json && ev.type === "text") process.stdout.write(ev.delta);
    else if (!values.json && ev.type === "safety") console.log(`[${ev.level.toUpperCase()}] `);
  }
  if (!result) throw new AppError("internal", "the answer stream ended without a result");
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          answer: result.answer,
          citations: result.citations.map(({ n, docId, title, source }) => ({ n, docId, title, source })),
          engine: result.engine,
          safety: result.safety,
          abstained: result.abstained,
          confidence: result.confidence,
          via: result.via,
          timings: result.timings,
        },
        null,
        2,
      ),
    );
  } else {
    console.log("\n");
    for (const c of result.citations) console.log(`[${c.n}] ${c.title} (${c.source}${c.page ? `, p. ${c.page}` : ""})`);
    console.log(
      `\n${result.engine} via ${result.via}, confidence ${result.confidence.toFixed(2)}, ${result.timings.totalMs} ms`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`ask: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof AppError && err.code === "bad_request" ? 2 : 1);
  },
);
