import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { ndjsonResponse } from "@/lib/turn/ndjson";
import { liveSpeech, turnOrchestrator } from "@/lib/turn/runtime";
import { parseTurnRequest } from "./schema";

export const dynamic = "force-dynamic";

/** POST a question (JSON text or a WAV recording); the answer streams back as NDJSON turn events. */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    const admission = turnAdmission();
    // Cheapest refusals first: a client over its rate costs no persona lookup and no body read.
    admission.screen(clientIp(req));
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const { speechId, ...turn } = await parseTurnRequest(req);
    const live = speechId ? liveSpeech().take(speechId, persona, turn.sessionId) : undefined;
    const events = turnOrchestrator().run({ personaId: persona, ...turn, live, signal: req.signal });
    return ndjsonResponse(admission.track(admission.admit({ sessionId: turn.sessionId }), events));
  } catch (err) {
    return errorResponse(err);
  }
}
