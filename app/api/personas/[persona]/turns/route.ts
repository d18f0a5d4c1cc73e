import { env } from "@/lib/config/env";
import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { ndjsonResponse } from "@/lib/turn/ndjson";
import { liveSpeech, sessionIds, turnOrchestrator } from "@/lib/turn/runtime";
import { parseTurnRequest } from "./schema";

export const dynamic = "force-dynamic";

/** POST a question (JSON text or a WAV recording); the answer streams back as NDJSON turn events. */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    const admission = turnAdmission();
    // Cheapest refusals first: a client over its rate costs no persona lookup and no body read.
    await admission.screen(clientIp(req));
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const { speechId, ...turn } = await parseTurnRequest(req, { maxQuestionS: env().MAX_QUESTION_SECONDS });
    // Only ids this server issued continue a conversation; any other starts a new one (its id is in the turn event).
    const { sessionId } = sessionIds().continueOrIssue(turn.sessionId);
    const live = speechId ? liveSpeech().take(speechId, persona, sessionId) : undefined;
    const events = turnOrchestrator().run({ personaId: persona, ...turn, sessionId, live, signal: req.signal });
    return ndjsonResponse(admission.track(await admission.admit({ sessionId }), events));
  } catch (err) {
    return errorResponse(err);
  }
}
