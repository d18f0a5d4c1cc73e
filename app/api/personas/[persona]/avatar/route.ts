import { errorResponse } from "@/lib/http";
import { loadPersona } from "@/lib/persona/persona";
import { mediaQueue } from "@/lib/turn/runtime";

export const dynamic = "force-dynamic";

/**
 * The persona's prepared portrait: `?format=json` gives size, landmarks and feature boxes; otherwise the image
 * itself, the exact still that lip-sync frame patches are composited onto.
 */
export async function GET(req: Request, ctx: { params: Promise<{ persona: string }> }) {
  try {
    const { persona } = await ctx.params;
    await loadPersona(persona);
    const avatar = await mediaQueue().avatar(persona);
    if (new URL(req.url).searchParams.get("format") === "json") {
      const { image: _image, ...meta } = avatar;
      return Response.json(meta, { headers: { "cache-control": "no-store" } });
    }
    return new Response(Buffer.from(avatar.image), {
      headers: { "content-type": avatar.mime, "cache-control": "public, max-age=300" },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
