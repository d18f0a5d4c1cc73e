import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { ndjsonResponse } from "@/lib/turn/ndjson";
import { turnOrchestrator } from "@/lib/turn/runtime";
import { parseTurnRequest } from "./schema";

export const dynamic = "force-dynamic";

/** POST a question (JSON text or a WAV recording); the answer streams back as NDJSON turn events. */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const turn = await parseTurnRequest(req);
    return ndjsonResponse(turnOrchestrator().run({ personaId: persona, ...turn, signal: req.signal }));
  } catch (err) {
    return errorResponse(err);
  }
}
