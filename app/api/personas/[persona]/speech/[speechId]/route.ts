import { errorResponse } from "@/lib/http";
import { liveSpeech } from "@/lib/turn/runtime";
import { parseChunk, parseQuery, SeqSchema, SpeechIdSchema } from "../schema";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ persona: string; speechId: string }> };

/**
 * The next chunk of a recording in progress (`?seq=` counts from 0; a gap sends the turn to the WAV path). Audio
 * past MAX_QUESTION_SECONDS closes the recording: 413 with a message to ask a shorter question.
 */
export async function PUT(req: Request, ctx: Ctx) {
  try {
    const speechId = parseQuery(SpeechIdSchema, (await ctx.params).speechId, "speechId");
    const seq = parseQuery(SeqSchema, new URL(req.url).searchParams.get("seq"), "seq");
    liveSpeech().append(speechId, seq, await parseChunk(req));
    return new Response(null, { status: 204 });
  } catch (err) {
    return errorResponse(err);
  }
}

/** The person cancelled (or the recording was too short to ask): recognition stops. */
export async function DELETE(_req: Request, ctx: Ctx) {
  try {
    liveSpeech().cancel(parseQuery(SpeechIdSchema, (await ctx.params).speechId, "speechId"));
    return new Response(null, { status: 204 });
  } catch (err) {
    return errorResponse(err);
  }
}
