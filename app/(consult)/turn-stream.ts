import type { TurnEvent } from "@/lib/turn/events";

/** `speechId`: the live recording the same audio was streamed to while it was spoken (see live-upload.ts). */
export type TurnBody = { kind: "text"; text: string } | { kind: "wav"; wav: Blob; speechId?: string };

/** The server refused the turn before streaming (bad input, unknown persona): its JSON error, kept readable. */
export class TurnHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** POSTs one turn and yields its NDJSON events as they arrive; aborting the signal ends the stream. */
export async function* streamTurn(
  personaId: string,
  sessionId: string,
  body: TurnBody,
  signal: AbortSignal,
): AsyncGenerator<TurnEvent> {
  const base = `/api/personas/${encodeURIComponent(personaId)}/turns`;
  const res =
    body.kind === "text"
      ? await fetch(base, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ sessionId, text: body.text }),
          signal,
        })
      : await fetch(
          `${base}?${new URLSearchParams({ sessionId, ...(body.speechId && { speechId: body.speechId }) })}`,
          {
            method: "POST",
            headers: { "content-type": "audio/wav" },
            body: body.wav,
            signal,
          },
        );
  if (!res.ok || !res.body) {
    const detail = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new TurnHttpError(res.status, detail?.error?.message ?? res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield JSON.parse(line) as TurnEvent;
        newline = buffered.indexOf("\n");
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as TurnEvent;
  } finally {
    // Leaving early (stop, barge-in) cancels the response so the server stops working on this turn.
    await reader.cancel().catch(() => {});
  }
}
