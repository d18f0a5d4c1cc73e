import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { liveSpeech, sessionIds } from "@/lib/turn/runtime";
import { parseQuery, SessionIdSchema } from "./schema";

export const dynamic = "force-dynamic";

/**
 * Speech started on the page: recognition starts now, fed by PUT chunks as the person speaks. Answers
 * `{ speechId }` to name when posting the finished recording, or `{ speechId: null }` where live recognition is not
 * available (the recording is then recognised when it arrives). Each address may have MAX_RECORDINGS_PER_IP
 * recordings open or being recognised at once; past that, 429 with Retry-After.
 */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    const ip = clientIp(req);
    await turnAdmission().screen(ip);
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const sessionId = parseQuery(SessionIdSchema, new URL(req.url).searchParams.get("sessionId"), "sessionId");
    // A recording joins only a session this server issued: a guessed id must not reach another person's turn.
    if (!sessionIds().verify(sessionId)) {
      throw new AppError("bad_request", "sessionId was not issued by this server: POST …/sessions for one");
    }
    const speech = await liveSpeech().start(persona, sessionId, ip);
    return Response.json({ speechId: speech?.id ?? null }, { status: speech ? 201 : 200 });
  } catch (err) {
    return errorResponse(err);
  }
}
