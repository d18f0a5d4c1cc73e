import type { ExpandedQuery } from "@/lib/knowledge/query";
import { composeAnswer } from "./compose";
import type { AnswerEngine, AnswerEvent, AnswerRequest } from "./types";

/**
 * The default answer engine when no language model is installed: it says the documents' own words, composed from
 * the best-matching section (see compose.ts), each sentence or list followed by its citation. It never writes a
 * word the documents do not contain.
 */
export class ExtractiveAnswerEngine implements AnswerEngine {
  readonly id = "extractive";

  constructor(private readonly expand: (question: string) => Promise<ExpandedQuery>) {}

  async *answer(request: AnswerRequest): AsyncIterable<AnswerEvent> {
    const query = await this.expand(request.question);
    const chosen = composeAnswer(query, request.passages, request.lang);
    const parts: string[] = [];
    const citations: number[] = [];
    for (const c of chosen) {
      if (request.signal?.aborted) {
        yield done(parts, citations, "abort");
        return;
      }
      const piece = `${parts.length ? " " : ""}${c.text} [${c.n}]`;
      parts.push(piece);
      if (!citations.includes(c.n)) citations.push(c.n);
      yield { type: "delta", text: piece };
    }
    yield done(parts, citations, request.signal?.aborted ? "abort" : "complete");
  }
}

function done(parts: string[], citations: number[], stopReason: "complete" | "abort"): AnswerEvent {
  return { type: "done", engine: "extractive", text: parts.join(""), citations, stopReason };
}
