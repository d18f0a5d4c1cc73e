import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { turnAdmission } from "@/lib/protection/admission";
import { clientIp } from "@/lib/protection/client-ip";
import { sessionIds } from "@/lib/turn/runtime";

export const dynamic = "force-dynamic";

/**
 * A new conversation: `{ sessionId }`, an id only this server can issue. A page asks for one before its first
 * question so live recordings and turns can name it; a turn without a valid one starts a session of its own.
 */
export async function POST(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    await turnAdmission().screen(clientIp(req));
    await loadPersona((await ctx.params).persona);
    return Response.json(
      { sessionId: sessionIds().issue() },
      { status: 201, headers: { "cache-control": "no-store" } },
    );
  } catch (err) {
    return errorResponse(err);
  }
}
