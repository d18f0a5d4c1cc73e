/**
 * Splits a byte stream into lines. Chunk boundaries fall anywhere: inside a line and inside a multi-byte UTF-8
 * character, so bytes are decoded in streaming mode and a partial line waits for the rest.
 */
export async function* readLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of chunks) {
    // Only the new text can hold a newline: audio and video lines are large and arrive in many chunks.
    let from = pending.length;
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = pending.indexOf("\n", from); nl >= 0; nl = pending.indexOf("\n", from)) {
      const line = pending.slice(start, nl).replace(/\r$/, "");
      if (line.trim()) yield line;
      start = nl + 1;
      from = start;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending.trim()) yield pending.replace(/\r$/, "");
}
