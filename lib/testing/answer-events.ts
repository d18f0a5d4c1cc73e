import type { AnswerEvent } from "@/lib/answer/types";

/** Reads an engine's answer stream to the end: the text deltas in order and the final event. */
export async function collectAnswer(events: AsyncIterable<AnswerEvent>, onDelta?: () => void) {
  const deltas: string[] = [];
  let done: Extract<AnswerEvent, { type: "done" }> | undefined;
  for await (const e of events) {
    if (e.type === "delta") {
      deltas.push(e.text);
      onDelta?.();
    } else done = e;
  }
  if (!done) throw new Error("the answer stream ended without a done event");
  return { deltas, done };
}
