import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { liveSpeech } from "@/lib/turn/runtime";
import { parseQuery, SessionIdSchema } from "./schema";

export const dynamic = "force-dynamic";

/**
 * Speech started on the page: recognition starts now, fed by PUT chunks as the person speaks. Answers
 * `{ speechId }` to name when posting the finished recording, or `{ speechId: null }` where live recognition is not
 * available (the recording is then recognised when it arrives).
 */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    turnAdmission().screen(clientIp(req));
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const sessionId = parseQuery(SessionIdSchema, new URL(req.url).searchParams.get("sessionId"), "sessionId");
    const speech = liveSpeech().start(persona, sessionId);
    return Response.json({ speechId: speech?.id ?? null }, { status: speech ? 201 : 200 });
  } catch (err) {
    return errorResponse(err);
  }
}
