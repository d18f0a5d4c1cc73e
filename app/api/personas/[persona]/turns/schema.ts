import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readBodyWithLimit } from "@/lib/http";
import { wavDurationS } from "@/lib/speech/wav";

const MAX_WAV_BYTES = 10 * 1024 * 1024; // ~5 minutes of 16 kHz mono PCM16
const MAX_JSON_BYTES = 16 * 1024;

export const TextTurnSchema = z.object({
  sessionId: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  text: z.string().trim().min(1, "text is empty").max(2000, "text is longer than 2,000 characters"),
});

const SessionParam = z
  .string()
  .regex(/^[\w-]{1,64}$/)
  .optional();

export interface ParsedTurn {
  sessionId?: string;
  text?: string;
  wav?: Uint8Array;
  /** The live recording this WAV also went to (`?speechId=`), when the page streamed it while recording. */
  speechId?: string;
}

const SpeechParam = z.string().uuid().optional();

function contentType(req: Request): string {
  return req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Whether the turn is a spoken question (a WAV body), known from its headers before the body is read. */
export function isRecording(req: Request): boolean {
  return ["audio/wav", "audio/wave", "audio/x-wav"].includes(contentType(req));
}

/**
 * A JSON body `{ sessionId?, text }`, or a WAV body with `?sessionId=` (and `?speechId=` when it was streamed while
 * recorded); anything else is refused clearly. A recording longer than `maxQuestionS` is refused from its header,
 * before any recognition is spent on it.
 */
export async function parseTurnRequest(req: Request, limits: { maxQuestionS: number }): Promise<ParsedTurn> {
  const type = contentType(req);
  if (isRecording(req)) {
    const session = SessionParam.safeParse(new URL(req.url).searchParams.get("sessionId") ?? undefined);
    if (!session.success) throw new AppError("bad_request", "sessionId must be 1-64 letters, digits, _ or -");
    const speech = SpeechParam.safeParse(new URL(req.url).searchParams.get("speechId") ?? undefined);
    if (!speech.success) throw new AppError("bad_request", "speechId is not a recording id");
    const wav = await readBodyWithLimit(req, MAX_WAV_BYTES, "the recording is over 10 MB");
    const seconds = wavDurationS(wav);
    if (seconds > limits.maxQuestionS) {
      throw new AppError(
        "payload_too_large",
        `the question is ${Math.round(seconds)} s long; ask in at most ${limits.maxQuestionS} s`,
      );
    }
    return { sessionId: session.data, wav, speechId: speech.data };
  }
  if (type === "application/json") {
    const raw = await readBodyWithLimit(req, MAX_JSON_BYTES, "the request body is over 16 KB");
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new AppError("bad_request", "the body is not valid JSON");
    }
    const parsed = TextTurnSchema.safeParse(body);
    if (!parsed.success) throw new AppError("bad_request", parsed.error.issues[0]?.message ?? "invalid turn");
    return parsed.data;
  }
  throw new AppError("unsupported_media_type", 'send application/json {"text"} or an audio/wav recording');
}
