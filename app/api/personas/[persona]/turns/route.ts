import { env } from "@/lib/config/env";
import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { holdSlotUntil, type RecordingSlot, recordingSlots } from "@/lib/protection/recording-slots";
import { ndjsonResponse } from "@/lib/turn/ndjson";
import { liveSpeech, sessionIds, turnOrchestrator } from "@/lib/turn/runtime";
import { isRecording, parseTurnRequest } from "./schema";

export const dynamic = "force-dynamic";

/** POST a question (JSON text or a WAV recording); the answer streams back as NDJSON turn events. */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  let slot: RecordingSlot | null = null;
  try {
    const admission = turnAdmission();
    const ip = clientIp(req);
    // Cheapest refusals first: a client over its rate costs no persona lookup and no body read.
    await admission.screen(ip);
    const { persona } = await ctx.params;
    await loadPersona(persona);
    // A recording holds one of its address's recognition slots from before its body arrives until it is transcribed.
    slot = isRecording(req) ? await recordingSlots().acquire(ip) : null;
    const { speechId, ...turn } = await parseTurnRequest(req, { maxQuestionS: env().MAX_QUESTION_SECONDS });
    // Only ids this server issued continue a conversation; any other starts a new one (its id is in the turn event).
    const { sessionId } = sessionIds().continueOrIssue(turn.sessionId);
    const ticket = await admission.admit({ sessionId }); // before the live recording is taken: a refusal leaves it be
    const live = speechId ? liveSpeech().take(speechId, persona, sessionId) : undefined;
    const events = turnOrchestrator().run({ personaId: persona, ...turn, sessionId, live, signal: req.signal });
    const heard = slot ? holdSlotUntil(slot, events, (e) => e.type === "transcript") : events;
    return ndjsonResponse(admission.track(ticket, heard));
  } catch (err) {
    slot?.release();
    return errorResponse(err);
  }
}
